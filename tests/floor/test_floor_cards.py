"""The floor's cards: each open table's running total, guests, rounds (none: waiting for the
first), late dishes and the joins that may be split back; the page offers Move, Join, Order."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from restaurant.dining.models import DiningSession
from restaurant.floor import moves
from restaurant.floor.selectors import floor_tables
from restaurant.kitchen.models import Order, OrderItem
from restaurant.venues.http import staff_url
from tests.dining.helpers import apply, arrive
from tests.factories import make_menu
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


def send_round(diner, dish, qty=1, key="r"):
    apply(diner, {"type": "cart.add", "id": f"{key}-add", "dish_id": dish.pk, "qty": qty})
    seq = DiningSession.objects.get(diners=diner).seq
    apply(diner, {"type": "order.submit", "id": f"{key}-send", "seq": seq})
    return Order.objects.latest("pk")


def card(restaurant, number: int) -> dict:
    return next(t for t in floor_tables(restaurant=restaurant) if t["number"] == number)


def test_an_open_table_shows_its_total_guests_rounds_and_late_dishes(menu):
    diner = arrive(menu.table)
    fresh = card(menu.restaurant, 1)
    assert (fresh["total"], fresh["rounds"], fresh["late"], fresh["guests"]) == (0, 0, 0, None)
    first = send_round(diner, menu.rice, 3, "a")  # 3 × 300
    send_round(diner, menu.rice, 1, "b")
    cancelled = send_round(diner, menu.rice, 5, "c")
    Order.objects.filter(pk=cancelled.pk).update(status="cancelled")
    # One rice of the first round taken back (a part of its own), another on the house.
    item = first.items.get()
    OrderItem.objects.filter(pk=item.pk).update(qty=1)
    OrderItem.objects.create(order=first, dish=menu.rice, name="米饭", qty=1, added_by=diner,
                             unit_price=300, status="voided", split_from=item)  # fmt: skip
    OrderItem.objects.create(order=first, dish=menu.rice, name="米饭", qty=1, added_by=diner,
                             unit_price=300, comped=True, split_from=item)  # fmt: skip
    OrderItem.objects.filter(pk=item.pk).update(target_at=timezone.now() - timedelta(minutes=1))
    DiningSession.objects.filter(pk=diner.session_id).update(guests=4)
    figures = card(menu.restaurant, 1)
    assert figures["total"] == 300 + 300  # the first round's one charged rice, the second's
    assert (figures["rounds"], figures["late"], figures["guests"]) == (2, 1, 4)
    OrderItem.objects.filter(pk=item.pk).update(status="served")
    assert card(menu.restaurant, 1)["late"] == 0
    free = card(menu.restaurant, 2)
    assert (free["status"], free["total"], free["joined"]) == ("free", 0, [])


def test_a_joined_meal_offers_its_split_and_nothing_leaks(menu):
    other = make_menu("other", name="另一家")
    send_round(arrive(other.table), other.rice, 7, "o")
    arrive(menu.table), arrive(menu.other_table)
    join = moves.meal_join(restaurant=menu.restaurant, table_number=1, into_number=2, by_id=None)
    target = card(menu.restaurant, 2)
    assert target["joined"] == [{"transfer_id": join.pk, "number": 1, "label": "1号桌"}]
    assert card(menu.restaurant, 1)["status"] == "free"
    assert card(menu.restaurant, 2)["total"] == 0  # the other restaurant's round is its own
    assert card(other.restaurant, 1)["total"] == 7 * 300
    moves.meal_split(restaurant=menu.restaurant, transfer_id=join.pk, by_id=None)
    assert card(menu.restaurant, 2)["joined"] == []


def test_the_floor_page_offers_move_join_and_order(menu):
    arrive(menu.table)
    DiningSession.objects.update(guests=3)
    client = Client()
    client.force_login(staff_user(menu.restaurant, "waiter"))
    page = client.get(staff_url("staff-floor", menu.restaurant))
    assert page.status_code == 200
    html = page.content.decode()
    assert '"table_move": true' in html and '"order_for_table": true' in html
    assert 'id="move-dialog"' in html and "¥0.00" in html  # the first paint's running total
    api = client.get(staff_url("staff-floor-api", menu.restaurant)).json()
    assert api["tables"][0]["guests"] == 3 and api["tables"][0]["rounds"] == 0
