"""A waiter orders for a table with no phones (代客下单), in Debian's Chromium, against a real
server with the demo restaurant: signs in on a phone, opens table 5's order page (the socket
opens the meal), finds 宫保鸡丁 by its pinyin initials, adds it with its required spice level and
a note, sends; the round is in the kitchen at once, not held for confirmation (staff sent it).
The page runs under the Content-Security-Policy (no violation, no script error). Its
screenshots go to test-results/: waiter-order.png (docs/screenshots/waiter-order.png, shrunk to
390×844 and 256 colours) and waiter-cart.png.
"""

import json
import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    RESULTS,
    TIMEOUT_MS,
    chromium_required,
    sign_in,
    staff_create,
)
from tests.support.servers import AsgiServer, manage, prepare_database

WAITER, WAITER_PASSWORD = "waiter", "waiter-phone-test-pw"
TABLE = 5
NOTE = "Less oil"


def rounds_of_table(database_url: str, number: int) -> list[dict]:
    """The kitchen's rounds of table ``number``'s meals, read from the server's database."""
    out = manage("shell", "-c",
                 "import json; from restaurant.kitchen.models import Order; "
                 f"rows = Order.objects.filter(session__table__number={number}); "
                 "print(json.dumps([{'round': o.round, 'status': o.status, "
                 "'held': o.awaiting_confirmation, "
                 "'by_staff': o.submitted_by.staff_id is not None, "
                 "'items': [[i.name, i.qty, i.option_names, i.note] for i in o.items.all()]} "
                 "for o in rows]))",
                 database_url=database_url)  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.browser
def test_a_waiter_orders_for_a_table_with_no_phones(tmp_path):
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path)
    staff_create(database_url, restaurant="shuxiang", role="waiter", username=WAITER,
                 password=WAITER_PASSWORD)  # fmt: skip
    expect.set_options(timeout=TIMEOUT_MS)
    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(**PHONE, locale="en-US").new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text)
                if "Content Security Policy" in msg.text else None)  # fmt: skip
        try:
            order_page = f"/staff/tables/{TABLE}/order/"
            sign_in(page, server.url, WAITER, WAITER_PASSWORD, order_page)
            expect(page.locator("#conn")).to_have_attribute("data-state", "online")
            expect(page.locator("#waiter-meal")).to_have_text(re.compile(r"^Meal #\d+$"))

            # Pinyin initials find the dish: gbjd → 宫保鸡丁 (Kung Pao Chicken), and only it.
            page.locator("#dish-search").fill("gbjd")
            rows = page.locator("#dishes .w-dish")
            expect(rows).to_have_count(1)
            expect(rows).to_contain_text("Kung Pao Chicken")
            rows.locator(".w-plus").click()  # a required choice: "+" opens the sheet

            # Its spice level is required: Add waits for it.
            sheet = page.locator("#dish-sheet")
            expect(sheet).to_be_visible()
            expect(sheet.locator("#dish-add")).to_be_disabled()
            sheet.locator("label.option", has_text="Mild").click()
            sheet.locator("#dish-note").fill(NOTE)
            expect(sheet.locator("#dish-add")).to_be_enabled()
            sheet.locator("#dish-add").click()
            expect(sheet).to_be_hidden()
            expect(page.locator("#cart-count")).to_have_text("1")
            expect(page.locator("#send-button")).to_contain_text("Send 1")

            page.locator("#send-button").click()
            round_ = page.locator("#orders-body .w-round")
            expect(round_).to_have_count(1)
            expect(round_).to_contain_text("Round 1")
            expect(round_).to_contain_text("Kung Pao Chicken × 1")
            expect(round_.locator(".w-status")).to_have_text("Submitted")  # not held
            expect(page.locator("#cart-count")).to_be_hidden()

            # The next dish, for the screenshot: 酸梅汤 by its initials, its options all optional.
            page.locator("#dish-search").fill("smt")
            expect(rows).to_have_count(1)
            expect(rows).to_contain_text("Sour Plum Drink")
            rows.locator(".w-dish-open").click()  # the sheet, for a note or options
            expect(sheet.locator("#dish-add")).to_be_enabled()
            sheet.locator("#dish-add").click()
            expect(page.locator("#cart-count")).to_have_text("1")
            expect(page.locator("#toasts .toast")).to_have_count(0, timeout=8_000)
            page.screenshot(path=str(RESULTS / "waiter-order.png"))
            # The cart sheet: the line under the waiter's own name, marked as theirs.
            page.locator("#cart-button").click()
            group = page.locator("#cart-body .w-group")
            expect(group).to_have_count(1)
            expect(group.locator(".w-who")).to_contain_text("服务员 waiter")
            expect(group.locator(".w-line")).to_contain_text("Sour Plum Drink")
            page.screenshot(path=str(RESULTS / "waiter-cart.png"))
            page.locator("#cart-sheet [data-close]").click()

            # The sent dish taken back (退菜) from here: ⋯ on its row, a reason, Take back 1.
            round_.locator(".w-item", has_text="Kung Pao Chicken").locator("[data-adjust]").click()
            adjust = page.locator("#adjust-sheet")
            expect(adjust).to_be_visible()
            expect(adjust.locator("#adjust-send")).to_be_disabled()  # no reason yet
            adjust.locator("#adjust-reasons [data-reason]").first.click()
            expect(adjust.locator("#adjust-send")).to_have_text("Take back 1")
            page.screenshot(path=str(RESULTS / "waiter-take-back.png"))
            adjust.locator("#adjust-send").click()
            expect(adjust).to_be_hidden()
            expect(round_.locator(".w-item", has_text="Kung Pao Chicken")).to_contain_text("Voided")
        finally:
            browser.close()
        assert not errors, errors

    [sent] = rounds_of_table(database_url, TABLE)
    # Sent unheld, then its one dish taken back from the page: the round follows its dishes.
    assert sent["round"] == 1 and sent["status"] == "cancelled"
    assert sent["held"] is False and sent["by_staff"] is True
    assert sent["items"] == [["宫保鸡丁", 1, ["微辣"], NOTE]]
