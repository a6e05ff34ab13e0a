"""The table's life in Debian's Chromium, against a real server: what a person would notice.

A link preview fetches the table's page: nothing opens. A phone sits down and sends a round: it
is the first round of a meal the phone's scan opened, so it waits for staff ("Waiting for the
staff to confirm") until the floor accepts it. The phone puts another dish in the cart and does
not send it; the floor's close dialog says so and closes only when told to throw the cart away.
The phone's old tab then says the meal has ended and cannot order; reloading it does not open
the table again; only "Start a new order" does. Screenshots go to test-results/.
"""

import json
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
    sign_in,
    staff_create,
)
from tests.support.servers import AsgiServer, manage, prepare_database

HOST, HOST_PASSWORD = "host", "floor-staff-test-password"


def simple_dishes(base_url: str) -> list[dict]:
    """Dishes on sale that go in the cart with one tap (no required options)."""
    with urllib.request.urlopen(base_url + "/api/menu/", timeout=10) as response:
        menu = json.load(response)
    dishes = [d for c in menu["categories"] for d in c["dishes"]]
    simple = [
        d for d in dishes if not d["sold_out"] and all(g["min"] == 0 for g in d["option_groups"])
    ]
    if len(simple) < 2:
        pytest.fail("the demo menu needs two dishes on sale without required options")
    return simple


def add_dish(phone, dish: dict) -> None:
    phone.locator(f'.dish-card[data-dish="{dish["id"]}"] .dish-open').click()
    sheet = phone.locator("#dish-sheet")
    expect(sheet).to_be_visible()
    sheet.locator("#dish-add").click()
    expect(sheet).to_be_hidden()


# The cashier takes the whole check of table 1's meal (the till's own service).
PAY_TABLE_ONE = """
from restaurant.billing.selectors import check_of, share_due
from restaurant.billing.services import payment_record
from restaurant.dining.models import DiningSession
meal = DiningSession.objects.get(table__number=1, status="open")
check, _, _, _, payments = check_of(meal)
due = share_due(check, payments, "check")
payment_record(restaurant=meal.table.restaurant, session_id=meal.pk, method="cash", amount=due,
               target="check", expect=due, op_id="e2e", by=None)
"""


@pytest.mark.browser
def test_an_ended_meal_stays_ended_until_the_diner_starts_a_new_one(tmp_path):
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path)
    # The floor is a waiter's: they accept held rounds and close tables.
    staff_create(database_url, restaurant="shuxiang", role="waiter", username=HOST,
                 password=HOST_PASSWORD)  # fmt: skip
    expect.set_options(timeout=TIMEOUT_MS)

    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        first, second = simple_dishes(server.url)[:2]
        url = server.table_url(1)
        errors: list[str] = []
        staff = browser.new_context(**TABLET, locale="en-US")
        floor = staff.new_page()
        phone = browser.new_context(**PHONE, locale="en-US").new_page()
        for page, who in ((floor, "floor"), (phone, "phone")):
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc, who=who: errors.append(f"{who}: {exc}"))

        def table_one() -> dict:
            response = staff.request.get(server.url + "/staff/api/floor/")
            assert response.ok, response.status
            return next(t for t in response.json()["tables"] if t["number"] == 1)

        try:
            sign_in(floor, server.url, HOST, HOST_PASSWORD, "/staff/")
            card = floor.locator('.table-card[data-table="1"]')

            # A chat app's link preview fetches the page: no diner, the table stays free.
            with urllib.request.urlopen(url, timeout=10) as preview:
                assert preview.status == 200
            assert (table_one()["status"], table_one()["diners"]) == ("free", 0)

            # The phone sits down and sends a round; it waits for staff to confirm it.
            phone.goto(url)
            expect(phone.locator("body")).to_have_attribute("data-connection", "online")
            add_dish(phone, first)
            phone.locator("#cart-button").click()
            phone.locator("#cart-submit").click()
            phone.locator("#confirm-send").click()
            expect(phone.locator("#confirm-sheet")).to_be_hidden()
            strip = phone.locator("#orders-strip")
            expect(strip).to_contain_text("Waiting for the staff to confirm")
            phone.screenshot(path=str(RESULTS / "phone-round-awaiting-staff.png"))

            # The floor shows the held round; the host accepts it and the phone sees that.
            held = card.locator(".tcard-held .tcall")
            expect(held).to_have_count(1)
            expect(held).to_contain_text("Round 1")
            floor.screenshot(path=str(RESULTS / "floor-held-round.png"))
            held.locator("button[data-accept]").click()
            expect(held).to_have_count(0)
            expect(strip).to_have_attribute("data-status", "accepted")
            expect(strip).to_contain_text("Accepted")

            # Another dish goes in the cart and is never sent: the close dialog says so.
            add_dish(phone, second)
            expect(phone.locator("#cart-count")).to_have_text("1")
            card.locator('button[data-action="close"]').click()
            dialog = floor.locator("#close-dialog")
            expect(dialog).to_be_visible()
            expect(dialog.locator(".alert").first).to_contain_text("Not sent to the kitchen: 1")
            expect(dialog).to_contain_text(f"1 × {second['name_en'] or second['name']}")
            confirm = dialog.locator("#close-confirm")
            expect(confirm).to_have_text("Throw the cart away and close")
            floor.screenshot(path=str(RESULTS / "floor-close-unsent-cart.png"))
            confirm.click()
            # The round is on the check and nobody has paid: the close is refused, the dialog
            # says how much is owed and offers the check instead.
            expect(dialog.locator(".alert").first).to_contain_text("still owed")
            expect(dialog.locator('a[href$="/staff/tables/1/check/"]')).to_be_visible()
            expect(card.locator(".state-pill")).not_to_have_text("Free")
            manage("shell", "-c", PAY_TABLE_ONE, database_url=database_url)  # at the till
            floor.keyboard.press("Escape")
            card.locator('button[data-action="close"]').click()
            expect(confirm).to_have_text("Throw the cart away and close")
            confirm.click()
            expect(card.locator(".state-pill")).to_have_text("Free")

            # The old tab: the meal has ended, it cannot order, it offers a new order.
            ended = phone.locator("#ended-sheet")
            expect(ended).to_be_visible()
            expect(phone.locator("#ended-title")).to_have_text("This meal has ended")
            expect(phone.locator("#ended-new")).to_be_visible()
            expect(phone.locator("body")).to_have_attribute("data-connection", "closed")
            phone.screenshot(path=str(RESULTS / "phone-meal-ended.png"))

            # Reloading it does not open the table again: it asks.
            phone.reload()
            expect(ended).to_be_visible()
            expect(phone.locator("#ended-title")).to_have_text("This meal has ended")
            expect(phone.locator("#ended-new")).to_be_visible()
            assert (table_one()["status"], table_one()["diners"]) == ("free", 0)
            expect(card.locator(".state-pill")).to_have_text("Free")

            # "Start a new order": a new meal, this phone its first diner, nothing of the last.
            phone.locator("#ended-new").click()
            expect(phone.locator("body")).to_have_attribute("data-connection", "online")
            expect(ended).to_be_hidden()
            expect(strip).to_be_hidden()
            expect(phone.locator("#cart-count")).to_be_hidden()
            assert (table_one()["status"], table_one()["diners"]) == ("open", 1)
            assert not errors, errors
        finally:
            browser.close()
