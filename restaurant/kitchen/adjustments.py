"""A quantity of one sent dish taken back (退菜, kind ``void``) or given free (赠菜, kind
``comp``), with a reason from the restaurant's list (`AdjustReason`), and where the restaurant
wants it (`Restaurant.adjust_needs_approval`) a manager's approval first.

The whole of a dish: the dish itself is voided (through `items.item_status_set`, so its move,
its station's void slip and its events are the ones any void makes) or marked comped. A part
of it (2 of 3 bowls): the dish keeps the rest, and a new row (`OrderItem.split_from` = the
dish) carries the part, voided or comped. Either way the table and the kitchen get the round
whole (`order.items`): a part is a dish they have never seen.

Every adjustment is an `ItemAdjustment` row, applied, pending or refused: who asked, when,
why (the reason and its words then), the dish before and after. Locks: the meal, then the
round, then the dish (restaurant/kitchen/items.py), so two adjustments of one dish, or an
adjustment and a move, take turns."""

from django.db import transaction
from django.utils import timezone

from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_change
from restaurant.kitchen.items import _item_locked, _round_follow, item_status_set
from restaurant.kitchen.models import AdjustReason, ItemAdjustment, Order, OrderItem
from restaurant.kitchen.payloads import meal_of, order_payload
from restaurant.kitchen.rules import forbidden, tell_kitchen
from restaurant.realtime.errors import OpError
from restaurant.venues.models import Restaurant
from restaurant.venues.roles import Action, role_may

K = ItemAdjustment.Kind
A = ItemAdjustment.State
ACTION_OF_KIND = {K.VOID: Action.ITEM_VOID, K.COMP: Action.ITEM_COMP}
NO_LONGER_POSSIBLE = "no longer possible"


def item_amount_state(item: OrderItem) -> dict:
    """``{qty, status, comped, amount}`` of a dish: ``amount`` is what it charges, in minor
    units (0 when voided or comped)."""
    charged = item.status != OrderItem.Status.VOIDED and not item.comped
    return {"qty": item.qty, "status": item.status, "comped": item.comped,
            "amount": item.unit_price * item.qty if charged else 0}  # fmt: skip


def _user_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def adjustment_payload(adjustment: ItemAdjustment) -> dict:
    """One adjustment as staff see it (the sockets' ``adjust.pending`` and ``adjust.decided``,
    the snapshot's ``adjustments_pending``, the audit page). Reads ``item__order__session__
    table``, ``by`` and ``decided_by`` (select them)."""
    item, order = adjustment.item, adjustment.item.order
    table = order.session.table
    return {
        "adjustment_id": adjustment.pk,
        "item_id": adjustment.item_id,
        "part_id": adjustment.part_id,
        "order_id": order.pk,
        "round": order.round,
        "table": {"number": table.number, "label": table.label},
        "dish_id": item.dish_id,
        "name": item.name,
        "station_id": item.station_id,
        "kind": adjustment.kind,
        "qty": adjustment.qty,
        "reason_id": adjustment.reason_id,
        "reason": adjustment.reason_text,
        "state": adjustment.state,
        "by": adjustment.by_id,
        "by_name": _user_name(adjustment.by),
        "at": adjustment.at.isoformat(),
        "decided_by": adjustment.decided_by_id,
        "decided_by_name": _user_name(adjustment.decided_by),
        "decided_at": adjustment.decided_at.isoformat() if adjustment.decided_at else None,
        "before": adjustment.before,
        "after": adjustment.after,
    }


def adjustments_read():
    """Adjustments with what `adjustment_payload` reads."""
    return ItemAdjustment.objects.select_related("item__order__session__table", "by",
                                                 "decided_by")  # fmt: skip


def adjustments_pending(restaurant: Restaurant) -> list[dict]:
    """``restaurant``'s adjustments waiting for a manager, oldest first (the staff snapshot)."""
    pending = adjustments_read().filter(restaurant_id=restaurant.pk, state=A.PENDING)
    return [adjustment_payload(a) for a in pending.order_by("at", "pk")]


def adjust_reasons(restaurant: Restaurant) -> list[dict]:
    """``restaurant``'s active reasons, in its order: ``[{id, name, name_en, for_void,
    for_comp}]`` (the staff snapshot)."""
    reasons = AdjustReason.objects.filter(restaurant_id=restaurant.pk, active=True)
    return [{"id": r.pk, "name": r.name, "name_en": r.name_en, "for_void": r.for_void,
             "for_comp": r.for_comp} for r in reasons]  # fmt: skip


def _reason_text(reason: AdjustReason) -> str:
    return " ".join(part for part in (reason.name, reason.name_en) if part)[:120]


def _reason_of(restaurant: Restaurant, kind: str, reason_id: int) -> AdjustReason:
    for_kind = {"for_void": True} if kind == K.VOID else {"for_comp": True}
    reason = AdjustReason.objects.filter(
        pk=reason_id, restaurant_id=restaurant.pk, active=True, **for_kind
    ).first()
    if reason is None:
        raise OpError("bad_request", f"reason {reason_id} is not one of this restaurant's "
                      f"reasons to {'take a dish back' if kind == K.VOID else 'give it free'}",
                      detail="reason_id")  # fmt: skip
    return reason


def _refusal(item: OrderItem, order: Order, session: DiningSession, kind: str, qty: int):
    """Why ``qty`` of ``item`` cannot be adjusted as ``kind`` now (an `OpError`), or None."""
    if session.status != DiningSession.Status.OPEN:
        return OpError("conflict", f"the meal of item {item.pk} has ended")
    if order.status == Order.Status.CANCELLED:
        return OpError("conflict", f"round {order.round} was cancelled")
    if order.is_awaiting_confirmation:
        return OpError("conflict", f"order {order.pk} waits for staff to confirm it: accept "
                       "or cancel it")  # fmt: skip
    if item.status == OrderItem.Status.VOIDED:
        return OpError("conflict", f"item {item.pk} was taken back")
    if kind == K.COMP and item.comped:
        return OpError("conflict", f"item {item.pk} is already on the house")
    if qty > item.qty:
        return OpError("bad_request", f"{qty} is more than was sent ({item.qty})", detail="qty")
    return None


def _round_told(order_id: int, session: DiningSession) -> None:
    """The round whole, to the table (with seq) and the kitchen: its dishes changed (a qty
    dropped, a part came)."""
    order = Order.objects.prefetch_related("items").get(pk=order_id)
    payload = order_payload(order)
    session_change(session, {"type": "order.items", "order": payload})
    table = session.table
    tell_kitchen(order.restaurant_id, {"type": "order.items",
                                       "order": {**payload, "meal": meal_of(session)},
                                       "table": {"number": table.number,
                                                 "label": table.label}})  # fmt: skip


def _apply(
    adjustment: ItemAdjustment, item: OrderItem, order: Order, session: DiningSession,
    *, restaurant: Restaurant, by_id: int | None,
) -> None:  # fmt: skip
    """Carry out ``adjustment`` on ``item`` (locked, checked): split off the part if it is not
    the whole, void it (as any void) or comp it; fill in the row's before and after."""
    now = timezone.now()
    before = item_amount_state(item)
    part = None
    target = item
    if adjustment.qty < item.qty:
        item.qty -= adjustment.qty
        item.save(update_fields=["qty"])
        part = OrderItem.objects.create(
            order=order, dish_id=item.dish_id, name=item.name, qty=adjustment.qty,
            options=item.options, option_names=item.option_names, note=item.note,
            added_by_id=item.added_by_id, shared=item.shared, takeaway=item.takeaway,
            unit_price=item.unit_price, station_id=item.station_id, status=item.status,
            status_changed_at=item.status_changed_at, target_at=item.target_at,
            nudged_at=item.nudged_at, nudges=item.nudges, comped=item.comped, split_from=item,
            set_name=item.set_name, set_line=item.set_line, set_dish_id=item.set_dish_id,
        )  # fmt: skip
        target = part
    if adjustment.kind == K.VOID:
        # The one void path: its move, the round following, its events, its station's slip.
        target = item_status_set(restaurant=restaurant, item_id=target.pk, status="voided",
                                 by_id=by_id, reason=adjustment.reason_text)  # fmt: skip
        # That path locked and changed the meal through its own copy of the row (its events
        # took the next seqs): this copy must count on from there, not from before.
        session.refresh_from_db(fields=["seq", "cart_seq"])
    else:
        target.comped = True
        target.save(update_fields=["comped"])
        _round_follow(order, session, now)  # its total: a dish on the house charges nothing
    item.refresh_from_db()
    adjustment.part = target
    adjustment.before = before
    adjustment.after = {**item_amount_state(item),
                        "part": item_amount_state(target) if part else None}  # fmt: skip
    adjustment.state = A.APPLIED
    adjustment.save()
    _round_told(order.pk, session)


def _adjustment_told(adjustment: ItemAdjustment, event_type: str, **extra) -> None:
    fresh = adjustments_read().get(pk=adjustment.pk)
    event = {"type": event_type, "adjustment": adjustment_payload(fresh), **extra}
    tell_kitchen(adjustment.restaurant_id, event)


@transaction.atomic
def item_adjust(
    *, restaurant: Restaurant, item_id: int, kind: str, qty: int, reason_id: int,
    by_id: int | None, role: str | None,
) -> ItemAdjustment:  # fmt: skip
    """Take ``qty`` of ``restaurant``'s sent dish ``item_id`` back (``kind`` "void") or give it
    free ("comp"), for the restaurant's active reason ``reason_id`` for that kind, asked by
    user ``by_id`` whose role there is ``role`` (void: `Action.ITEM_VOID`, comp:
    `Action.ITEM_COMP`). All of it: the dish itself; less: a new row splits off with the part.
    Where the restaurant wants approval and ``role`` may not approve
    (`Action.ADJUST_APPROVE`), the row waits (``pending``), nothing else changes, and the
    kitchen and floor sockets are told (``adjust.pending``); `adjust_decide` settles it.

    Errors (`OpError`), each with nothing changed: bad_request (kind, qty < 1 or more than
    the dish has left, a reason not in the list for that kind), forbidden (the role; a
    station kept to another station's dish), not_found (no such dish here), conflict (the
    dish voided, or already comped for a comp; its round cancelled or held for staff; the
    meal ended)."""
    if kind not in K.values:
        raise OpError("bad_request", f"kind is void or comp, not {kind!r}", detail="kind")
    if qty < 1:
        raise OpError("bad_request", "qty is at least 1", detail="qty")
    action = ACTION_OF_KIND[kind]
    if not role_may(role, action, restaurant):
        raise forbidden(action)
    item, order, session = _item_locked(restaurant, item_id)
    reason = _reason_of(restaurant, kind, reason_id)
    refused = _refusal(item, order, session, kind, qty)
    if refused is not None:
        raise refused
    adjustment = ItemAdjustment(
        restaurant_id=restaurant.pk, session=session, item=item, kind=kind, qty=qty,
        reason=reason, reason_text=_reason_text(reason), by_id=by_id, at=timezone.now(),
        before=item_amount_state(item),
    )  # fmt: skip
    needs_approval = Restaurant.objects.filter(
        pk=restaurant.pk, adjust_needs_approval=True
    ).exists()
    if needs_approval and not role_may(role, Action.ADJUST_APPROVE, restaurant):
        adjustment.state = A.PENDING
        adjustment.save()
        _adjustment_told(adjustment, "adjust.pending")
        return adjustment
    _apply(adjustment, item, order, session, restaurant=restaurant, by_id=by_id)
    _adjustment_told(adjustment, "adjust.applied")
    return adjustment


@transaction.atomic
def adjust_decide(
    *, restaurant: Restaurant, adjustment_id: int, approve: bool, by_id: int | None,
    role: str | None = None,
) -> ItemAdjustment:  # fmt: skip
    """A manager (``role`` must hold `Action.ADJUST_APPROVE`; None: the caller has asked)
    settles a pending adjustment of ``restaurant``: approved, it is applied as `item_adjust`
    would now, checked against the dish as it is now; where it no longer fits (the dish was
    voided or moved on meanwhile) it is refused instead, with the reason "no longer possible"
    (``after.refused``). Refused, nothing else changes. Either way the kitchen and floor
    sockets are told (``adjust.decided {adjustment}``) and the row says who decided, when.

    Errors: forbidden (the role), not_found (no such adjustment here), conflict (already
    decided)."""
    if role is not None and not role_may(role, Action.ADJUST_APPROVE, restaurant):
        raise forbidden(Action.ADJUST_APPROVE)
    found = (
        ItemAdjustment.objects.filter(pk=adjustment_id, restaurant_id=restaurant.pk)
        .values_list("item_id", flat=True)
        .first()
    )
    if found is None:
        raise OpError("not_found", f"no adjustment {adjustment_id}", detail="adjustment")
    item, order, session = _item_locked(restaurant, found)
    adjustment = ItemAdjustment.objects.select_for_update().get(pk=adjustment_id)
    if adjustment.state != A.PENDING:
        raise OpError("conflict", f"adjustment {adjustment_id} was already {adjustment.state}")
    adjustment.decided_by_id = by_id
    adjustment.decided_at = timezone.now()
    refused = _refusal(item, order, session, adjustment.kind, adjustment.qty) if approve else None
    if approve and refused is None:
        _apply(adjustment, item, order, session, restaurant=restaurant, by_id=by_id)
    else:
        adjustment.state = A.REFUSED
        if refused is not None:
            adjustment.after = {"refused": f"{NO_LONGER_POSSIBLE}: {refused.message}"}
        adjustment.save()
    _adjustment_told(adjustment, "adjust.decided")
    return adjustment
