"""How orders and waiter calls look on the wire (docs/protocol.md). One function each."""

from restaurant.dining.meal import meal_payload
from restaurant.kitchen.models import Order, OrderItem, WaiterCall
from restaurant.venues.models import Station


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
                "item_id": item.pk,
                "dish_id": item.dish_id,
                "name": item.name,
                "qty": item.qty,
                "options": item.options,
                "option_names": item.option_names,
                "note": item.note,
                "added_by": item.added_by_id,
                "price": item.unit_price,
                # On the house (赠菜): on the bill at 0. Always there, false when not.
                "comped": item.comped,
                # The dish this row is a part of (taken back or comped on its own), or null.
                "split_from": item.split_from_id,
                **item_state(item),
                # Added as shared by the table: only then is the key there (always true).
                **({"shared": True} if item.shared else {}),
                # 打包: packed to take away (its price holds the fee); only then is it there.
                **({"takeaway": True} if item.takeaway else {}),
                # 套餐: a part of a set meal, its name and its line in the round (only then).
                **_set_of(item),
            }
            for item in order.items.all()
        ],
        "total": order.total,
        "created_at": order.created_at.isoformat(),
        "cancel_reason": order.cancel_reason,  # why staff cancelled it; "" when not said
    }


def _set_of(item: OrderItem) -> dict:
    """套餐: a part of a set meal names it (as sent; `set_dish_id` for its name in another
    language) and its line in the round. Other items carry none of these keys."""
    if not item.set_name:
        return {}
    return {"set_name": item.set_name, "set_dish_id": item.set_dish_id, "set_line": item.set_line}


def meal_of(session) -> dict:
    """What the kitchen shows of a round's meal: ``{session_id, guests, note}`` (人数 and the
    whole order's note, restaurant/dining/meal.py); `meal.changed` names the same session."""
    return {"session_id": session.pk, **meal_payload(session)}


def item_state(item: OrderItem) -> dict:
    """Where one dish of a round is: its station (an id, null where the restaurant has
    none), its status and since when, why it was voided, and when a diner may nudge it."""
    return {
        "station_id": item.station_id,
        "status": item.status,
        "status_at": item.status_changed_at.isoformat(),
        "void_reason": item.void_reason,
        "nudge_after": item.target_at.isoformat() if item.target_at else None,
        "nudged_at": item.nudged_at.isoformat() if item.nudged_at else None,
    }


def item_moved_payload(item: OrderItem) -> dict:
    """A dish that moved, as `item.status` and `order.status` (its ``items``) carry it."""
    state = item_state(item)
    return {"item_id": item.pk, "station_id": item.station_id, "status": item.status,
            "status_at": state["status_at"], "void_reason": item.void_reason}  # fmt: skip


def station_payload(station: Station) -> dict:
    return {
        "station_id": station.pk,
        "code": station.code,
        "name": station.name,
        "name_en": station.name_en,
        "target_minutes": station.target_minutes,
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
