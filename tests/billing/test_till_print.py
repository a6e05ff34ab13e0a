"""Printing the check from the till (POST staff/tables/<n>/check/print/): a receipt job on the
restaurant's receipt station's printer, written with nothing else; the pre-bill while money is
owed, the receipt once paid, a closed meal's receipt with its QR code; one job per press; no
printer is a 409 `no_printer`, another table's or restaurant's meal a 404."""

import json

import pytest
from django.test import Client

from restaurant.billing.models import ClosedCheck
from restaurant.printing.models import PrintJob
from restaurant.printing.services import printer_set
from restaurant.printing.tickets import ticket_text
from restaurant.venues.models import Station
from tests.billing.support import meal
from tests.factories import make_menu
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db

PRINT = "/r/main/staff/tables/1/check/print/"
RECEIPTS = PrintJob.objects.filter(kind="receipt")


@pytest.fixture
def till(menu):
    """Table 1 owes 41.00 (A's chicken, B's rice); the counter has a receipt printer (and
    the kitchen its station first: dishes of no station go to the first)."""
    Station.objects.create(restaurant=menu.restaurant, code="wok", name="热菜", sort_order=1)
    station = Station.objects.create(restaurant=menu.restaurant, code="counter", name="收银",
                                     sort_order=9)  # fmt: skip
    printer_set(station=station, url="tcp://192.0.2.9")
    menu.restaurant.receipt_station = station
    menu.restaurant.save()
    menu.station = station
    menu.session, menu.diners, menu.items = meal(menu, ("A", [menu.chicken]), ("B", [menu.rice]))
    menu.client = Client()
    menu.client.force_login(staff_user(menu.restaurant, "manager"))
    return menu


def post(client, url, **fields):
    return client.post(url, json.dumps(fields), content_type="application/json")


def printed(job_id: int) -> str:
    return ticket_text(bytes(PrintJob.objects.get(pk=job_id).payload))


def pay_all(till, op="all"):
    reply = post(till.client, "/r/main/staff/tables/1/check/payments/", method="cash",
                 amount=4100, target="check", expect=4100, op_id=op)  # fmt: skip
    assert reply.status_code == 200


def test_the_pre_bill_while_money_is_owed(till):
    reply = post(till.client, PRINT, op_id="p1")
    assert reply.status_code == 200 and reply.json()["state"] == "queued"
    job = RECEIPTS.get()
    assert (job.kind, job.station_id, job.order_id) == ("receipt", till.station.pk, None)
    text = printed(job.pk)
    assert "预结单 PRE-BILL" in text and "1号桌 Table 1" in text
    assert "1 × 宫保鸡丁" in text and "1 × 米饭" in text
    assert "合计 TOTAL    ￥41.00" in text and "待付 DUE" in text


def test_the_receipt_once_paid_and_after_closing_with_its_qr_code(till):
    pay_all(till)
    assert "结账单 RECEIPT" in printed(post(till.client, PRINT, op_id="p1").json()["job_id"])
    text = printed(RECEIPTS.get().pk)
    assert "已结清 PAID" in text and "现金 Cash" in text and "[QR" not in text
    closed = till.client.post("/r/main/staff/tables/1/close/", HTTP_ACCEPT="application/json")
    assert closed.status_code == 200
    token = ClosedCheck.objects.get(session=till.session).receipt_token
    assert post(till.client, PRINT, op_id="p2").status_code == 404  # no open meal now
    reply = post(till.client, PRINT, op_id="p3", session_id=till.session.pk)
    assert reply.status_code == 200
    text = printed(reply.json()["job_id"])
    assert "结账单 RECEIPT" in text and "已结清 PAID" in text
    assert f"[QR http://127.0.0.1:8000/receipt/{token}/]" in text or f"/receipt/{token}/]" in text


def test_one_job_per_press(till):
    first = post(till.client, PRINT, op_id="press")
    second = post(till.client, PRINT, op_id="press")
    assert first.json()["job_id"] == second.json()["job_id"]
    assert RECEIPTS.count() == 1
    post(till.client, PRINT, op_id="another copy")
    post(till.client, PRINT)  # no op_id: each its own
    assert RECEIPTS.count() == 3
    assert post(till.client, PRINT, op_id="x" * 65).status_code == 400


def test_no_receipt_printer_is_a_409_no_printer(till):
    till.restaurant.receipt_station = None
    till.restaurant.save()
    reply = post(till.client, PRINT, op_id="p")
    assert (reply.status_code, reply.json()["code"]) == (409, "no_printer")
    till.restaurant.receipt_station = till.station
    till.restaurant.save()
    printer_set(station=till.station, url="tcp://192.0.2.9", enabled=False)
    assert post(till.client, PRINT, op_id="p").json()["code"] == "no_printer"
    printer_set(station=till.station, url=None)
    assert post(till.client, PRINT, op_id="p").json()["code"] == "no_printer"
    assert not RECEIPTS.exists()


def test_another_tables_or_restaurants_meal_is_not_found(till):
    other = make_menu("other", name="别家")
    their_session, _, _ = meal(other, ("C", [other.rice]))
    for session_id in (their_session.pk, 999999):
        reply = post(till.client, PRINT, op_id="p", session_id=session_id)
        assert (reply.status_code, reply.json()["code"]) == (404, "not_found")
    reply = post(till.client, "/r/main/staff/tables/2/check/print/", session_id=till.session.pk)
    assert reply.status_code == 404  # our meal, but not at table 2
    # A meal that ended without a check (nothing was ever settled: an idle table closed).
    from restaurant.dining.services import session_close

    session_close(table=till.table, discard_cart=True)
    assert not ClosedCheck.objects.exists()
    reply = post(till.client, PRINT, session_id=till.session.pk)
    assert (reply.status_code, reply.json()["code"]) == (404, "not_found")
    assert not RECEIPTS.exists()
