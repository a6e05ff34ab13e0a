"""How diners and cart lines look on the wire (docs/protocol.md). One function each. Orders
and waiter calls: restaurant/kitchen/payloads.py."""

from restaurant.dining.models import CartLine, Diner


def diner_payload(diner: Diner, *, online: bool) -> dict:
    """A diner at the table; a staff member ordering for it (代客下单) has ``"staff": true``
    (restaurant/dining/staff_diners.py), other diners have no such key."""
    payload = {"diner_id": diner.pk, "name": diner.name, "color": diner.color, "online": online}
    if diner.staff_id is not None:
        payload["staff"] = True
    return payload


def line_payload(line: CartLine, *, unit_price: int) -> dict:
    """A cart line; one shared by the table has ``"shared": true``, one packed to take away
    ``"takeaway": true`` (its price holds the packing fee); other lines no such keys."""
    payload = {
        "line_id": line.pk,
        "dish_id": line.dish_id,
        "qty": line.qty,
        "options": line.options,
        "note": line.note,
        "added_by": line.added_by_id,
        "price": unit_price,  # unit price with options, computed here; informative only
    }
    if line.shared:
        payload["shared"] = True
    if line.takeaway:
        payload["takeaway"] = True
    return payload
