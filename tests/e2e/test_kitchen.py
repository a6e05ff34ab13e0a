"""The kitchen display and the staff floor, in Debian's Chromium, against a real server.

The cook signs in on the kitchen tablet and opens the kitchen display; a phone at table 1 sends
a round; the round appears on the display at once, highlighted, with its note; the kitchen taps
it straight to Ready and the phone shows the round ready. The kitchen marks a dish sold out and
the phone's menu shows it sold out. The phone sends a second round and the kitchen accepts it.
The phone calls a waiter: the display and the floor (a waiter's tablet) list the call, the
waiter answers it on the floor, and it leaves the display. Screenshots go to test-results/.
"""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

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

COOK, COOK_PASSWORD = "cook", "kitchen-display-test-pw"
WAITER, WAITER_PASSWORD = "waiter", "floor-tablet-test-pw"
NOTE = "Extra garlic, no chilli"


def menu_dishes(base_url: str) -> list[dict]:
    with urllib.request.urlopen(base_url + "/api/menu/", timeout=10) as response:
        menu = json.load(response)
    return [dish for category in menu["categories"] for dish in category["dishes"]]


def dishes_without_required_options(base_url: str) -> tuple[dict, dict]:
    """Two dishes on sale that go in the cart with one tap: one to order, one to sell out."""
    simple = [
        d
        for d in menu_dishes(base_url)
        if not d["sold_out"] and all(g["min"] == 0 for g in d["option_groups"])
    ]
    if len(simple) < 2:
        pytest.fail("the demo menu needs two dishes on sale without required options")
    return simple[0], simple[1]


@pytest.mark.browser
def test_kitchen_display_follows_a_round_from_phone_to_ready(tmp_path):
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path)
    staff_create(database_url, restaurant="shuxiang", role="kitchen", username=COOK,
                 password=COOK_PASSWORD)  # fmt: skip
    staff_create(database_url, restaurant="shuxiang", role="waiter", username=WAITER,
                 password=WAITER_PASSWORD)  # fmt: skip
    # This walk-through starts straight in the kitchen (a held first round and the display
    # without calls are tests/e2e/test_kitchen_night.py's), with waiter calls on the display.
    restaurant_set(database_url, hold_first_round=False, calls_on_kitchen=True)
    expect.set_options(timeout=TIMEOUT_MS)

    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ordered, to_sell_out = dishes_without_required_options(server.url)
        errors: list[str] = []
        staff = browser.new_context(**TABLET, locale="en-US")
        kitchen = staff.new_page()
        phone = browser.new_context(**PHONE, locale="en-US").new_page()
        for page, who in ((kitchen, "kitchen"), (phone, "phone")):
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc, who=who: errors.append(f"{who}: {exc}"))
        try:
            # The cook signs in on the tablet and lands on the kitchen display, live.
            sign_in(kitchen, server.url, COOK, COOK_PASSWORD, "/kitchen/")
            expect(kitchen.locator("#conn")).to_have_attribute("data-state", "online")
            new_column = kitchen.locator('.column[data-status="submitted"]')
            expect(new_column.locator(".ticket-card")).to_have_count(0)
            # The sign-in tap lets this page play sound (Chromium's autoplay policy): no prompt.
            expect(kitchen.locator("#sound-button")).to_have_attribute("data-state", "on")
            expect(kitchen.locator("#sound-gate")).to_be_hidden()

            # A phone at table 1 adds a dish with a note, sends the round and confirms it.
            phone.goto(server.table_url(1))
            expect(phone.locator("body")).to_have_attribute("data-connection", "online")
            phone.locator(f'.dish-card[data-dish="{ordered["id"]}"] .dish-open').click()
            sheet = phone.locator("#dish-sheet")
            expect(sheet).to_be_visible()
            sheet.locator("#dish-note").fill(NOTE)
            sheet.locator("#dish-add").click()
            expect(sheet).to_be_hidden()
            phone.locator("#cart-button").click()
            phone.locator("#cart-submit").click()
            phone.locator("#confirm-send").click()
            expect(phone.locator("#confirm-sheet")).to_be_hidden()
            expect(phone.locator("#orders-strip")).to_have_attribute("data-status", "submitted")

            # The round is on the display at once, in New, highlighted, with its note.
            card = new_column.locator(".ticket-card")
            expect(card).to_have_count(1)
            expect(card).to_have_class(re.compile(r"\bis-fresh\b"))
            expect(card.locator(".tc-table")).to_have_text("1")
            expect(card.locator(".tc-round")).to_have_text("Round 1")
            expect(card.locator(".tc-item")).to_contain_text(f"1×{ordered['name_en']}")
            expect(card.locator(".tc-note")).to_have_text(NOTE)
            # The age timer counts from the order's creation and ticks every second.
            age = card.locator(".tc-age")
            expect(age).to_have_text(re.compile(r"^00:[0-5]\d$"))
            expect(age).not_to_have_text(age.inner_text(), timeout=3_000)
            expect(new_column.locator("[data-count]")).to_have_text("1")
            kitchen.screenshot(path=str(RESULTS / "kitchen-display-new-order.png"))

            # One tap skips straight to Ready; the phone shows the round ready.
            card.locator('button[data-to="ready"]').click()
            ready = kitchen.locator('.column[data-status="ready"] .ticket-card')
            expect(ready).to_have_count(1)
            expect(ready.locator('button[data-to="served"]')).to_be_visible()
            expect(new_column.locator(".ticket-card")).to_have_count(0)
            expect(phone.locator("#orders-strip")).to_have_attribute("data-status", "ready")
            expect(phone.locator("#orders-strip")).to_contain_text("Ready")
            phone.locator("#orders-strip").click()
            step = phone.locator('#orders-body .progress li[aria-current="step"]')
            expect(step).to_have_text("Ready")
            expect(phone.locator("#toasts .toast")).to_have_count(0)  # a clean screenshot
            phone.screenshot(path=str(RESULTS / "phone-order-ready.png"))
            phone.keyboard.press("Escape")
            expect(phone.locator("#orders-sheet")).to_be_hidden()

            # The kitchen sells a dish out; the phone's menu shows it sold out, without a reload.
            kitchen.locator("#soldout-button").click()
            panel = kitchen.locator("#soldout-panel")
            expect(panel).to_be_visible()
            panel.locator("#dish-filter").fill(to_sell_out["name_en"])
            switch = panel.locator(f'.dish-switch[data-dish="{to_sell_out["id"]}"]')
            expect(switch).to_have_attribute("aria-checked", "false")
            switch.click()
            expect(switch).to_have_attribute("aria-checked", "true")
            expect(switch).to_contain_text("Sold out")
            phone_dish = phone.locator(f'.dish-card[data-dish="{to_sell_out["id"]}"]')
            expect(phone_dish).to_have_class(re.compile(r"\bis-sold-out\b"))
            expect(phone_dish.locator(".sold-out-tag")).to_have_text("Sold out")
            expect(phone_dish.locator(".dish-open")).to_be_disabled()
            panel.locator("[data-close]").click()
            expect(panel).to_be_hidden()

            # "Add more": a second round of two dishes; the kitchen accepts it.
            second = [
                d
                for d in menu_dishes(server.url)
                if not d["sold_out"] and all(g["min"] == 0 for g in d["option_groups"])
            ][:2]
            for dish in second:
                phone.locator(f'.dish-card[data-dish="{dish["id"]}"] .dish-open').click()
                expect(sheet).to_be_visible()
                sheet.locator("#dish-add").click()
                expect(sheet).to_be_hidden()
            phone.locator("#checkout-button").click()
            phone.locator("#confirm-send").click()
            expect(phone.locator("#confirm-sheet")).to_be_hidden()
            expect(card.locator(".tc-round")).to_have_text("Round 2")
            expect(card.locator(".tc-item")).to_have_count(2)
            card.locator('button[data-to="accepted"]').click()
            accepted = kitchen.locator('.column[data-status="accepted"] .ticket-card')
            expect(accepted).to_have_count(1)
            expect(new_column.locator(".ticket-card")).to_have_count(0)

            # The phone calls for water: the display lists the call.
            phone.locator("#waiter-button").click()
            phone.locator('#waiter-sheet [data-reason="water"]').click()
            call = kitchen.locator("#calls-list .call")
            expect(call).to_have_count(1)
            expect(call.locator(".call-reason")).to_have_text("Water")
            expect(call.locator(".call-table")).to_have_text("1")
            expect(kitchen.locator("#toasts .toast")).to_have_count(0)  # a clean screenshot
            expect(kitchen.locator("#undo-bar")).to_be_hidden(timeout=15_000)
            kitchen.screenshot(path=str(RESULTS / "kitchen-display.png"))

            # The floor shows table 1 open with its order and the call, and answers the call.
            floor = browser.new_context(**TABLET, locale="en-US").new_page()
            floor.set_default_timeout(TIMEOUT_MS)
            floor.on("pageerror", lambda exc: errors.append(f"floor: {exc}"))
            sign_in(floor, server.url, WAITER, WAITER_PASSWORD, "/staff/")
            expect(floor.locator("#conn")).to_have_attribute("data-state", "online")
            table = floor.locator('.table-card[data-table="1"]')
            expect(table).to_have_class(re.compile(r"\bis-open\b"))
            expect(table.locator(".tcall-reason")).to_have_text("Water")
            expect(table.locator(".tcard-stat", has_text="Open orders").locator("dd")).to_have_text(
                "2"
            )
            expect(floor.locator('.table-card[data-table="2"]')).to_have_class(
                re.compile(r"\bis-free\b")
            )
            floor.screenshot(path=str(RESULTS / "staff-floor.png"), full_page=True)
            table.locator(".tcall button[data-done]").click()
            expect(table.locator(".tcall")).to_have_count(0)
            expect(kitchen.locator("#calls-list .call")).to_have_count(0)
            expect(kitchen.locator("#calls-panel")).to_be_hidden()
            assert not errors, errors
        finally:
            kitchen.screenshot(path=str(RESULTS / "kitchen-display-end.png"))
            phone.screenshot(path=str(RESULTS / "kitchen-test-phone.png"))
            browser.close()
