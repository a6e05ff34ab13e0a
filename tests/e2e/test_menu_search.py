"""A diner finds a dish on the phone, in Debian's Chromium against a real server with the demo
restaurant: taps the Vegetarian chip and sees only its dishes (the sections left empty go, with
their category chips), adds Not spicy, types pinyin initials and gets the one dish, filters
everything away and is told so, with a button that brings the menu back; then finds a dish by
its English name and adds it. Each card shows its chillies and tag icons. The screenshot goes
to test-results/menu-search.png."""

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
)
from tests.support.servers import AsgiServer, prepare_database


def the_menu(base_url: str) -> tuple[list[dict], dict[str, int]]:
    """The demo's dishes, and its tags' ids by Chinese name, as the server has them."""
    with urllib.request.urlopen(base_url + "/api/menu/", timeout=10) as response:
        menu = json.load(response)
    dishes = [d for c in menu["categories"] for d in c["dishes"]]
    return dishes, {tag["name"]: tag["id"] for tag in menu["tags"]}


def ids(dishes) -> set[str]:
    return {str(d["id"]) for d in dishes}


@pytest.mark.browser
def test_a_diner_filters_by_a_tag_and_finds_a_dish_by_its_initials(tmp_path):
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path)
    expect.set_options(timeout=TIMEOUT_MS)
    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        dishes, tags = the_menu(server.url)
        veg = [d for d in dishes if tags["素"] in d.get("tags", [])]
        mild_veg = [d for d in veg if not d.get("spice")]
        cucumber = next(d for d in dishes if d["name"] == "拍黄瓜")
        assert cucumber["py"] == "phg" and cucumber in mild_veg
        by_initials = [d for d in dishes if "phg" in d["py"]]
        assert 0 < len(mild_veg) < len(veg) < len(dishes) and by_initials == [cucumber]

        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        phone = browser.new_context(**PHONE, locale="en-US").new_page()
        phone.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        phone.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            phone.goto(server.table_url(2))
            expect(phone.locator("body")).to_have_attribute("data-connection", "online")
            cards = phone.locator(".dish-card[data-dish]")
            shown = phone.locator(".dish-card[data-dish]:visible")
            expect(cards).to_have_count(len(dishes))

            # Marks on the cards: 麻婆豆腐's three chillies, named; 拍黄瓜's tag icon.
            mapo = next(d for d in dishes if d["name"] == "麻婆豆腐")
            marks = phone.locator(f'.dish-card[data-dish="{mapo["id"]}"] .marks [role=img]')
            expect(marks.first).to_have_text("\U0001f336\ufe0f" * 3)
            expect(marks.first).to_have_attribute("aria-label", "Spicy: 3 of 3")
            cucumber_marks = phone.locator(f'.dish-card[data-dish="{cucumber["id"]}"] .marks')
            expect(cucumber_marks).to_have_text("\U0001f96c")  # 🥬, the Vegetarian tag's icon

            # Vegetarian: only its dishes; the drinks' section and category chip go.
            chips = phone.locator("#filters .filter-chip")
            chips.filter(has_text="Vegetarian").click()
            expect(chips.filter(has_text="Vegetarian")).to_have_attribute("aria-pressed", "true")
            expect(shown).to_have_count(len(veg))
            assert ids(veg) == set(shown.evaluate_all("cards => cards.map(c => c.dataset.dish)"))
            drinks = phone.locator(".menu-section", has_text="Sour Plum Drink")
            expect(drinks).to_be_hidden()
            drinks_id = drinks.get_attribute("id")
            expect(phone.locator(f'#category-bar [data-target="{drinks_id}"]')).to_be_hidden()

            # and Not spicy: the vegetarian dishes that are not spicy.
            chips.filter(has_text="Not spicy").click()
            expect(shown).to_have_count(len(mild_veg))

            # Initials, in capitals: the one dish.
            search = phone.locator("#menu-search")
            search.fill("PHG")
            expect(shown).to_have_count(1)
            expect(shown.first).to_have_attribute("data-dish", str(cucumber["id"]))
            phone.screenshot(path=str(RESULTS / "menu-search.png"))

            # Nothing matches: said so, and one tap brings the whole menu back.
            search.fill("mpdf")  # 麻婆豆腐, hot and not vegetarian
            expect(shown).to_have_count(0)
            no_match = phone.locator("#no-match")
            expect(no_match).to_be_visible()
            expect(no_match).to_contain_text("No dishes match")
            no_match.locator("#filter-clear").click()
            expect(shown).to_have_count(len(dishes))
            expect(search).to_have_value("")
            expect(no_match).to_be_hidden()
            expect(phone.locator('#filters [aria-pressed="true"]')).to_have_count(0)
            expect(drinks).to_be_visible()

            # A name in English finds it too, and what was found goes in the cart.
            search.fill("smashed cu")
            expect(shown).to_have_count(1)
            shown.first.locator(".dish-open").click()
            expect(phone.locator("#dish-sheet")).to_be_visible()
            phone.locator("#dish-add").click()
            expect(phone.locator("#cart-count")).to_have_text("1")
            assert not errors, errors
        finally:
            browser.close()
