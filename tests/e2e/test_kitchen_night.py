"""A night without surprises at the kitchen display, in Debian's Chromium against a real server.

- Sound: with the browser blocking audio until a tap (Chromium's autoplay policy), a full-screen
  prompt covers the board, the blocked state never shows as "on", and one tap clears it and
  unlocks audio; new orders raise a visual alarm (flashing header, a counting tab title) with or
  without sound, and a chime that repeats until someone acknowledges them; a deliberate mute is
  remembered across reloads. Where the browser allows audio, sound is on with no tap at all.
- The board at 1280×800: four new tickets side by side, all visible without scrolling; a held
  first round shows its mark and only Accept; a move can be undone from the bar, a served ticket
  recalled from the served-today panel; waiter calls stay off the display where the restaurant
  says so.
- Printing: a 140-character note without spaces stays inside the ticket.

Rounds and calls come from diners' sockets (the protocol, as a phone speaks it); screenshots go
to test-results/.
"""

import contextlib
import http.cookiejar
import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright
from websockets.sync.client import connect

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RESULTS,
    TIMEOUT_MS,
    chromium_required,
    restaurant_set,
    sign_in,
    staff_create,
)
from tests.support.servers import AsgiServer, prepare_database

pytestmark = pytest.mark.browser

COOK, COOK_PASSWORD = "cook", "kitchen-night-test-pw"
WALL = {"viewport": {"width": 1280, "height": 800}, "has_touch": True, "locale": "en-US"}
# Counts the tones the page plays (each chime is a few oscillators), also on <html data-tones>
# for expect() to wait on (the policy forbids the eval that wait_for_function needs); printing
# opens no dialog.
COUNT_TONES = """
window.__tones = 0;
const make = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__tones += 1;
  document.documentElement.dataset.tones = window.__tones;
  return make.call(this);
};
window.print = () => { window.__printed = (window.__printed || 0) + 1; };
"""
# Chromium's own autoplay policy (document-user-activation-required) keeps a page's audio
# suspended until someone taps that page; the flag turns it off, as a kiosk setup might.
ALLOWED = [*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture
def server(tmp_path_factory):
    """A server of its own per test: each starts from an empty board."""
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path_factory.mktemp("night"))
    staff_create(database_url, restaurant="shuxiang", role="kitchen", username=COOK,
                 password=COOK_PASSWORD)  # fmt: skip
    restaurant_set(database_url, hold_first_round=True, calls_on_kitchen=False)
    with AsgiServer(database_url=database_url) as server:
        yield server


def plain_dishes(server) -> list[dict]:
    with urllib.request.urlopen(server.url + "/api/menu/", timeout=10) as response:
        menu = json.load(response)
    return [
        dish
        for category in menu["categories"]
        for dish in category["dishes"]
        if not dish["sold_out"] and all(g["min"] == 0 for g in dish["option_groups"])
    ]


def join(page_url: str, origin: str) -> str:
    """Open the table page and join as its script does (POST, CSRF header); the session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(page_url, timeout=10).close()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    request = urllib.request.Request(page_url + "join/", data=b"", method="POST",
                                     headers={"X-CSRFToken": csrf, "Origin": origin})  # fmt: skip
    opener.open(request, timeout=10).close()
    return next(c.value for c in jar if c.name == "sessionid")


class Diner:
    """A phone at a table, speaking the protocol over its socket."""

    def __init__(self, server, table: int) -> None:
        page = server.table_url(table)
        cookie = join(page, server.url)
        self.stack = contextlib.ExitStack()
        token = page.rstrip("/").rsplit("/", 1)[-1]
        url = f"ws://127.0.0.1:{server.port}/ws/table/{token}/"
        headers = {"Cookie": f"sessionid={cookie}"}
        self.ws = self.stack.enter_context(
            connect(url, origin=server.url, additional_headers=headers)
        )
        self.seq = json.loads(self.ws.recv(10))["seq"]
        self.n = 0

    def op(self, **message) -> dict:
        self.n += 1
        message["id"] = f"op{self.n}"
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(10))
            if reply.get("id") == message["id"] and reply["type"] in ("ack", "error"):
                assert reply["type"] == "ack", reply
                return reply

    def send_round(self, dish_ids: list[int], note: str = "") -> None:
        for dish_id in dish_ids:
            seq = self.op(type="cart.add", dish_id=dish_id, note=note)["seq"]
        self.op(type="order.submit", seq=seq)

    def close(self) -> None:
        self.stack.close()


def signed_in_state(browser, server) -> dict:
    """Cookies of a signed-in cook, for contexts that then open the display with no tap on the
    site: Chromium lets a page that was tapped (the login form) play sound straight away."""
    context = browser.new_context(**WALL)
    page = context.new_page()
    sign_in(page, server.url, COOK, COOK_PASSWORD, "/kitchen/")
    state = context.storage_state()
    context.close()
    return state


def kitchen(browser, server, state: dict, errors: list[str]):
    """A fresh tablet (a reboot, a new tab) opening the display: nobody has tapped it yet."""
    context = browser.new_context(**WALL, storage_state=state)
    context.add_init_script(COUNT_TONES)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/kitchen/")
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    return page


def tones(page) -> int:
    return page.evaluate("window.__tones")


def test_the_kitchen_is_never_silently_off(server):
    expect.set_options(timeout=TIMEOUT_MS)
    dish = plain_dishes(server)[0]["id"]
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        signed_in = signed_in_state(browser, server)
        page = kitchen(browser, server, signed_in, errors)
        gate = page.locator("#sound-gate")
        button = page.locator("#sound-button")
        body, html = page.locator("body"), page.locator("html")
        # Audio is blocked: the prompt covers the whole screen; the button never says "on".
        expect(gate).to_be_visible()
        assert gate.bounding_box() == {"x": 0, "y": 0, "width": 1280, "height": 800}
        expect(button).to_have_attribute("data-state", "locked")
        page.screenshot(path=str(RESULTS / "kitchen-sound-prompt.png"))

        # An order while audio is blocked: the alarm is visual, and the tab title counts it.
        diner = Diner(server, 5)
        diner.send_round([dish])
        expect(page).to_have_title(re.compile(r"^\(1\) "))
        expect(body).to_have_class(re.compile(r"\bis-alarm\b"))
        assert tones(page) == 0

        # One tap anywhere clears the prompt and unlocks audio; the choice is remembered.
        gate.locator("h2").click()
        expect(gate).to_be_hidden()
        expect(button).to_have_attribute("data-state", "on")
        assert page.evaluate("localStorage.getItem('kitchen-sound')") == "on"
        # The chime repeats while the order is unacknowledged (every 6 s)...
        expect(body).to_have_attribute("data-chiming", "on")
        for _ in range(2):
            heard = tones(page)
            expect(html).not_to_have_attribute("data-tones", str(heard), timeout=15_000)
        # ...and stops once someone taps the alarm bar.
        page.locator("#alarm-bar").click()
        expect(page.locator("#alarm-bar")).to_be_hidden()
        expect(page).not_to_have_title(re.compile(r"^\(\d+\)"))
        expect(body).not_to_have_class(re.compile(r"\bis-alarm\b"))
        expect(body).to_have_attribute("data-chiming", "off")

        # The tablet restarts: sound is wanted but blocked again, so the prompt is back.
        state = page.context.storage_state()
        page.context.close()
        page = kitchen(browser, server, state, errors)
        gate, button, body = (
            page.locator("#sound-gate"),
            page.locator("#sound-button"),
            page.locator("body"),
        )
        expect(gate).to_be_visible()
        expect(button).to_have_attribute("data-state", "locked")
        # A deliberate "without sound" survives the next restart; the visual alarm still works.
        page.locator("#sound-gate-off").click()
        expect(gate).to_be_hidden()
        expect(button).to_have_attribute("data-state", "muted")
        assert page.evaluate("localStorage.getItem('kitchen-sound')") == "off"
        state = page.context.storage_state()
        page.context.close()
        page = kitchen(browser, server, state, errors)
        gate, button, body = (
            page.locator("#sound-gate"),
            page.locator("#sound-button"),
            page.locator("body"),
        )
        expect(button).to_have_attribute("data-state", "muted")
        expect(body).to_have_attribute("data-sound-checked", "")  # past the moment it would ask
        expect(gate).to_be_hidden()
        Diner(server, 6).send_round([dish])
        expect(page).to_have_title(re.compile(r"^\(\d\) "))
        expect(body).to_have_class(re.compile(r"\bis-alarm\b"))
        assert tones(page) == 0
        browser.close()

        # A browser that allows audio (a kiosk setting): sound is on with no tap at all.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ALLOWED)
        page = kitchen(browser, server, signed_in, errors)
        expect(page.locator("#sound-button")).to_have_attribute("data-state", "on")
        expect(page.locator("body")).to_have_attribute("data-sound-checked", "")
        expect(page.locator("#sound-gate")).to_be_hidden()
        page.locator("#alarm-bar").click()  # the orders waiting since the last part
        heard = tones(page)
        Diner(server, 7).send_round([dish])
        expect(page.locator("html")).not_to_have_attribute("data-tones", str(heard))
        browser.close()
    diner.close()
    assert not errors, errors


def visible_without_scrolling(page, locator) -> bool:
    box = locator.bounding_box()
    return (
        box["y"] >= 0
        and box["x"] >= 0
        and box["y"] + box["height"] <= 800
        and (box["x"] + box["width"] <= 1280)
    )


def test_the_board_uses_the_width_holds_undoes_and_recalls(server):
    expect.set_options(timeout=TIMEOUT_MS)
    first, second = plain_dishes(server)[:2]
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ALLOWED)
        page = kitchen(browser, server, signed_in_state(browser, server), errors)
        board = page.locator("#board")
        new = board.locator('.column[data-status="submitted"] .ticket-card')
        # Four tables send their first rounds: held for confirmation, side by side, all in view.
        diners = {n: Diner(server, n) for n in (1, 2, 3, 4)}
        for n, diner in diners.items():
            diner.send_round([first["id"], second["id"]] if n % 2 else [first["id"]])
        expect(new).to_have_count(4)
        page.locator("#alarm-bar").click()
        expect(page.locator("#alarm-bar")).to_be_hidden()
        body = board.locator('.column[data-status="submitted"] .column-body')
        assert body.evaluate("el => el.scrollHeight <= el.clientHeight"), "the New column scrolls"
        for i in range(4):
            card = new.nth(i)
            assert visible_without_scrolling(page, card), card.bounding_box()
            expect(card.locator(".tc-held")).to_have_text("Waiting for confirmation")
            expect(card.locator("button[data-to]")).to_have_count(1)
            expect(card.locator("button[data-to]")).to_have_attribute("data-to", "accepted")
        tops = {round(new.nth(i).bounding_box()["y"]) for i in range(4)}
        assert len(tops) < 4, "the tickets stack in one column"
        expect(page.locator("#toasts .toast")).to_have_count(0)  # a clean screenshot
        page.screenshot(path=str(RESULTS / "kitchen-held.png"))

        # Accepting ends the hold; a mis-tapped Ready is undone from the bar.
        one = board.locator('.ticket-card:has(.tc-table:text-is("1"))')
        one.locator('button[data-to="accepted"]').click()
        accepted = board.locator('.column[data-status="accepted"] .ticket-card')
        expect(accepted).to_have_count(1)
        expect(accepted.locator(".tc-held")).to_have_count(0)
        undo = page.locator("#undo-bar")
        expect(undo).to_contain_text("Accepted")
        accepted.locator('button[data-to="ready"]').click()
        ready = board.locator('.column[data-status="ready"] .ticket-card')
        expect(ready).to_have_count(1)
        expect(undo).to_contain_text("Ready")
        undo.locator("#undo-button").click()
        expect(ready).to_have_count(0)
        expect(accepted).to_have_count(1)
        expect(undo).to_be_hidden()

        # Served leaves the board; the served-today panel recalls it.
        accepted.locator('button[data-to="ready"]').click()
        expect(ready).to_have_count(1)
        ready.locator('button[data-to="served"]').click()
        expect(ready).to_have_count(0)
        page.locator("#history-button").click()
        panel = page.locator("#history-panel")
        row = panel.locator(".history-row")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Served")
        page.screenshot(path=str(RESULTS / "kitchen-served-today.png"))
        row.locator("button[data-recall]").click()
        expect(row).to_have_count(0)
        panel.locator("[data-close]").click()
        expect(ready).to_have_count(1)

        # Waiter calls stay off this display where the restaurant says so: a call, then a
        # round sent after it (so the call's event has come and gone) and still no calls area.
        diners[2].op(type="waiter.call", reason="water")
        diners[2].send_round([second["id"]])
        expect(new).to_have_count(4)
        expect(page.locator("#calls-panel")).to_be_hidden()
        expect(page.locator("#toasts")).not_to_contain_text("calls a waiter")

        # Cancelling says why (the table sees it); the served-today panel lists it so.
        four = board.locator('.ticket-card:has(.tc-table:text-is("4"))')
        four.locator("button[data-cancel]").click()
        page.locator("#cancel-reason").fill("Out of cucumbers")
        page.locator("#cancel-reason").press("Enter")
        expect(four).to_have_count(0)
        page.locator("#history-button").click()
        cancelled = page.locator("#history-panel .history-row.is-cancelled")
        expect(cancelled).to_contain_text("Cancelled")
        expect(cancelled).to_contain_text("Out of cucumbers")
        page.locator("#history-panel [data-close]").click()
        expect(new).to_have_count(3)

        # A 140-character note without spaces stays inside the printed ticket.
        note = "x" * 140
        diners[3].send_round([second["id"]], note=note)
        expect(new).to_have_count(4)
        card = new.filter(has_text=note)
        card.locator("button[data-print]").click()
        expect(page.locator("body")).to_have_class(re.compile(r"\bis-printing-ticket\b"))
        page.emulate_media(media="print")
        ticket = page.locator("#print-ticket")
        expect(ticket.locator(".pt-note")).to_be_visible()
        page.screenshot(path=str(RESULTS / "kitchen-printed-ticket.png"))
        widths = ticket.evaluate(
            """t => ({ticket: t.getBoundingClientRect().width, scroll: t.scrollWidth,
                      client: t.clientWidth,
                      note: [...t.querySelectorAll('.pt-note')].map(n => {
                        const r = document.createRange(); r.selectNodeContents(n);
                        return r.getBoundingClientRect().right - t.getBoundingClientRect().right;
                      })})"""
        )
        assert widths["ticket"] <= 80 / 25.4 * 96 + 1, widths  # a till roll's 80 mm
        assert widths["scroll"] <= widths["client"], widths
        assert all(overflow <= 0.5 for overflow in widths["note"]), widths
        browser.close()
    for diner in diners.values():
        diner.close()
    assert not errors, errors
