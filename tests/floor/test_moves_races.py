"""Moves, joins and splits racing the ops that wait for the same meal's lock: each comes out
once, as an answer (a result or an OpError), never an exception of another kind, and a change
made after a join or a split is the meal's it is in now (its events, its seq). Deterministic:
the first holds its locks until the second waits on them (tests/support/concurrency.py)."""

import pytest

from restaurant.dining import services as dining_services
from restaurant.dining.models import CartLine, Diner, DiningSession, MealTransfer
from restaurant.floor import moves
from restaurant.kitchen import services as kitchen_services
from restaurant.kitchen.items import item_status_set
from restaurant.kitchen.models import Order
from restaurant.realtime import codec, groups
from restaurant.realtime.errors import OpError
from restaurant.tables.models import Table
from tests.dining.helpers import apply, arrive
from tests.support.concurrency import held_then

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def floor(menu):
    menu.third = Table.objects.create(restaurant=menu.restaurant, number=3, label="3号桌")
    type(menu.restaurant).objects.filter(pk=menu.restaurant.pk).update(hold_first_round=False)
    menu.restaurant.refresh_from_db()
    return menu


def after_the_lock(monkeypatch):
    """Where a move, join or split holds: right after it locked its meals."""
    real = moves._lock

    def wire(hold):
        def locked(*ids):
            found = real(*ids)
            hold()
            return found

        monkeypatch.setattr(moves, "_lock", locked)

    return wire


def move(floor, frm, to):
    return lambda: moves.meal_move(restaurant=floor.restaurant, table_number=frm, to_number=to,
                                   by_id=None)  # fmt: skip


def join(floor, frm, into):
    return lambda: moves.meal_join(restaurant=floor.restaurant, table_number=frm,
                                   into_number=into, by_id=None)  # fmt: skip


def send_round(diner, dish, tag):
    apply(diner, {"type": "cart.add", "id": f"a{tag}", "dish_id": dish.pk})
    seq = DiningSession.objects.get(diners=diner).seq
    apply(diner, {"type": "order.submit", "id": f"s{tag}", "seq": seq})
    return Order.objects.latest("pk")


def test_two_moves_of_one_table_one_moves_it(floor, monkeypatch):
    arrive(floor.table)
    first, second = held_then(move(floor, 1, 3), move(floor, 1, 2), after_the_lock(monkeypatch))
    assert isinstance(first, MealTransfer), repr(first)
    assert isinstance(second, OpError), repr(second)
    assert DiningSession.objects.get(status="open").table_id == floor.third.pk


def test_a_join_into_a_meal_that_is_moving_is_answered(floor, monkeypatch):
    arrive(floor.table)
    arrive(floor.other_table)
    first, second = held_then(move(floor, 2, 3), join(floor, 1, 2), after_the_lock(monkeypatch))
    assert isinstance(first, MealTransfer), repr(first)
    assert isinstance(second, OpError), repr(second)
    assert DiningSession.objects.filter(status="open").count() == 2


def test_a_phones_op_during_a_move_lands_in_the_moved_meal(floor, monkeypatch):
    diner = arrive(floor.table)
    add = {"type": "cart.add", "id": "c1", "dish_id": floor.rice.pk}
    first, second = held_then(move(floor, 1, 3), lambda: apply(diner, add),
                              after_the_lock(monkeypatch))  # fmt: skip
    assert isinstance(first, MealTransfer), repr(first)
    assert isinstance(second, int), repr(second)  # acknowledged with the meal's seq
    line = CartLine.objects.get()
    assert line.session.table_id == floor.third.pk and line.added_by_id == diner.pk


def test_a_phones_op_during_the_split_of_its_meal_lands_in_its_own_meal(floor, monkeypatch):
    ann = arrive(floor.table)
    arrive(floor.other_table)
    joined = join(floor, 1, 2)()
    split = lambda: moves.meal_split(  # noqa: E731
        restaurant=floor.restaurant, transfer_id=joined.pk, by_id=None
    )
    add = {"type": "cart.add", "id": "c1", "dish_id": floor.rice.pk}
    first, second = held_then(split, lambda: apply(ann, add), after_the_lock(monkeypatch))
    assert isinstance(first, MealTransfer) and isinstance(second, int), (first, second)
    ann = Diner.objects.get(pk=ann.pk)
    assert CartLine.objects.get().session_id == ann.session_id
    assert ann.session.table_id == floor.table.pk


def test_a_round_cancelled_during_a_join_is_told_to_the_meal_it_joined(floor, monkeypatch):
    ann, bob = arrive(floor.table), arrive(floor.other_table)
    order = send_round(ann, floor.rice, "a")
    send_round(bob, floor.rice, "b")
    told = []
    real = dining_services.broadcast_on_commit

    def recorded(group, message):
        if message.get("type") == "table.event":
            told.append((group, codec.loads(message["text"])["type"]))
        return real(group, message)

    monkeypatch.setattr(dining_services, "broadcast_on_commit", recorded)
    cancel = lambda: kitchen_services.order_status_set(  # noqa: E731
        restaurant=floor.restaurant, order_id=order.pk, status="cancelled", reason="客人不要了"
    )
    first, second = held_then(join(floor, 1, 2), cancel, after_the_lock(monkeypatch))
    assert isinstance(first, MealTransfer), repr(first)
    assert not isinstance(second, Exception) or isinstance(second, OpError), repr(second)
    order.refresh_from_db()
    if order.status == "cancelled":
        target = groups.table_group(floor.other_table.pk)
        assert (target, "order.status") in told, told


def test_a_dish_moved_during_a_move_is_answered(floor, monkeypatch):
    ann = arrive(floor.table)
    order = send_round(ann, floor.rice, "a")
    item = order.items.get()
    cook = lambda: item_status_set(  # noqa: E731
        restaurant=floor.restaurant, item_id=item.pk, status="cooking"
    )
    first, second = held_then(move(floor, 1, 3), cook, after_the_lock(monkeypatch))
    assert isinstance(first, MealTransfer), repr(first)
    assert not isinstance(second, Exception), repr(second)
    item.refresh_from_db()
    assert item.status == "cooking"
