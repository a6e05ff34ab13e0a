"""A category every guest orders from (rice, tea): a diner's round is refused while the meal
would hold fewer of its dishes than it has guests; staff ordering for the table are not."""

import pytest

from restaurant.dining.models import DiningSession
from restaurant.dining.staff_diners import staff_diner_for
from restaurant.kitchen.items import item_status_set
from restaurant.kitchen.models import Order
from restaurant.kitchen.services import order_status_set
from restaurant.menu.models import Category
from restaurant.menu.signals import menu_version_bump
from restaurant.realtime.errors import OpError
from tests.dining.helpers import add, arrive, op, submit
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def rice_for_all(menu):
    Category.objects.filter(pk=menu.rice.category_id).update(required_per_guest=True)
    menu_version_bump(restaurant_id=menu.restaurant.pk)  # as a save in the admin does
    return menu


def test_each_guest_orders_rice(rice_for_all):
    menu = rice_for_all
    a, b = arrive(menu.table), arrive(menu.table, known=[])
    op(a, type="cart.add", dish_id=menu.chicken.pk, qty=1, options=[menu.mild.pk], note="")
    add(a, menu.rice, 1)
    with pytest.raises(OpError) as refused:
        submit(a)
    error = refused.value
    assert (error.code, error.extra["detail"]) == ("conflict", "required")
    assert (error.extra["category_id"], error.extra["need"], error.extra["guests"]) == (
        menu.rice.category_id, 1, 2)  # fmt: skip
    assert not Order.objects.exists()
    add(b, menu.rice, 1)
    submit(b)
    # Rice for both now: a round of anything else goes.
    op(a, type="cart.add", dish_id=menu.chicken.pk, qty=1, options=[menu.mild.pk], note="")
    submit(a)
    assert Order.objects.count() == 2


def test_the_guests_staff_noted_count_and_rice_taken_back_does_not(rice_for_all):
    menu = rice_for_all
    diner = arrive(menu.table)
    DiningSession.objects.filter(pk=diner.session_id).update(guests=3)
    add(diner, menu.rice, 3)
    submit(diner)
    order = Order.objects.get()
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
    item_status_set(restaurant=menu.restaurant, item_id=order.items.get().pk, status="voided",
                    reason="洒了")  # fmt: skip
    op(diner, type="cart.add", dish_id=menu.chicken.pk, qty=1, options=[menu.mild.pk], note="")
    with pytest.raises(OpError) as refused:
        submit(diner)
    assert refused.value.extra["need"] == 3


def test_staff_ordering_for_the_table_are_not_held_to_it(rice_for_all):
    menu = rice_for_all
    arrive(menu.table)
    waiter = staff_diner_for(table=menu.table, user=staff_user(menu.restaurant, "waiter"))
    op(waiter, type="cart.add", dish_id=menu.chicken.pk, qty=1, options=[menu.mild.pk], note="")
    submit(waiter)
    assert Order.objects.count() == 1


def test_a_restaurant_without_such_a_category_asks_nothing(menu):
    diner = arrive(menu.table)
    add(diner, menu.rice, 1)
    submit(diner)
    assert Order.objects.count() == 1
