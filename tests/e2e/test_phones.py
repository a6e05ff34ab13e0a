"""Phones at one table, in Debian's Chromium, against a real server: the ordering a table does.

1. Three phones order together, with options and notes; each sees everyone's lines under the
   right names with per-diner subtotals. One phone loses its network (`set_offline`), sees the
   offline banner, adds a dish and raises a quantity while offline; back online, every phone
   converges on the same cart, nothing lost or doubled; then one phone sends the round and all
   three see it.
2. A phone that asks for English gets English (interface, table, dish names), switches to 中文
   with the switch and gets Chinese; prices are "¥28.00" in both; the menu works and nothing
   jumps while the dish pictures have not arrived (they are blocked here).

Screenshots of each main screen go to test-results/ (phone-*.png).
"""

import json
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, RESULTS, TIMEOUT_MS
from tests.support.servers import AsgiServer, prepare_database

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database_url = prepare_database(tmp_path_factory.mktemp("phones"))
    with AsgiServer(database_url=database_url) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: install Debian's `chromium` package")
    RESULTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def yuan(minor: int) -> str:
    return f"¥{minor / 100:,.2f}"


def menu_dishes(base_url: str) -> list[dict]:
    with urllib.request.urlopen(base_url + "/api/menu/", timeout=10) as response:
        menu = json.load(response)
    return [d for c in menu["categories"] for d in c["dishes"] if not d["sold_out"]]


def phone(browser, locale: str, errors: list[str], who: str) -> Page:
    page = browser.new_context(**PHONE, locale=locale).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda exc: errors.append(f"phone {who}: {exc}"))
    return page


def sit_down(page: Page, url: str, name: str) -> None:
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-connection", "online")
    expect(page.locator(".dish-card:not(.is-skeleton)").first).to_be_visible()
    page.locator("#people-button").click()
    page.locator("#rename-input").fill(name)
    page.locator("#rename-form button[type=submit]").click()
    expect(page.locator("#people-sheet")).to_be_hidden()


def settled(page: Page) -> Page:
    """No toast on screen: for screenshots of the page rather than of the news."""
    expect(page.locator("#toasts .toast")).to_have_count(0)
    return page


class Line:
    """A cart line as a diner means it: dish, chosen options, quantity, note."""

    def __init__(self, dish: dict, options: list[dict], qty: int, note: str):
        self.dish, self.options, self.qty, self.note = dish, options, qty, note

    @property
    def unit(self) -> int:
        return self.dish["price"] + sum(o["price"] for o in self.options)

    def name(self, en: bool) -> str:
        return (self.dish["name_en"] or self.dish["name"]) if en else self.dish["name"]

    def option_text(self, en: bool) -> str:
        names = [(o["name_en"] or o["name"]) if en else o["name"] for o in self.options]
        return (", " if en else "、").join(names)


def add(page: Page, line: Line, *, screenshot: str | None = None) -> None:
    """Open the dish, pick the options, set the quantity, write the note, add."""
    page.locator(f'.dish-card[data-dish="{line.dish["id"]}"] .dish-open').click()
    sheet = page.locator("#dish-sheet")
    expect(sheet).to_be_visible()
    add_button = sheet.locator("#dish-add")
    required = [g for g in line.dish["option_groups"] if g["min"] >= 1]
    if required:  # "Add" waits until every required group is chosen
        expect(add_button).to_be_disabled()
        expect(sheet.locator("#dish-hint")).not_to_be_empty()
    for option in line.options:
        sheet.locator(f'label.option:has(input[value="{option["id"]}"])').click()
    for _ in range(line.qty - 1):
        sheet.locator('[data-step="1"]').click()
    sheet.locator("#dish-note").fill(line.note)
    expect(add_button).to_be_enabled()
    expect(add_button).to_contain_text(yuan(line.unit * line.qty))
    if screenshot:
        page.screenshot(path=str(RESULTS / screenshot))
    add_button.click()
    expect(sheet).to_be_hidden()


def open_cart(page: Page) -> None:
    if not page.locator("#cart-sheet").is_visible():
        page.locator("#cart-button").click()
    expect(page.locator("#cart-sheet")).to_be_visible()


def expect_cart(page: Page, cart: dict[str, list[Line]], *, en: bool) -> None:
    """The open cart shows exactly these lines, grouped by who added them, with subtotals."""
    body = page.locator("#cart-body")
    expect(body.locator(".diner-group")).to_have_count(len(cart))
    expect(body.locator(".line")).to_have_count(sum(len(lines) for lines in cart.values()))
    expect(body.locator(".line[data-queued]")).to_have_count(0)
    for owner, lines in cart.items():
        group = body.locator(".diner-group").filter(
            has=page.locator(".diner-head .diner-name", has_text=owner)
        )
        expect(group).to_have_count(1)
        expect(group.locator(".line-name")).to_have_text([line.name(en) for line in lines])
        expect(group.locator(".line .qty")).to_have_text([str(line.qty) for line in lines])
        expect(group.locator(".line-options")).to_have_text(
            [line.option_text(en) for line in lines if line.options]
        )
        expect(group.locator(".line-note")).to_have_text([f"“{line.note}”" for line in lines])
        subtotal = sum(line.unit * line.qty for line in lines)
        expect(group.locator(".diner-subtotal")).to_contain_text(yuan(subtotal))
    total = sum(line.unit * line.qty for lines in cart.values() for line in lines)
    expect(page.locator("#cart-sheet-total")).to_have_text(yuan(total))


@pytest.mark.browser
def test_three_phones_order_together_and_one_comes_back_from_offline(server, browser):
    dishes = menu_dishes(server.url)
    with_required = [d for d in dishes if any(g["min"] >= 1 for g in d["option_groups"])]
    with_optional = [
        d for d in dishes if d["option_groups"] and all(g["min"] == 0 for g in d["option_groups"])
    ]
    plain = [d for d in dishes if not d["option_groups"]]
    if not with_required or len(with_optional) < 2 or not plain:
        pytest.fail("the demo menu needs dishes with required, optional and no options on sale")

    def first_options(dish: dict, *, required_only: bool) -> list[dict]:
        groups = [g for g in dish["option_groups"] if g["min"] >= 1 or not required_only]
        return [g["options"][0] for g in groups]

    alice = Line(with_required[0], first_options(with_required[0], required_only=True), 1,
                 "No coriander, please")  # fmt: skip
    xiaowang = Line(with_optional[0], first_options(with_optional[0], required_only=False), 1,
                    "少放辣")  # fmt: skip
    chen = Line(with_optional[1], first_options(with_optional[1], required_only=False), 2,
                "Two bowls")  # fmt: skip
    offline = Line(plain[0], [], 1, "Added while offline")

    errors: list[str] = []
    url = server.table_url(1)
    a = phone(browser, "en-US", errors, "A")
    b = phone(browser, "zh-CN", errors, "B")
    c = phone(browser, "en-US", errors, "C")
    try:
        for page, name in ((a, "Alice"), (b, "小王"), (c, "Chen")):
            sit_down(page, url, name)
        # The header shows who is here as coloured initials, on every phone.
        for page in (a, b, c):
            expect(page.locator("#diner-avatars .avatar")).to_have_count(3)
        expect(a.locator("#table-label")).to_have_text("Table 1")  # the label is "1号桌"
        expect(b.locator("#table-label")).to_have_text("1号桌")
        # Dish pictures load lazily into boxes sized ahead of them.
        pictures = a.locator(".dish-card .dish-media img")
        expect(pictures.first).to_be_attached()
        assert a.eval_on_selector_all(
            ".dish-card .dish-media img",
            "imgs => imgs.every((i) => i.loading === 'lazy' && i.width > 0 && i.height > 0)",
        )
        settled(a).screenshot(path=str(RESULTS / "phone-menu.png"))

        # Each adds a dish with options and a note; Alice's has a required choice.
        add(a, alice, screenshot="phone-dish-sheet.png")
        # The others are told, briefly, in their own language (a polite live region).
        expect(c.locator("#toasts")).to_have_attribute("aria-live", "polite")
        expect(c.locator("#toasts")).to_contain_text(f"Alice added 1 × {alice.name(True)}")
        expect(b.locator("#toasts")).to_contain_text(f"Alice 加了 1 × {alice.name(False)}")
        add(b, xiaowang)
        add(c, chen)

        cart = {"Alice": [alice], "小王": [xiaowang], "Chen": [chen]}
        for page, en in ((a, True), (b, False), (c, True)):
            open_cart(page)
            expect_cart(page, cart, en=en)

        # C loses its network: the banner says so at once, over the open cart.
        c.context.set_offline(True)
        banner = c.locator("#conn-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("Offline")
        expect(c.locator("body")).to_have_attribute("data-connection", "offline")
        # Offline, C raises its line and adds a dish: both show at once, waiting to be sent.
        chen_group = c.locator("#cart-body .diner-group").filter(has_text="Chen")
        chen_group.locator('.line [data-key$="-plus"]').click()
        expect(chen_group.locator(".line .qty")).to_have_text("3")
        c.keyboard.press("Escape")
        add(c, offline)
        open_cart(c)
        queued = c.locator("#cart-body .line[data-queued]")
        expect(queued).to_have_count(1)
        expect(queued).to_contain_text(f"1 × {offline.name(True)}")
        expect(queued).to_contain_text("Waiting to send")
        c.screenshot(path=str(RESULTS / "phone-offline.png"))
        # Meanwhile Alice raises her own line; nobody online sees C's offline changes.
        a.locator("#cart-body .diner-group").filter(has_text="Alice").locator(
            '.line [data-key$="-plus"]'
        ).click()
        alice.qty = 2
        expect_cart(a, cart | {"Alice": [alice]}, en=True)  # Chen still at 2, one line
        expect_cart(b, cart | {"Alice": [alice]}, en=False)

        # C comes back: every phone converges on one cart, nothing lost, nothing doubled.
        c.context.set_offline(False)
        expect(c.locator("body")).to_have_attribute("data-connection", "online")
        expect(banner).to_be_hidden()
        chen.qty = 3
        cart = {"Alice": [alice], "小王": [xiaowang], "Chen": [chen, offline]}
        for page, en in ((a, True), (b, False), (c, True)):
            expect_cart(page, cart, en=en)
        settled(c).screenshot(path=str(RESULTS / "phone-cart.png"))

        # Alice sends the round; the confirmation lists what goes to the kitchen.
        a.locator("#cart-submit").click()
        confirm = a.locator("#confirm-sheet")
        expect(confirm).to_be_visible()
        expect(confirm.locator(".line")).to_have_count(4)
        expect(confirm.locator(".diner-group")).to_have_count(3)
        expect(confirm).to_contain_text(f"1 × {offline.name(True)}")
        expect(confirm).to_contain_text(f"3 × {chen.name(True)}")
        total = sum(line.unit * line.qty for lines in cart.values() for line in lines)
        expect(confirm.locator("#confirm-total")).to_have_text(yuan(total))
        a.screenshot(path=str(RESULTS / "phone-confirm.png"))
        confirm.locator("#confirm-send").click()
        expect(confirm).to_be_hidden()

        # All three see round 1, submitted; every cart is empty.
        for page, round_text in ((a, "Round 1"), (b, "第 1 轮"), (c, "Round 1")):
            expect(page.locator("#orders-strip")).to_contain_text(round_text)
            expect(page.locator("#orders-strip")).to_have_attribute("data-status", "submitted")
            expect(page.locator("#cart-count")).to_be_hidden()
        a.locator("#orders-strip").click()
        order = a.locator("#orders-body .order-card")
        expect(order).to_have_count(1)
        expect(order.locator(".line")).to_have_count(4)
        expect(order.locator('.progress li[aria-current="step"]')).to_have_text("Submitted")
        settled(a).screenshot(path=str(RESULTS / "phone-orders.png"))

        # The bill splits the round by who added what.
        a.locator("#bill-button").click()
        bill = a.locator("#bill-body .bill-diners li")
        expect(bill).to_have_count(3)
        for owner, lines in cart.items():
            share = sum(line.unit * line.qty for line in lines)
            expect(bill.filter(has_text=owner)).to_contain_text(yuan(share))
        expect(a.locator("#bill-total")).to_have_text(yuan(total))
        a.screenshot(path=str(RESULTS / "phone-bill.png"))
        assert not errors, errors
    finally:
        for page in (a, b, c):
            page.context.close()


@pytest.mark.browser
def test_language_switch_from_english_to_chinese(server, browser):
    dishes = menu_dishes(server.url)
    dish = next((d for d in dishes if d["price"] == 2800 and d["name_en"]), None)
    if dish is None:
        pytest.fail("the demo menu needs a ¥28.00 dish on sale with an English name")
    errors: list[str] = []
    page = phone(browser, "en-US", errors, "EN")
    # No dish pictures at all (the worst Wi-Fi): the menu must work and keep its shape.
    page.context.route("**/static/dishes/**", lambda route: route.abort())
    # Count layout shifts from the first paint on (CLS; under 0.1 is "good").
    page.add_init_script(
        "window.__shift = 0; new PerformanceObserver((list) => { for (const e of list.getEntries())"
        " if (!e.hadRecentInput) window.__shift += e.value; })"
        ".observe({ type: 'layout-shift', buffered: true });"
    )
    try:
        page.goto(server.table_url(2))
        expect(page.locator("body")).to_have_attribute("data-connection", "online")
        card = page.locator(f'.dish-card[data-dish="{dish["id"]}"]')

        # English from the browser's language: interface, table, dish, category.
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#table-label")).to_have_text("Table 2")
        expect(page.locator("#cart-hint")).to_have_text("Cart is empty")
        expect(page.locator("#checkout-button")).to_have_text("Send to kitchen")
        expect(card.locator(".dish-name")).to_have_text(dish["name_en"])
        expect(card.locator(".price")).to_have_text("¥28.00")
        expect(page.locator("#category-bar .chip").first).not_to_have_text("招牌热菜")
        # The picture boxes hold their size without pictures (these never come).
        box = card.locator(".dish-media").bounding_box()
        assert box and box["height"] >= 90 and abs(box["width"] - box["height"]) < 1, box
        page.screenshot(path=str(RESULTS / "phone-menu-en-no-images.png"))

        # The dish sheet: a labelled modal dialog; focus goes in, Escape closes, focus comes back.
        opener = card.locator(".dish-open")
        opener.focus()
        page.keyboard.press("Enter")
        sheet = page.locator("#dish-sheet")
        expect(sheet).to_be_visible()
        expect(sheet).to_have_attribute("role", "dialog")
        expect(sheet).to_have_attribute("aria-modal", "true")
        expect(sheet).to_have_accessible_name(dish["name_en"])
        expect(sheet.locator(":focus")).to_have_count(1)  # focus moved into the sheet
        expect(sheet.locator(".close")).to_have_accessible_name("Close")
        page.keyboard.press("Escape")
        expect(sheet).to_be_hidden()
        expect(opener).to_be_focused()
        shift = page.evaluate("window.__shift")
        assert shift < 0.1, f"the page jumped while loading (layout shift {shift:.3f})"

        # The switch: 中文, a real form post that the server remembers.
        switch = page.locator(".lang-switch button[value='zh-hans']")
        expect(switch).to_have_text("中文")
        expect(switch).to_have_accessible_name("简体中文")
        switch.click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        expect(page.locator("body")).to_have_attribute("data-connection", "online")
        expect(page.locator("#table-label")).to_have_text("2号桌")
        expect(page.locator("#cart-hint")).to_have_text("购物车是空的")
        expect(page.locator("#checkout-button")).to_have_text("下单")
        expect(page.locator("#category-bar .chip").first).to_have_text("招牌热菜")
        expect(card.locator(".dish-name")).to_have_text(dish["name"])
        expect(card.locator(".price")).to_have_text("¥28.00")
        expect(page.locator(".lang-switch button[value='en']")).to_have_text("EN")
        card.locator(".dish-open").click()
        expect(sheet).to_have_accessible_name(dish["name"])
        expect(sheet.locator(".close")).to_have_accessible_name("关闭")
        page.keyboard.press("Escape")
        page.screenshot(path=str(RESULTS / "phone-menu-zh-no-images.png"))
        page.reload()
        expect(page.locator("#cart-hint")).to_have_text("购物车是空的")  # the choice stays
        assert not errors, errors
    finally:
        page.context.close()
