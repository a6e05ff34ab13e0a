"""The till's money as typed (restaurant/static/js/till_money.js), run in Debian's Chromium: the
module itself, served as the page serves it, no server. What a keyboard gives ("1,000",
"1 000", full-width digits, a Chinese full stop, ¥ and 元) is read exactly; anything else is
not a number, and the cash handed over says so, never "less than the amount"; more than the
amount and 10,000 of the major unit is refused as the server refuses it."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, chromium_required

JS = Path(__file__).resolve().parents[2] / "restaurant" / "static" / "js"
ORIGIN = "http://till.test"

PARSED = {
    "CNY": {
        "72": 7200, "72.5": 7250, "0.29": 29, "1,000": 100000, "1 000": 100000,
        "1\u00a0000": 100000, "1\u3000000": 100000, "1，000": 100000, "12,345.67": 1234567,
        "１２": 1200, "１，０００．５０": 100050, "７２．００": 7200, "12。5": 1250, "¥72": 7200,
        "￥ 1,000": 100000, "72元": 7200, " 72 ": 7200, ".5": 50, "12.": 1200,
        "12,5": None, "1,00": None, "1,0000": None, "12.345": None, "1e2": None, "-5": None,
        "NaN": None, "Infinity": None, "abc": None, "": None, "٣": None, "1.2.3": None,
        "1,000,00": None, "9999999999": None,
    },
    "JPY": {"1,000": 1000, "１２": 12, "72.5": None, "72.0": None},
}  # fmt: skip


@pytest.fixture(scope="module")
def page():
    """A page whose origin serves the static scripts from the source tree."""
    chromium_required()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="en-US")

        def serve(route):
            path = route.request.url.removeprefix(ORIGIN)
            if path.startswith("/js/"):
                body = (JS / path.removeprefix("/js/")).read_text()
                return route.fulfill(body=body, content_type="text/javascript")
            return route.fulfill(body='<html lang="en"><body></body></html>',
                                 content_type="text/html")  # fmt: skip

        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/")
        yield page
        browser.close()


def run(page, currency: str, call: str, args: list):
    return page.evaluate(
        """async ([currency, call, args]) => {
            const { moneyTools } = await import("/js/till_money.js");
            const m = moneyTools(currency);
            return args.map((a) => m[call](...a));
        }""",
        [currency, call, args],
    )


@pytest.mark.parametrize("currency", PARSED)
def test_what_is_typed_is_read_exactly_or_is_not_a_number(page, currency):
    cases = PARSED[currency]
    got = run(page, currency, "parse", [[text] for text in cases])
    assert dict(zip(cases, got, strict=True)) == cases


def test_the_cash_handed_over_says_what_is_wrong_with_it(page):
    amount = 7200  # ¥72.00
    cases = [
        (amount, "1,000"),  # ¥1,000.00: the change
        (amount, "１００"),  # full-width: the change
        (amount, "72"),
        (amount, "50"),  # short
        (amount, "1,0"),  # not a number, not "short"
        (amount, "abc"),
        (amount, "  "),  # nothing typed
        (amount, "10072"),  # the amount and 10,000: the most
        (amount, "10072.01"),  # over
        (amount, "99999999"),
    ]
    got = run(page, "CNY", "tendered", [list(c) for c in cases])
    kinds = [(g["kind"], g.get("value")) for g in got]
    assert kinds == [
        ("change", 92800),
        ("change", 2800),
        ("change", 0),
        ("short", 2200),
        ("nan", None),
        ("nan", None),
        ("none", None),
        ("change", 1_000_000),
        ("over", 1_007_200),
        ("over", 1_007_200),
    ], json.dumps(got)
    yen = run(page, "JPY", "tendered", [[100, "10100"], [100, "10,101"]])
    assert [(g["kind"], g["value"]) for g in yen] == [("change", 10_000), ("over", 10_100)]
