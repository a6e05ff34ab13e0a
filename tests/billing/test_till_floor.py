"""The floor's way to the till: each open table's check linked for the roles that read bills,
and the close, refused while money is owed, naming the balance and the till."""

import pytest
from django.test import Client

from tests.billing.support import meal
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


def signed_in(restaurant, role) -> Client:
    client = Client()
    client.force_login(staff_user(restaurant, role))
    return client


def test_the_floor_links_each_open_tables_check(menu):
    meal(menu, ("A", [menu.rice]))
    html = signed_in(menu.restaurant, "waiter").get("/r/main/staff/").content.decode()
    assert 'href="/r/main/staff/tables/1/check/"' in html
    assert 'href="/r/main/staff/tables/2/check/"' not in html  # free: nothing to settle
    assert '"table_bill": true' in html


def test_the_floors_close_refused_while_money_is_owed_names_the_balance_and_the_till(menu):
    meal(menu, ("A", [menu.rice]))
    client = signed_in(menu.restaurant, "waiter")
    reply = client.post("/r/main/staff/tables/1/close/", HTTP_ACCEPT="application/json",
                        HTTP_X_REQUESTED_WITH="XMLHttpRequest")  # fmt: skip
    assert reply.status_code == 409
    body = reply.json()
    assert (body["reason"], body["balance"]) == ("unpaid", 300)
    assert body["check_url"] == "/r/main/staff/tables/1/check/"
    assert client.get(body["check_url"]).status_code == 200  # the till is where it says
