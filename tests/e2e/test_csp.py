"""The pages work under the Content-Security-Policy, in Debian's Chromium: no violation is
reported on the landing page, a table page (its socket comes online, the styles its script
sets apply), the admin, the staff sign-in page and restaurant list, the kitchen display, the
staff floor and the QR sheet (its print button still prints)."""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    TABLET,
    TIMEOUT_MS,
    chromium_required,
    staff_create,
)
from tests.support.servers import AsgiServer, prepare_database

BOSS, BOSS_PASSWORD = "boss", "a-long-test-password-for-csp"


@pytest.mark.browser
def test_every_page_runs_under_the_policy(tmp_path):
    chromium_required()
    database_url = prepare_database(tmp_path)
    # The restaurant's manager: the admin (their restaurant's part) and every staff page.
    staff_create(database_url, restaurant="shuxiang", role="manager", username=BOSS,
                 password=BOSS_PASSWORD)  # fmt: skip
    expect.set_options(timeout=TIMEOUT_MS)
    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        problems: list[str] = []

        def watch(page, who):
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc: problems.append(f"{who}: {exc}"))
            page.on("console", lambda msg: problems.append(f"{who}: {msg.text}")
                    if "Content Security Policy" in msg.text else None)  # fmt: skip
            return page

        try:
            phone = watch(browser.new_context(**PHONE, locale="en-US").new_page(), "phone")
            phone.goto(server.url + "/")
            phone.goto(server.table_url(1))
            expect(phone.locator("body")).to_have_attribute("data-connection", "online")
            media = phone.locator(".dish-media").first
            expect(media).to_be_visible()
            # set from JS through element.style (CSSOM), which the policy allows
            assert media.evaluate("el => el.style.getPropertyValue('--hue')") != ""

            staff = browser.new_context(**TABLET, locale="en-US")
            # Printing would open a dialog: count the calls instead.
            staff.add_init_script(
                "window.print = () => { window.printed = (window.printed||0) + 1 }"
            )
            tablet = watch(staff.new_page(), "tablet")
            tablet.goto(server.url + "/admin/login/?next=/admin/menu/dish/")
            tablet.locator("#id_username").fill(BOSS)
            tablet.locator("#id_password").fill(BOSS_PASSWORD)
            tablet.locator("input[type=submit]").click()
            expect(tablet).to_have_url(re.compile(r"/admin/menu/dish/$"))
            tablet.locator("#result_list tbody th a").first.click()
            expect(tablet.locator("#dish_form")).to_be_visible()
            tablet.goto(server.url + "/staff/login/")
            expect(tablet.locator("input[name=username]")).to_be_visible()
            tablet.goto(server.url + "/staff/restaurants/")
            expect(tablet.locator(".restaurant-row")).to_have_count(1)  # theirs only
            tablet.goto(server.url + "/kitchen/")
            expect(tablet.locator("#conn")).to_have_attribute("data-state", "online")
            tablet.goto(server.url + "/staff/")
            expect(tablet.locator(".tcard-num").first).to_be_visible()
            tablet.goto(server.url + "/staff/qr-sheet/")
            tablet.locator("#print-sheet").click()
            tablet.wait_for_function("() => window.printed === 1")
        finally:
            browser.close()
        assert problems == []
