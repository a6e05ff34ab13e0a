"""The permission table over the staff sockets: every role × every socket op is allowed (ack,
applied) or refused (`forbidden`, nothing applied, the socket stays open) exactly as
`restaurant/venues/roles.py` says, asked of the role the user holds at the socket's
restaurant. Which socket a role opens, and who may open which, is tested too."""

from types import SimpleNamespace

import pytest
from channels.db import database_sync_to_async

from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_open
from restaurant.kitchen.items import item_status_set
from restaurant.kitchen.models import Order, OrderItem, WaiterCall
from restaurant.kitchen.services import order_status_set
from restaurant.menu.models import Dish
from restaurant.venues.models import Restaurant, StaffMember
from restaurant.venues.roles import CONDITIONAL, PERMISSIONS, Action, role_may
from tests.dining.helpers import apply, arrive
from tests.kitchen.sockets import FloorSocket, KitchenSocket, staff_cookie

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = [role.value for role in StaffMember.Role]


def _round(menu, table, *, held: bool) -> Order:
    """A round at ``table``: held for staff (a meal the diner's scan opened) or not."""
    if not held:
        session_open(table=table, by_staff=True)
    diner = arrive(table)
    apply(diner, {"type": "cart.add", "id": f"a{table.pk}", "dish_id": menu.rice.pk})
    seq = DiningSession.objects.get(table=table, status="open").seq
    apply(diner, {"type": "order.submit", "id": f"s{table.pk}", "seq": seq})
    return Order.objects.filter(session__table=table).latest("pk")


def _call(menu) -> WaiterCall:
    diner = arrive(menu.other_table)
    apply(diner, {"type": "waiter.call", "id": "w", "reason": "water"})
    return WaiterCall.objects.get()


def _moved(menu, status: str) -> Order:
    order = _round(menu, menu.table, held=False)
    for step in ("accepted", "ready") if status == "ready" else (status,):
        order_status_set(restaurant=menu.restaurant, order_id=order.pk, status=step)
    return Order.objects.get(pk=order.pk)


def _item(menu, status: str | None = None) -> OrderItem:
    """The one dish of a flowing round, moved to ``status`` by the kitchen first if given."""
    item = _round(menu, menu.table, held=False).items.get()
    if status is not None:
        item_status_set(restaurant=menu.restaurant, item_id=item.pk, status=status)
    return OrderItem.objects.get(pk=item.pk)


def _reason(menu, kind: str):
    from restaurant.kitchen.models import AdjustReason

    return AdjustReason.objects.create(
        restaurant=menu.restaurant, name=kind, for_void=kind == "void", for_comp=kind == "comp"
    )


def _adjusting(menu, kind: str):
    """The one dish of a flowing round, with a reason to take it back or give it free."""
    item = _item(menu)
    return SimpleNamespace(pk=item.pk, reason_id=_reason(menu, kind).pk)


def _pending(menu):
    """A waiter's comp waiting for a manager (the restaurant wants approval)."""
    from restaurant.kitchen.adjustments import item_adjust

    Restaurant.objects.filter(pk=menu.restaurant.pk).update(adjust_needs_approval=True)
    menu.restaurant.refresh_from_db()
    item = _item(menu)
    return item_adjust(restaurant=menu.restaurant, item_id=item.pk, kind="comp", qty=1,
                       reason_id=_reason(menu, "comp").pk, by_id=None, role="waiter")  # fmt: skip


# Every op a staff socket takes, with what it needs in the database, the action it is, and
# how to tell that it applied. (`sync` is no action: whoever holds the socket may resync.)
CASES = {
    "advance": (
        Action.ORDER_ADVANCE,
        lambda menu: _round(menu, menu.table, held=False),
        lambda o: {"type": "order.set_status", "order_id": o.pk, "status": "preparing"},
        lambda o: Order.objects.get(pk=o.pk).status == "preparing",
    ),
    "serve": (
        Action.ORDER_SERVE,
        lambda menu: _moved(menu, "ready"),
        lambda o: {"type": "order.set_status", "order_id": o.pk, "status": "served"},
        lambda o: Order.objects.get(pk=o.pk).status == "served",
    ),
    # Served straight from accepted: it skips the kitchen's own move (ready), so it is theirs.
    "serve_early": (
        Action.ORDER_ADVANCE,
        lambda menu: _moved(menu, "accepted"),
        lambda o: {"type": "order.set_status", "order_id": o.pk, "status": "served"},
        lambda o: Order.objects.get(pk=o.pk).status == "served",
    ),
    "accept": (
        Action.ORDER_ACCEPT,
        lambda menu: _round(menu, menu.table, held=True),
        lambda o: {"type": "order.set_status", "order_id": o.pk, "status": "accepted"},
        lambda o: Order.objects.get(pk=o.pk).status == "accepted",
    ),
    "cancel": (
        Action.ORDER_CANCEL,
        lambda menu: _round(menu, menu.table, held=False),
        lambda o: {"type": "order.set_status", "order_id": o.pk, "status": "cancelled"},
        lambda o: Order.objects.get(pk=o.pk).status == "cancelled",
    ),
    "cancel_held": (
        Action.ORDER_CANCEL,
        lambda menu: _round(menu, menu.table, held=True),
        lambda o: {"type": "order.set_status", "order_id": o.pk, "status": "cancelled"},
        lambda o: Order.objects.get(pk=o.pk).status == "cancelled",
    ),
    "recall": (
        Action.ORDER_RECALL,
        lambda menu: _moved(menu, "accepted"),
        lambda o: {"type": "order.recall", "order_id": o.pk},
        lambda o: Order.objects.get(pk=o.pk).status == "submitted",
    ),
    "item_advance": (
        Action.ORDER_ADVANCE,
        _item,
        lambda i: {"type": "item.set_status", "item_id": i.pk, "status": "cooking"},
        lambda i: OrderItem.objects.get(pk=i.pk).status == "cooking",
    ),
    "item_serve": (
        Action.ORDER_SERVE,
        lambda menu: _item(menu, "ready"),
        lambda i: {"type": "item.set_status", "item_id": i.pk, "status": "served"},
        lambda i: OrderItem.objects.get(pk=i.pk).status == "served",
    ),
    "item_void": (
        Action.ITEM_VOID,
        _item,
        lambda i: {
            "type": "item.set_status",
            "item_id": i.pk,
            "status": "voided",
            "reason": "客人不要了",
        },
        lambda i: OrderItem.objects.get(pk=i.pk).status == "voided",
    ),
    "item_recall": (
        Action.ORDER_RECALL,
        lambda menu: _item(menu, "cooking"),
        lambda i: {"type": "item.recall", "item_id": i.pk},
        lambda i: OrderItem.objects.get(pk=i.pk).status == "queued",
    ),
    "item_adjust_void": (
        Action.ITEM_VOID,
        lambda menu: _adjusting(menu, "void"),
        lambda i: {
            "type": "item.adjust",
            "item_id": i.pk,
            "kind": "void",
            "qty": 1,
            "reason_id": getattr(i, "reason_id", 1),
        },
        lambda i: OrderItem.objects.get(pk=i.pk).status == "voided",
    ),
    "item_adjust_comp": (
        Action.ITEM_COMP,
        lambda menu: _adjusting(menu, "comp"),
        lambda i: {
            "type": "item.adjust",
            "item_id": i.pk,
            "kind": "comp",
            "qty": 1,
            "reason_id": getattr(i, "reason_id", 1),
        },
        lambda i: OrderItem.objects.get(pk=i.pk).comped,
    ),
    "adjust_decide": (
        Action.ADJUST_APPROVE,
        _pending,
        lambda a: {"type": "adjust.decide", "adjustment_id": a.pk, "approve": True},
        lambda a: type(a).objects.get(pk=a.pk).state == "applied",
    ),
    "sold_out": (
        Action.DISH_SOLD_OUT,
        lambda menu: menu.rice,
        lambda d: {"type": "dish.set_sold_out", "dish_id": d.pk, "sold_out": True},
        lambda d: Dish.objects.get(pk=d.pk).sold_out,
    ),
    "set_stock": (
        Action.DISH_SOLD_OUT,
        lambda menu: menu.rice,
        lambda d: {"type": "dish.set_stock", "dish_id": d.pk, "stock": 12, "par": 20},
        lambda d: Dish.objects.get(pk=d.pk).stock == 12,
    ),
    "call_seen": (
        Action.CALL_HANDLE,
        _call,
        lambda c: {"type": "waiter.seen", "call_id": c.pk},
        lambda c: WaiterCall.objects.get(pk=c.pk).seen_at is not None,
    ),
    "call_done": (
        Action.CALL_HANDLE,
        _call,
        lambda c: {"type": "waiter.done", "call_id": c.pk},
        lambda c: WaiterCall.objects.get(pk=c.pk).status == "done",
    ),
}


def test_every_socket_op_is_in_the_cases_and_every_case_is_an_action_of_the_table():
    from restaurant.kitchen import hooks, ops, protocol

    ops_taken = set(protocol.KITCHEN_OPS.values()) - {protocol.Sync}
    assert set(ops.OP_ACTIONS) | set(hooks.STAFF_OPS) == ops_taken
    assert {action for action, *_ in CASES.values()} <= set(PERMISSIONS)
    # Every op the kitchen's own table lists is tried by some case, by every role.
    tried = {CASES[case][2](SimpleNamespace(pk=1))["type"] for case in CASES}
    assert {cls.__struct_config__.tag for cls in ops.OP_ACTIONS} <= tried


async def socket_for(menu, role: str):
    """The staff socket this role works on: the kitchen display where it may see it, else
    the floor."""
    cls = KitchenSocket if role_may(role, Action.KITCHEN_VIEW, menu.restaurant) else FloorSocket
    return await cls.open(menu.restaurant, role)


# Every role × every case; the cases of an action with a conditional grant (restaurant/
# venues/roles.py, CONDITIONAL: the kitchen handles calls where they show on its display) also
# with the setting on.
CONDITIONAL_ACTIONS = {action for action, _role in CONDITIONAL}
MATRIX = [
    (role, case, setting)
    for role in ROLES
    for case, (action, *_) in CASES.items()
    for setting in ((False, True) if action in CONDITIONAL_ACTIONS else (False,))
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("role", "case", "calls_on_kitchen"), MATRIX)
async def test_every_role_and_every_socket_op_as_the_table_says(menu, role, case, calls_on_kitchen):
    action, prepare, message, applied = CASES[case]

    def set_up():
        Restaurant.objects.filter(pk=menu.restaurant.pk).update(calls_on_kitchen=calls_on_kitchen)
        menu.restaurant.refresh_from_db()
        return prepare(menu)

    target = await database_sync_to_async(set_up)()
    allowed = role_may(role, action, menu.restaurant)
    socket = await socket_for(menu, role)
    reply = await socket.op(message(target))
    if allowed:
        assert reply["type"] == "ack", reply
    else:
        assert (reply["type"], reply["code"]) == ("error", "forbidden"), reply
    assert await database_sync_to_async(applied)(target) is allowed
    # Refused or not, the socket stays open and serves its user.
    assert (await socket.op({"type": "sync"}))["type"] == "ack"
    await socket.close()


# A few rows written out, so that the test above cannot pass by reading a wrong table back:
# (role, case, calls_on_kitchen) → allowed.
LITERAL = {
    ("kitchen", "advance", False): True,
    ("waiter", "advance", False): False,  # a waiter serves; moving a ticket is the kitchen's
    ("waiter", "serve", False): True,
    ("waiter", "serve_early", False): False,  # not past the kitchen: it was never ready
    ("kitchen", "serve_early", False): True,
    ("cashier", "accept", False): True,  # the cashier lets a held first round through
    ("kitchen", "accept", False): True,
    ("waiter", "cancel", False): False,
    ("cashier", "cancel_held", False): False,  # only the kitchen or a manager cancels
    ("waiter", "recall", False): False,
    ("cashier", "sold_out", False): False,
    ("waiter", "sold_out", False): True,
    ("kitchen", "call_done", False): False,  # calls are the floor's...
    ("kitchen", "call_done", True): True,  # ...and the kitchen's where it shows them
    ("cashier", "call_seen", False): True,
    ("manager", "recall", False): True,
    ("waiter", "item_advance", False): False,  # a dish's cooking is the kitchen's
    ("waiter", "item_serve", False): True,
    ("waiter", "item_void", False): True,  # 退菜: the floor takes a dish back
    ("cashier", "item_void", False): False,
    ("kitchen", "item_recall", False): True,
}


@pytest.mark.parametrize(("role", "case", "calls_on_kitchen"), list(LITERAL))
def test_the_table_reads_as_written(menu, role, case, calls_on_kitchen):
    menu.restaurant.calls_on_kitchen = calls_on_kitchen
    action = CASES[case][0]
    assert role_may(role, action, menu.restaurant) is LITERAL[role, case, calls_on_kitchen]


@pytest.mark.asyncio
async def test_who_may_open_which_staff_socket(menu):
    """A cashier has no kitchen display; a cook has no floor; a manager and a waiter have
    both (`kitchen.view`, `floor.view`)."""
    expected = {
        "manager": (True, True),
        "waiter": (True, True),
        "kitchen": (True, False),
        "cashier": (False, True),
    }
    assert expected == {
        role: (
            role_may(role, Action.KITCHEN_VIEW, menu.restaurant),
            role_may(role, Action.FLOOR_VIEW, menu.restaurant),
        )
        for role in ROLES
    }
    for role, (kitchen, floor) in expected.items():
        cookie = await staff_cookie(menu.restaurant, role)
        for cls, may in ((KitchenSocket, kitchen), (FloorSocket, floor)):
            socket = cls(cookie)
            connected, _ = await socket.communicator.connect()
            assert connected is may, (role, cls.where)
            if connected:
                await socket.recv()
                await socket.close()
