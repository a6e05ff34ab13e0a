"""Packing to take away (打包) on the phones, in Debian's Chromium, against a real server with the
demo restaurant: a diner opens a soup, switches "To go" on (its ¥2 fee shows on the switch and
in the price), adds it; the cart line says "To go". The waiter's page at the same table shows
that line so marked, adds one more the same way and sends the round; the kitchen's items keep
it, at the price with the fee."""

import json

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    TIMEOUT_MS,
    chromium_required,
    sign_in,
    staff_create,
)
from tests.support.servers import AsgiServer, manage, prepare_database

WAITER, WAITER_PASSWORD = "waiter", "waiter-takeaway-test-pw"
SOUP = "Hot and Sour Soup"  # 酸辣汤, ¥22 (small), packed for ¥2 (restaurant/site/demo.py)


def items_of_table(database_url: str, number: int) -> list[list]:
    out = manage("shell", "-c",
                 "import json; from restaurant.kitchen.models import OrderItem; "
                 f"rows = OrderItem.objects.filter(order__session__table__number={number}); "
                 "print(json.dumps([[i.name, i.qty, i.takeaway, i.unit_price] for i in rows]))",
                 database_url=database_url)  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.browser
def test_a_phone_and_the_waiter_pack_a_soup_to_go(tmp_path):
    chromium_required()
    database_url = prepare_database(tmp_path)
    staff_create(database_url, restaurant="shuxiang", role="waiter", username=WAITER,
                 password=WAITER_PASSWORD)  # fmt: skip
    expect.set_options(timeout=TIMEOUT_MS)
    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        errors: list[str] = []
        phone = browser.new_context(**PHONE, locale="en-US").new_page()
        staff = browser.new_context(**PHONE, locale="en-US").new_page()
        for page in (phone, staff):
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            phone.goto(server.table_url(1))
            expect(phone.locator("body")).to_have_attribute("data-connection", "online")
            phone.locator(".dish-card", has_text=SOUP).locator(".dish-open").click()
            sheet = phone.locator("#dish-sheet")
            to_go = sheet.locator("label.option:has(#dish-togo)")
            expect(to_go).to_contain_text("To go")
            expect(to_go.locator(".option-price")).to_contain_text("2.00")
            sheet.locator("label.option", has_text="Small").click()
            expect(sheet.locator("#dish-add")).to_contain_text("22.00")
            to_go.click()
            expect(sheet.locator("#dish-add")).to_contain_text("24.00")
            to_go.click()  # off again: the price without the fee
            expect(sheet.locator("#dish-add")).to_contain_text("22.00")
            to_go.click()
            sheet.locator("#dish-add").click()
            expect(sheet).to_be_hidden()
            phone.locator("#cart-button").click()
            line = phone.locator("#cart-sheet .line")
            expect(line.locator(".shared-tag")).to_have_text("To go")
            expect(line.locator(".line-price")).to_contain_text("24.00")

            # The waiter at the same table: the phone's line is marked; one more, packed too.
            sign_in(staff, server.url, WAITER, WAITER_PASSWORD, "/staff/tables/1/order/")
            expect(staff.locator("#conn")).to_have_attribute("data-state", "online")
            staff.locator("#cart-button").click()
            expect(staff.locator("#cart-body .w-line")).to_contain_text("To go")
            staff.locator("#cart-sheet [data-close]").click()
            staff.locator("#dish-search").fill("slt")
            staff.locator("#dishes .w-dish", has_text=SOUP).locator(".w-dish-open").click()
            wsheet = staff.locator("#dish-sheet")
            wsheet.locator("label.option", has_text="Small").click()
            wsheet.locator("label.option:has(#dish-togo)").click()
            expect(wsheet.locator("#dish-add")).to_contain_text("24.00")
            wsheet.locator("#dish-add").click()
            expect(staff.locator("#cart-count")).to_have_text("2")
            staff.locator("#send-button").click()
            items = staff.locator("#orders-body .w-round .w-item")
            expect(items).to_have_count(2)
            for n in range(2):
                expect(items.nth(n)).to_contain_text("To go")
            assert items_of_table(database_url, 1) == [["酸辣汤", 1, True, 2400]] * 2
            assert not errors, errors
        finally:
            browser.close()
