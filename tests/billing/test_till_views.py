"""The till's JSON API over HTTP: the check as the cashier reads it, and every change the
cashier makes (payments, refunds, discounts, who pays a dish), each refusal with its code and
status, nothing changed by a refusal, a double press recorded once, amounts typed in yuan
reaching the database as fen exactly, and another restaurant's table, payment or discount
a 404 like a missing one."""

import json

import pytest
from django.test import Client

from restaurant.billing.models import Discount, ItemOwner, Payment
from restaurant.dining.models import DiningSession
from restaurant.venues.models import StaffMember
from restaurant.venues.roles import Action, role_may
from tests.billing.support import meal
from tests.factories import make_menu
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db

ROLES = StaffMember.Role.values
BASE = "/r/main/staff"
TABLE = f"{BASE}/tables/1/check"


@pytest.fixture
def dinner(menu):
    """A at table 1 had the chicken (38.00) and a rice (3.00), B a rice: 44.00."""
    session, diners, items = meal(menu, ("A", [menu.chicken, menu.rice]), ("B", [menu.rice]))
    menu.session, menu.diners, menu.items = session, diners, items
    return menu


def client_of(restaurant, role="manager") -> Client:
    client = Client()
    client.force_login(staff_user(restaurant, role))
    return client


def post(client, url, **fields):
    return client.post(url, json.dumps(fields), content_type="application/json")


def state() -> tuple:
    """Everything the till can change."""
    return (
        list(Payment.objects.order_by("pk").values_list("pk", "amount", "kind", "target")),
        list(Discount.objects.order_by("pk").values_list("pk", "removed_at")),
        list(ItemOwner.objects.order_by("pk").values_list("item_id", "diner_id")),
        list(DiningSession.objects.order_by("pk").values_list("pk", "status")),
    )


# --- Reading --------------------------------------------------------------------------------------


def test_the_check_as_the_till_reads_it(dinner):
    reply = client_of(dinner.restaurant, "cashier").get(f"{BASE}/api/tables/1/check/")
    assert reply.status_code == 200
    check = reply.json()
    assert (check["total"], check["paid"], check["balance"]) == (4400, 0, 4400)
    assert check["state"] == "open"
    assert [line["amount"] for line in check["lines"]] == [3800, 300, 300]
    a, b = dinner.diners["A"], dinner.diners["B"]
    assert {d["diner_id"]: d["due"] for d in check["diners"]} == {a.pk: 4100, b.pk: 300}
    assert {p["diner_id"] for p in check["people"]} == {a.pk, b.pk}
    assert check["voided"] == [] and check["payments"] == []
    assert check["session_id"] == dinner.session.pk and "equal" not in check


def test_equal_shares_sum_to_the_check_and_n_is_checked(dinner):
    client = client_of(dinner.restaurant)
    parts = client.get(f"{BASE}/api/tables/1/check/?equal=3").json()["equal"]
    assert [p["target"] for p in parts] == ["equal:3:0", "equal:3:1", "equal:3:2"]
    assert sum(p["part"] for p in parts) == 4400 and [p["due"] for p in parts] == [1467, 1467, 1466]
    for bad in ("1", "31", "x", "-2", "٣"):
        reply = client.get(f"{BASE}/api/tables/1/check/?equal={bad}")
        assert (reply.status_code, reply.json()["code"]) == (400, "bad_request"), bad


def test_a_table_without_an_open_meal_or_no_such_table_is_a_404(dinner):
    client = client_of(dinner.restaurant)
    for url in (f"{BASE}/api/tables/2/check/", f"{BASE}/api/tables/99/check/"):
        reply = client.get(url)
        assert reply.status_code == 404
        assert (reply.json()["ok"], reply.json()["code"]) == (False, "not_found")


def test_a_voided_dish_is_listed_apart_and_a_refund_shows_what_is_left(dinner):
    rice = dinner.items["B:Rice"]
    type(rice).objects.filter(pk=rice.pk).update(status="voided", void_reason="too cold")
    client = client_of(dinner.restaurant)
    pay = post(client, f"{TABLE}/payments/", method="card", amount=4100, target="check",
               expect=4100, op_id="p1")  # fmt: skip
    assert pay.status_code == 200
    post(client, f"/r/main/staff/payments/{pay.json()['payment']['id']}/refund/", amount=1000,
         reason="overcharged", op_id="r1")  # fmt: skip
    check = client.get(f"{BASE}/api/tables/1/check/").json()
    assert [v["reason"] for v in check["voided"]] == ["too cold"]
    assert check["total"] == 4100 and check["paid"] == 3100 and check["balance"] == 1000
    assert [p["refundable"] for p in check["payments"]] == [3100, 0]


# --- Payments -------------------------------------------------------------------------------------


def test_amounts_typed_in_yuan_reach_the_database_as_fen_exactly(dinner):
    client = client_of(dinner.restaurant, "cashier")
    due = 4400
    for typed, fen in (("0.29", 29), ("19.99", 1999), ("13.5", 1350), ("3", 300), ("0.3", 30)):
        reply = post(client, f"{TABLE}/payments/", method="cash", amount_major=typed,
                     target="check", expect=due, op_id=f"y{typed}")  # fmt: skip
        assert reply.status_code == 200, reply.json()
        assert Payment.objects.get(op_id=f"y{typed}").amount == fen
        due -= fen
    assert due == 4400 - 29 - 1999 - 1350 - 300 - 30
    before = state()
    for typed in ("1.234", "1e3", "-1", "1,5", " ", "¥3", "0x10", "１"):
        reply = post(client, f"{TABLE}/payments/", method="cash", amount_major=typed,
                     target="check", expect=due, op_id="bad")  # fmt: skip
        assert (reply.status_code, reply.json()["code"]) == (400, "bad_request"), typed
    assert state() == before


def test_a_cash_payment_records_what_was_handed_over_and_the_change(dinner):
    client = client_of(dinner.restaurant, "cashier")
    a = dinner.diners["A"]
    reply = post(client, f"{TABLE}/payments/", method="cash", amount=4100, tendered_major="50",
                 target=f"diner:{a.pk}", expect=4100, op_id="c1")  # fmt: skip
    assert reply.status_code == 200
    payment = reply.json()["payment"]
    assert (payment["amount"], payment["tendered"], payment["change"]) == (4100, 5000, 900)
    assert payment["diner_id"] == a.pk
    row = Payment.objects.get()
    assert (row.amount, row.tendered, row.change, row.target) == (4100, 5000, 900, f"diner:{a.pk}")


def test_a_double_press_records_one_payment(dinner):
    client = client_of(dinner.restaurant, "cashier")
    fields = {"method": "wechat", "amount": 300, "target": "check", "expect": 4400, "op_id": "same"}
    first, second = (post(client, f"{TABLE}/payments/", **fields) for _ in range(2))
    assert first.status_code == second.status_code == 200
    assert first.json()["payment"]["id"] == second.json()["payment"]["id"]
    assert Payment.objects.count() == 1


def test_a_stale_expect_is_refused_with_the_due_now_and_changes_nothing(dinner):
    client = client_of(dinner.restaurant, "cashier")
    before = state()
    reply = post(client, f"{TABLE}/payments/", method="cash", amount=4000, target="check",
                 expect=4000, op_id="s1")  # fmt: skip
    assert reply.status_code == 409
    assert (reply.json()["code"], reply.json()["due"], reply.json()["ok"]) == ("stale", 4400, False)
    assert state() == before
    # A discount given meanwhile: the share the till showed is no longer what is owed.
    b = dinner.diners["B"]
    post(client_of(dinner.restaurant), f"{TABLE}/discounts/", percent="50", reason="x", op_id="d")
    reply = post(client, f"{TABLE}/payments/", method="cash", amount=300, target=f"diner:{b.pk}",
                 expect=300, op_id="s2")  # fmt: skip
    assert (reply.status_code, reply.json()["code"], reply.json()["due"]) == (409, "stale", 150)
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"amount": 4500, "expect": 4400}, 409, "conflict"),  # more than is owed
        ({"method": "bitcoin"}, 400, "bad_request"),
        ({"amount": 41.5}, 400, "bad_request"),  # minor units are whole
        ({"amount": 0}, 400, "bad_request"),
        ({"amount": True}, 400, "bad_request"),
        ({"expect": None}, 400, "bad_request"),
        ({"expect": "-1"}, 400, "bad_request"),
        ({"target": "diner:999999"}, 404, "not_found"),
        ({"target": "equal:31:0"}, 400, "bad_request"),
        ({"target": "everyone"}, 400, "bad_request"),
        ({"op_id": ""}, 400, "bad_request"),
        ({"op_id": "x" * 65}, 400, "bad_request"),
        ({"method": "card", "tendered": 5000}, 400, "bad_request"),  # only cash is handed over
        ({"tendered": 100}, 400, "bad_request"),  # less than the amount
        ({"session_id": 999999}, 409, "conflict"),  # the page shows another meal
    ],
)
def test_each_refused_payment_says_why_and_records_nothing(dinner, fields, status, code):
    base = {"method": "cash", "amount": 300, "target": "check", "expect": 4400, "op_id": "p"}
    before = state()
    cashier = client_of(dinner.restaurant, "cashier")
    reply = post(cashier, f"{TABLE}/payments/", **{**base, **fields})
    assert (reply.status_code, reply.json()["code"], reply.json()["ok"]) == (status, code, False)
    assert reply.json()["message"]
    assert state() == before


def test_a_body_that_is_not_a_json_object_is_a_400(dinner):
    client = client_of(dinner.restaurant, "cashier")
    for body in ("[1]", "{", '"x"'):
        reply = client.post(f"{TABLE}/payments/", body, content_type="application/json")
        assert (reply.status_code, reply.json()["code"]) == (400, "bad_request")


def test_a_form_post_works_and_needs_the_csrf_token(dinner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user(dinner.restaurant, "cashier"))
    form = {"method": "cash", "amount_major": "44.00", "target": "check", "expect": "4400",
            "op_id": "form"}  # fmt: skip
    assert client.post(f"{TABLE}/payments/", form).status_code == 403  # no token
    assert not Payment.objects.exists()
    client.get(f"{TABLE}/")  # the page sets the cookie
    token = client.cookies["csrftoken"].value
    reply = client.post(f"{TABLE}/payments/", form, HTTP_X_CSRFTOKEN=token)
    assert reply.status_code == 200
    assert Payment.objects.get().amount == 4400


def test_after_today_is_closed_a_payment_is_the_next_days(dinner):
    """A manager closed today early: the till still takes money, on the next business day."""
    import datetime

    from restaurant.billing.models import BusinessDay
    from restaurant.venues.days import business_date

    today = business_date(dinner.restaurant)
    BusinessDay.objects.create(restaurant=dinner.restaurant, report={}, date=today)
    reply = post(client_of(dinner.restaurant, "cashier"), f"{TABLE}/payments/", method="cash",
                 amount=300, target="check", expect=4400, op_id="late")  # fmt: skip
    assert reply.status_code == 200
    assert Payment.objects.get().business_date == today + datetime.timedelta(days=1)


# --- Refunds --------------------------------------------------------------------------------------


@pytest.fixture
def paid(dinner):
    client = client_of(dinner.restaurant, "cashier")
    reply = post(client, f"{TABLE}/payments/", method="card", amount=4400, target="check",
                 expect=4400, op_id="all")  # fmt: skip
    dinner.payment_id = reply.json()["payment"]["id"]
    return dinner


def test_a_manager_refunds_part_of_a_payment_once_per_press(paid):
    client = client_of(paid.restaurant)
    url = f"{BASE}/payments/{paid.payment_id}/refund/"
    first = post(client, url, amount_major="5.50", reason="cold soup", op_id="r")
    second = post(client, url, amount_major="5.50", reason="cold soup", op_id="r")
    assert first.status_code == second.status_code == 200
    assert first.json()["payment"]["id"] == second.json()["payment"]["id"]
    refund = Payment.objects.get(kind="refund")
    assert (refund.amount, refund.method, refund.reason) == (550, "card", "cold soup")
    assert refund.refund_of_id == paid.payment_id
    check = client.get(f"{BASE}/api/tables/1/check/").json()
    assert (check["paid"], check["balance"]) == (4400 - 550, 550)


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"amount": 4401}, 409, "conflict"),  # more than the payment
        ({"reason": ""}, 400, "bad_request"),
        ({"reason": "x" * 121}, 400, "bad_request"),
        ({"amount": -5}, 400, "bad_request"),
        ({"op_id": None}, 400, "bad_request"),
    ],
)
def test_each_refused_refund_says_why_and_changes_nothing(paid, fields, status, code):
    base = {"amount": 100, "reason": "why", "op_id": "r"}
    before = state()
    reply = post(client_of(paid.restaurant), f"{BASE}/payments/{paid.payment_id}/refund/",
                 **{**base, **fields})  # fmt: skip
    assert (reply.status_code, reply.json()["code"]) == (status, code)
    assert state() == before


def test_a_refund_of_a_refund_or_of_no_payment_is_not_found(paid):
    client = client_of(paid.restaurant)
    refund = post(client, f"{BASE}/payments/{paid.payment_id}/refund/", amount=100, reason="x",
                  op_id="r1").json()["payment"]["id"]  # fmt: skip
    for payment_id in (refund, 999999):
        reply = post(client, f"{BASE}/payments/{payment_id}/refund/", amount=1, reason="x",
                     op_id="r2")  # fmt: skip
        assert (reply.status_code, reply.json()["code"]) == (404, "not_found")


# --- Discounts ------------------------------------------------------------------------------------


def test_discounts_on_the_check_and_on_a_dish_once_per_press_and_removed(dinner):
    client = client_of(dinner.restaurant, "cashier")
    chicken = dinner.items["A:Kung Pao Chicken"]
    line = post(client, f"{TABLE}/discounts/", item_id=chicken.pk, amount_major="5",
                reason="late", op_id="d1")  # fmt: skip
    again = post(client, f"{TABLE}/discounts/", item_id=chicken.pk, amount_major="5",
                 reason="late", op_id="d1")  # fmt: skip
    assert line.status_code == again.status_code == 200
    assert line.json()["discount_id"] == again.json()["discount_id"]
    whole = post(client, f"{TABLE}/discounts/", percent="10", reason="member", op_id="d2")
    assert whole.status_code == 200
    check = client.get(f"{BASE}/api/tables/1/check/").json()
    assert check["line_discounts"] == 500
    assert check["total"] == 4400 - 500 - 390  # 10 % of what is left after the dish's 5.00
    assert Discount.objects.get(item=chicken).amount == 500
    removed = post(client, f"{BASE}/discounts/{whole.json()['discount_id']}/remove/")
    assert removed.status_code == 200
    assert client.get(f"{BASE}/api/tables/1/check/").json()["total"] == 3900


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"percent": None}, 400, "bad_request"),  # neither
        ({"amount": 100}, 400, "bad_request"),  # both
        ({"percent": "0"}, 400, "bad_request"),
        ({"percent": "100.001"}, 400, "bad_request"),
        ({"percent": "abc"}, 400, "bad_request"),
        ({"reason": "  "}, 400, "bad_request"),
        ({"item_id": 999999}, 404, "not_found"),
        ({"item_id": "x"}, 400, "bad_request"),
        ({"op_id": ""}, 400, "bad_request"),
    ],
)
def test_each_refused_discount_says_why_and_changes_nothing(dinner, fields, status, code):
    base = {"percent": "10", "reason": "member", "op_id": "d"}
    before = state()
    reply = post(client_of(dinner.restaurant, "cashier"), f"{TABLE}/discounts/",
                 **{**base, **fields})  # fmt: skip
    assert (reply.status_code, reply.json()["code"]) == (status, code)
    assert state() == before


# --- Who pays a dish ------------------------------------------------------------------------------


def test_the_till_moves_a_dish_to_another_diner_or_shares_it(dinner):
    client = client_of(dinner.restaurant, "waiter")
    a, b = dinner.diners["A"], dinner.diners["B"]
    rice = dinner.items["A:Rice"]
    reply = post(client, f"{TABLE}/owners/", item_id=rice.pk, diner_ids=[b.pk])
    assert (reply.status_code, reply.json()["owners"]) == (200, [b.pk])
    diners = client.get(f"{BASE}/api/tables/1/check/").json()["diners"]
    parts = {d["diner_id"]: d["part"] for d in diners}
    assert parts == {a.pk: 3800, b.pk: 600}
    post(client, f"{TABLE}/owners/", item_id=rice.pk, diner_ids=[a.pk, b.pk])
    check = client.get(f"{BASE}/api/tables/1/check/").json()
    assert next(line for line in check["lines"] if line["item_id"] == rice.pk)["shared"] is True
    post(client, f"{TABLE}/owners/", item_id=rice.pk, diner_ids=[])  # back to who ordered it
    assert not ItemOwner.objects.exists()


def test_a_dish_in_a_paid_share_stays_and_bad_owners_are_refused(dinner):
    client = client_of(dinner.restaurant)
    a, b = dinner.diners["A"], dinner.diners["B"]
    post(client, f"{TABLE}/payments/", method="cash", amount=300, target=f"diner:{b.pk}",
         expect=300, op_id="b")  # fmt: skip
    rice = dinner.items["A:Rice"]
    before = state()
    cases = [
        ({"item_id": rice.pk, "diner_ids": [b.pk]}, 409, "conflict"),  # B's share is paid
        ({"item_id": rice.pk, "diner_ids": [999999]}, 404, "not_found"),
        ({"item_id": 999999, "diner_ids": [a.pk]}, 404, "not_found"),
        ({"item_id": rice.pk, "diner_ids": "a"}, 400, "bad_request"),
        ({"item_id": rice.pk, "diner_ids": ["x"]}, 400, "bad_request"),
        ({"diner_ids": [a.pk]}, 400, "bad_request"),
    ]
    for fields, status, code in cases:
        reply = post(client, f"{TABLE}/owners/", **fields)
        assert (reply.status_code, reply.json()["code"]) == (status, code), fields
    assert post(client, f"{TABLE}/owners/", item_id=rice.pk,
                diner_ids=[b.pk]).json()["detail"] == "paid"  # fmt: skip
    assert state() == before


# --- Who may --------------------------------------------------------------------------------------

# (method, path, action); {payment} and {discount}: the dinner's own.
ENDPOINTS = [
    ("get", "api/tables/1/check/", Action.TABLE_BILL),
    ("get", "tables/1/check/", Action.TABLE_BILL),
    ("post", "tables/1/check/discounts/", Action.CHECK_DISCOUNT),
    ("post", "discounts/{discount}/remove/", Action.CHECK_DISCOUNT),
    ("post", "tables/1/check/owners/", Action.CHECK_SPLIT),
    ("post", "tables/1/check/payments/", Action.PAYMENT_RECORD),
    ("post", "payments/{payment}/refund/", Action.PAYMENT_REFUND),
    ("post", "tables/1/check/print/", Action.RECEIPT_PRINT),
]


@pytest.mark.parametrize(("method", "path", "action"), ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_only_what_the_table_says(paid, role, method, path, action):
    discount = Discount.objects.create(restaurant=paid.restaurant, session=paid.session,
                                       percent=5, reason="x", op_id="seed")  # fmt: skip
    url = f"{BASE}/" + path.format(payment=paid.payment_id, discount=discount.pk)
    client = client_of(paid.restaurant, role)
    before = state()
    reply = client.get(url) if method == "get" else post(client, url, op_id="o", reason="r")
    if role_may(role, action, paid.restaurant):
        assert reply.status_code != 403, (role, url)
    else:
        assert reply.status_code == 403, (role, url, reply.status_code)
        assert state() == before


def test_signed_out_is_sent_to_sign_in(dinner):
    reply = Client().post(f"{TABLE}/payments/", "{}", content_type="application/json")
    assert reply.status_code == 302 and "/staff/login/" in reply["Location"]


# --- Another restaurant ---------------------------------------------------------------------------


def test_another_restaurants_table_payment_and_discount_are_not_found(paid):
    """The other restaurant's manager, at their own URLs, names our payment, discount, dish
    and diner: each a 404 (as a missing one); our table number is theirs, where no meal is
    open; and our restaurant's URLs are a 404 to them."""
    other = make_menu("other", name="别家")
    theirs = client_of(other.restaurant)
    discount = Discount.objects.create(restaurant=paid.restaurant, session=paid.session,
                                       percent=5, reason="x", op_id="seed")  # fmt: skip
    before = state()
    mine = "/r/other/staff"
    pay = {"method": "cash", "amount": 1, "target": "check", "expect": 4400, "op_id": "o"}
    cases = [
        ("get", f"{mine}/api/tables/1/check/", {}),
        ("post", f"{mine}/payments/{paid.payment_id}/refund/",
         {"amount": 1, "reason": "x", "op_id": "o"}),
        ("post", f"{mine}/discounts/{discount.pk}/remove/", {}),
        ("post", f"{mine}/tables/1/check/payments/", pay),
        ("post", f"{mine}/tables/1/check/discounts/", {"percent": "5", "reason": "x",
                                                       "op_id": "o"}),
        ("post", f"{mine}/tables/1/check/print/", {}),
    ]  # fmt: skip
    for method, url, fields in cases:
        reply = theirs.get(url) if method == "get" else post(theirs, url, **fields)
        assert (reply.status_code, reply.json()["code"]) == (404, "not_found"), url
    # Their own meal open at their table 1: our dish and our diner are not on it.
    meal(other, ("C", [other.rice]))
    rice = paid.items["B:Rice"]
    for fields in ({"item_id": rice.pk, "percent": "5", "reason": "x", "op_id": "o2"},):
        reply = post(theirs, f"{mine}/tables/1/check/discounts/", **fields)
        assert (reply.status_code, reply.json()["code"]) == (404, "not_found")
    reply = post(theirs, f"{mine}/tables/1/check/owners/", item_id=rice.pk, diner_ids=[])
    assert reply.status_code == 404
    assert theirs.get(f"{TABLE}/").status_code == 404  # no role at our restaurant
    assert post(theirs, f"{TABLE}/payments/", op_id="o").status_code == 404
    assert state()[:3] == before[:3]
