"""The till's POSTs on malformed input (restaurant/billing/till_views.py): a body that is not a
JSON object (or nested thousands deep), fields of the wrong type, whole numbers beyond what
the database holds (PostgreSQL's integer for money, bigint for ids), ids that exist nowhere;
each a clean 400 ``bad_request`` (a 404 ``not_found`` for an id that could exist but does not),
never a 500, and nothing written. The cash handed over is at most the amount and 10,000 of
the currency's major unit. Run on SQLite and on PostgreSQL (where a number past the column's
range would have been a DataError)."""

import json

import pytest
from django.test import Client

from restaurant.billing import services
from restaurant.billing.models import Discount, ItemOwner, Payment
from restaurant.dining.models import DiningSession
from restaurant.printing.models import PrintJob
from restaurant.printing.services import printer_set
from restaurant.venues.models import Station
from tests.billing.support import meal
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db

BASE = "/r/main/staff"
TABLE = f"{BASE}/tables/1/check"
INT_MAX = 2**31 - 1  # PostgreSQL's integer: the money columns
BIGINT_MAX = 2**63 - 1  # the ids


@pytest.fixture
def till(menu):
    """A at table 1 had the chicken (38.00) and a rice, B a rice (44.00); 1.00 paid in cash,
    a 0.50 discount on the check; a receipt printer at the counter. The manager's client (they
    may do everything)."""
    station = Station.objects.create(restaurant=menu.restaurant, code="counter", name="收银")
    printer_set(station=station, url="tcp://192.0.2.9")
    menu.restaurant.receipt_station = station
    menu.restaurant.save()
    session, diners, items = meal(menu, ("A", [menu.chicken, menu.rice]), ("B", [menu.rice]))
    menu.session, menu.diners, menu.items = session, diners, items
    menu.payment = services.payment_record(
        restaurant=menu.restaurant,
        session_id=session.pk,
        method="cash",
        amount=100,
        target="check",
        expect=4400,
        op_id="seed-pay",
        by=None,
    )
    menu.discount = services.discount_add(
        restaurant=menu.restaurant,
        session_id=session.pk,
        reason="seed",
        op_id="seed-off",
        by=None,
        amount=50,
    )
    menu.client = Client()
    menu.client.force_login(staff_user(menu.restaurant, "manager"))
    return menu


def state() -> tuple:
    """Everything the till can write."""
    return (
        list(Payment.objects.order_by("pk").values_list("pk", "amount", "kind", "tendered")),
        list(Discount.objects.order_by("pk").values_list("pk", "removed_at")),
        list(ItemOwner.objects.order_by("pk").values_list("item_id", "diner_id")),
        list(DiningSession.objects.order_by("pk").values_list("pk", "status")),
        PrintJob.objects.count(),
    )


def post_raw(client, url: str, body: bytes | str):
    return client.post(url, body, content_type="application/json")


def post(client, url: str, fields: dict):
    return post_raw(client, url, json.dumps(fields))


def endpoints(till) -> dict[str, dict]:
    """Each POST of the till and a body it takes (each in turn: the payment first, as the
    discount changes what is due)."""
    item = till.items["A:Kung Pao Chicken"].pk
    return {
        f"{TABLE}/payments/": {
            "method": "cash",
            "amount": 100,
            "target": "check",
            "expect": 4250,
            "tendered": 200,
            "op_id": "p",
            "session_id": till.session.pk,
        },
        f"{TABLE}/discounts/": {
            "amount": 100,
            "reason": "cold",
            "op_id": "d",
            "item_id": item,
            "session_id": till.session.pk,
        },
        f"{TABLE}/owners/": {
            "item_id": item,
            "diner_ids": [till.diners["B"].pk],
            "session_id": till.session.pk,
        },
        f"{BASE}/payments/{till.payment.pk}/refund/": {"amount": 10, "reason": "r", "op_id": "r"},
        f"{TABLE}/print/": {"op_id": "w", "session_id": till.session.pk},
    }


def refused(reply, *codes) -> str:
    assert reply.status_code in (400, 404), (reply.status_code, reply.content[:200])
    body = reply.json()
    assert body["ok"] is False and body["message"]
    assert body["code"] in (codes or ("bad_request", "not_found")), body
    return body["code"]


# --- Bodies ---------------------------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000
BODIES = [
    b"not json",
    b"{",
    b"[]",
    b"null",
    b'"x"',
    b"1",
    b"\xff\xfe{}",
    DEEP.encode(),
    ('{"amount": ' + DEEP + "}").encode(),
    ('{"a": ' + "{" * 50_000).encode(),
    ("1" * 5000).encode(),
]


def test_a_body_that_is_no_json_object_is_a_400_at_every_post(till):
    before = state()
    for url in endpoints(till):
        for body in BODIES:
            reply = post_raw(till.client, url, body)
            assert refused(reply, "bad_request") == "bad_request", (url, body[:20])
    assert state() == before


# --- Fields of the wrong type ---------------------------------------------------------------------

TEXT_BAD = [5, 1.5, True, [], ["x"], {}, {"a": 1}, "\ud800", "a\x00b"]
WHOLE_BAD = ["12", "x", 1.5, 1e300, True, False, [], [1], {}, -1, INT_MAX + 1, 10**30]
ID_BAD = ["12", "x", 1.5, True, [], [1], {}, -1, BIGINT_MAX + 1, 10**40]
FIELDS = {
    "reason": TEXT_BAD,
    "op_id": TEXT_BAD,
    "method": TEXT_BAD,
    "target": TEXT_BAD,
    "amount": WHOLE_BAD,
    "tendered": WHOLE_BAD,
    "expect": WHOLE_BAD,
    "amount_major": [5, 1.5, True, [], {}, "1e3", "NaN", "-5", "１２", "99999999999"],
    "item_id": ID_BAD,
    "session_id": ID_BAD,
    "diner_ids": [5, "1", {}, [None], ["1"], [1.5], [True], [-1], [BIGINT_MAX + 1], [[1]]],
    "percent": [[], {}, True, [5], "x" * 100],
}


@pytest.mark.parametrize("field", FIELDS)
def test_a_field_of_the_wrong_type_is_a_400_and_writes_nothing(till, field):
    before = state()
    for url, body in endpoints(till).items():
        if field == "amount_major" and "amount" not in body:
            continue
        if field not in body and not (field == "percent" and url.endswith("/discounts/")):
            continue
        for value in FIELDS[field]:
            fields = {**body, field: value}
            if field == "amount_major":
                fields.pop("amount", None)
            if field == "percent":
                fields.pop("amount", None)
            reply = post(till.client, url, fields)
            assert refused(reply, "bad_request") == "bad_request", (url, field, value)
    assert state() == before


def test_the_bodies_taken_are_taken(till):
    """The control: each endpoint's body as it stands is done (so the refusals above were the
    field's)."""
    for url, body in endpoints(till).items():
        reply = post(till.client, url, body)
        assert reply.status_code == 200, (url, reply.content[:200])


def test_a_form_with_junk_is_a_400(till):
    before = state()
    forms = {
        f"{TABLE}/owners/": {"item_id": "1", "diner_ids": ["a", "1"]},
        f"{TABLE}/payments/": {
            "amount_major": "1.00",
            "method": "cash",
            "target": "check",
            "expect": "x",
            "op_id": "a",
        },
        f"{TABLE}/discounts/": {"percent": "abc", "reason": "r", "op_id": "q"},
    }
    for url, form in forms.items():
        assert refused(till.client.post(url, form), "bad_request") == "bad_request", url
    big = {
        "amount": str(INT_MAX + 1),
        "method": "cash",
        "target": "check",
        "expect": "4250",
        "op_id": "big",
    }
    assert refused(till.client.post(f"{TABLE}/payments/", big), "bad_request")
    assert state() == before


# --- Ids that exist nowhere -----------------------------------------------------------------------


def test_ids_that_exist_nowhere_are_a_404_or_a_400_never_a_500(till):
    before = state()
    item = till.items["A:Kung Pao Chicken"].pk
    for big in (INT_MAX + 1, BIGINT_MAX):  # could be an id: not found
        assert refused(
            post(
                till.client,
                f"{TABLE}/discounts/",
                {"item_id": big, "percent": 5, "reason": "x", "op_id": "i"},
            ),
            "not_found",
        )
        assert refused(
            post(till.client, f"{TABLE}/owners/", {"item_id": item, "diner_ids": [big]}),
            "not_found",
            "bad_request",  # (past what the service takes as an id)
        )
        assert refused(post(till.client, f"{TABLE}/owners/", {"item_id": big}), "not_found")
        reply = post(
            till.client,
            f"{TABLE}/payments/",
            {
                "method": "cash",
                "amount": 100,
                "target": "check",
                "expect": 4250,
                "op_id": "s",
                "session_id": big,
            },
        )
        assert (reply.status_code, reply.json()["detail"]) == (409, "meal_changed")
        assert refused(post(till.client, f"{TABLE}/print/", {"session_id": big}), "not_found")
        assert refused(
            post(
                till.client,
                f"{TABLE}/payments/",
                {
                    "method": "cash",
                    "amount": 100,
                    "target": f"diner:{big}",
                    "expect": 0,
                    "op_id": "t",
                },
            ),
            "not_found",
            "bad_request",
        )
    for big in (INT_MAX + 1, BIGINT_MAX, BIGINT_MAX + 1, 10**30):  # in the address
        for url in (
            f"{BASE}/discounts/{big}/remove/",
            f"{BASE}/payments/{big}/refund/",
            f"{BASE}/tables/{big}/check/discounts/",
            f"{BASE}/tables/{big}/check/payments/",
            f"{BASE}/tables/{big}/check/owners/",
            f"{BASE}/tables/{big}/check/print/",
        ):
            body = {"amount": 1, "reason": "r", "op_id": "x", "method": "cash", "expect": 1}
            assert refused(post(till.client, url, body), "not_found") == "not_found", url
        for url in (f"{BASE}/api/tables/{big}/check/", f"{BASE}/tables/{big}/check/"):
            assert till.client.get(url).status_code == 404, url
    assert state() == before


def test_equal_shares_beyond_any_number_are_a_400(till):
    for n in (str(INT_MAX + 1), "9" * 30, "1e3", "２"):
        reply = till.client.get(f"{BASE}/api/tables/1/check/?equal={n}")
        assert refused(reply, "bad_request")


# --- The cash handed over -------------------------------------------------------------------------


def pay_cash(till, amount: int, tendered: int, op_id: str):
    return post(
        till.client,
        f"{TABLE}/payments/",
        {
            "method": "cash",
            "amount": amount,
            "target": "check",
            "expect": 4250,
            "tendered": tendered,
            "op_id": op_id,
        },
    )


def test_the_cash_handed_over_is_at_most_the_amount_and_ten_thousand_yuan(till):
    before = state()
    over = 1000 + 1_000_000 + 1  # ¥10.00 paid, ¥10,000.01 more handed over
    for tendered in (over, INT_MAX, INT_MAX + 1):
        reply = pay_cash(till, 1000, tendered, f"over-{tendered}")
        assert refused(reply, "bad_request")
        if tendered <= INT_MAX:
            body = reply.json()
            assert body["detail"] == "tendered_over" and body["most"] == over - 1
            assert "10010.00" in body["message"], body["message"]
    assert state() == before
    reply = pay_cash(till, 1000, over - 1, "most")  # ¥10,010.00 for ¥10.00: taken
    assert reply.status_code == 200
    assert (reply.json()["payment"]["tendered"], reply.json()["payment"]["change"]) == (
        over - 1,
        1_000_000,
    )


def test_in_yen_the_cash_handed_over_is_at_most_ten_thousand_yen_over(till):
    till.restaurant.currency = "JPY"
    till.restaurant.save()
    before = state()
    reply = post(
        till.client,
        f"{TABLE}/payments/",
        {
            "method": "cash",
            "amount": 100,
            "target": "check",
            "expect": 4250,
            "tendered_major": "10101",
            "op_id": "yen",
        },
    )
    assert refused(reply, "bad_request") and reply.json()["most"] == 10_100
    assert state() == before
    reply = post(
        till.client,
        f"{TABLE}/payments/",
        {
            "method": "cash",
            "amount": 100,
            "target": "check",
            "expect": 4250,
            "tendered_major": "10100",
            "op_id": "yen",
        },
    )
    assert reply.status_code == 200 and reply.json()["payment"]["change"] == 10_000
