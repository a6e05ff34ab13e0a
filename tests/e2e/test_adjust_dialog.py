"""Taking part of a dish back and giving the rest free from the expo's item dialog, in Debian's
Chromium against a real server: the stepper starts at all of it, one less is 2 of 3, a reason
from the demo's list; the board then shows the dish split, the part taken back; the last one is
given free and marked so."""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.test_stations import PASSWORD, add_and_send, shell, simple_dish, staff_sign_in
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    TABLET,
    TIMEOUT_MS,
    chromium_required,
    restaurant_set,
    staff_create,
)
from tests.support.servers import AsgiServer, prepare_database

BOSS = "boss"


@pytest.mark.browser
def test_part_of_a_dish_taken_back_and_the_rest_given_free_from_the_expo(tmp_path):
    chromium_required()
    database_url = prepare_database(tmp_path)
    staff_create(database_url, restaurant="shuxiang", role="manager", username=BOSS,
                 password=PASSWORD)  # fmt: skip
    restaurant_set(database_url, hold_first_round=False)
    expect.set_options(timeout=TIMEOUT_MS)

    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        dish = simple_dish(server.url, ("小炒", "招牌热菜", "主食"))
        errors: list[str] = []
        phone = browser.new_context(**PHONE, locale="en-US").new_page()
        expo = browser.new_context(**TABLET, locale="en-US").new_page()
        for page, who in ((phone, "phone"), (expo, "expo")):
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc, who=who: errors.append(f"{who}: {exc}"))
        try:
            phone.goto(server.table_url(1))
            expect(phone.locator("body")).to_have_attribute("data-connection", "online")
            add_and_send(phone, [dish])
            # Three of it, as a cart of three sends it.
            shell(database_url, "from restaurant.kitchen.models import OrderItem; "
                                "OrderItem.objects.update(qty=3)")  # fmt: skip

            staff_sign_in(expo, server.url, BOSS, "/kitchen/")
            expect(expo).to_have_url(re.compile(r"/kitchen/$"))
            expect(expo.locator("#conn")).to_have_attribute("data-state", "online")
            row = expo.locator(".ticket-card .tc-item")
            expect(row).to_have_count(1)
            expect(row.locator(".tc-qty")).to_have_text("3×")

            row.locator(".tc-item-tap").click(button="right")
            dialog = expo.locator("#item-dialog")
            expect(dialog).to_be_visible()
            box = dialog.locator("#adjust-box")
            expect(box.locator("#adjust-n")).to_have_text("3")  # all of it, to start with
            expect(box.locator("#adjust-confirm")).to_be_disabled()
            box.locator('[data-step="-1"]').click()
            expect(box.locator("#adjust-n")).to_have_text("2")
            box.locator('[data-adjust="void"]', has_text="Wrong dish").click()
            expect(box.locator("#adjust-confirm")).to_have_text("Take back 2")
            box.locator("#adjust-confirm").click()
            expect(dialog).to_be_hidden()

            # The board takes the round as it now is: 1 left, 2 taken back with the reason.
            expect(row).to_have_count(2)
            expect(row.nth(0).locator(".tc-qty")).to_have_text("1×")
            expect(row.nth(1).locator(".tc-qty")).to_have_text("2×")
            expect(row.nth(1).locator(".item-chip")).to_have_text("Taken back")
            expect(row.nth(1)).to_contain_text("上错菜 Wrong dish")

            # The last one on the house.
            row.nth(0).locator(".tc-item-tap").click(button="right")
            expect(dialog).to_be_visible()
            expect(box.locator("#adjust-n")).to_have_text("1")
            box.locator('[data-adjust="comp"]', has_text="Regular").click()
            box.locator("#adjust-confirm").click()
            expect(dialog).to_be_hidden()
            expect(row.nth(0).locator(".item-comped")).to_have_text("On the house")
            assert errors == []
        finally:
            browser.close()
