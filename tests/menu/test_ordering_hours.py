"""Ordering paused and service hours (restaurant/menu/hours.py, restaurant/dining/ordering.py):
what phones are told, and that ops arriving while closed are refused with `ordering_closed`
and change nothing."""

import json
from datetime import datetime, time, timedelta

import msgspec
import pytest
from django.utils import timezone

from restaurant.dining.models import CartLine, Diner, DiningSession
from restaurant.kitchen import ops as staff_ops
from restaurant.kitchen.meal_ops import OrderingPause
from restaurant.kitchen.models import Order
from restaurant.menu import hours
from restaurant.menu.models import Category, ServiceHours
from restaurant.menu.services import ordering_pause_set
from restaurant.realtime.errors import OpError
from restaurant.venues.models import Restaurant
from tests.dining.helpers import apply, arrive
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """2026-11-30 is a Monday: ``day`` 0 is Monday, in the deployment's time zone."""
    return timezone.make_aware(datetime(2026, 11, 30, hour, minute) + timedelta(days=day))


def state_at(restaurant, moment):
    version = Restaurant.objects.get(pk=restaurant.pk).menu_version
    return hours.ordering_state(hours.rules(restaurant.pk, version), moment)


def span(restaurant, weekday, opens, closes, category=None):
    return ServiceHours.objects.create(
        restaurant=restaurant, category=category, weekday=weekday, opens=opens, closes=closes
    )


def submit(diner, op_id="s"):
    seq = DiningSession.objects.get(pk=diner.session_id).seq
    return apply(diner, {"type": "order.submit", "id": op_id, "seq": seq})


def add(diner, dish, op_id, **fields):
    return apply(diner, {"type": "cart.add", "id": op_id, "dish_id": dish.pk, **fields})


def unchanged(diner):
    session = DiningSession.objects.get(pk=diner.session_id)
    return session.seq, CartLine.objects.count(), Order.objects.count()


def refused(call, diner) -> OpError:
    before = unchanged(diner)
    with pytest.raises(OpError) as info:
        call()
    assert info.value.code == "ordering_closed", info.value.message
    assert unchanged(diner) == before
    return info.value


class TestHours:
    def test_no_hours_is_always_open(self, menu):
        state = state_at(menu.restaurant, at(0, 3))
        assert state == {"open": True, "reason": None, "note": "", "opens_at": None,
                         "changes_at": None, "categories": []}  # fmt: skip

    def test_before_opening_it_says_when_it_opens(self, menu):
        span(menu.restaurant, 0, time(11), time(14))
        span(menu.restaurant, 0, time(17), time(21, 30))
        before = state_at(menu.restaurant, at(0, 10))
        assert not before["open"] and before["reason"] == "hours"
        assert before["opens_at"] == at(0, 11).isoformat()
        lunch = state_at(menu.restaurant, at(0, 12))
        assert lunch["open"] and lunch["changes_at"] == at(0, 14).isoformat()
        between = state_at(menu.restaurant, at(0, 15))
        assert between["opens_at"] == at(0, 17).isoformat()
        after = state_at(menu.restaurant, at(0, 22))  # nothing until next Monday
        assert after["opens_at"] == at(7, 11).isoformat()

    def test_a_span_past_midnight_belongs_to_the_day_it_opens(self, menu):
        span(menu.restaurant, 4, time(22), time(2))  # Friday night to Saturday 2:00
        assert state_at(menu.restaurant, at(5, 1, 30))["open"]  # Saturday 1:30
        saturday = state_at(menu.restaurant, at(5, 2))
        assert not saturday["open"] and saturday["opens_at"] == at(11, 22).isoformat()
        assert not state_at(menu.restaurant, at(4, 21))["open"]

    def test_a_category_with_its_own_hours_closes_alone(self, menu):
        breakfast = menu.rice.category
        span(menu.restaurant, 0, time(7), time(10), category=breakfast)
        state = state_at(menu.restaurant, at(0, 12))
        assert state["open"]
        assert state["categories"] == [{"category_id": breakfast.pk, "reason": "hours",
                                        "opens_at": at(7, 7).isoformat()}]  # fmt: skip
        assert state["changes_at"] == at(7, 7).isoformat()
        assert state_at(menu.restaurant, at(0, 8))["categories"] == []

    def test_hours_saved_reach_the_rules_through_the_menu_version(self, menu):
        version = Restaurant.objects.get(pk=menu.restaurant.pk).menu_version
        assert hours.rules(menu.restaurant.pk, version).hours == ()
        span(menu.restaurant, 0, time(11), time(14))
        assert Restaurant.objects.get(pk=menu.restaurant.pk).menu_version > version
        assert state_at(menu.restaurant, at(0, 10))["reason"] == "hours"


class TestRefusals:
    def test_nothing_is_sent_while_paused_but_the_cart_may_grow(self, menu):
        diner = arrive(menu.table)
        add(diner, menu.rice, "a")
        ordering_pause_set(restaurant=menu.restaurant, paused=True, note="厨房爆单，请稍候")
        add(diner, menu.rice, "b")  # building the cart is allowed
        error = refused(lambda: submit(diner), diner)
        assert error.extra["reason"] == "paused" and error.extra["opens_at"] is None
        assert "厨房爆单" in error.message
        ordering_pause_set(restaurant=menu.restaurant, paused=False)
        submit(diner, "s2")
        assert Order.objects.count() == 1

    def test_outside_hours_a_round_is_refused_with_when_it_opens(self, menu, monkeypatch):
        monkeypatch.setattr(timezone, "now", lambda: at(0, 10))
        span(menu.restaurant, 0, time(11), time(14))
        diner = arrive(menu.table)
        add(diner, menu.rice, "a")
        error = refused(lambda: submit(diner), diner)
        assert error.extra == {"reason": "hours", "opens_at": at(0, 11).isoformat()}

    def test_a_paused_category_refuses_its_dishes_and_a_cart_holding_them(self, menu):
        diner = arrive(menu.table)
        add(diner, menu.rice, "a")
        staples = menu.rice.category
        ordering_pause_set(restaurant=menu.restaurant, paused=True, category_id=staples.pk)
        error = refused(lambda: add(diner, menu.rice, "b"), diner)
        assert error.extra["category_ids"] == [staples.pk]
        add(diner, menu.chicken, "c", options=[menu.mild.pk])  # another category is fine
        error = refused(lambda: submit(diner), diner)
        assert error.extra["category_ids"] == [staples.pk]

    def test_staff_ordering_for_the_table_are_not_held_to_it(self, menu):
        diner = arrive(menu.table)
        waiter = staff_user(menu.restaurant, "waiter", username="w")
        staff_diner = Diner.objects.create(session_id=diner.session_id, name="Waiter W",
                                           color="#333333", staff=waiter)  # fmt: skip
        ordering_pause_set(restaurant=menu.restaurant, paused=True)
        add(staff_diner, menu.rice, "a")
        submit(staff_diner)
        assert Order.objects.count() == 1

    def test_another_restaurants_category_is_not_found(self, menu):
        from tests.factories import make_menu

        other = make_menu("other", "别家")
        with pytest.raises(OpError) as info:
            ordering_pause_set(
                restaurant=menu.restaurant, paused=True, category_id=other.rice.category_id
            )
        assert info.value.code == "not_found"
        assert not Category.objects.get(pk=other.rice.category_id).ordering_paused


class TestStaffSwitch:
    def test_the_pause_op_is_the_kitchens_and_the_managers_and_phones_hear_it(
        self, menu, monkeypatch, django_capture_on_commit_callbacks
    ):
        told = []
        monkeypatch.setattr(hours, "send_now", lambda group, message: told.append(
            (group, json.loads(message["text"]))))  # fmt: skip
        op = msgspec.convert({"type": "ordering.pause", "id": "p", "paused": True,
                              "note": "稍等十分钟"}, OrderingPause)  # fmt: skip
        waiter = staff_user(menu.restaurant, "waiter", username="w")
        with pytest.raises(OpError) as info:
            staff_ops.staff_op_apply(
                staff=staff_ops.Staff(waiter.pk, "waiter", menu.restaurant), op_id="p", op=op
            )
        assert info.value.code == "forbidden" and told == []
        cook = staff_user(menu.restaurant, "kitchen", username="c")
        with django_capture_on_commit_callbacks(execute=True):
            staff_ops.staff_op_apply(
                staff=staff_ops.Staff(cook.pk, "kitchen", menu.restaurant), op_id="p", op=op
            )
        assert Restaurant.objects.get(pk=menu.restaurant.pk).ordering_paused
        [(group, event)] = told
        assert group.endswith(str(menu.restaurant.pk)) or str(menu.restaurant.pk) in group
        assert event["type"] == "ordering" and event["reason"] == "paused"
        assert event["note"] == "稍等十分钟" and event["open"] is False


def test_a_save_tells_phones_of_ordering_only_when_the_pause_switch_changed(
    menu, monkeypatch, django_capture_on_commit_callbacks
):
    told = []
    monkeypatch.setattr(hours, "send_now", lambda group, message: told.append(
        json.loads(message["text"])["type"]))  # fmt: skip
    category = Category.objects.get(pk=menu.rice.category_id)
    with django_capture_on_commit_callbacks(execute=True):
        category.name = "饭"
        category.save()  # the admin renaming it: the menu changed, ordering did not
        menu.restaurant.name = "新名字"
        menu.restaurant.save()
    assert told == []
    with django_capture_on_commit_callbacks(execute=True):
        category.ordering_paused = True
        category.save()
        menu.restaurant.ordering_paused = True
        menu.restaurant.save()
    assert told == ["ordering"]  # once for the transaction
    assert state_at(menu.restaurant, timezone.now())["reason"] == "paused"


def test_a_span_that_closes_when_it_opens_lasts_the_day(menu):
    from django.core.exceptions import ValidationError

    hours_row = ServiceHours(restaurant=menu.restaurant, weekday=0, opens=time(6), closes=time(6))
    try:
        hours_row.full_clean()  # the admin takes it: a whole day from 06:00
    except ValidationError as refused:
        raise AssertionError(refused) from None
    hours_row.save()
    assert state_at(menu.restaurant, at(0, 5, 59))["reason"] == "hours"
    assert state_at(menu.restaurant, at(0, 6))["open"]
    assert state_at(menu.restaurant, at(1, 5, 59))["open"]
    assert not state_at(menu.restaurant, at(1, 6))["open"]
