"""A meal's guest count (人数) and note (整单备注): set from a phone (`meal.set`) or by staff
(`table.meal_set`), seen by the table (seq) and in every snapshot."""

import msgspec
import pytest

from restaurant.dining.models import DiningSession
from restaurant.dining.selectors import dining_snapshot
from restaurant.kitchen import ops as staff_ops
from restaurant.kitchen.meal_ops import TableMealSet
from restaurant.realtime.errors import OpError
from restaurant.tables.models import Table
from tests.dining.helpers import apply, arrive
from tests.factories import make_menu
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


def staff_set(menu, role, op_id, **fields):
    user = staff_user(menu.restaurant, role, username=f"{role}-{op_id}")
    op = msgspec.convert({"type": "table.meal_set", "id": op_id, **fields}, TableMealSet)
    staff = staff_ops.Staff(user.pk, role, menu.restaurant)
    return staff_ops.staff_op_apply(staff=staff, op_id=op_id, op=op)


def test_a_diner_says_how_many_and_the_note(menu):
    diner = arrive(menu.table)
    assert dining_snapshot(diner_id=diner.pk)["meal"] == {"guests": None, "note": ""}
    seq = apply(diner, {"type": "meal.set", "id": "m", "guests": 4, "note": " 一位小朋友 "})
    session = DiningSession.objects.get()
    assert (session.guests, session.note, session.seq) == (4, "一位小朋友", seq)
    snapshot = dining_snapshot(diner_id=diner.pk)
    assert snapshot["meal"] == {"guests": 4, "note": "一位小朋友"} and snapshot["seq"] == seq
    # The same again changes nothing (no seq); a field left out stays as it is.
    assert apply(diner, {"type": "meal.set", "id": "m2", "guests": 4}) == seq
    apply(diner, {"type": "meal.set", "id": "m3", "note": ""})
    assert DiningSession.objects.values_list("guests", "note").get() == (4, "")


def test_bad_input_changes_nothing(menu):
    diner = arrive(menu.table)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"type": "meal.set", "id": "x", "guests": 0}, TableMealSet)
    before = DiningSession.objects.values_list("seq", "guests", "note").get()
    with pytest.raises(OpError) as info:
        apply(diner, {"type": "meal.set", "id": "y", "guests": 2, "note": "a\u200bb"})
    assert info.value.code == "bad_request"
    assert DiningSession.objects.values_list("seq", "guests", "note").get() == before


def test_staff_set_a_tables_meal_within_their_restaurant_and_role(menu):
    arrive(menu.table)
    staff_set(menu, "waiter", "w1", table=1, guests=6, note="生日")
    assert DiningSession.objects.values_list("guests", "note").get() == (6, "生日")
    with pytest.raises(OpError) as info:
        staff_set(menu, "kitchen", "k1", table=1, guests=2)
    assert info.value.code == "forbidden"
    with pytest.raises(OpError) as info:
        staff_set(menu, "waiter", "w2", table=2, guests=2)  # no meal open there
    assert info.value.code == "not_found"
    other = make_menu("other", "别家")
    elsewhere = Table.objects.create(restaurant=other.restaurant, number=7, label="7号桌")
    arrive(elsewhere)
    with pytest.raises(OpError) as info:  # table 7 is another restaurant's: not reached
        staff_set(menu, "waiter", "w3", table=7, guests=9)
    assert info.value.code == "not_found"
    assert DiningSession.objects.get(table=elsewhere).guests is None
