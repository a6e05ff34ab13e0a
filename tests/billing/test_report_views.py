"""The night's report for staff (restaurant/billing/report_views.py): the page, its CSV and
XLSX read back with the report's figures, closing the day from it, who may do what, and
another restaurant's day never shown."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from restaurant.billing import services
from restaurant.billing.models import BusinessDay, ClosedCheck, Payment
from restaurant.billing.report import z_report
from restaurant.kitchen.adjustments import item_adjust
from restaurant.kitchen.items import item_status_set
from restaurant.kitchen.models import AdjustReason
from restaurant.menu.money import to_major
from restaurant.venues.days import business_date
from tests.billing.test_report import close, mixed_day, pay, seat
from tests.factories import make_menu
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def day(menu) -> dict:
    return mixed_day(menu)


def csv_sections(body: bytes) -> dict[str, list[list[str]]]:
    """The CSV's sections by title: [header, rows...]."""
    text = body.decode("utf-8-sig")
    sections, current = {}, None
    for row in csv.reader(io.StringIO(text)):
        if not row:
            current = None
        elif current is None:
            current = sections.setdefault(row[0], [])
        else:
            current.append(row)
    return sections


def major(minor: int) -> str:
    return str(to_major(minor, "CNY"))


def test_the_page_shows_the_days_figures(day):
    restaurant = day["restaurant"]
    response = client_of(day["cashier"]).get(url("staff-report"))
    assert response.status_code == 200
    page = response.content.decode()
    net = sum(k.total for k in ClosedCheck.objects.filter(restaurant=restaurant))
    assert f"CN¥{to_major(net, 'CNY'):,}" in page
    assert "会员九折" in page and "老板朋友" in page and "换微信" in page and "上错菜" in page
    assert 'data-state="open"' in page
    today = business_date(restaurant).isoformat()
    for name in ("staff-report-csv", "staff-report-xlsx"):  # the restaurant's own links
        assert reverse(name, kwargs={"slug": restaurant.slug, "day": today}) in page
    assert "Close the day" not in page  # a cashier may not close it
    manager_page = client_of(day["manager"]).get(url("staff-report")).content.decode()
    assert "Close the day" in manager_page
    assert "Tables are still open" in manager_page  # table 2 is: the button is off
    assert "data-close-form" not in manager_page


def test_the_csv_reads_back_with_the_reports_figures(day):
    restaurant = day["restaurant"]
    today = business_date(restaurant)
    response = client_of(day["manager"]).get(url("staff-report-csv", day=today.isoformat()))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"report-{restaurant.slug}-{today}.csv" in response["Content-Disposition"]
    sections = csv_sections(response.content)
    with translation.override("en"):
        report = z_report(restaurant=restaurant, date=today)
    summary = dict(sections["Summary"][1:])
    assert summary["Net sales"] == major(report["checks"]["net"])
    assert summary["Checks"] == "4"
    assert summary["Payments, net"] == major(
        sum(p.signed for p in Payment.objects.filter(restaurant=restaurant, business_date=today))
    )
    assert summary["Discounts"] == major(report["checks"]["discounts"])
    payments = {row[0]: row for row in sections["Payments by method"][1:]}
    assert payments["Total"][-1] == summary["Payments, net"]
    assert payments["Bank card"][3:5] == ["1", major(report["payments"]["total"]["refunds"])]
    for rows in sections.values():  # money as Decimal strings, never a float's digits
        for row in rows[1:]:
            for cell in row:
                assert "." not in cell or re.fullmatch(r"-?\d+\.\d\d", cell), cell
    dishes = sections["Sales by dish"]
    assert dishes[0] == ["Dish", "Qty", "Amount"]
    assert sum(Decimal(r[2]) for r in dishes[1:]) == to_major(report["checks"]["gross"], "CNY")
    assert [r[0] for r in sections["Taken back and on the house"][1:]] == [
        "On the house", "Taken back", "Taken back"]  # fmt: skip
    assert len(sections["Checks"]) == 1 + 4
    assert len(sections["Still open"]) == 1 + 1


def test_the_xlsx_reads_back_with_the_reports_figures(day):
    restaurant = day["restaurant"]
    today = business_date(restaurant)
    response = client_of(day["cashier"]).get(url("staff-report-xlsx", day=today.isoformat()))
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:3] == ["Summary", "Payments by method", "Refunds"]
    report = z_report(restaurant=restaurant, date=today)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    net = summary["Net sales"]
    assert isinstance(net, int | float) and round(Decimal(str(net)), 2) == to_major(
        report["checks"]["net"], "CNY")  # fmt: skip
    assert book["Summary"]["B15"].number_format == "#,##0.00"
    payments = list(book["Payments by method"].iter_rows(min_row=2, values_only=True))
    assert payments[-1][0] == "Total"
    assert round(Decimal(str(payments[-1][-1])), 2) == to_major(
        report["payments"]["total"]["net"], "CNY")  # fmt: skip
    dishes = list(book["Sales by dish"].iter_rows(min_row=2, values_only=True))
    assert round(sum(Decimal(str(r[2])) for r in dishes), 2) == to_major(
        report["checks"]["gross"], "CNY")  # fmt: skip


def test_the_exports_read_in_chinese_too(day):
    restaurant = day["restaurant"]
    client = client_of(day["manager"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    today = business_date(restaurant).isoformat()
    sections = csv_sections(client.get(url("staff-report-csv", day=today)).content)
    assert "汇总" in sections and dict(sections["汇总"][1:])["账单"] == "4"
    book = load_workbook(io.BytesIO(client.get(url("staff-report-xlsx", day=today)).content))
    assert book.sheetnames[0] == "汇总"


def test_closing_the_day_from_the_page(menu):
    restaurant = menu.restaurant
    manager = staff_user(restaurant, "manager", username="boss")
    meal, _, _ = seat(menu, menu.table, ("A", [menu.chicken]))
    client = client_of(manager)
    today = business_date(restaurant).isoformat()
    close_url = url("staff-day-close", day=today)

    response = client.post(close_url)  # the table is still open
    assert response.status_code == 409
    assert "Tables are still open" in response.content.decode()
    response = client.post(close_url, HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    body = response.json()
    assert (body["ok"], body["reason"]) == (False, "meals_open")
    assert [m["table"]["number"] for m in body["meals"]] == [1]
    assert not BusinessDay.objects.exists()

    pay(restaurant, meal, "card")
    close(restaurant, meal)
    page = client.get(url("staff-report")).content.decode()
    assert "data-close-form" in page
    response = client.post(close_url)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/staff/report/?date={today}")
    stored = BusinessDay.objects.get(restaurant=restaurant)
    assert stored.closed_by == manager and stored.report["checks"]["net"] == 3800

    page = client.get(response["Location"]).content.decode()
    assert 'data-state="closed"' in page and "Closed by boss" in page
    assert "data-close-form" not in page

    again = client.post(close_url, HTTP_ACCEPT="application/json")
    assert again.status_code == 409 and again.json()["reason"] == "already_closed"
    assert client.post(close_url).status_code == 409
    assert BusinessDay.objects.count() == 1


def test_a_closed_day_shows_the_report_it_was_closed_with(menu):
    restaurant = menu.restaurant
    manager = staff_user(restaurant, "manager", username="boss")
    meal, _, _ = seat(menu, menu.table, ("A", [menu.chicken]))
    pay(restaurant, meal, "card")
    close(restaurant, meal)
    today = business_date(restaurant).isoformat()
    client = client_of(manager)
    assert client.post(url("staff-day-close", day=today)).status_code == 302
    # Written behind the services' back: the closed day's page and files do not move.
    ClosedCheck.objects.filter(session=meal).update(total=1)
    page = client.get(url("staff-report") + f"?date={today}").content.decode()
    assert "CN¥38.00" in page
    summary = dict(csv_sections(client.get(url("staff-report-csv", day=today)).content)
                   ["Summary"][1:])  # fmt: skip
    assert summary["Net sales"] == "38.00" and summary["Day closed by"] == "boss"


@pytest.mark.parametrize("role, page, close", [
    ("manager", 200, 302), ("cashier", 200, 403), ("waiter", 403, 403), ("kitchen", 403, 403),
])  # fmt: skip
def test_who_may_read_the_report_and_close_the_day(menu, role, page, close):
    user = staff_user(menu.restaurant, role)
    client = client_of(user)
    today = business_date(menu.restaurant).isoformat()
    assert client.get(url("staff-report")).status_code == page
    assert client.get(url("staff-report-csv", day=today)).status_code == page
    assert client.get(url("staff-report-xlsx", day=today)).status_code == page
    assert client.post(url("staff-day-close", day=today)).status_code == close
    assert BusinessDay.objects.exists() == (close == 302)


def test_signed_out_is_sent_to_sign_in(menu):
    response = Client().get(url("staff-report"))
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    assert Client().post(url("staff-day-close", day="2025-03-14")).status_code == 302
    assert not BusinessDay.objects.exists()


def test_another_restaurants_report_is_never_shown(day):
    other = make_menu("other", "别家")
    theirs, _, _ = seat(other, other.table, ("X", [other.chicken, other.chicken]))
    pay(other.restaurant, theirs, "alipay")
    close(other.restaurant, theirs)
    today = business_date(day["restaurant"]).isoformat()
    client = client_of(day["manager"])
    for name, kwargs in (("staff-report", {}), ("staff-report-csv", {"day": today}),
                         ("staff-report-xlsx", {"day": today}),
                         ("staff-day-close", {"day": today})):  # fmt: skip
        path = reverse(name, kwargs={"slug": "other", **kwargs})
        response = client.post(path) if name == "staff-day-close" else client.get(path)
        assert response.status_code == 404, name
    assert not BusinessDay.objects.exists()
    mine = csv_sections(client.get(url("staff-report-csv", day=today)).content)
    assert len(mine["Checks"]) == 1 + 4
    own_net = sum(k.total for k in ClosedCheck.objects.filter(restaurant=day["restaurant"]))
    assert dict(mine["Summary"][1:])["Net sales"] == major(own_net)
    page = client.get(url("staff-report")).content.decode()
    assert "别家" not in page and "Alipay <span" not in page.split("Alipay")[0]


@pytest.mark.parametrize(
    "text", ["2025-13-01", "yesterday", "2025-3-1", "20250301", "２０２５-03-01", "0000-01-01",
             "99999-01-01", "2025-02-30", "2025-03-01\x00"]
)  # fmt: skip
def test_a_bad_date_is_a_clear_400(menu, text):
    client = client_of(staff_user(menu.restaurant, "manager"))
    response = client.get(url("staff-report") + f"?date={text}")
    assert response.status_code == 400
    assert "That is not a date" in response.content.decode()
    assert client.get(url("staff-report-csv", day=text)).status_code == 400
    assert client.get(url("staff-report-xlsx", day=text)).status_code == 400
    assert client.post(url("staff-day-close", day=text)).status_code == 400
    assert not BusinessDay.objects.exists()


def test_the_first_and_the_last_day_there_can_be_are_reports_not_errors(menu):
    client = client_of(staff_user(menu.restaurant, "manager"))
    for text in ("0001-01-01", "9999-12-31"):
        assert client.get(url("staff-report") + f"?date={text}").status_code == 200
        assert client.get(url("staff-report-csv", day=text)).status_code == 200
        assert client.get(url("staff-report-xlsx", day=text)).status_code == 200
    assert client.post(url("staff-day-close", day="9999-12-31")).status_code == 409  # not begun
    assert not BusinessDay.objects.exists()


def test_a_day_not_begun_shows_empty_and_does_not_close(menu):
    client = client_of(staff_user(menu.restaurant, "manager"))
    page = client.get(url("staff-report") + "?date=2999-01-01").content.decode()
    assert 'data-state="future"' in page and "data-close-form" not in page
    response = client.post(url("staff-day-close", day="2999-01-01"))
    assert response.status_code == 409
    assert not BusinessDay.objects.exists()


# --- What people typed, in the files ------------------------------------------------------------

# Text a spreadsheet would run as a formula (or feed to one): a reason, a dish's, a table's or
# a person's name typed by someone.
FORMULAS = {
    "dish": '=HYPERLINK("http://evil.example/","click me")\x1b',  # and a character a workbook
    # may not hold: left out of the XLSX
    "table": "+1+1",
    "staff": "-2+3",
    "discount": "=1+2",
    "refund": "+cmd|' /C calc'!A0",
    "unpaid": "@SUM(1+1)*cmd|' /C calc'!A0",
    "void": "\t=1+1",  # (stored trimmed: "=1+1")
    "comp": "\r=2+2",
}


@pytest.fixture
def typed_day(menu) -> dict:
    """A day whose every text field someone types starts like a formula: a dish's name, a
    table's label, a manager's name, discount, refund, void and unpaid reasons."""
    restaurant = menu.restaurant
    manager = staff_user(restaurant, "manager", first_name=FORMULAS["staff"])
    menu.rice.name = menu.rice.name_en = FORMULAS["dish"]
    menu.rice.save()
    menu.table.label = FORMULAS["table"]
    menu.table.save()
    session, _, items = seat(menu, menu.table, ("A", [menu.chicken, menu.rice]), ("A", [menu.rice]))
    rice, rice_again = items[f"A:{FORMULAS['dish']}"], items[f"A:{FORMULAS['dish']}+"]
    services.discount_add(restaurant=restaurant, session_id=session.pk, op_id="d1", by=manager,
                          reason=FORMULAS["discount"], amount=100)  # fmt: skip
    item_status_set(restaurant=restaurant, item_id=rice.pk, status="voided",
                    reason=FORMULAS["void"], by_id=manager.pk)  # fmt: skip
    comp = AdjustReason.objects.create(restaurant=restaurant, name=FORMULAS["comp"],
                                       for_void=False, for_comp=True)  # fmt: skip
    item_adjust(restaurant=restaurant, item_id=rice_again.pk, kind="comp", qty=1,
                reason_id=comp.pk, by_id=manager.pk, role="manager")  # fmt: skip
    first = pay(restaurant, session, "cash", amount=1000, by=manager)
    services.payment_refund(restaurant=restaurant, payment_id=first.pk, amount=500,
                            reason=FORMULAS["refund"], op_id="r1", by=manager)  # fmt: skip
    close(restaurant, session, by=manager, unpaid_reason=FORMULAS["unpaid"])
    return {"restaurant": restaurant, "manager": manager}


def test_typed_text_never_becomes_a_formula_in_the_csv(typed_day):
    client = client_of(typed_day["manager"])
    today = business_date(typed_day["restaurant"]).isoformat()
    text = client.get(url("staff-report-csv", day=today)).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), repr(cell)
    for typed in FORMULAS.values():  # kept (a reason as the service stored it: trimmed)
        assert "'" + typed in cells or "'" + typed.strip() in cells, typed
    rows = csv_sections(text.encode("utf-8-sig"))
    summary = dict(rows["Summary"][1:])
    assert Decimal(summary["Net sales"]) > 0 and Decimal(summary["Rounding"]) == 0  # numbers


def test_typed_text_is_a_string_never_a_formula_in_the_xlsx(typed_day):
    client = client_of(typed_day["manager"])
    today = business_date(typed_day["restaurant"]).isoformat()
    response = client.get(url("staff-report-xlsx", day=today))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    seen = set()
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    seen.add(cell.value)
    for typed in FORMULAS.values():
        # as typed, as text (XML reads a carriage return back as a line feed)
        typed = typed.replace("\x1b", "").replace("\r", "\n")
        assert typed in seen or typed.strip() in seen, typed
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert isinstance(summary["Net sales"], int | float)  # money stays a number
