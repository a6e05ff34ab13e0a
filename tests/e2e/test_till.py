"""A cashier settles a table with two payments, in Debian's Chromium against a real server:
table 3 had 38.50 of Li's and 25.99 of Wang's. On a phone the cashier tries to close it on the
floor, is told 64.49 is still owed and goes to the check from there; takes Li's share in cash,
typed in yuan (38.50, with 50 handed over: the change 11.50 shown as it is typed), then the
rest by WeChat Pay; the balance reads Settled and the table closes from the till. The database
holds both payments to the fen and the closed check. No script error, no Content-Security-Policy
violation. Screenshots go to test-results/.
"""

import json
import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    RESULTS,
    TIMEOUT_MS,
    chromium_required,
    sign_in,
    staff_create,
)
from tests.support.servers import AsgiServer, manage, prepare_database

CASHIER, PASSWORD = "cashier", "till-cashier-test-password"
TABLE = 3

# Table 3's meal, written as the kitchen has it: one round, Li's dish and Wang's. The till's
# charges are set to none so the figures are the dishes'.
SETUP = f"""
from restaurant.dining.services import diner_arrive, session_open
from restaurant.kitchen.models import Order, OrderItem
from restaurant.menu.models import Dish
from restaurant.tables.models import Table
from restaurant.venues.models import Restaurant
r = Restaurant.objects.get(slug="shuxiang")
r.cover_charge, r.service_percent, r.rounding = 0, 0, "none"
r.payment_methods = ["cash", "wechat", "alipay", "card"]
r.save()
table = Table.objects.get(restaurant=r, number={TABLE})
session = session_open(table=table, by_staff=True)
li = diner_arrive(table=table, known_diner_ids=[])
wang = diner_arrive(table=table, known_diner_ids=[])
li.name, wang.name = "Li", "Wang"
li.save(); wang.save()
dishes = list(Dish.objects.filter(category__restaurant=r)[:2])
order = Order.objects.create(session=session, round=1, submitted_by=li, total=3850 + 2599)
for dish, diner, price in ((dishes[0], li, 3850), (dishes[1], wang, 2599)):
    OrderItem.objects.create(order=order, dish=dish, name=dish.name, qty=1, unit_price=price,
                             added_by=diner)
"""

RESULT = f"""
import json
from restaurant.billing.models import ClosedCheck, Payment
p = Payment.objects.filter(session__table__number={TABLE}).order_by("pk")
c = ClosedCheck.objects.filter(session__table__number={TABLE}).first()
print(json.dumps({{"payments": [[x.method, x.amount, x.tendered, x.change, x.target] for x in p],
                  "closed": c and [c.total, c.paid]}}))
"""


@pytest.mark.browser
def test_a_cashier_settles_a_table_with_two_payments(tmp_path):
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path)
    staff_create(database_url, restaurant="shuxiang", role="cashier", username=CASHIER,
                 password=PASSWORD)  # fmt: skip
    manage("shell", "-c", SETUP, database_url=database_url)
    expect.set_options(timeout=TIMEOUT_MS)
    with AsgiServer(database_url=database_url) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(**PHONE, locale="en-US").new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text)
                if "Content Security Policy" in msg.text else None)  # fmt: skip
        try:
            # The floor: the table has its Check link; closing it while money is owed says
            # how much and offers the till instead.
            sign_in(page, server.url, CASHIER, PASSWORD, "/staff/")
            card = page.locator(f'.table-card[data-table="{TABLE}"]')
            expect(card.locator("a.btn-check")).to_have_attribute(
                "href", re.compile(rf"/staff/tables/{TABLE}/check/$")
            )
            card.locator("[data-action=close]").click()
            floor_close = page.locator("#close-dialog")
            expect(floor_close.locator("#close-confirm")).to_be_enabled()
            floor_close.locator("#close-confirm").click()
            expect(floor_close.locator("#close-body")).to_contain_text("64.49 still owed")
            expect(floor_close.locator("#close-confirm")).to_be_hidden()
            floor_close.locator("#close-till").click()
            expect(page).to_have_url(re.compile(rf"/staff/tables/{TABLE}/check/$"))
            expect(page.locator("#conn")).to_have_attribute("data-state", "online")
            expect(page.locator("#till-balance")).to_have_text(re.compile(r"64\.49"))
            shares = page.locator(".till-share")
            expect(shares).to_have_count(2)

            # Li's share, in cash: 38.50 typed, 50 handed over, the change live.
            shares.filter(has_text="Li").locator("[data-act=pay]").click()
            dialog = page.locator("#pay-dialog")
            expect(dialog).to_be_visible()
            expect(dialog.locator("#pay-title")).to_contain_text("Li")
            dialog.locator("#pay-amount").fill("38.50")
            dialog.locator(".till-method", has_text="Cash").click()
            dialog.locator("#pay-tendered").fill("50")
            expect(dialog.locator("#pay-change")).to_have_text(re.compile(r"Change .*11\.50"))
            page.screenshot(path=str(RESULTS / "till-pay-cash.png"), animations="disabled")
            dialog.locator("#pay-confirm").click()
            expect(dialog).to_be_hidden()
            expect(page.locator("#till-balance")).to_have_text(re.compile(r"25\.99"))
            expect(shares.filter(has_text="Li").locator(".till-share-due")).to_have_text("Paid")

            # The rest, by WeChat Pay.
            page.locator(".till-rest [data-act=pay]").click()
            expect(dialog).to_be_visible()
            expect(dialog.locator("#pay-amount")).to_have_value("25.99")
            dialog.locator(".till-method", has_text="WeChat Pay").click()
            expect(dialog.locator("#pay-cash")).to_be_hidden()
            dialog.locator("#pay-confirm").click()
            expect(dialog).to_be_hidden()
            expect(page.locator(".till-balance-label")).to_have_text("Settled")
            expect(page.locator(".till-payment")).to_have_count(2)
            page.screenshot(path=str(RESULTS / "till-settled.png"), animations="disabled")

            # Settled: the table closes from here.
            page.locator("#till-close").click()
            close = page.locator("#close-dialog")
            expect(close).to_contain_text("The check is settled.")
            close.locator("#close-confirm").click()
            expect(page.locator("#till-empty")).to_contain_text("Table closed")
            assert not errors, errors
        finally:
            browser.close()
    out = manage("shell", "-c", RESULT, database_url=database_url)
    result = json.loads(out.strip().splitlines()[-1])
    assert result["payments"] == [
        ["cash", 3850, 5000, 1150, f"diner:{result['payments'][0][4].split(':')[1]}"],
        ["wechat", 2599, None, 0, "check"],
    ]
    assert result["closed"] == [6449, 6449]
