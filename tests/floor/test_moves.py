"""Moving a meal to another table, joining two, splitting a join back (restaurant/floor/moves.py):
every op, every refusal with nothing changed, and races with exactly one outcome each."""

import msgspec
import pytest

from restaurant.dining.models import AppliedOp, CartLine, Diner, DiningSession, MealTransfer
from restaurant.dining.services import session_close, session_open
from restaurant.floor import moves, protocol
from restaurant.kitchen import ops
from restaurant.kitchen.models import Order, OrderItem, WaiterCall
from restaurant.realtime.errors import OpError
from restaurant.tables.models import Table
from tests.dining.helpers import apply, arrive
from tests.factories import make_menu
from tests.support.concurrency import at_once
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db(transaction=True)


def meal_at(table: Table) -> DiningSession:
    return DiningSession.objects.get(table=table, status="open")


def order(diner: Diner, dish, qty: int = 1) -> Order:
    """``diner`` adds ``dish`` and sends the cart as a round."""
    apply(diner, {"type": "cart.add", "id": f"a{diner.pk}-{dish.pk}-{Order.objects.count()}",
                  "dish_id": dish.pk, "qty": qty})  # fmt: skip
    seq = DiningSession.objects.get(pk=Diner.objects.get(pk=diner.pk).session_id).seq
    apply(diner, {"type": "order.submit", "id": f"s{diner.pk}-{seq}", "seq": seq})
    return Order.objects.latest("pk")


def state() -> list:
    """Everything a move, join or split may touch: equal before and after a refusal."""
    return [
        list(DiningSession.objects.order_by("pk").values_list(
            "pk", "table_id", "status", "seq", "guests", "note", "merged_into_id")),
        list(Diner.objects.order_by("pk").values_list("pk", "session_id", "browser", "staff_id")),
        list(CartLine.objects.order_by("pk").values_list("pk", "session_id")),
        list(Order.objects.order_by("pk").values_list("pk", "session_id", "round")),
        list(WaiterCall.objects.order_by("pk").values_list(
            "pk", "table_id", "session_id", "status")),
        list(MealTransfer.objects.order_by("pk").values_list("pk", "undone_at")),
    ]  # fmt: skip


def refused(call, code: str, detail: str | None = None) -> OpError:
    before = state()
    with pytest.raises(OpError) as raised:
        call()
    assert raised.value.code == code, raised.value.message
    if detail is not None:
        assert raised.value.extra.get("detail") == detail
    assert state() == before  # nothing changed
    return raised.value


@pytest.fixture
def floor(menu):
    menu.third = Table.objects.create(restaurant=menu.restaurant, number=3, label="3号桌")
    menu.waiter = staff_user(menu.restaurant, "waiter", username="waiter")
    return menu


def move(floor, frm: int, to: int):
    return moves.meal_move(restaurant=floor.restaurant, table_number=frm, to_number=to,
                           by_id=floor.waiter.pk)  # fmt: skip


def join(floor, frm: int, into: int):
    return moves.meal_join(restaurant=floor.restaurant, table_number=frm, into_number=into,
                           by_id=floor.waiter.pk)  # fmt: skip


def split(floor, transfer: MealTransfer):
    return moves.meal_split(restaurant=floor.restaurant, transfer_id=transfer.pk,
                            by_id=floor.waiter.pk)  # fmt: skip


# --- Move -------------------------------------------------------------------------------------


def test_a_move_takes_the_whole_meal_to_the_free_table(floor):
    ann = arrive(floor.table)
    order(ann, floor.rice, 2)
    apply(ann, {"type": "cart.add", "id": "c", "dish_id": floor.chicken.pk,
                "options": [floor.mild.pk]})  # fmt: skip
    apply(ann, {"type": "waiter.call", "id": "w", "reason": "water"})
    session = meal_at(floor.table)
    seq = session.seq
    transfer = move(floor, 1, 3)
    session.refresh_from_db()
    assert session.table_id == floor.third.pk and session.status == "open"
    assert session.seq == seq + 1
    assert WaiterCall.objects.get().table_id == floor.third.pk
    assert Order.objects.get().session_id == session.pk
    assert CartLine.objects.get().added_by_id == ann.pk
    assert (transfer.kind, transfer.from_table_id, transfer.to_table_id, transfer.by_id) == (
        "move", floor.table.pk, floor.third.pk, floor.waiter.pk)  # fmt: skip
    assert not DiningSession.objects.filter(table=floor.table, status="open").exists()


def test_move_refusals_change_nothing(floor):
    arrive(floor.table)
    arrive(floor.other_table)
    refused(lambda: move(floor, 1, 1), "bad_request")
    refused(lambda: move(floor, 1, 2), "conflict", "occupied")
    refused(lambda: move(floor, 1, 99), "not_found", "to")
    refused(lambda: move(floor, 3, 1), "not_found", "meal")


def test_another_restaurants_table_is_not_found(floor):
    other = make_menu("other", name="另一家")
    arrive(floor.table)
    arrive(other.table)
    Table.objects.create(restaurant=other.restaurant, number=7)
    refused(lambda: move(floor, 1, 7), "not_found", "to")
    theirs = moves.meal_join
    refused(lambda: theirs(restaurant=other.restaurant, table_number=1, into_number=2,
                           by_id=None), "conflict", "free")  # fmt: skip
    joined = join_two(floor)
    refused(lambda: moves.meal_split(restaurant=other.restaurant, transfer_id=joined.pk,
                                     by_id=None), "not_found")  # fmt: skip


def test_a_move_racing_the_close_of_its_meal_has_one_outcome(floor):
    diner = arrive(floor.table)
    order(diner, floor.rice)

    def close():
        return session_close(table=floor.table)

    def go():
        try:
            return move(floor, 1, 3)
        except OpError as refusal:
            return refusal.code

    closed, moved = at_once(close, go)
    session = DiningSession.objects.get()
    if closed is None:  # the move came first: the close found no meal at table 1
        assert isinstance(moved, MealTransfer) and session.table_id == floor.third.pk
        assert session.status == "open"
    else:
        assert moved in ("closed", "not_found") and session.status == "closed"
        assert session.table_id == floor.table.pk and not MealTransfer.objects.exists()


def test_a_move_onto_a_table_whose_meal_is_being_closed_has_one_outcome(floor):
    arrive(floor.table)
    arrive(floor.other_table)

    def go():
        try:
            return move(floor, 1, 2)
        except OpError as refusal:
            return refusal.extra.get("detail")

    _, moved = at_once(lambda: session_close(table=floor.other_table), go)
    session = DiningSession.objects.get(table__in=[floor.table, floor.other_table], status="open")
    if moved == "occupied":
        assert session.table_id == floor.table.pk
    else:
        assert isinstance(moved, MealTransfer) and session.table_id == floor.other_table.pk
    assert DiningSession.objects.filter(status="open").count() == 1


# --- Join -------------------------------------------------------------------------------------


def join_two(floor) -> MealTransfer:
    """Table 1 (Ann: round 1, a rice in the cart, a water and a bill call; 2 guests, a note)
    joins table 2 (Bob: round 1, a water call of its own; 3 guests)."""
    ann, bob = arrive(floor.table), arrive(floor.other_table)
    order(ann, floor.rice, 2)
    apply(ann, {"type": "cart.add", "id": "ac", "dish_id": floor.rice.pk})
    apply(ann, {"type": "waiter.call", "id": "aw", "reason": "water"})
    apply(ann, {"type": "waiter.call", "id": "ab", "reason": "bill"})
    order(bob, floor.rice)
    apply(bob, {"type": "waiter.call", "id": "bw", "reason": "water"})
    DiningSession.objects.filter(table=floor.table).update(guests=2, note="靠窗")
    DiningSession.objects.filter(table=floor.other_table).update(guests=3)
    return join(floor, 1, 2)


def test_a_join_brings_diners_cart_rounds_and_calls_over(floor):
    transfer = join_two(floor)
    source = DiningSession.objects.get(table=floor.table)
    target = meal_at(floor.other_table)
    assert source.status == "closed" and source.merged_into_id == target.pk
    assert Diner.objects.filter(session=target).count() == 2
    assert CartLine.objects.get().session_id == target.pk
    rounds = list(Order.objects.filter(session=target).order_by("round").values_list(
        "round", "submitted_by__session_id"))  # fmt: skip
    assert [r for r, _ in rounds] == [1, 2]
    assert Order.objects.get(round=2).submitted_by.name == Diner.objects.order_by("pk")[0].name
    waters = WaiterCall.objects.filter(reason="water").order_by("pk")
    assert [c.status for c in waters] == ["done", "open"]  # one open water call per table
    assert WaiterCall.objects.get(reason="bill").table_id == floor.other_table.pk
    assert (target.guests, target.note) == (5, "靠窗")
    assert transfer.kind == "join" and transfer.into_id == target.pk
    # Both sat down as "Guest 1": one table has one of each name.
    names = list(Diner.objects.order_by("pk").values_list("name", flat=True))
    assert names == ["Guest 3", "Guest 1"]
    assert transfer.detail["renamed"] == {str(Diner.objects.order_by("pk")[0].pk): [
        "Guest 1", "Guest 3"]}  # fmt: skip
    assert transfer.detail["orders"] == [{"id": Order.objects.get(round=2).pk, "round": 1}]
    # Nothing went to the kitchen again: no new round, no new dish.
    assert Order.objects.count() == 2 and OrderItem.objects.count() == 2


def test_join_refusals_change_nothing(floor):
    arrive(floor.table)
    refused(lambda: join(floor, 1, 1), "bad_request")
    refused(lambda: join(floor, 1, 2), "conflict", "free")
    refused(lambda: join(floor, 3, 1), "not_found", "meal")
    refused(lambda: join(floor, 1, 42), "not_found", "into")


def test_a_join_racing_an_order_submit_has_one_outcome_each(floor):
    ann, bob = arrive(floor.table), arrive(floor.other_table)
    apply(ann, {"type": "cart.add", "id": "a", "dish_id": floor.rice.pk})
    apply(bob, {"type": "cart.add", "id": "b", "dish_id": floor.rice.pk})
    seq = meal_at(floor.table).seq

    def submit():
        try:
            return apply(ann, {"type": "order.submit", "id": "s", "seq": seq})
        except OpError as refusal:
            return refusal.code

    submitted, joined = at_once(submit, lambda: join(floor, 1, 2))
    target = meal_at(floor.other_table)
    if isinstance(submitted, int):  # sent first: its round came over as round 1
        assert list(Order.objects.values_list("session_id", "round")) == [(target.pk, 1)]
        assert not CartLine.objects.filter(added_by=ann).exists()
    else:  # the join came first: the diner is at table 2 now, whose cart moved on
        assert submitted in ("stale", "bad_request")
        assert not Order.objects.exists() and CartLine.objects.count() == 2
    assert isinstance(joined, MealTransfer)
    if isinstance(submitted, int):  # a resend of the op is acknowledged, not applied again
        apply(Diner.objects.get(pk=ann.pk), {"type": "order.submit", "id": "s", "seq": seq})
        assert Order.objects.count() == 1


def test_two_joins_in_opposite_directions_have_one_outcome(floor):
    arrive(floor.table), arrive(floor.other_table)

    def go(frm, into):
        def call():
            try:
                return join(floor, frm, into)
            except OpError as refusal:
                return refusal.code

        return call

    results = at_once(go(1, 2), go(2, 1))
    assert sorted(isinstance(r, MealTransfer) for r in results) == [False, True]
    loser = next(r for r in results if not isinstance(r, MealTransfer))
    assert loser in ("closed", "conflict", "not_found")
    assert DiningSession.objects.filter(status="open").count() == 1


# --- Split ------------------------------------------------------------------------------------


def test_a_split_brings_back_diners_cart_rounds_and_calls(floor):
    before = state()
    transfer = join_two(floor)
    ann_id, bob_id = Diner.objects.order_by("pk").values_list("pk", flat=True)
    target = meal_at(floor.other_table)
    # After the join: Ann sends another round alone, Bob too.
    ann, bob = Diner.objects.get(pk=ann_id), Diner.objects.get(pk=bob_id)
    ann_later = order(ann, floor.rice)
    bob_later = order(bob, floor.rice)
    assert (ann_later.round, bob_later.round) == (3, 4)
    apply(bob, {"type": "cart.add", "id": "bc", "dish_id": floor.rice.pk})
    apply(ann, {"type": "cart.add", "id": "ac2", "dish_id": floor.rice.pk, "note": "x"})
    split_row = split(floor, transfer)
    source = DiningSession.objects.get(table=floor.table)
    assert source.status == "open" and source.merged_into_id is None
    assert list(Diner.objects.filter(session=source).values_list("pk", flat=True)) == [ann_id]
    assert list(
        Order.objects.filter(session=source).order_by("round").values_list("pk", "round")
    ) == [(Order.objects.get(session=source, round=1).pk, 1), (ann_later.pk, 2)]
    assert list(
        Order.objects.filter(session=target).order_by("round").values_list("pk", "round")
    ) == [(Order.objects.get(session=target, round=1).pk, 1), (bob_later.pk, 2)]
    assert CartLine.objects.get(added_by_id=ann_id).session_id == source.pk
    assert CartLine.objects.get(added_by_id=bob_id).session_id == target.pk
    assert WaiterCall.objects.get(reason="bill").table_id == floor.table.pk
    target.refresh_from_db()
    source.refresh_from_db()
    assert (target.guests, target.note, source.guests, source.note) == (3, "", 2, "靠窗")
    assert source.seq > target.seq - 2  # its phones' next event is after what they had
    assert Diner.objects.get(pk=ann_id).name == "Guest 1"  # its name back
    transfer.refresh_from_db()
    assert transfer.undone_at is not None and split_row.kind == "split"
    # Every item still names who added it: the split bill does not change.
    assert set(OrderItem.objects.filter(order__session=source).values_list(
        "added_by_id", flat=True)) == {ann_id}  # fmt: skip
    # And the next round of each meal numbers on.
    assert order(bob, floor.rice).round == 3
    assert order(ann, floor.rice).round == 3
    assert before != state()
    refused(lambda: split(floor, transfer), "conflict", "undone")


def test_a_split_refuses_a_round_of_both_parties(floor):
    transfer = join_two(floor)
    bob = Diner.objects.order_by("pk")[1]  # with Ann's line still in the cart
    apply(bob, {"type": "cart.add", "id": "x2", "dish_id": floor.rice.pk, "note": "b"})
    seq = meal_at(floor.other_table).seq
    apply(bob, {"type": "order.submit", "id": "x3", "seq": seq})
    refused(lambda: split(floor, transfer), "conflict", "mixed_round")


def test_split_refusals_change_nothing(floor):
    transfer = join_two(floor)
    arrive(floor.table)  # a new meal at the joined meal's table
    refused(lambda: split(floor, transfer), "conflict", "occupied")
    session_close(table=floor.table)
    session_close(table=floor.other_table, discard_cart=True)
    refused(lambda: split(floor, transfer), "conflict", "closed")
    refused(lambda: moves.meal_split(restaurant=floor.restaurant, transfer_id=10**6,
                                     by_id=None), "not_found")  # fmt: skip


# --- Over the staff socket's op path ----------------------------------------------------------


def op(message: dict):
    by_tag = {cls.__struct_config__.tag: cls for cls in protocol.FLOOR_OPS}
    return msgspec.convert(message, by_tag[message["type"]])


def test_the_ops_are_idempotent_and_asked_of_the_role(floor):
    arrive(floor.table)
    waiter = ops.Staff(floor.waiter.pk, "waiter", floor.restaurant)
    message = op({"type": "table.move", "id": "m1", "table": 1, "to": 3})
    ops.staff_op_apply(staff=waiter, op_id="m1", op=message)
    seq = meal_at(floor.third).seq
    ops.staff_op_apply(staff=waiter, op_id="m1", op=message)  # a resend: acknowledged again
    assert meal_at(floor.third).seq == seq and MealTransfer.objects.count() == 1
    assert AppliedOp.objects.filter(op_type="table.move").count() == 1
    cook = staff_user(floor.restaurant, "kitchen", username="cook")
    back = op({"type": "table.move", "id": "m2", "table": 3, "to": 1})
    refused(lambda: ops.staff_op_apply(staff=ops.Staff(cook.pk, "kitchen", floor.restaurant),
                                       op_id="m2", op=back), "forbidden")  # fmt: skip


def test_the_sockets_decode_the_floor_ops():
    from restaurant.kitchen.protocol import KITCHEN_OPS

    for tag in ("table.move", "table.join", "table.split"):
        assert tag in KITCHEN_OPS
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"type": "table.move", "id": "x", "table": "1", "to": 0}, KITCHEN_OPS[
            "table.move"])  # fmt: skip


def test_a_session_opened_by_staff_moves_too(floor):
    session_open(table=floor.table, by_staff=True)
    move(floor, 1, 2)
    assert meal_at(floor.other_table).opened_by_staff
