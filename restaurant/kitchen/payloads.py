"""How orders and waiter calls look on the wire (docs/protocol.md). One function each."""

from restaurant.kitchen.models import Order, WaiterCall


def order_payload(order: Order) -> dict:
    return {
        "order_id": order.pk,
        "round": order.round,
        "status": order.status,
        # Held for staff (the first round of a meal a diner's scan opened) until accepted.
        "awaiting_confirmation": order.is_awaiting_confirmation,
        "by": order.submitted_by_id,
        "items": [
            {
                "dish_id": item.dish_id,
                "name": item.name,
                "qty": item.qty,
                "options": item.options,
                "option_names": item.option_names,
                "note": item.note,
                "added_by": item.added_by_id,
                "price": item.unit_price,
            }
            for item in order.items.all()
        ],
        "total": order.total,
        "created_at": order.created_at.isoformat(),
        "cancel_reason": order.cancel_reason,  # why staff cancelled it; "" when not said
    }


def call_state(call: WaiterCall) -> str:
    """`sent` until staff see it, then `seen`, then `done`."""
    if call.status == WaiterCall.Status.DONE:
        return "done"
    return "seen" if call.seen_at else "sent"


def call_payload(call: WaiterCall) -> dict:
    """A waiter call as the table sees it: every phone at the table follows its state."""
    return {
        "call_id": call.pk,
        "reason": call.reason,
        "state": call_state(call),
        "by": call.diner_id,
        "at": call.created_at.isoformat(),
        "seen_at": call.seen_at.isoformat() if call.seen_at else None,
        "done_at": call.done_at.isoformat() if call.done_at else None,
    }
