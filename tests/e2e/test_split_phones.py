"""Two phones at one table split the check, in Debian's Chromium, against a real server.

Ann sends two dishes; both open "Split & pay" from the table page's bill. Bo says "I'll pay
for this" on Ann's first dish: Ann's page shows it moved to Bo as soon as the socket says the
check changed (no reload), her part drops (the dish, and its share of the cover charge) and
she is told who pays it now. Then a race: Ann, offline, asks to share her second dish with Bo
while Bo takes it; back online her op is refused and her phone says why, in words ("Bo is
paying for this"). The cashier takes the money and closes the table: both phones say the meal
has ended and offer its receipt, which Ann opens. No page breaks the Content-Security-Policy.
Screenshots of both phones go to test-results/ (split-*.png).
"""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    RESULTS,
    TABLET,
    TIMEOUT_MS,
    chromium_required,
    restaurant_set,
    sign_in,
    staff_create,
)
from tests.support.servers import AsgiServer, prepare_database

CASHIER, CASHIER_PASSWORD = "cashier", "a-long-test-password-for-the-till"


def plain_dishes(base_url: str) -> list[int]:
    """Dishes on sale that go in the cart with one tap (no required options)."""
    with urllib.request.urlopen(base_url + "/api/menu/", timeout=10) as response:
        menu = json.load(response)
    return [d["id"] for c in menu["categories"] for d in c["dishes"]
            if not d["sold_out"] and all(g["min"] == 0 for g in d["option_groups"])]  # fmt: skip


def money(text: str) -> int:
    """ "¥16.00" → 1600."""
    return round(float(text.replace("¥", "").replace(",", "")) * 100)


def sit_down(page: Page, url: str, name: str) -> None:
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-connection", "online")
    page.locator("#people-button").click()
    page.locator("#rename-input").fill(name)
    page.locator("#rename-form button[type=submit]").click()
    expect(page.locator("#people-sheet")).to_be_hidden()


def open_split(page: Page) -> None:
    """From the table page's bill: its "Split & pay" link."""
    page.locator("#orders-strip").click()
    page.locator("#bill-button").click()
    page.locator("#bill-sheet a", has_text="Split & pay").click()
    expect(page).to_have_url(re.compile(r"/t/[^/]+/check/$"))
    expect(page.locator("body")).to_have_attribute("data-connection", "online")
    expect(page.locator(".dish")).to_have_count(2)


@pytest.mark.browser
def test_bo_takes_anns_dish_and_anns_phone_sees_it(tmp_path):
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path)
    restaurant_set(database_url, hold_first_round=False)
    staff_create(database_url, restaurant="shuxiang", role="cashier", username=CASHIER,
                 password=CASHIER_PASSWORD)  # fmt: skip
    expect.set_options(timeout=TIMEOUT_MS)
    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        errors: list[str] = []
        phones = {}
        for who in ("ann", "bo"):
            page = browser.new_context(**PHONE, locale="en-US").new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc, who=who: errors.append(f"{who}: {exc}"))
            page.on("console", lambda msg, who=who: errors.append(f"{who}: {msg.text}")
                    if "Content Security Policy" in msg.text else None)  # fmt: skip
            phones[who] = page
        ann, bo = phones["ann"], phones["bo"]
        try:
            url = server.table_url(1)
            sit_down(ann, url, "Ann")
            sit_down(bo, url, "Bo")
            for dish in plain_dishes(server.url)[:2]:
                ann.locator(f'.dish-card[data-dish="{dish}"] .dish-open').click()
                ann.locator("#dish-add").click()
                expect(ann.locator("#dish-sheet")).to_be_hidden()
            ann.locator("#checkout-button").click()
            ann.locator("#confirm-send").click()
            expect(bo.locator("#orders-strip")).to_be_visible()
            open_split(ann)
            open_split(bo)

            first, second = ann.locator(".dish").nth(0), ann.locator(".dish").nth(1)
            expect(first.locator(".owners .chip")).to_have_text(["You"])
            total = money(ann.locator("#total").inner_text())
            price = money(first.locator(".dish-price").inner_text())
            expect(ann.locator("#my-amount")).to_have_text(ann.locator("#total").inner_text())
            expect(bo.locator(".dish").nth(0).locator(".owners .chip")).to_have_text(["Ann"])
            expect(bo.locator("#my-amount")).to_have_text("¥0.00")

            bo.locator(".dish").nth(0).click()
            sheet = bo.locator("#dish-sheet")
            expect(sheet).to_be_visible()
            sheet.get_by_role("button", name="I’ll pay for this").click()
            expect(sheet).to_be_hidden()
            expect(bo.locator(".dish").nth(0).locator(".owners .chip")).to_have_text(["You"])
            expect(bo.locator("#my-amount")).not_to_have_text("¥0.00")

            # Ann's page, untouched: the dish is Bo's now, her part less, and she is told.
            expect(first.locator(".owners .chip")).to_have_text(["Bo"])
            # the cover charge and rounding follow the dishes: the two parts make the total
            expect(ann.locator("#my-amount")).not_to_have_text(ann.locator("#total").inner_text())
            mine = money(ann.locator("#my-amount").inner_text())
            bos = money(bo.locator("#my-amount").inner_text())
            assert mine + bos == total and bos >= price
            expect(ann.locator("#toasts")).to_contain_text("Bo is paying for")
            ann.screenshot(path=str(RESULTS / "split-ann.png"))
            bo.screenshot(path=str(RESULTS / "split-bo.png"))

            # The race: Ann, offline, shares her second dish with Bo; Bo takes it meanwhile.
            second.click()
            sheet = ann.locator("#dish-sheet")
            sheet.get_by_role("button", name="Share it").click()
            ann.context.set_offline(True)
            expect(ann.locator("#conn-banner")).to_be_visible()
            sheet.locator("label", has_text="Bo").click()
            sheet.get_by_role("button", name="Share among 2").click()
            expect(sheet.locator("#sheet-hint")).to_have_text("Saving…")
            bo.locator(".dish").nth(1).click()
            bo.locator("#dish-sheet").get_by_role("button", name="I’ll pay for this").click()
            expect(bo.locator(".dish").nth(1).locator(".owners .chip")).to_have_text(["You"])
            ann.context.set_offline(False)
            expect(sheet.locator("#sheet-hint")).to_have_text("Bo is paying for this")
            expect(second.locator(".owners .chip")).to_have_text(["Bo"])
            expect(ann.locator("#my-amount")).to_have_text("¥0.00")
            ann.screenshot(path=str(RESULTS / "split-refused.png"))
            ann.locator("#dish-sheet [data-close]").click()

            # The cashier takes the whole check and closes the table (the till's own API).
            till = browser.new_context(**TABLET, locale="en-US")
            sign_in(till.new_page(), server.url, CASHIER, CASHIER_PASSWORD, "/staff/")
            token = next(c["value"] for c in till.cookies() if c["name"] == "csrftoken")
            csrf = {"X-CSRFToken": token, "Accept": "application/json"}
            check = till.request.get(server.url + "/staff/api/tables/1/check/").json()
            paid = till.request.post(server.url + "/staff/tables/1/check/payments/", headers=csrf,
                                     form={"method": "cash", "amount": check["balance"],
                                           "target": "check", "expect": check["balance"],
                                           "op_id": "split-e2e"})  # fmt: skip
            assert paid.ok, paid.text()
            closed = till.request.post(server.url + "/staff/tables/1/close/", headers=csrf)
            assert closed.ok, closed.text()
            for page in (ann, bo):
                expect(page.locator("#ended-title")).to_have_text("This meal has ended")
                expect(page.locator("#receipt-link")).to_be_visible()
            bo.screenshot(path=str(RESULTS / "split-ended.png"))
            ann.locator("#receipt-link").click()
            expect(ann.locator(".stamp")).to_have_text("PAID")
            expect(ann.locator(".receipt .total")).to_contain_text(f"¥{total / 100:,.2f}")
            ann.screenshot(path=str(RESULTS / "split-receipt.png"), full_page=True)
        finally:
            browser.close()
        assert errors == []
