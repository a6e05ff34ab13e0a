"""Counted dishes (限量): a round takes its portions in its own transaction, at 0 the dish is
sold out everywhere, a round asking for more than is left gets `sold_out` with what is left and
changes nothing, a void or a cancel gives portions back, and each business day starts again."""

import datetime
import uuid

import msgspec
import pytest
from django.db import transaction
from django.utils import timezone

from restaurant.dining.models import CartLine
from restaurant.kitchen import ops, protocol
from restaurant.kitchen.items import item_recall, item_status_set
from restaurant.kitchen.models import Order
from restaurant.kitchen.services import order_status_set
from restaurant.menu.models import Dish
from restaurant.menu.selectors import dishes_sold_out, menu_payload
from restaurant.menu.stock import dish_set_stock, stock_day_roll
from restaurant.realtime.errors import OpError
from restaurant.venues.days import business_date
from restaurant.venues.models import Restaurant
from tests.dining.helpers import add, arrive, op, submit
from tests.factories import make_menu
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


def count(dish) -> int | None:
    return Dish.objects.get(pk=dish.pk).stock


def counted(menu, stock, par=None):
    dish_set_stock(restaurant=menu.restaurant, dish_id=menu.rice.pk, stock=stock, par=par)
    return menu.rice


def payload_dish(menu, dish) -> dict:
    restaurant = Restaurant.objects.get(pk=menu.restaurant.pk)
    dishes = [d for c in menu_payload(restaurant=restaurant)["categories"] for d in c["dishes"]]
    return next(d for d in dishes if d["id"] == dish.pk)


def test_a_round_takes_its_portions_and_the_last_makes_the_dish_sold_out(menu):
    rice = counted(menu, 3)
    diner = arrive(menu.table)
    add(diner, rice, 2)
    submit(diner)
    assert count(rice) == 1
    assert payload_dish(menu, rice) | {"sold_out": False, "stock": 1} == payload_dish(menu, rice)
    add(diner, rice, 1)
    submit(diner)
    assert count(rice) == 0
    assert payload_dish(menu, rice)["sold_out"] is True
    assert rice.pk in dishes_sold_out(restaurant=menu.restaurant)
    with pytest.raises(OpError) as refused:  # no more in anyone's cart
        add(diner, rice)
    assert refused.value.code == "sold_out"


def test_asking_for_more_than_is_left_says_what_is_left_and_changes_nothing(menu):
    rice = counted(menu, 2)
    diner = arrive(menu.table)
    add(diner, rice, 3)
    with pytest.raises(OpError) as refused:
        submit(diner)
    error = refused.value
    assert error.code == "sold_out"
    assert error.extra["detail"] == "stock"
    assert error.extra["dish_ids"] == [rice.pk]
    assert error.extra["left"] == {str(rice.pk): 2}
    assert count(rice) == 2
    assert not Order.objects.exists()
    assert CartLine.objects.filter(session_id=diner.session_id).exists()


def test_an_uncounted_dish_is_not_touched(menu):
    diner = arrive(menu.table)
    add(diner, menu.rice, 5)
    submit(diner)
    rice = Dish.objects.get(pk=menu.rice.pk)
    assert (rice.stock, rice.stock_date) == (None, None)
    assert "stock" not in payload_dish(menu, rice)


def test_a_void_gives_portions_back_and_its_recall_takes_them_again(menu):
    rice = counted(menu, 2)
    diner = arrive(menu.table)
    add(diner, rice, 2)
    submit(diner)
    assert count(rice) == 0
    order = Order.objects.get()
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
    item = order.items.get()
    item_status_set(restaurant=menu.restaurant, item_id=item.pk, status="voided", reason="没货")
    assert count(rice) == 2
    assert payload_dish(menu, rice)["sold_out"] is False
    item_recall(restaurant=menu.restaurant, item_id=item.pk)
    assert count(rice) == 0


def test_a_cancelled_round_gives_back_each_dish(menu):
    rice = counted(menu, 4)
    diner = arrive(menu.table)
    add(diner, rice, 3)
    submit(diner)
    order = Order.objects.get()
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="cancelled")
    assert count(rice) == 4


def test_portions_of_an_earlier_business_day_do_not_come_back_today(menu):
    rice = counted(menu, 5)
    diner = arrive(menu.table)
    add(diner, rice, 2)
    submit(diner)
    order = Order.objects.get()
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    item = order.items.get()
    item_status_set(restaurant=menu.restaurant, item_id=item.pk, status="voided", reason="x")
    assert count(rice) == 3


def test_each_business_day_starts_with_the_par_or_uncounted(menu):
    rice = counted(menu, 0, par=20)
    chicken = menu.chicken
    dish_set_stock(restaurant=menu.restaurant, dish_id=chicken.pk, stock=0)  # today only
    yesterday = business_date(menu.restaurant) - datetime.timedelta(days=1)
    Dish.objects.filter(pk__in=[rice.pk, chicken.pk]).update(stock_date=yesterday)
    # Before the upkeep has run, a round already counts from the new day's start.
    diner = arrive(menu.table)
    assert payload_dish(menu, rice) | {"stock": 20, "sold_out": False} == payload_dish(menu, rice)
    assert stock_day_roll() == 2
    assert stock_day_roll() == 0  # once
    assert count(rice) == 20
    assert (count(chicken), Dish.objects.get(pk=chicken.pk).stock_par) == (None, None)
    add(diner, rice, 2)
    submit(diner)
    assert count(rice) == 18


def test_a_round_counts_from_the_new_day_even_before_the_upkeep(menu):
    rice = counted(menu, 1, par=20)
    yesterday = business_date(menu.restaurant) - datetime.timedelta(days=1)
    Dish.objects.filter(pk=rice.pk).update(stock_date=yesterday)
    diner = arrive(menu.table)
    add(diner, rice, 5)
    submit(diner)
    assert count(rice) == 15


def staff_op(user, restaurant, message):
    message = {"id": f"s-{uuid.uuid4().hex}", **message}
    op = msgspec.convert(message, protocol.KITCHEN_OPS[message["type"]])
    staff = ops.Staff(user.pk, user.memberships.get(restaurant=restaurant).role, restaurant)
    ops.staff_op_apply(staff=staff, op_id=message["id"], op=op)


def test_the_kitchen_counts_a_dish_within_its_own_restaurant_and_role(menu):
    other = make_menu(slug="other", name="别家")
    cook = staff_user(menu.restaurant, "kitchen")
    staff_op(cook, menu.restaurant, {"type": "dish.set_stock", "dish_id": menu.rice.pk,
                                     "stock": 12, "par": 30})  # fmt: skip
    rice = Dish.objects.get(pk=menu.rice.pk)
    assert (rice.stock, rice.stock_par, rice.stock_date) == (
        12, 30, business_date(menu.restaurant))  # fmt: skip
    staff_op(cook, menu.restaurant, {"type": "dish.set_stock", "dish_id": menu.rice.pk,
                                     "stock": None})  # fmt: skip
    rice = Dish.objects.get(pk=menu.rice.pk)
    assert (rice.stock, rice.stock_par) == (None, 30)  # `par` not sent: kept
    with pytest.raises(OpError) as refused:
        staff_op(cook, menu.restaurant, {"type": "dish.set_stock", "dish_id": other.rice.pk,
                                         "stock": 1})  # fmt: skip
    assert refused.value.code == "not_found"
    assert Dish.objects.get(pk=other.rice.pk).stock is None
    for stock, par in ((-1, None), (10000, None), (5, -1)):
        with pytest.raises(OpError) as refused:
            staff_op(cook, menu.restaurant, {"type": "dish.set_stock", "dish_id": menu.rice.pk,
                                             "stock": stock, "par": par})  # fmt: skip
        assert refused.value.extra["detail"] == "stock"
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"type": "dish.set_stock", "id": "x", "dish_id": 1, "stock": "5"},
                        protocol.DishSetStock)  # fmt: skip
    with pytest.raises(OpError):
        dish_set_stock(restaurant=menu.restaurant, dish_id=menu.rice.pk, stock=True)


def test_a_role_that_may_not_switch_dishes_may_not_count_them(menu):
    waiter = staff_user(menu.restaurant, "cashier")
    with pytest.raises(OpError) as refused:
        staff_op(waiter, menu.restaurant, {"type": "dish.set_stock", "dish_id": menu.rice.pk,
                                           "stock": 5})  # fmt: skip
    assert refused.value.code == "forbidden"
    assert count(menu.rice) is None


def test_a_refused_round_gives_back_what_it_took_of_the_other_dishes(menu):
    rice = counted(menu, 5)
    dish_set_stock(restaurant=menu.restaurant, dish_id=menu.chicken.pk, stock=1)
    diner = arrive(menu.table)
    add(diner, rice, 2)
    op(diner, type="cart.add", dish_id=menu.chicken.pk, qty=2, options=[menu.mild.pk], note="")
    with pytest.raises(OpError) as refused:
        submit(diner)
    assert refused.value.extra["left"] == {str(menu.chicken.pk): 1}
    assert (count(rice), count(menu.chicken)) == (5, 1)
    assert not Order.objects.exists()


def test_a_count_typed_in_the_admin_is_todays(menu, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("boss", password="x-long-pw-1"))
    form = {
        "category": menu.rice.category_id, "name": menu.rice.name, "name_en": "",
        "description": "", "description_en": "", "price": "3.00", "image": "",
        "sort_order": "0", "min_qty": "1", "stock": "7", "stock_par": "", "spice": "0",
    }  # fmt: skip
    response = client.post(f"/admin/menu/dish/{menu.rice.pk}/change/", form)
    assert response.status_code == 302, response.content[:3000]
    rice = Dish.objects.get(pk=menu.rice.pk)
    assert (rice.stock, rice.stock_date) == (7, business_date(menu.restaurant))
    diner = arrive(menu.table)
    add(diner, rice, 2)
    submit(diner)
    assert count(rice) == 5


def test_a_dish_made_uncounted_today_stays_so_whatever_its_par(menu):
    rice = counted(menu, 4, par=20)
    dish_set_stock(restaurant=menu.restaurant, dish_id=rice.pk, stock=None)
    assert "stock" not in payload_dish(menu, rice)
    diner = arrive(menu.table)
    add(diner, rice, 6)
    submit(diner)
    rice = Dish.objects.get(pk=rice.pk)
    assert (rice.stock, rice.stock_par) == (None, 20)
    assert stock_day_roll() == 0  # the same day: nothing to start


def test_a_round_locks_its_counted_dishes_in_id_order_whichever_way_each_goes(menu, monkeypatch):
    """Every writer of counts locks dishes in id order, so two rounds (or a round and the
    day's upkeep) never wait on each other in a circle, which PostgreSQL ends by killing one
    as a deadlock. Here the lower dish takes the slow path (yesterday's count) and the higher
    the fast one: the lower must still be locked first. (Locking the fast ones first and the
    slow ones after did deadlock.)"""
    from restaurant.menu import stock

    low, high = sorted([menu.rice, menu.chicken], key=lambda d: d.pk)
    dish_set_stock(restaurant=menu.restaurant, dish_id=low.pk, stock=3, par=10)
    dish_set_stock(restaurant=menu.restaurant, dish_id=high.pk, stock=10)
    yesterday = business_date(menu.restaurant) - datetime.timedelta(days=1)
    Dish.objects.filter(pk=low.pk).update(stock_date=yesterday)
    locked = []
    decrement, counted_ = stock._decrement, stock._counted

    def tracing_decrement(pk, *args):
        row = decrement(pk, *args)
        if row is not None:
            locked.append(pk)
        return row

    def tracing_counted(restaurant_id, dish_ids):
        rows = counted_(restaurant_id, dish_ids)
        locked.extend(d.pk for d in rows)
        return rows

    monkeypatch.setattr(stock, "_decrement", tracing_decrement)
    monkeypatch.setattr(stock, "_counted", tracing_counted)
    with transaction.atomic():
        stock.stock_take(restaurant_id=menu.restaurant.pk, portions={low.pk: 1, high.pk: 1},
                         today=business_date(menu.restaurant), menu_version=1)  # fmt: skip
    assert locked == [low.pk, high.pk]
    assert (count(low), count(high)) == (9, 9)
