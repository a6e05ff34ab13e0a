"""Two phones at one table, in Debian's Chromium: the shared cart is live on both.

Phone A (English) renames itself, adds a dish with a required option and a note; phone B
(Chinese) sees the line under A's name without reloading, raises its quantity; A sees that,
submits after confirming, and both see round 1 as submitted. Screenshots go to test-results/.
"""

import json
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, RESULTS, TIMEOUT_MS
from tests.support.servers import AsgiServer, prepare_database

NOTE = "No coriander, please"


def dish_with_required_option(base_url: str) -> dict:
    with urllib.request.urlopen(base_url + "/api/menu/", timeout=10) as response:
        menu = json.load(response)
    for category in menu["categories"]:
        for dish in category["dishes"]:
            if not dish["sold_out"] and any(g["min"] >= 1 for g in dish["option_groups"]):
                return dish
    pytest.fail("the demo menu has no dish on sale with a required option group")


@pytest.mark.browser
def test_two_phones_share_one_live_cart(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: install Debian's `chromium` package")
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path)

    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        url = server.table_url(1)
        dish = dish_with_required_option(server.url)
        name_en = dish["name_en"] or dish["name"]
        errors: list[str] = []
        a = browser.new_context(**PHONE, locale="en-US").new_page()
        b = browser.new_context(**PHONE, locale="zh-CN").new_page()
        for page, who in ((a, "A"), (b, "B")):
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc, who=who: errors.append(f"phone {who}: {exc}"))
        try:
            a.goto(url)
            b.goto(url)
            for page in (a, b):
                expect(page.locator("body")).to_have_attribute("data-connection", "online")
                expect(page.locator(".dish-card:not(.is-skeleton)").first).to_be_visible()

            # A names itself, so B can tell whose line it is.
            a.locator("#people-button").click()
            a.locator("#rename-input").fill("Alice")
            a.locator("#rename-form button[type=submit]").click()
            expect(a.locator("#people-sheet")).to_be_hidden()

            # A adds the dish: "Add" stays disabled until every required group is chosen.
            a.locator(".dish-card", has_text=name_en).locator(".dish-open").click()
            sheet = a.locator("#dish-sheet")
            expect(sheet).to_be_visible()
            add = sheet.locator("#dish-add")
            expect(add).to_be_disabled()
            unit = dish["price"]
            for group in dish["option_groups"]:
                for option in group["options"][: group["min"]]:
                    sheet.locator(f'label.option:has(input[value="{option["id"]}"])').click()
                    unit += option["price"]
            expect(add).to_be_enabled()
            sheet.locator("#dish-note").fill(NOTE)
            add.click()
            expect(sheet).to_be_hidden()

            # B, without reloading, sees the line under Alice's name (in Chinese) and raises it.
            b.locator("#cart-button").click()
            alice = b.locator("#cart-sheet .diner-group", has_text="Alice")
            expect(alice).to_contain_text(dish["name"])
            expect(alice).to_contain_text(NOTE)
            expect(alice.locator(".line .qty")).to_have_text("1")
            alice.locator('.line [data-key$="-plus"]').click()
            expect(alice.locator(".line .qty")).to_have_text("2")

            # A sees B's change and the new total.
            expect(a.locator("#cart-count")).to_have_text("2")
            a.locator("#cart-button").click()
            expect(a.locator("#cart-sheet .line .qty")).to_have_text("2")
            expect(a.locator("#cart-sheet-total")).to_contain_text(f"{unit * 2 / 100:.2f}")

            # A sends the round after confirming what goes to the kitchen.
            a.locator("#cart-submit").click()
            confirm = a.locator("#confirm-sheet")
            expect(confirm).to_contain_text(f"2 × {name_en}")
            expect(confirm).to_contain_text(NOTE)
            confirm.locator("#confirm-send").click()
            expect(confirm).to_be_hidden()

            # Both see round 1, submitted, each in its own language; both carts are empty. It
            # is the first round of a meal their scan opened: it waits for staff to confirm it.
            expect(a.locator("#orders-strip")).to_contain_text("Round 1")
            expect(a.locator("#orders-strip")).to_have_attribute("data-status", "submitted")
            expect(a.locator("#orders-strip")).to_contain_text("Waiting for the staff to confirm")
            b.keyboard.press("Escape")
            expect(b.locator("#orders-strip")).to_contain_text("第 1 轮")
            expect(b.locator("#orders-strip")).to_contain_text("等待服务员确认")
            for page in (a, b):
                expect(page.locator("#cart-count")).to_be_hidden()
            assert not errors, errors
        finally:
            a.screenshot(path=str(RESULTS / "table-phone-a.png"))
            b.screenshot(path=str(RESULTS / "table-phone-b.png"))
            browser.close()
