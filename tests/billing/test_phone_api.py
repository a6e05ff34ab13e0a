"""The diner's check API (`GET /api/t/<token>/check/`): the bill's access (the browser's own
diner at the table's open meal), the check with what each diner pays, nothing staff-only, and
the receipt's address once the meal has closed."""

from decimal import Decimal

import pytest
from django.test import Client

from restaurant.billing.models import ClosedCheck
from restaurant.billing.services import discount_add, item_owners_set
from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_lock
from restaurant.kitchen.models import OrderItem
from tests.billing.phone import pay, send, settle_and_close, sit
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


def url(table) -> str:
    return f"/api/t/{table.token}/check/"


def test_a_diner_reads_the_check_with_their_own_part(menu):
    a_client, a = sit(menu, "Ann")
    b_client, b = sit(menu, "Bo")
    send(menu, a, menu.chicken)
    send(menu, b, menu.rice, menu.rice)
    check = a_client.get(url(menu.table)).json()
    assert check["me"] == a.pk and b_client.get(url(menu.table)).json()["me"] == b.pk
    assert check["total"] == 3800 + 600 and check["balance"] == 4400 and check["paid"] == 0
    parts = {d["diner_id"]: d["part"] for d in check["diners"]}
    assert parts == {a.pk: 3800, b.pk: 600}
    chicken = next(line for line in check["lines"] if line["unit_price"] == 3800)
    assert chicken["owners"] == [a.pk] and chicken["shares"] == {str(a.pk): 3800}
    assert chicken["locked"] is False and chicken["name"] == "宫保鸡丁"
    assert check["paid_diners"] == []


def test_shares_follow_claims_and_split_shared_dishes(menu):
    a_client, a = sit(menu, "Ann")
    _, b = sit(menu, "Bo")
    send(menu, a, menu.chicken, menu.rice)
    chicken, rice = OrderItem.objects.order_by("pk")
    session = session_lock(a.session_id)
    item_owners_set(session=session, item_id=chicken.pk, diner_ids=[a.pk, b.pk])
    item_owners_set(session=session, item_id=rice.pk, diner_ids=[b.pk])
    check = a_client.get(url(menu.table)).json()
    lines = {line["item_id"]: line for line in check["lines"]}
    assert lines[chicken.pk]["shares"] == {str(a.pk): 1900, str(b.pk): 1900}
    assert lines[chicken.pk]["shared"] and not lines[rice.pk]["shared"]
    assert lines[rice.pk]["claimed"] and lines[rice.pk]["owners"] == [b.pk]
    assert {d["diner_id"]: d["part"] for d in check["diners"]} == {a.pk: 1900, b.pk: 2200}


def test_english_names_on_an_english_page(menu):
    client, a = sit(menu, "Ann")
    menu.mild.name_en = "Mild"
    menu.mild.save()
    send(menu, a, menu.chicken)
    line = client.get(url(menu.table), HTTP_ACCEPT_LANGUAGE="en").json()["lines"][0]
    assert line["name"] == "Kung Pao Chicken" and line["options"] == ["Mild"]
    line = client.get(url(menu.table), HTTP_ACCEPT_LANGUAGE="zh-hans").json()["lines"][0]
    assert line["name"] == "宫保鸡丁" and line["options"] == ["微辣"]


def test_no_staff_names_nor_till_detail(menu):
    client, a = sit(menu, "Ann")
    send(menu, a, menu.chicken)
    item = OrderItem.objects.get()
    boss = staff_user(menu.restaurant, "manager", first_name="Wang", last_name="Boss")
    discount_add(restaurant=menu.restaurant, session_id=a.session_id, reason="Birthday",
                 op_id="d1", by=boss, percent=Decimal("10"))  # fmt: skip
    discount_add(restaurant=menu.restaurant, session_id=a.session_id, reason="Regular",
                 op_id="d2", by=boss, item_id=item.pk, amount=100)  # fmt: skip
    pay(menu, a.session_id, "check", amount=500)
    response = client.get(url(menu.table))
    text = response.content.decode()
    assert "Wang" not in text and "Boss" not in text and '"by"' not in text
    check = response.json()
    assert check["discounts"][0]["reason"] == "Birthday"
    assert check["lines"][0]["discounts"][0]["reason"] == "Regular"
    assert set(check["payments"][0]) == {"id", "kind", "method", "amount", "target", "diner_id",
                                         "refund_of", "state", "at"}  # fmt: skip


def test_a_paid_share_locks_its_dishes(menu):
    client, a = sit(menu, "Ann")
    _, b = sit(menu, "Bo")
    send(menu, a, menu.chicken)
    send(menu, b, menu.rice)
    pay(menu, a.session_id, f"diner:{a.pk}")
    check = client.get(url(menu.table)).json()
    locked = {line["owners"][0]: line["locked"] for line in check["lines"]}
    assert locked == {a.pk: True, b.pk: False}
    assert check["paid_diners"] == [a.pk]
    me = next(d for d in check["diners"] if d["diner_id"] == a.pk)
    assert me["paid"] == 3800 and me["due"] == 0


def test_equal_parts(menu):
    client, a = sit(menu, "Ann")
    send(menu, a, menu.chicken, menu.rice)  # 4100
    check = client.get(url(menu.table) + "?equal=3").json()
    assert [p["part"] for p in check["equal"]] == [1367, 1367, 1366]
    assert [p["target"] for p in check["equal"]] == ["equal:3:0", "equal:3:1", "equal:3:2"]
    assert "equal" not in client.get(url(menu.table)).json()
    for bad in ("1", "31", "x", "２", "-2", "", "9" * 30, "1e3", "²", "3%00", "3.0"):
        response = client.get(url(menu.table) + f"?equal={bad}")
        assert response.status_code == 400, bad


def test_only_the_tables_diners_read_it(menu):
    client, a = sit(menu, "Ann")
    send(menu, a, menu.chicken)
    assert client.get(url(menu.table)).status_code == 200
    assert Client().get(url(menu.table)).status_code == 404  # a browser with no diner here
    assert client.get(url(menu.other_table)).status_code == 404  # not their table
    assert client.get("/api/t/" + "A" * 24 + "/check/").status_code == 404
    assert client.post(url(menu.table)).status_code in (403, 405)


def test_another_restaurants_table_is_not_theirs(menu):
    from tests.factories import make_menu

    other = make_menu(slug="other", name="别家")
    client, a = sit(menu, "Ann")
    send(menu, a, menu.chicken)
    assert client.get(url(menu.table)).status_code == 200
    assert client.get(url(other.table)).status_code == 404


def test_after_close_the_diners_get_the_receipts_address(menu):
    a_client, a = sit(menu, "Ann")
    b_client, _ = sit(menu, "Bo")
    send(menu, a, menu.chicken)
    session_id = a.session_id
    settle_and_close(menu, session_id)
    closed = ClosedCheck.objects.get(session_id=session_id)
    for client in (a_client, b_client):
        body = client.get(url(menu.table)).json()
        assert body == {"closed": True, "session_id": session_id,
                        "receipt_url": f"/receipt/{closed.receipt_token}/"}  # fmt: skip
    assert Client().get(url(menu.table)).status_code == 404  # not at that meal: no receipt
    assert a_client.get(url(menu.other_table)).status_code == 404  # not that table's


def test_the_open_meal_comes_before_an_old_receipt(menu):
    client, a = sit(menu, "Ann")
    send(menu, a, menu.rice)
    settle_and_close(menu, a.session_id)
    # the same browser sits down again for a new meal at the same table
    client.post(f"/t/{menu.table.token}/join/", {"new": "1"},
                HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)  # fmt: skip
    body = client.get(url(menu.table)).json()
    assert "me" in body and body["total"] == 0
    assert body["session_id"] == DiningSession.objects.get(status="open").pk
