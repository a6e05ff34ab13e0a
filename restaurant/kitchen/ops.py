"""Apply one staff op from the kitchen socket, idempotently per staff user."""

from django.db import IntegrityError, transaction

from restaurant.core.access import StaffAccess, staff_access_require
from restaurant.dining.models import AppliedOp
from restaurant.kitchen import protocol
from restaurant.kitchen.selectors import kitchen_snapshot
from restaurant.kitchen.services import (
    order_recall,
    order_status_set,
    waiter_call_done,
    waiter_call_seen,
)
from restaurant.menu.services import dish_set_sold_out
from restaurant.realtime.errors import OpError

HANDLERS = {
    protocol.OrderSetStatus: lambda op, user_id: order_status_set(
        order_id=op.order_id, status=op.status, by_id=user_id, reason=op.reason
    ),
    protocol.OrderRecall: lambda op, user_id: order_recall(order_id=op.order_id, by_id=user_id),
    protocol.DishSetSoldOut: lambda op, _: dish_set_sold_out(
        dish_id=op.dish_id, sold_out=op.sold_out
    ),
    protocol.WaiterDone: lambda op, _: waiter_call_done(call_id=op.call_id),
    protocol.WaiterSeen: lambda op, _: waiter_call_seen(call_id=op.call_id),
}


def staff_socket_op_apply(
    *, access: StaffAccess, op_id: str, op: protocol._Op, calls: bool = True
) -> dict | None:
    """An op from a staff socket, its access asked again first: the socket may have outlived
    it (raises `AccessLost`). Returns the snapshot for `sync` (with waiter calls if ``calls``)."""
    staff_access_require(access)
    if isinstance(op, protocol.Sync):
        return kitchen_snapshot(calls=calls)
    staff_op_apply(user_id=access.user_id, op_id=op_id, op=op)
    return None


def _applied(actor: str, op_id: str) -> bool:
    return AppliedOp.objects.filter(actor=actor, op_id=op_id).exists()


def staff_op_apply(*, user_id: int, op_id: str, op: protocol._Op) -> None:
    """Apply ``op`` once; a resent op id is acknowledged again without applying it.

    A resend racing its first copy (two sockets of one user, a reconnect) passes the check
    too and waits on the first one's row locks; the move then refused (`conflict`: the order
    is already there) or the record refused (the unique op id) is answered with the first
    copy's ack once that is committed."""
    actor = f"u{user_id}"
    try:
        with transaction.atomic():
            if _applied(actor, op_id):
                return
            try:
                HANDLERS[type(op)](op, user_id)
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
