"""The check as the till, the phones and the receipt read it (JSON-ready; money in minor
units, as every amount in the protocol)."""

from restaurant.billing.compute import Check, equal_parts
from restaurant.billing.models import Discount, Payment
from restaurant.billing.selectors import check_state, diner_dues, paid_total, share_due
from restaurant.dining.models import Diner, DiningSession
from restaurant.kitchen.models import OrderItem
from restaurant.venues.models import Restaurant


def _discount(d: Discount, taken: int | None = None, names: dict | None = None) -> dict:
    return {
        "id": d.pk,
        "item_id": d.item_id,
        "percent": str(d.percent) if d.percent is not None else None,
        "amount": d.amount,
        "taken": taken,
        "reason": d.reason,
        "by": (names if names is not None else _names([d.by_id])).get(d.by_id, ""),
    }


def _names(user_ids) -> dict[int, str]:
    """Staff members' names as the till shows them (full name, else user name), in one query."""
    from django.contrib.auth import get_user_model

    wanted = {u for u in user_ids if u is not None}
    if not wanted:
        return {}
    users = get_user_model().objects.filter(pk__in=wanted)
    return {u.pk: u.get_full_name() or u.get_username() for u in users}


def payment_payload(p: Payment, names: dict | None = None) -> dict:
    return {
        "id": p.pk,
        "kind": p.kind,
        "method": p.method,
        "amount": p.amount,
        "tendered": p.tendered,
        "change": p.change,
        "target": p.target,
        "diner_id": p.diner_id,
        "refund_of": p.refund_of_id,
        "reason": p.reason,
        "state": p.state,
        "at": p.at.isoformat(),
        "by": (names if names is not None else _names([p.by_id])).get(p.by_id, ""),
    }


def check_payload(
    session: DiningSession,
    restaurant: Restaurant,
    check: Check,
    items: list[OrderItem],
    diners: list[Diner],
    offs: list[Discount],
    payments: list[Payment],
    *,
    equal: int | None = None,
) -> dict:
    """Everything the check shows. ``equal``: also the n equal shares (AA) with what each
    still owes. Diner ``part`` is their share by who had what; ``due`` what of it is unpaid."""
    by_key = {r.key: r for r in check.lines}
    names = _names(
        [d.by_id for i in items for d in i.discounts.all()]
        + [d.by_id for d in offs]
        + [p.by_id for p in payments]
    )
    paid = paid_total(payments)
    lines = []
    for item in items:
        result = by_key[item.pk]
        rows = list(item.owners.all())
        lines.append({
            "item_id": item.pk,
            "name": item.name,
            "options": item.option_names,
            "note": item.note,
            "qty": item.qty,
            "unit_price": item.unit_price,
            "amount": result.amount,
            "comped": item.comped,
            "discount": result.discount,
            "net": result.net,
            "added_by": item.added_by_id,
            "owners": list(result.owners),
            # Shared: among several by an explicit share, or added as shared by the table
            # and not claimed since.
            "shared": len(rows) > 1 or (not rows and item.shared),
            "takeaway": item.takeaway,  # 打包: its unit price holds the packing fee
            # 套餐: a part of a set meal (its share of the set's price), and which set.
            **({"set_name": item.set_name, "set_dish_id": item.set_dish_id,
                "set_line": item.set_line} if item.set_name else {}),
            "claimed": len(rows) == 1,
            "round": item.order.round,
            "discounts": [_discount(d, names=names) for d in item.discounts.all()],
        })  # fmt: skip
    taken = dict(check.check_discounts)
    diner_rows = []
    dues = diner_dues(check, payments)
    for d in diners:
        if d.pk not in check.per_owner and not paid_total(payments, f"diner:{d.pk}"):
            continue  # nothing of theirs on the check (staff's diner with nothing, say)
        target = f"diner:{d.pk}"
        diner_rows.append({
            "diner_id": d.pk, "name": d.name, "color": d.color, "staff": d.staff_id is not None,
            "target": target, "part": check.per_owner.get(d.pk, 0),
            "paid": paid_total(payments, target),
            "due": dues.get(d.pk, 0),
            # Paid past their part (a dish of theirs voided after they paid): it went toward
            # the others' dues; the till shows it (a refund gives it back).
            "over": max(paid_total(payments, target) - check.per_owner.get(d.pk, 0), 0),
        })  # fmt: skip
    payload = {
        "session_id": session.pk,
        "currency": restaurant.currency,
        "table": {"number": session.table.number, "label": session.table.label},
        "state": check_state(check, payments),
        "closed": session.status != DiningSession.Status.OPEN,
        "lines": lines,
        "subtotal": check.subtotal,
        "comped": check.comped,
        "line_discounts": check.line_discounts,
        "discounts": [_discount(d, taken.get(d.pk), names) for d in offs],
        "discount_total": check.discounts,
        "service_percent": str(restaurant.service_percent),
        "service": check.service,
        "cover_charge": restaurant.cover_charge,
        "guests": check.cover // restaurant.cover_charge if restaurant.cover_charge else None,
        "cover": check.cover,
        "rounding_rule": restaurant.rounding,
        "rounding": check.rounding,
        "total": check.total,
        "paid": paid,
        "balance": check.total - paid,
        "diners": diner_rows,
        "table_part": check.per_owner.get(None, 0),
        "table_due": dues.get(None, 0),
        "payments": [payment_payload(p, names) for p in payments],
        "methods": list(restaurant.payment_methods),
    }
    if equal:
        parts = equal_parts(check.total, equal)
        payload["equal"] = [
            {"target": f"equal:{equal}:{k}", "part": part,
             "paid": paid_total(payments, f"equal:{equal}:{k}"),
             "due": share_due(check, payments, f"equal:{equal}:{k}")}
            for k, part in enumerate(parts)
        ]  # fmt: skip
    return payload
