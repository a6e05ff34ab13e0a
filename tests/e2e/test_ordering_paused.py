"""The kitchen's pause switch, seen on a diner's phone, in Debian's Chromium against a real
server: the cook presses Pause orders; the phone says so at once and its round is refused in
words, in its confirm sheet; Resume, and the same round goes. Screenshots go to test-results/."""

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

COOK, PASSWORD = "pauser", "kitchen-pause-test-password"


@pytest.mark.browser
def test_a_paused_kitchen_is_told_on_the_phone_and_refuses_its_round(tmp_path):
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path)
    staff_create(database_url, restaurant="shuxiang", role="kitchen", username=COOK,
                 password=PASSWORD)  # fmt: skip
    expect.set_options(timeout=TIMEOUT_MS)

    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        dish = simple_dishes(server.url)[0]
        errors: list[str] = []
        kitchen = browser.new_context(**TABLET, locale="en-US").new_page()
        phone = browser.new_context(**PHONE, locale="en-US").new_page()
        for page, who in ((kitchen, "kitchen"), (phone, "phone")):
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc, who=who: errors.append(f"{who}: {exc}"))
        try:
            sign_in(kitchen, server.url, COOK, PASSWORD, "/kitchen/")
            expect(kitchen.locator("#conn")).to_have_attribute("data-state", "online")
            pause = kitchen.locator("#pause-button")
            expect(pause).to_have_attribute("aria-pressed", "false")

            phone.goto(server.table_url(3))
            expect(phone.locator("body")).to_have_attribute("data-connection", "online")
            notice = phone.locator("#ordering")
            expect(notice).to_be_hidden()
            add_dish(phone, dish)

            pause.click()
            expect(pause).to_have_attribute("aria-pressed", "true")
            expect(notice).to_be_visible()  # live, over the phone's socket
            expect(notice).to_contain_text("paused")
            phone.screenshot(path=str(RESULTS / "phone-ordering-paused.png"))
            phone.locator("#cart-button").click()
            phone.locator("#cart-submit").click()
            phone.locator("#confirm-send").click()
            expect(phone.locator("#confirm-sheet")).to_contain_text("paused")  # why, in words
            expect(phone.locator("#cart-count")).to_have_text("1")  # nothing was sent

            pause.click()
            expect(pause).to_have_attribute("aria-pressed", "false")
            expect(notice).to_be_hidden()
            phone.locator("#confirm-send").click()  # the same round, sent now
            expect(phone.locator("#cart-count")).to_be_hidden()
            expect(kitchen.locator(".ticket-card")).to_have_count(1)
            assert not errors, errors
        finally:
            browser.close()
