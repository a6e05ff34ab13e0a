"""Apply one staff op from a kitchen or floor socket, idempotently per staff user, within the
socket's restaurant and as the user's role there allows NOW (restaurant/venues/roles.py)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from restaurant.dining.models import AppliedOp
from restaurant.kitchen import hooks, protocol
from restaurant.kitchen.adjustments import adjust_decide, item_adjust
from restaurant.kitchen.items import item_recall, item_status_set
from restaurant.kitchen.protocol import UNSET
from restaurant.kitchen.selectors import kitchen_snapshot
from restaurant.kitchen.services import (
    forbidden,
    order_recall,
    order_status_set,
    waiter_call_done,
    waiter_call_seen,
)
from restaurant.menu.services import dish_set_sold_out
from restaurant.menu.stock import dish_set_stock
from restaurant.realtime.errors import OpError
from restaurant.venues.access import StaffAccess, staff_access_require
from restaurant.venues.models import Restaurant
from restaurant.venues.roles import Action, role_may


@dataclass(frozen=True)
class Staff:
    """Who applies an op: the user, their role now, at the socket's restaurant."""

    user_id: int
    role: str
    restaurant: Restaurant

    def require(self, action: Action) -> None:
        if not role_may(self.role, action, self.restaurant):
            raise forbidden(action)


# The action each op is, where it does not depend on the state it finds: an order's status
# move is one of several (`kitchen.services.order_move_action`), asked under the order's lock.
OP_ACTIONS: dict[type, Action | None] = {
    protocol.OrderSetStatus: None,  # ORDER_ADVANCE, ORDER_SERVE, ORDER_ACCEPT or ORDER_CANCEL
    protocol.OrderRecall: Action.ORDER_RECALL,
    protocol.ItemSetStatus: None,  # ORDER_ADVANCE, ORDER_SERVE or ITEM_VOID: as for orders
    protocol.ItemRecall: Action.ORDER_RECALL,
    protocol.ItemAdjust: None,  # ITEM_VOID or ITEM_COMP, by its kind (asked by the service)
    protocol.AdjustDecide: Action.ADJUST_APPROVE,
    protocol.DishSetSoldOut: Action.DISH_SOLD_OUT,
    protocol.DishSetStock: Action.DISH_SOLD_OUT,  # who may take a dish off may count it
    protocol.WaiterDone: Action.CALL_HANDLE,
    protocol.WaiterSeen: Action.CALL_HANDLE,
}

HANDLERS: dict[type, Callable[[protocol._Op, Staff], object]] = {
    protocol.OrderSetStatus: lambda op, staff: order_status_set(
        restaurant=staff.restaurant,
        order_id=op.order_id,
        status=op.status,
        by_id=staff.user_id,
        reason=op.reason,
        role=staff.role,
    ),
    protocol.OrderRecall: lambda op, staff: order_recall(
        restaurant=staff.restaurant, order_id=op.order_id, by_id=staff.user_id
    ),
    protocol.ItemSetStatus: lambda op, staff: item_status_set(
        restaurant=staff.restaurant,
        item_id=op.item_id,
        status=op.status,
        by_id=staff.user_id,
        reason=op.reason,
        role=staff.role,
    ),
    protocol.ItemRecall: lambda op, staff: item_recall(
        restaurant=staff.restaurant, item_id=op.item_id, by_id=staff.user_id
    ),
    protocol.ItemAdjust: lambda op, staff: item_adjust(
        restaurant=staff.restaurant,
        item_id=op.item_id,
        kind=op.kind,
        qty=op.qty,
        reason_id=op.reason_id,
        by_id=staff.user_id,
        role=staff.role,
    ),
    protocol.AdjustDecide: lambda op, staff: adjust_decide(
        restaurant=staff.restaurant,
        adjustment_id=op.adjustment_id,
        approve=op.approve,
        by_id=staff.user_id,
    ),
    protocol.DishSetSoldOut: lambda op, staff: dish_set_sold_out(
        restaurant=staff.restaurant, dish_id=op.dish_id, sold_out=op.sold_out
    ),
    protocol.DishSetStock: lambda op, staff: dish_set_stock(
        restaurant=staff.restaurant,
        dish_id=op.dish_id,
        stock=op.stock,
        par=... if op.par is UNSET else op.par,
    ),
    protocol.WaiterDone: lambda op, staff: waiter_call_done(
        restaurant=staff.restaurant, call_id=op.call_id
    ),
    protocol.WaiterSeen: lambda op, staff: waiter_call_seen(
        restaurant=staff.restaurant, call_id=op.call_id
    ),
}


def staff_socket_op_apply(
    *, access: StaffAccess, op_id: str, op: protocol._Op, calls: bool = True
) -> dict | None:
    """An op from a staff socket, its access asked again first: the socket may have outlived
    it (raises `AccessLost`). Returns the snapshot for `sync` (with waiter calls if ``calls``)."""
    standing = staff_access_require(access)
    if isinstance(op, protocol.Sync):
        return kitchen_snapshot(restaurant=standing.restaurant, calls=calls,
                                user_id=access.user_id)  # fmt: skip
    staff = Staff(access.user_id, standing.role, standing.restaurant)
    staff_op_apply(staff=staff, op_id=op_id, op=op)
    return None


def staff_actor(staff: Staff) -> str:
    """The op log's actor for a staff op: the user AT the restaurant. A person working at two
    restaurants has one op id space per restaurant, so an id used at one never passes for a
    resend at the other (acknowledged there without being applied)."""
    return f"u{staff.user_id}r{staff.restaurant.pk}"


def _applied(actor: str, op_id: str) -> bool:
    return AppliedOp.objects.filter(actor=actor, op_id=op_id).exists()


def staff_op_apply(*, staff: Staff, op_id: str, op: protocol._Op) -> None:
    """Apply ``op`` once, if ``staff``'s role may (else `forbidden`, nothing changed); a
    resent op id is acknowledged again without applying it.

    A resend racing its first copy (two sockets of one user, a reconnect) passes the check
    too and waits on the first one's row locks; the move then refused (`conflict`: the order
    is already there) or the record refused (the unique op id) is answered with the first
    copy's ack once that is committed."""
    actor = staff_actor(staff)
    try:
        with transaction.atomic():
            if _applied(actor, op_id):
                return
            try:
                if type(op) in hooks.STAFF_OPS:
                    handler, action = hooks.STAFF_OPS[type(op)]
                else:
                    handler, action = HANDLERS[type(op)], OP_ACTIONS[type(op)]
                if action is not None:
                    staff.require(action)
                handler(op, staff)
            except OpError:
                if _applied(actor, op_id):
                    return
                raise
            AppliedOp.objects.create(
                actor=actor, op_id=op_id, op_type=type(op).__struct_config__.tag
            )
    except IntegrityError:
        if not _applied(actor, op_id):
            raise
