"""The kitchen by dish and by station, in Debian's Chromium against a real server: a station's
board, the expo, a phone with each dish's state and its Hurry (催菜) button, and the floor.

A phone at table 1 sends a round of a hot dish and a cold one. The wok cook (kept to the hot
station) signs in at /kitchen/ and lands on the hot board, which shows only the hot dish; a tap
starts it and the phone shows it cooking. The phone hurries it (the stations' target here is
0 minutes, so it is late at once): the hot board flashes it and the floor lists the nudge. The
cook marks it ready, takes that back with Undo, and the phone follows each move. At the pass
(the expo) every dish of the round shows its state: the cold dish is taken back with a reason
(the phone says why) and the hot one served. The floor shows the printers (one out of paper)
and a ticket that may have printed, settled there with "It printed".

Screenshots for the README go to test-results/ (docs/screenshots/README.md says which).
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
    staff_create,
)
from tests.support.servers import AsgiServer, manage, prepare_database

WOK, EXPO, WAITER = "wok", "pass", "waiter"
PASSWORD = "station-board-test-pw"
REASON = "We ran out of cucumbers"


def simple_dish(base_url: str, categories: tuple[str, ...]) -> dict:
    """A dish of one of ``categories`` (by Chinese name) that goes in the cart with one tap."""
    with urllib.request.urlopen(base_url + "/api/menu/", timeout=10) as response:
        menu = json.load(response)
    for cat in menu["categories"]:
        if cat["name"] not in categories:
            continue
        for dish in cat["dishes"]:
            if not dish["sold_out"] and all(g["min"] == 0 for g in dish["option_groups"]):
                return dish
    pytest.fail(f"the demo menu has no simple dish in {categories}")


def shell(database_url: str, code: str) -> None:
    manage("shell", "-c", code, database_url=database_url)


def staff_sign_in(page, base_url: str, username: str, next_path: str):
    page.goto(f"{base_url}/staff/login/?next={next_path}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()


def add_and_send(phone, dishes: list[dict]) -> None:
    sheet = phone.locator("#dish-sheet")
    for dish in dishes:
        phone.locator(f'.dish-card[data-dish="{dish["id"]}"] .dish-open').click()
        expect(sheet).to_be_visible()
        sheet.locator("#dish-add").click()
        expect(sheet).to_be_hidden()
    phone.locator("#checkout-button").click()
    phone.locator("#confirm-send").click()
    expect(phone.locator("#confirm-sheet")).to_be_hidden()


def no_toasts(page):
    expect(page.locator("#toasts .toast")).to_have_count(0, timeout=15_000)
    return page


@pytest.mark.browser
def test_a_dish_from_station_board_to_phone_with_a_nudge_and_the_floor(tmp_path):
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path)
    for username, role in ((WOK, "kitchen"), (EXPO, "kitchen"), (WAITER, "waiter")):
        staff_create(database_url, restaurant="shuxiang", role=role, username=username,
                     password=PASSWORD)  # fmt: skip
    restaurant_set(database_url, hold_first_round=False)
    # Every dish may be hurried at once (a target of 0 minutes); the wok cook is kept to "hot";
    # the hot and cold stations have printers (no worker runs here: their tickets wait).
    shell(database_url,
          "from restaurant.venues.models import Station, StaffMember; "
          "Station.objects.filter(restaurant__slug='shuxiang').update(target_minutes=0); "
          "StaffMember.objects.filter(user__username='wok').update("
          "station=Station.objects.get(restaurant__slug='shuxiang', code='hot'))")  # fmt: skip
    manage("printer_set", "shuxiang", "hot", "tcp://127.0.0.1:9", database_url=database_url)
    manage("printer_set", "shuxiang", "cold", "tcp://127.0.0.1:9", database_url=database_url)
    expect.set_options(timeout=TIMEOUT_MS)

    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        hot = simple_dish(server.url, ("小炒", "招牌热菜", "主食"))  # the demo's hot station
        cold = simple_dish(server.url, ("凉菜",))
        errors: list[str] = []
        phone = browser.new_context(**PHONE, locale="en-US").new_page()
        wok = browser.new_context(**TABLET, locale="en-US").new_page()
        expo = browser.new_context(**TABLET, locale="en-US").new_page()
        floor = browser.new_context(**TABLET, locale="en-US").new_page()
        for page, who in ((phone, "phone"), (wok, "wok"), (expo, "expo"), (floor, "floor")):
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc, who=who: errors.append(f"{who}: {exc}"))
        try:
            # A phone at table 1 sends a hot dish and a cold one.
            phone.goto(server.table_url(1))
            expect(phone.locator("body")).to_have_attribute("data-connection", "online")
            add_and_send(phone, [hot, cold])

            # The wok cook opens /kitchen/ and lands on the hot station's board: the hot dish only.
            staff_sign_in(wok, server.url, WOK, "/kitchen/")
            expect(wok).to_have_url(re.compile(r"/r/shuxiang/kitchen/station/hot/$"))
            expect(wok.locator("#conn")).to_have_attribute("data-state", "online")
            expect(wok.locator(".station-name")).to_have_text("Hot wok")
            board = wok.locator("#station-board")
            card = board.locator(".station-card")
            expect(card).to_have_count(1)
            item = card.locator(".st-item")
            expect(item).to_have_count(1)
            expect(item).to_contain_text(hot["name_en"])
            expect(board).not_to_contain_text(cold["name_en"])
            expect(item.locator(".item-chip")).to_have_text("Queued")
            expect(wok.locator('[data-count="queued"]')).to_have_text("1")
            # Kept to one station: no other boards to switch to, and its printer in the header.
            expect(wok.locator(".station-tab")).to_have_count(1)
            expect(wok.locator("#printer-strip .printer-pill")).to_have_count(1)

            # A tap starts it; the phone shows the dish cooking.
            item.locator(".st-tap").click()
            expect(item).to_have_attribute("data-status", "cooking")
            expect(item.locator(".item-chip")).to_have_text("Cooking")
            phone.locator("#orders-strip").click()
            orders = phone.locator("#orders-body")
            hot_line = orders.locator(".line", has_text=hot["name_en"])
            cold_line = orders.locator(".line", has_text=cold["name_en"])
            expect(hot_line.locator(".dish-state .status-pill")).to_have_text("Cooking")
            expect(cold_line.locator(".dish-state .status-pill")).to_have_text("Queued")

            # The phone hurries it: the hot board flashes it and says so; the floor lists it.
            hot_line.locator("[data-nudge]").click()
            expect(hot_line.locator("[data-nudge]")).to_have_count(0)
            expect(hot_line).to_contain_text("Kitchen asked to hurry")
            expect(item).to_have_class(re.compile(r"\bis-flashing\b"))
            expect(item.locator(".item-nudged")).to_have_text("Hurry ×1")
            expect(wok.locator("#toasts .toast.is-nudge")).to_contain_text("asks to hurry")
            no_toasts(wok)
            expect(wok.locator("#undo-bar")).to_be_hidden(timeout=15_000)
            wok.screenshot(path=str(RESULTS / "station-board.png"))
            staff_sign_in(floor, server.url, WAITER, "/staff/")
            expect(floor.locator("#conn")).to_have_attribute("data-state", "online")
            nudge = floor.locator('.table-card[data-table="1"] .tcall.is-nudge')
            expect(nudge).to_have_count(1)
            expect(nudge).to_contain_text("Hurry")
            no_toasts(floor).screenshot(path=str(RESULTS / "floor-nudge.png"))

            # Ready, then Undo: the phone follows both moves.
            item.locator(".st-tap").click()
            expect(item).to_have_attribute("data-status", "ready")
            expect(hot_line.locator(".dish-state .status-pill")).to_have_text("Ready")
            wok.locator("#undo-button").click()
            expect(item).to_have_attribute("data-status", "cooking")
            expect(hot_line.locator(".dish-state .status-pill")).to_have_text("Cooking")

            # The pass: every dish of the round with its state.
            staff_sign_in(expo, server.url, EXPO, "/kitchen/")
            expect(expo).to_have_url(re.compile(r"/kitchen/$"))
            expect(expo.locator("#conn")).to_have_attribute("data-state", "online")
            ticket = expo.locator(".ticket-card")
            expect(ticket).to_have_count(1)
            expo_hot = ticket.locator(".tc-item", has_text=hot["name_en"])
            expo_cold = ticket.locator(".tc-item", has_text=cold["name_en"])
            expect(expo_hot.locator(".item-chip")).to_have_text("Cooking")
            expect(expo_cold.locator(".item-chip")).to_have_text("Queued")
            expect(expo_hot.locator(".item-nudged")).to_have_text("Hurry ×1")
            expect(expo.locator(".station-tab")).to_have_count(5)  # the expo and four stations

            # The cold dish is taken back, with a reason; the phone says why.
            expo_cold.locator(".tc-item-tap").click(button="right")
            dialog = expo.locator("#item-dialog")
            expect(dialog).to_be_visible()
            expect(dialog.locator("#void-confirm")).to_be_disabled()
            dialog.locator("#void-reason").fill(REASON)
            dialog.locator("#void-confirm").click()
            expect(dialog).to_be_hidden()
            expect(expo_cold.locator(".item-chip")).to_have_text("Taken back")
            expect(cold_line.locator(".dish-state .status-pill")).to_have_text("Voided")
            expect(cold_line).to_contain_text(REASON)
            # A dish taken back is not charged: the round's total drops to the hot dish's.
            price = hot["price"]
            round_total = phone.locator("#orders-sheet .order-foot strong")
            expect(round_total).to_have_text(f"¥{price // 100}.{price % 100:02d}")

            # The hot dish: ready at the pass, then served; it leaves the wok's board.
            expo_hot.locator(".tc-item-tap").click()
            expect(expo_hot.locator(".item-chip")).to_have_text("Ready")
            expect(hot_line.locator(".dish-state .status-pill")).to_have_text("Ready")
            no_toasts(expo)
            expect(expo.locator("#undo-bar")).to_be_hidden(timeout=15_000)
            expo.screenshot(path=str(RESULTS / "kitchen-expo.png"))
            no_toasts(phone).screenshot(path=str(RESULTS / "phone-dish-states.png"))
            expo_hot.locator(".tc-item-tap").click()
            expect(hot_line.locator(".dish-state .status-pill")).to_have_text("Served")
            expect(card).to_have_count(0)
            expect(nudge).to_have_count(0)  # served: the floor's nudge is over

            # The wok's history for the shift has the served dish, recallable for a while.
            wok.locator("#history-button").click()
            history = wok.locator("#history-list .history-row")
            expect(history).to_have_count(1)
            expect(history).to_contain_text(hot["name_en"])
            wok.keyboard.press("Escape")

            # The floor: the printers (hot out of paper: a banner), a ticket that may have
            # printed, settled with "It printed".
            shell(database_url,
                  "from restaurant.printing.models import Printer, PrintJob; "
                  "Printer.objects.filter(station__code='hot').update(online=False, paper='out', "
                  "last_error='out of paper'); "
                  "Printer.objects.filter(station__code='cold').update(online=True, paper='ok'); "
                  "PrintJob.objects.filter(station__code='cold', kind='ticket')"
                  ".update(state='uncertain')")  # fmt: skip
            floor.reload()
            expect(floor.locator("#conn")).to_have_attribute("data-state", "online")
            expect(floor.locator("#floor-printers .printer-pill")).to_have_count(2)
            # A printer out of paper also says it is offline: the banner says what to fix.
            expect(floor.locator("#printer-banner")).to_contain_text("out of paper")
            expect(floor.locator("#printer-banner")).not_to_contain_text("offline")
            doubt = floor.locator("#print-doubts .doubt")
            expect(doubt).to_have_count(1)
            expect(doubt).to_contain_text("Round 1")
            expect(doubt).to_contain_text("Ticket")  # not a void or back-on slip
            no_toasts(floor).screenshot(path=str(RESULTS / "floor-printers.png"), full_page=True)
            doubt.locator('button[data-reprint="0"]').click()
            expect(doubt).to_have_count(0)
            assert not errors, errors
        finally:
            browser.close()
