"""A move seen on a diner's phone, in Debian's Chromium against a real server: a phone at table
1 has a dish in its cart; a waiter moves the meal to table 5 from the floor (Move…, then the
table). The phone says where it is now, its address is table 5's, its cart is still there, and
a reload there is the same meal. Screenshots go to test-results/."""

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.test_meal_end import add_dish, simple_dishes
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    RESULTS,
    TABLET,
    TIMEOUT_MS,
    chromium_required,
    sign_in,
    staff_create,
)
from tests.support.servers import AsgiServer, prepare_database

WAITER, PASSWORD = "mover", "floor-move-test-password"


@pytest.mark.browser
def test_a_phone_follows_its_meal_to_another_table(tmp_path):
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path)
    staff_create(database_url, restaurant="shuxiang", role="waiter", username=WAITER,
                 password=PASSWORD)  # fmt: skip
    expect.set_options(timeout=TIMEOUT_MS)

    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        dish = simple_dishes(server.url)[0]
        new_url = server.table_url(5)
        errors: list[str] = []
        floor = browser.new_context(**TABLET, locale="en-US").new_page()
        phone = browser.new_context(**PHONE, locale="en-US").new_page()
        for page, who in ((floor, "floor"), (phone, "phone")):
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc, who=who: errors.append(f"{who}: {exc}"))
        try:
            phone.goto(server.table_url(1))
            online = phone.locator("body")
            expect(online).to_have_attribute("data-connection", "online")
            add_dish(phone, dish)
            expect(phone.locator("#cart-count")).to_have_text("1")

            sign_in(floor, server.url, WAITER, PASSWORD, "/staff/")
            floor.locator('.table-card[data-table="1"] button[data-action="move"]').click()
            dialog = floor.locator("#move-dialog")
            expect(dialog).to_be_visible()
            floor.screenshot(path=str(RESULTS / "floor-move-dialog.png"), animations="disabled")
            dialog.locator('button[data-to="5"]').click()
            expect(floor.locator('.table-card[data-table="5"] .state-pill')).to_have_text("Open")
            expect(floor.locator('.table-card[data-table="1"] .state-pill')).to_have_text("Free")

            expect(phone.locator("#table-label")).to_have_text("Table 5")
            expect(phone.locator("#toasts")).to_contain_text("Your table is now Table 5")
            assert phone.url == new_url, (phone.url, new_url)
            expect(phone.locator("#cart-count")).to_have_text("1")
            expect(online).to_have_attribute("data-connection", "online")
            phone.screenshot(path=str(RESULTS / "phone-table-moved.png"), animations="disabled")

            phone.reload()  # the new address: the same meal, the same cart
            expect(online).to_have_attribute("data-connection", "online")
            expect(phone.locator("#table-label")).to_have_text("Table 5")
            expect(phone.locator("#cart-count")).to_have_text("1")
            assert not errors, errors
        finally:
            browser.close()
