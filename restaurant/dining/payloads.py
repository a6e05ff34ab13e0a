"""How diners, cart lines and orders look on the wire (docs/protocol.md). One function each."""

from restaurant.dining.models import CartLine, Diner
from restaurant.kitchen.models import Order


def diner_payload(diner: Diner, *, online: bool) -> dict:
    return {"diner_id": diner.pk, "name": diner.name, "color": diner.color, "online": online}


def line_payload(line: CartLine, *, unit_price: int) -> dict:
    return {
        "line_id": line.pk,
        "dish_id": line.dish_id,
        "qty": line.qty,
        "options": line.options,
        "note": line.note,
        "added_by": line.added_by_id,
        "price": unit_price,  # unit price with options, computed here; informative only
    }


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
    }
