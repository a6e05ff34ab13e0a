"""Two restaurants in one server, each kitchen display signed in as its own cook: a diner's
round at one shows on that restaurant's display and never on the other's.

The leak it stops: an order (or a kitchen group, a socket's restaurant) crossing restaurants,
seen from outside: real browsers, real sign-in pages, one server, the demo's two restaurants.
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

PASSWORD = "two-kitchens-test-password"
COOKS = {"shuxiang": "cook-shuxiang", "dimsum": "cook-dimsum"}


def plain_dish(base_url: str, slug: str) -> dict:
    """A dish of ``slug``'s menu on sale that goes in the cart with one tap."""
    with urllib.request.urlopen(f"{base_url}/r/{slug}/api/menu/", timeout=10) as response:
        menu = json.load(response)
    return next(
        dish
        for category in menu["categories"]
        for dish in category["dishes"]
        if not dish["sold_out"] and all(g["min"] == 0 for g in dish["option_groups"])
    )


def send_round(phone, dish: dict) -> None:
    expect(phone.locator("body")).to_have_attribute("data-connection", "online")
    phone.locator(f'.dish-card[data-dish="{dish["id"]}"] .dish-open').click()
    sheet = phone.locator("#dish-sheet")
    expect(sheet).to_be_visible()
    sheet.locator("#dish-add").click()
    expect(sheet).to_be_hidden()
    phone.locator("#cart-button").click()
    phone.locator("#cart-submit").click()
    phone.locator("#confirm-send").click()
    expect(phone.locator("#confirm-sheet")).to_be_hidden()
    expect(phone.locator("#orders-strip")).to_have_attribute("data-status", "submitted")


@pytest.mark.browser
def test_each_kitchen_display_shows_only_its_own_restaurants_orders(tmp_path):
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path, demo=("demo_load",))  # both demo restaurants
    for slug, cook in COOKS.items():
        restaurant_set(database_url, slug, hold_first_round=False)
        staff_create(database_url, restaurant=slug, role="kitchen", username=cook,
                     password=PASSWORD)  # fmt: skip
    expect.set_options(timeout=TIMEOUT_MS)

    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        links = server.table_links()
        table_one = {
            slug: next(x["url"] for x in links if x["restaurant"] == slug and x["number"] == 1)
            for slug in COOKS
        }
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        errors: list[str] = []
        pages = {}
        for who in ("kitchen shuxiang", "kitchen dimsum", "phone shuxiang", "phone dimsum"):
            context = browser.new_context(**(PHONE if "phone" in who else TABLET), locale="en-US")
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc, who=who: errors.append(f"{who}: {exc}"))
            pages[who] = page
        kitchen_a, kitchen_b = pages["kitchen shuxiang"], pages["kitchen dimsum"]
        try:
            # Each cook signs in as themselves: one through the plain form (their only
            # restaurant), one through their restaurant's own.
            sign_in(kitchen_a, server.url, COOKS["shuxiang"], PASSWORD, "/kitchen/")
            sign_in(kitchen_b, server.url, COOKS["dimsum"], PASSWORD, "/r/dimsum/kitchen/")
            for kitchen in (kitchen_a, kitchen_b):
                expect(kitchen.locator("#conn")).to_have_attribute("data-state", "online")
            new_a = kitchen_a.locator('.column[data-status="submitted"] .ticket-card')
            new_b = kitchen_b.locator('.column[data-status="submitted"] .ticket-card')
            expect(new_a).to_have_count(0)
            expect(new_b).to_have_count(0)

            # A diner at 蜀香小馆's table 1 sends a round: its kitchen shows it.
            dish_a = plain_dish(server.url, "shuxiang")
            pages["phone shuxiang"].goto(table_one["shuxiang"])
            send_round(pages["phone shuxiang"], dish_a)
            expect(new_a).to_have_count(1)
            expect(new_a.locator(".tc-item")).to_contain_text(dish_a["name_en"])

            # A diner at 点心茶楼's table 1 (the same number, another restaurant) sends one: its
            # kitchen shows that one only. The first round, sent earlier on a display that was
            # live all along, never came; and it stays the first kitchen's only round.
            dish_b = plain_dish(server.url, "dimsum")
            pages["phone dimsum"].goto(table_one["dimsum"])
            send_round(pages["phone dimsum"], dish_b)
            expect(new_b).to_have_count(1)
            expect(new_b.locator(".tc-item")).to_contain_text(dish_b["name_en"])
            expect(new_b.locator(".tc-item")).not_to_contain_text(dish_a["name_en"])
            expect(new_a).to_have_count(1)
            expect(new_a.locator(".tc-item")).not_to_contain_text(dish_b["name_en"])
            kitchen_b.screenshot(path=str(RESULTS / "kitchen-display-second-restaurant.png"))

            # The first cook asking for the other restaurant's display: as if it did not exist.
            response = kitchen_a.goto(server.url + "/r/dimsum/kitchen/")
            assert response.status == 404
            # A reload of each display still shows only its own round (the snapshot).
            for kitchen, path, dish in ((kitchen_a, "/kitchen/", dish_a),
                                        (kitchen_b, "/r/dimsum/kitchen/", dish_b)):  # fmt: skip
                kitchen.goto(server.url + path)
                expect(kitchen.locator("#conn")).to_have_attribute("data-state", "online")
                cards = kitchen.locator('.column[data-status="submitted"] .ticket-card')
                expect(cards).to_have_count(1)
                expect(cards.locator(".tc-item")).to_contain_text(dish["name_en"])
            assert re.search(r"/kitchen/$", kitchen_a.url)
            assert errors == [], errors
        finally:
            browser.close()
