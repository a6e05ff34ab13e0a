"""The waiter's ordering page: who gets it, what it carries (the menu with pinyin initials,
the socket's path, the recent dishes), and the pinyin initials themselves."""

import json

import pytest
from django.test import Client

from restaurant.dining.models import CartLine, Diner
from restaurant.dining.services import session_lock, session_open
from restaurant.floor.waiter_views import recent_dishes
from restaurant.kitchen.services import order_submit
from restaurant.menu.pinyin import initials
from restaurant.venues.models import StaffMember
from tests.factories import make_menu
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


def client_of(restaurant, role) -> Client:
    client = Client()
    client.force_login(staff_user(restaurant, role))
    return client


def data(response, element_id: str):
    html = response.content.decode()
    start = html.index(f'id="{element_id}"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


@pytest.mark.parametrize("role", [StaffMember.Role.WAITER, StaffMember.Role.CASHIER,
                                  StaffMember.Role.MANAGER])  # fmt: skip
def test_the_page_renders_for_who_may_order_for_tables(menu, role):
    response = client_of(menu.restaurant, role).get("/staff/tables/1/order/")
    assert response.status_code == 200
    config = data(response, "waiter-config")
    assert config["wsPath"] == "/ws/r/main/waiter/table/1/"
    categories = data(response, "waiter-menu")["categories"]
    dishes = {d["name"]: d for c in categories for d in c["dishes"]}
    assert dishes["宫保鸡丁"]["initials"] == "gbjd"
    assert dishes["米饭"]["initials"] == "mf"
    assert dishes["宫保鸡丁"]["option_groups"][0]["min"] == 1
    # Looking at the page opens nothing: the socket does, when it connects.
    assert not menu.table.sessions.exists()


def test_the_per_restaurant_form(menu):
    client = client_of(menu.restaurant, StaffMember.Role.WAITER)
    assert client.get("/r/main/staff/tables/2/order/").status_code == 200
    assert client.get("/r/main/staff/tables/99/order/").status_code == 404
    menu_only = client.get("/r/main/staff/tables/1/order/?menu=1")
    assert menu_only.status_code == 200 and "recent" in menu_only.json()


def test_others_are_refused(menu):
    anonymous = Client().get("/staff/tables/1/order/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/staff/login/?next=")
    cook = client_of(menu.restaurant, StaffMember.Role.KITCHEN)
    assert cook.get("/staff/tables/1/order/").status_code == 403
    # A waiter of another restaurant gets nothing of this one.
    other = make_menu("other", "别家")
    theirs = client_of(other.restaurant, StaffMember.Role.WAITER)
    assert theirs.get("/r/main/staff/tables/1/order/").status_code == 404


def test_initials():
    assert initials("宫保鸡丁") == "gbjd"
    assert initials("可乐 Cola") == "klc"
    assert initials("Kung Pao Chicken") == "kpc"
    assert initials("2号套餐") == "2htc"


def test_recent_dishes_are_what_the_restaurant_sent_most(menu):
    session = session_open(table=menu.table, by_staff=True)
    diner = Diner.objects.create(session=session, name="A", color="#000000")
    for dish, qty in ((menu.rice, 3), (menu.chicken, 1)):
        CartLine.objects.create(session=session, dish=dish, qty=qty, added_by=diner,
                                options=[menu.mild.pk] if dish == menu.chicken else [])  # fmt: skip
    order_submit(session=session_lock(session.pk), diner=diner, seq=session.seq)
    assert recent_dishes(restaurant=menu.restaurant) == [menu.rice.pk, menu.chicken.pk]
    other = make_menu("other", "别家")
    assert recent_dishes(restaurant=other.restaurant) == []


def test_the_page_speaks_chinese(menu):
    client = client_of(menu.restaurant, StaffMember.Role.WAITER)
    page = client.get("/staff/tables/1/order/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "代客下单" in page and "菜名或拼音首字母" in page
    english = client.get("/staff/tables/1/order/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Order for the table" in english


def test_the_page_offers_taking_back_and_comps_as_the_role_may(menu):
    from restaurant.kitchen.models import AdjustReason

    AdjustReason.objects.create(restaurant=menu.restaurant, name="上错菜")
    menu.restaurant.adjust_needs_approval = True
    menu.restaurant.save()
    config = {
        role: data(client_of(menu.restaurant, role).get("/staff/tables/1/order/"), "waiter-config")
        for role in (StaffMember.Role.WAITER, StaffMember.Role.CASHIER, StaffMember.Role.MANAGER)
    }
    waiter, cashier, manager = config.values()
    assert [r["name"] for r in waiter["reasons"]] == ["上错菜"]
    assert (waiter["canVoid"], waiter["canComp"], waiter["needsApproval"]) == (True, True, True)
    assert (cashier["canVoid"], cashier["canComp"]) == (False, False)
    assert manager["needsApproval"] is False  # a manager's own word is the approval
