"""Property-based fuzzing of the diner and kitchen protocols (hypothesis).

Random and malformed messages — wrong types, huge numbers, unicode, nested junk, foreign ids,
client prices — go through the same parse-and-apply path as the sockets. Properties: nothing
but a protocol error is ever raised; a refused op changes nothing; the invariants hold (lines
have qty 1..99, order totals equal menu prices, `seq` grows by exactly one per change).
"""

import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from restaurant.dining import ops, protocol
from restaurant.dining.models import AppliedOp, CartLine, DiningSession
from restaurant.dining.services import session_close
from restaurant.kitchen import ops as kitchen_ops
from restaurant.kitchen import protocol as kitchen_protocol
from restaurant.kitchen.models import Order
from restaurant.menu.models import Dish, Option
from restaurant.realtime import envelope
from restaurant.realtime.errors import OpError
from tests.dining.helpers import arrive

junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8),
                                                                      children, max_size=4),
    max_leaves=12,
)  # fmt: skip
small_ids = st.integers(min_value=-3, max_value=60) | st.sampled_from([2**62, 2**63, -(2**63)])
op_ids = st.text(min_size=0, max_size=70) | st.integers() | st.none()

cart_add = st.fixed_dictionaries(
    {"type": st.just("cart.add"), "id": op_ids, "dish_id": small_ids | junk},
    optional={
        "qty": st.integers(min_value=-5, max_value=120) | junk,
        "options": st.lists(small_ids, max_size=5) | junk,
        "note": st.text(max_size=160) | junk,
        "price": st.integers(),
    },
)
set_qty = st.fixed_dictionaries(
    {
        "type": st.just("cart.set_qty"),
        "id": op_ids,
        "line_id": small_ids | junk,
        "qty": st.integers(min_value=-5, max_value=120) | junk,
    }
)
remove = st.fixed_dictionaries(
    {"type": st.just("cart.remove"), "id": op_ids, "line_id": small_ids | junk}
)
rename = st.fixed_dictionaries(
    {"type": st.just("diner.rename"), "id": op_ids, "name": st.text(max_size=40) | junk}
)
submit = st.fixed_dictionaries(
    {"type": st.just("order.submit"), "id": op_ids, "seq": st.integers(-2, 400) | junk}
)
call = st.fixed_dictionaries(
    {"type": st.just("waiter.call"), "id": op_ids,
     "reason": st.sampled_from(["water", "bill", "service"]) | st.text(max_size=70) | junk}
)  # fmt: skip
anything = st.dictionaries(st.sampled_from(["type", "id", "dish_id", "qty", "x"]), junk)
diner_message = cart_add | set_qty | remove | rename | submit | call | anything

# Raw frames too: not JSON, not an object, deep nesting.
raw_frame = st.text(max_size=50) | st.builds(json.dumps, junk) | st.just("[" * 200 + "]" * 200)


def real_ids(message: dict, menu, session_id: int) -> dict:
    """Point small ids (0..9) at real dishes, options and lines, so that valid ops succeed
    as often as junk fails, whatever ids the database has handed out."""
    dishes = [menu.rice, menu.chicken, menu.pork]
    options = [menu.mild, menu.hot, menu.peanuts, menu.meat]
    lines = list(CartLine.objects.filter(session_id=session_id).values_list("pk", flat=True))

    def pick(value, pool):
        return pool[value].pk if isinstance(value, int) and 0 <= value < len(pool) else value

    message = dict(message)
    if "dish_id" in message:
        message["dish_id"] = pick(message["dish_id"], dishes)
    if isinstance(message.get("options"), list):
        message["options"] = [pick(v, options) for v in message["options"]]
    if "line_id" in message and isinstance(message["line_id"], int) and lines:
        message["line_id"] = lines[message["line_id"] % len(lines)]
    if message.get("type") == "order.submit" and message.get("seq") == 0:
        message["seq"] = DiningSession.objects.get(pk=session_id).seq
    return message


def snapshot_state(session_id):
    session = DiningSession.objects.get(pk=session_id)
    lines = sorted(CartLine.objects.filter(session=session).values_list("id", "qty", "note"))
    return session.seq, lines, Order.objects.count(), AppliedOp.objects.count()


def check_invariants(session_id):
    assert all(1 <= qty <= 99 for qty in CartLine.objects.values_list("qty", flat=True))
    for order in Order.objects.prefetch_related("items"):
        expected = 0
        for item in order.items.all():
            dish = Dish.objects.get(pk=item.dish_id)
            extras = sum(Option.objects.filter(pk__in=item.options).values_list("price", flat=True))
            assert item.unit_price == dish.price + extras
            expected += item.unit_price * item.qty
        assert order.total == expected


@pytest.mark.django_db
@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frames=st.lists(diner_message | raw_frame, min_size=1, max_size=12))
def test_diner_protocol(menu, frames):
    session_close(table=menu.table, discard_cart=True)  # each example its own meal: examples
    diner = arrive(menu.table)  # would otherwise pile diners into one (a meal has a cap)
    session_id = diner.session_id
    for frame in frames:
        if isinstance(frame, dict):
            frame = json.dumps(real_ids(frame, menu, session_id), ensure_ascii=False)
        before = snapshot_state(session_id)
        try:
            op_id, op = envelope.parse_op(frame, protocol.DINER_OPS)
            if isinstance(op, protocol.Sync):
                continue
            seq = ops.diner_op_apply(diner_id=diner.pk, op_id=op_id, op=op)
        except OpError:  # InvalidOp is one too
            assert snapshot_state(session_id) == before, frame
            event("refused")
            continue
        event("applied")
        after = snapshot_state(session_id)
        # one change at most per op, and the ack names the seq it left
        assert after[0] in (before[0], before[0] + 1)
        assert seq == after[0]
        check_invariants(session_id)


@pytest.mark.django_db
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    messages=st.lists(
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(
                    ["order.set_status", "dish.set_sold_out", "waiter.done", "nope"]
                ),
                "id": op_ids,
            },
            optional={
                "order_id": small_ids | junk,
                "status": st.text(max_size=12) | junk,
                "dish_id": small_ids | junk,
                "sold_out": junk,
                "call_id": small_ids | junk,
            },
        ),
        max_size=10,
    )
)
def test_kitchen_protocol(menu, messages):
    staff = kitchen_ops.Staff(user_id=1, role="manager", restaurant=menu.restaurant)
    for message in messages:
        try:
            op_id, op = envelope.parse_op(json.dumps(message), kitchen_protocol.KITCHEN_OPS)
            if isinstance(op, kitchen_protocol.Sync):
                continue
            kitchen_ops.staff_op_apply(staff=staff, op_id=op_id, op=op)
        except OpError:
            pass
    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses <= set(Order.Status.values)
