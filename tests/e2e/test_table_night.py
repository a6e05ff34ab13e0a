"""A night without surprises, on the phones (Debian's Chromium, a real server):

1. A dish added in the admin shows on an open phone at once, the cart kept; a phone whose menu
   missed a new required option group hears why in its own language, with no id, and gets the
   dish again with the new choice.
2. A diner whose line someone else changes or removes is told who did what, and no stale
   "Added …" lingers over it; a line removed with the trash button comes back with Undo.
3. A waiter call is "sent" until staff see it; the whole table follows it to seen and done,
   marked from the staff floor.
4. A dish sold out while the confirm sheet is open: marked there, out of the total, removable
   there, Confirm waits.
5. Toasts stay off the sheet's title; a cancelled round says so once, with the reason; the strip
   shows every round; a family emoji is one avatar letter; a newcomer is asked their name once.
"""

import contextlib
import json
import re
import urllib.request
import uuid

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from websockets.sync.client import connect

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

expect.set_options(timeout=TIMEOUT_MS)
BOSS, BOSS_PASSWORD = "boss", "a-long-test-password-for-the-night"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database_url = prepare_database(tmp_path_factory.mktemp("night"))
    # The restaurant's manager: its admin, its floor and its kitchen socket.
    staff_create(database_url, restaurant="shuxiang", role="manager", username=BOSS,
                 password=BOSS_PASSWORD)  # fmt: skip
    restaurant_set(database_url, hold_first_round=False)
    with AsgiServer(database_url=database_url) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def errors():
    found: list[str] = []
    yield found
    assert not found, found


def dish(server, name_en: str) -> dict:
    with urllib.request.urlopen(server.url + "/api/menu/", timeout=10) as response:
        menu = json.load(response)
    return next(d for c in menu["categories"] for d in c["dishes"] if d["name_en"] == name_en)


def phone(browser, locale: str, errors: list[str], who: str) -> Page:
    page = browser.new_context(**PHONE, locale=locale).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda exc: errors.append(f"{who}: {exc}"))
    return page


def arrive(page: Page, url: str, name: str | None) -> None:
    """Open the table; answer the first-arrival question with ``name`` (None: skip it)."""
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-connection", "online")
    expect(page.locator(".dish-card:not(.is-skeleton)").first).to_be_visible()
    welcome = page.locator("#welcome")
    expect(welcome).to_be_visible()
    if name is None:
        welcome.locator("#welcome-skip").click()
    else:
        welcome.locator("#welcome-name").fill(name)
        welcome.locator("button[type=submit]").click()
        expect(page.locator("#people-button .avatar.is-me")).to_have_text(
            re.compile("^" + re.escape(name[0].upper()))
        )
    expect(welcome).to_be_hidden()


def add(page: Page, dish_id: int, qty: int = 1, note: str = "") -> None:
    page.locator(f'.dish-card[data-dish="{dish_id}"] .dish-open').click()
    sheet = page.locator("#dish-sheet")
    expect(sheet).to_be_visible()
    for _ in range(qty - 1):
        sheet.locator('[data-step="1"]').click()
    if note:
        sheet.locator("#dish-note").fill(note)
    sheet.locator("#dish-add").click()
    expect(sheet).to_be_hidden()


def open_cart(page: Page) -> None:
    if not page.locator("#cart-sheet").is_visible():
        page.locator("#cart-button").click()
    expect(page.locator("#cart-sheet")).to_be_visible()


def staff_page(browser, server, errors, path: str) -> Page:
    page = browser.new_context(**TABLET, locale="zh-CN").new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda exc: errors.append(f"staff: {exc}"))
    if path.startswith("/admin/"):  # the admin's own sign-in page, for the admin
        page.goto(f"{server.url}/admin/login/?next={path}")
        page.locator("#id_username").fill(BOSS)
        page.locator("#id_password").fill(BOSS_PASSWORD)
        page.locator("input[type=submit]").click()
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    else:
        sign_in(page, server.url, BOSS, BOSS_PASSWORD, path)
    return page


class StaffSocket:
    """The kitchen socket, as staff signed in on ``page``: for the moves no page here makes
    (the kitchen display's own buttons are tests/e2e/test_kitchen*.py's)."""

    def __init__(self, ws) -> None:
        self.ws = ws
        assert json.loads(self.ws.recv(10))["type"] == "snapshot"

    @classmethod
    @contextlib.contextmanager
    def of(cls, server, page: Page):
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
        url = server.url.replace("http://", "ws://") + "/ws/kitchen/"
        with connect(url, additional_headers={"Cookie": cookie, "Origin": server.url}) as ws:
            yield cls(ws)

    def op(self, message: dict) -> dict:
        message["id"] = uuid.uuid4().hex  # op ids are remembered per staff user, not per socket
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(10))
            if reply.get("id") == message["id"]:
                assert reply["type"] == "ack", reply
                return reply


@pytest.mark.browser
def test_menu_changes_reach_an_open_phone(server, browser, errors):
    url = server.table_url(2)
    p = phone(browser, "zh-CN", errors, "phone")
    staff = staff_page(browser, server, errors, "/admin/menu/dish/add/")
    rice, siu_mai = dish(server, "Steamed Rice"), dish(server, "Siu Mai")
    try:
        arrive(p, url, "小李")
        add(p, rice["id"])
        expect(p.locator("#cart-count")).to_have_text("1")

        # A dish added in the admin appears on the open phone; the cart stays as it was.
        staff.locator("#id_name").fill("椒盐排骨")
        staff.locator("#id_name_en").fill("Salt and Pepper Ribs")
        staff.locator("#id_category").select_option(label="点心")
        staff.locator("#id_price").fill("38")
        staff.locator("input[name=_save]").click()
        expect(staff.locator(".messagelist")).to_be_visible()
        expect(p.locator(".dish-card", has_text="椒盐排骨")).to_be_visible()
        expect(p.locator("#cart-count")).to_have_text("1")

        # Now the phone misses a change: its menu requests get the old menu.
        old_menu = p.request.get(server.url + "/api/menu/").body()
        served_old = []

        def old(route):
            served_old.append(route.request.url)
            route.fulfill(status=200, content_type="application/json", body=old_menu)

        p.route("**/api/menu/**", old)
        # A group of the restaurant's, offered on the dish from the group's own page.
        staff.goto(server.url + "/admin/menu/optiongroup/add/")
        staff.locator("#id_dishes_from").select_option(label="蟹籽烧卖")
        staff.locator("#id_dishes_add").click()
        staff.locator("#id_name").fill("蒜量")
        staff.locator("#id_name_en").fill("Garlic")
        staff.locator("#id_min_choices").fill("1")
        staff.locator("#id_max_choices").fill("1")
        staff.locator("#id_options-0-name").fill("少蒜")
        staff.locator("#id_options-0-price").fill("0")
        # The phone hears of the change and fetches the menu (getting the old one here).
        with p.expect_event("requestfinished", lambda r: "/api/menu/" in r.url):
            staff.locator("input[name=_save]").click()
        expect(staff.locator(".messagelist")).to_be_visible()
        assert served_old
        p.unroute("**/api/menu/**")

        # Its add is refused: it says so in Chinese, naming the dish and the new group, no id;
        # then it fetches the menu and opens the dish again with the new choice.
        p.locator(f'.dish-card[data-dish="{siu_mai["id"]}"] .dish-open').click()
        sheet = p.locator("#dish-sheet")
        expect(sheet.locator(".option-group")).to_have_count(0)  # the old menu
        sheet.locator("#dish-add").click()
        toast = p.locator("#toasts .toast", has_text="蒜量")
        expect(toast).to_have_text("蟹籽烧卖的可选项有变化：请选择蒜量。")
        expect(p.locator("#toasts")).not_to_contain_text("group")
        expect(sheet).to_be_visible()
        expect(sheet.locator(".option-group .group-name")).to_have_text(["蒜量"])
        expect(sheet.locator("#dish-add")).to_be_disabled()
        sheet.locator("label.option", has_text="少蒜").click()
        sheet.locator("#dish-add").click()
        expect(sheet).to_be_hidden()
        expect(p.locator("#cart-count")).to_have_text("2")
    finally:
        p.screenshot(path=str(RESULTS / "night-menu-phone.png"))
        p.context.close()
        staff.context.close()


@pytest.mark.browser
def test_a_diner_is_told_when_someone_else_changes_or_removes_their_dish(server, browser, errors):
    url = server.table_url(3)
    a = phone(browser, "en-US", errors, "A")
    b = phone(browser, "zh-CN", errors, "B")
    beer, pig_ear = dish(server, "Tsingtao Beer"), dish(server, "Pig Ear in Chilli Oil")
    try:
        arrive(a, url, "Alice")
        arrive(b, url, "小王")
        add(a, beer["id"], qty=3)
        expect(a.locator("#toasts")).to_contain_text("Added 3 × Tsingtao Beer")
        add(a, pig_ear["id"], note="Less chilli")

        # 小王 lowers Alice's beer from 3 to 1: Alice is told, in one notice, and the stale
        # "Added 3 × …" is gone from over it.
        add_toast = a.locator("#toasts .toast", has_text="Added")
        open_cart(b)
        alice = b.locator("#cart-body .diner-group", has_text="Alice")
        beer_line = alice.locator(".line", has_text="青岛啤酒")
        beer_line.locator('[data-key$="-minus"]').click()
        expect(beer_line.locator(".qty")).to_have_text("2")
        beer_line.locator('[data-key$="-minus"]').click()
        expect(beer_line.locator(".qty")).to_have_text("1")
        notice = a.locator("#toasts .toast.is-notice")
        expect(notice).to_have_text("小王 changed your Tsingtao Beer: 3 → 1")
        expect(add_toast).to_have_count(0)

        # 小王 removes Alice's pig ear with the trash button: Alice is told; 小王 may undo it.
        ear_line = alice.locator(".line", has_text="红油耳丝")
        ear_line.locator('[data-key$="-minus"]').click()  # at 1: the trash button
        expect(notice).to_have_text("小王 removed your Pig Ear in Chilli Oil")
        undo = b.locator("#cart-body .undo-bar")
        expect(undo).to_contain_text("已删除红油耳丝")
        expect(ear_line).to_have_count(0)
        undo.locator("button").click()
        expect(undo).to_have_count(0)
        # It comes back under Alice's name, with its note, on both phones.
        expect(alice.locator(".line", has_text="红油耳丝")).to_contain_text("Less chilli")
        open_cart(a)
        mine = a.locator("#cart-body .diner-group", has_text="Alice")
        expect(mine.locator(".line", has_text="Pig Ear")).to_contain_text("Less chilli")
        b.screenshot(path=str(RESULTS / "night-undo.png"))
    finally:
        a.context.close()
        b.context.close()


@pytest.mark.browser
def test_the_whole_table_follows_a_waiter_call_marked_from_the_floor(server, browser, errors):
    url = server.table_url(4)
    a = phone(browser, "en-US", errors, "A")
    b = phone(browser, "zh-CN", errors, "B")
    floor = staff_page(browser, server, errors, "/staff/")
    try:
        arrive(a, url, "Alice")
        arrive(b, url, "小王")
        expect(floor.locator("#conn")).to_have_attribute("data-state", "online")

        # Alice calls for water: sent, not yet "on the way"; the whole table sees it.
        a.locator("#waiter-button").click()
        a.locator('#waiter-sheet [data-reason="water"]').click()
        expect(a.locator("#toasts")).to_contain_text(
            "Waiter called (Water): waiting for staff to see it"
        )
        expect(a.locator("#toasts")).not_to_contain_text("on the way")
        expect(b.locator("#toasts")).to_contain_text("Alice 呼叫了服务员（加水）")
        for page, text in ((a, "Water"), (b, "加水")):
            pill = page.locator("#call-status .call-pill")
            expect(pill).to_have_attribute("data-state", "sent")
            expect(pill).to_contain_text(text)

        # The floor lists it; staff mark it seen: every phone says someone is coming.
        call = floor.locator('.table-card[data-table="4"] .tcall')
        expect(call).to_have_count(1)
        call.locator("button[data-seen]").click()
        expect(call.locator("button[data-seen]")).to_have_count(0)
        seen = ((a, "staff saw it, someone is on the way"), (b, "服务员已看到，马上过来"))
        for page, text in seen:
            pill = page.locator("#call-status .call-pill")
            expect(pill).to_have_attribute("data-state", "seen")
            expect(pill).to_contain_text(text)
        a.screenshot(path=str(RESULTS / "phone-call-seen.png"))  # the README's call state

        # Done: the call leaves every phone, and each is told.
        call.locator("button[data-done]").click()
        expect(call).to_have_count(0)
        for page, text in ((a, "The call (Water) was answered"), (b, "呼叫（加水）已处理")):
            expect(page.locator("#call-status")).to_be_hidden()
            expect(page.locator("#toasts")).to_contain_text(text)
    finally:
        for page in (a, b, floor):
            page.context.close()


def yuan(minor: int) -> str:
    return f"¥{minor / 100:,.2f}"


@pytest.mark.browser
def test_a_dish_sold_out_while_the_round_is_being_confirmed(server, browser, errors):
    url = server.table_url(5)
    a = phone(browser, "en-US", errors, "A")
    kitchen = staff_page(browser, server, errors, "/staff/")
    har_gow, rice = dish(server, "Har Gow"), dish(server, "Steamed Rice")
    try:
        arrive(a, url, "Alice")
        add(a, har_gow["id"], qty=2)
        add(a, rice["id"], qty=3)
        a.locator("#checkout-button").click()
        confirm = a.locator("#confirm-sheet")
        expect(confirm).to_be_visible()
        total = 2 * har_gow["price"] + 3 * rice["price"]
        expect(confirm.locator("#confirm-total")).to_have_text(yuan(total))
        send = confirm.locator("#confirm-send")
        expect(send).to_be_enabled()

        # The kitchen sells out of Har Gow: the open sheet shows it at once, before Confirm.
        with StaffSocket.of(server, kitchen) as staff:
            staff.op({"type": "dish.set_sold_out", "dish_id": har_gow["id"], "sold_out": True})
        line = confirm.locator(".line", has_text="Har Gow")
        expect(line).to_have_class(re.compile(r"\bis-sold-out\b"))
        expect(line).to_contain_text("Sold out")
        expect(confirm.locator("#confirm-total")).to_have_text(yuan(3 * rice["price"]))
        expect(send).to_be_disabled()
        expect(confirm.locator("#confirm-alert")).to_contain_text("Har Gow")
        a.screenshot(path=str(RESULTS / "night-sold-out-confirm.png"))

        # It comes out right there; then the round goes, without it.
        line.locator("[data-set-qty]").click()
        expect(line).to_have_count(0)
        expect(confirm.locator("#confirm-alert")).to_be_hidden()
        expect(send).to_be_enabled()
        send.click()
        expect(confirm).to_be_hidden()
        expect(a.locator("#orders-strip")).to_contain_text("Round 1")
        a.locator("#orders-strip").click()
        expect(a.locator("#orders-body .order-card .line")).to_have_count(1)
        expect(a.locator("#orders-body .order-card")).to_contain_text("3 × Steamed Rice")
    finally:
        a.context.close()
        kitchen.context.close()


def send_round(page: Page, dish_id: int) -> None:
    add(page, dish_id)
    page.locator("#checkout-button").click()
    page.locator("#confirm-send").click()
    expect(page.locator("#confirm-sheet")).to_be_hidden()


def overlaps(a: dict, b: dict) -> bool:
    return not (a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.mark.browser
def test_rounds_names_and_toasts_read_right(server, browser, errors):
    url = server.table_url(6)
    a = phone(browser, "en-US", errors, "A")
    b = phone(browser, "en-US", errors, "B")
    kitchen = staff_page(browser, server, errors, "/staff/")
    names = ("Steamed Rice", "Tsingtao Beer", "Pig Ear in Chilli Oil")
    rice, beer, ear = (dish(server, name) for name in names)
    try:
        # Asked once: skipped, it is not asked again on a reload.
        arrive(a, url, None)
        a.reload()
        expect(a.locator("body")).to_have_attribute("data-connection", "online")
        expect(a.locator("#welcome")).to_be_hidden()
        # A family emoji is one letter in the avatar, not its first code point.
        arrive(b, url, "👨‍👩‍👧 Family")
        expect(a.locator("#diner-avatars .avatar:not(.is-me)")).to_have_text("👨‍👩‍👧")

        # Four rounds: the strip shows every one, newest first.
        for _ in range(4):
            send_round(a, rice["id"])
        strip = a.locator("#orders-strip .strip-order .strip-round")
        expect(strip).to_have_text(["Round 4", "Round 3", "Round 2", "Round 1"])

        # Staff cancel round 1 and say why: the round says "Cancelled" once, with the reason.
        order_id = int(a.locator("#orders-strip .strip-order").last.get_attribute("data-order"))
        with StaffSocket.of(server, kitchen) as staff:
            staff.op({"type": "order.set_status", "order_id": order_id, "status": "cancelled",
                      "reason": "Out of rice, sorry"})  # fmt: skip
        expect(a.locator("#toasts")).to_contain_text("Round 1: Cancelled (Out of rice, sorry)")
        a.locator("#orders-strip").click()
        card = a.locator(f'#orders-body .order-card[data-order="{order_id}"]')
        expect(card.get_by_text("Cancelled", exact=True)).to_have_count(1)
        expect(card).to_contain_text("Reason: Out of rice, sorry")

        # News that came before the (tall) sheet opens never covers its title.
        a.keyboard.press("Escape")
        expect(a.locator("#orders-sheet")).to_be_hidden()
        for item in (rice, beer, ear):
            add(b, item["id"])
        expect(a.locator("#toasts .toast", has_text="Family added")).to_have_count(3)
        a.locator("#orders-strip").click()
        expect(a.locator("#toasts .toast").first).to_be_visible()
        title = a.locator("#orders-title").bounding_box()
        for toast in a.locator("#toasts .toast").all():
            box = toast.bounding_box()
            assert box is None or not overlaps(box, title), (box, title)
        a.screenshot(path=str(RESULTS / "night-toasts-over-sheet.png"))
    finally:
        for page in (a, b, kitchen):
            page.context.close()
