"""The diner's dish sheet in Debian's Chromium: an option sold out shows greyed out and cannot
be chosen; a dish sold from two portions (起售份数) opens at two and goes no lower; an option
switched off in the admin's option list while the sheet is open is taken out of it. The
waiter's dish sheet likewise."""

import json
import urllib.request

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

DISH, SOLD_OUT, OTHER = "Kung Pao Chicken", "Extra hot", "Medium"
BOSS, BOSS_PASSWORD = "boss", "a-long-test-password-for-options"
WAITER, WAITER_PASSWORD = "waiter", "waiter-phone-test-pw-options"


def menu_set(database_url: str, code: str) -> None:
    manage("shell", "-c", "from restaurant.menu.models import Dish, Option; " + code,
           database_url=database_url)  # fmt: skip


def option_ids(base_url: str) -> dict[str, int]:
    with urllib.request.urlopen(base_url + "/r/shuxiang/api/menu/", timeout=10) as response:
        menu = json.load(response)
    dish = next(d for c in menu["categories"] for d in c["dishes"] if d["name_en"] == DISH)
    return {o["name_en"]: o["id"] for g in dish["option_groups"] for o in g["options"]}


@pytest.mark.browser
def test_sold_out_options_and_the_minimum_in_the_dish_sheet(tmp_path):
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path)
    menu_set(database_url, f"d = Dish.objects.get(restaurant__slug='shuxiang', name_en={DISH!r}); "
             "d.min_qty = 2; d.save(); "
             "o = Option.objects.get(group__restaurant__slug='shuxiang', "
             f"name_en={SOLD_OUT!r}); o.sold_out = True; o.save()")  # fmt: skip
    staff_create(database_url, restaurant="shuxiang", role="manager", username=BOSS,
                 password=BOSS_PASSWORD)  # fmt: skip
    staff_create(database_url, restaurant="shuxiang", role="waiter", username=WAITER,
                 password=WAITER_PASSWORD)  # fmt: skip
    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ids = option_ids(server.url)
        page = browser.new_context(**PHONE, locale="en-US").new_page()
        staff = browser.new_context(locale="en-US").new_page()
        for tab in (page, staff):
            tab.set_default_timeout(TIMEOUT_MS)
        sign_in(staff, server.url, BOSS, BOSS_PASSWORD, "/admin/menu/option/?sold_out__exact=0")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            page.goto(server.table_url(1))
            expect(page.locator("body")).to_have_attribute("data-connection", "online")
            page.locator(".dish-card", has_text=DISH).locator(".dish-open").click()
            sheet = page.locator("#dish-sheet")
            expect(sheet).to_be_visible()

            # The sold-out option: greyed out (disabled), saying so, not choosable.
            gone = sheet.locator(f'label.option:has(input[value="{ids[SOLD_OUT]}"])')
            expect(gone.locator("input")).to_be_disabled()
            expect(gone.locator(".sold-out-tag")).to_have_text("Sold out")
            gone.click(force=True)
            expect(gone.locator("input")).not_to_be_checked()

            # Sold from 2: the sheet opens at 2 and says so; "−" cannot go below it.
            expect(sheet).to_contain_text("min. 2")
            expect(sheet.locator("#dish-qty")).to_have_text("2")
            fewer = sheet.locator('[data-step="-1"]')
            expect(fewer).to_be_disabled()
            page.screenshot(path=str(RESULTS / "option-groups-sheet-open.png"))
            sheet.locator('[data-step="1"]').click()
            expect(sheet.locator("#dish-qty")).to_have_text("3")
            expect(fewer).to_be_enabled()
            fewer.click()
            expect(sheet.locator("#dish-qty")).to_have_text("2")
            expect(fewer).to_be_disabled()

            # An option chosen, then switched off while the sheet is open: the sheet opens
            # afresh without it (the menu came again), and the choice must be made again.
            sheet.locator(f'label.option:has(input[value="{ids[OTHER]}"])').click()
            expect(sheet.locator("#dish-add")).to_be_enabled()
            row = staff.locator(f'tr:has(a[href*="/option/{ids[OTHER]}/change/"])')
            row.locator('input[name$="-sold_out"]').check()
            with page.expect_response(lambda r: "/api/menu/" in r.url):
                staff.locator('input[name="_save"]').click()
            other = sheet.locator(f'label.option:has(input[value="{ids[OTHER]}"])')
            expect(other.locator("input")).to_be_disabled()
            expect(sheet.locator("#dish-add")).to_be_disabled()
            sheet.locator(f'label.option:has(input[value="{ids["Mild"]}"])').click()
            sheet.locator("#dish-add").click()
            expect(sheet).to_be_hidden()
            expect(page.locator("#cart-count")).to_have_text("2")

            # The waiter's sheet for table 5: the same greyed options, the same minimum.
            waiter = browser.new_context(**PHONE, locale="en-US").new_page()
            waiter.set_default_timeout(TIMEOUT_MS)
            waiter.on("pageerror", lambda exc: errors.append(f"waiter: {exc}"))
            sign_in(waiter, server.url, WAITER, WAITER_PASSWORD, "/staff/tables/5/order/")
            expect(waiter.locator("#conn")).to_have_attribute("data-state", "online")
            waiter.locator("#dish-search").fill("gbjd")
            waiter.locator("#dishes .w-dish .w-plus").click()  # a required choice: the sheet
            sheet = waiter.locator("#dish-sheet")
            expect(sheet).to_be_visible()
            for name in (SOLD_OUT, OTHER):
                option = sheet.locator(f'label.option:has(input[value="{ids[name]}"])')
                expect(option.locator("input")).to_be_disabled()
                expect(option.locator(".sold-out-tag")).to_have_text("Sold out")
            expect(sheet).to_contain_text("min. 2")
            expect(sheet.locator("#dish-qty")).to_have_text("2")
            expect(sheet.locator('[data-step="-1"]')).to_be_disabled()
            sheet.locator(f'label.option:has(input[value="{ids["Mild"]}"])').click()
            sheet.locator("#dish-add").click()
            expect(waiter.locator("#cart-count")).to_have_text("2")
            assert not errors, errors
        finally:
            page.screenshot(path=str(RESULTS / "option-groups-sheet.png"))
            staff.screenshot(path=str(RESULTS / "option-groups-admin.png"))
            browser.close()
