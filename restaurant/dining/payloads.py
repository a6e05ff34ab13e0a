"""How diners and cart lines look on the wire (docs/protocol.md). One function each. Orders
and waiter calls: restaurant/kitchen/payloads.py."""

from restaurant.dining.models import CartLine, Diner


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
