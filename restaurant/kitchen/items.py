"""Each dish of a round on its own: queued → cooking → ready → served, or voided (退菜) by staff
with a reason; taken back within the recall window; nudged (催菜) by a diner once it is late.

A round's status follows from its items (`round_status`): the kitchen moves dishes, the table
and the floor read rounds. Every writer locks the meal first, then the order, then the item
(the order every other kitchen writer takes: restaurant/kitchen/services.py)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from restaurant.dining.models import Diner, DiningSession
from restaurant.dining.names import refuse_invisible
from restaurant.dining.services import session_change, session_lock
from restaurant.kitchen import hooks
from restaurant.kitchen.models import ItemMove, Order, OrderItem, OrderMove
from restaurant.kitchen.payloads import item_moved_payload
from restaurant.kitchen.rules import forbidden, recall_window, tell_kitchen
from restaurant.realtime.errors import OpError
from restaurant.venues.models import Restaurant, StaffMember
from restaurant.venues.roles import Action, role_may

I = OrderItem.Status  # noqa: E741 (the item's status, as S is the order's)
S = Order.Status
ITEM_RANK = {I.QUEUED: 0, I.COOKING: 1, I.READY: 2, I.SERVED: 3}
# The round status each item status stands for, once the kitchen has started on the round.
ROUND_OF_ITEM = {I.COOKING: S.PREPARING, I.READY: S.READY, I.SERVED: S.SERVED}
# What a move of the whole round does to each of its live items (`order.set_status`).
ITEM_OF_ROUND = {S.PREPARING: I.COOKING, S.READY: I.READY, S.SERVED: I.SERVED}
NUDGEABLE = {I.QUEUED, I.COOKING, I.READY}


def round_status(order: Order, items: list[OrderItem]) -> str:
    """The status ``order`` has given its ``items``: all voided → cancelled; the least
    advanced live item decides, except that a round whose dishes are all still queued keeps
    its own submitted/accepted (whether staff let it through; one whose dishes were all
    taken back goes back to where the round's own moves had left it), and one with any dish
    started is preparing."""
    live = [item for item in items if item.status != I.VOIDED]
    if not live:
        return S.CANCELLED
    lowest = min(live, key=lambda item: ITEM_RANK[item.status]).status
    if lowest != I.QUEUED:
        return ROUND_OF_ITEM[lowest]
    if any(item.status != I.QUEUED for item in live):
        return S.PREPARING
    if order.status in (S.SUBMITTED, S.ACCEPTED):
        return order.status
    # Every dish is back in the queue (taken back): where staff had left the round.
    last = order.moves.order_by("-at", "-pk").first()
    if last is None:
        return S.SUBMITTED
    return last.to_status if last.to_status in (S.SUBMITTED, S.ACCEPTED) else S.ACCEPTED


def item_move_action(item: OrderItem, status: str) -> Action:
    """Which staff action moving ``item`` to ``status`` is (restaurant/venues/roles.py), as
    for a round (`services.order_move_action`): serving what is ready is the floor's."""
    if status == I.VOIDED:
        return Action.ITEM_VOID
    if status == I.SERVED and item.status == I.READY:
        return Action.ORDER_SERVE
    return Action.ORDER_ADVANCE


def staff_station_id(restaurant: Restaurant, user_id: int | None) -> int | None:
    """The one station a person is kept to at ``restaurant`` (`StaffMember.station`), or
    None: the whole kitchen."""
    if user_id is None:
        return None
    return (
        StaffMember.objects.filter(user_id=user_id, restaurant_id=restaurant.pk)
        .values_list("station_id", flat=True)
        .first()
    )


def _item_locked(restaurant: Restaurant, item_id: int) -> tuple[OrderItem, Order, DiningSession]:
    """One of ``restaurant``'s sent items, its round and its meal, all locked (meal first).
    Another restaurant's item id is answered exactly as an unknown one. A round that went to
    another meal while this waited for the meal's lock (a join or its split: restaurant/floor/
    moves.py) is looked up again: its changes belong to the meal it is in now."""
    for _ in range(3):
        found = (
            OrderItem.objects.filter(pk=item_id, order__restaurant_id=restaurant.pk)
            .values_list("order_id", "order__session_id")
            .first()
        )
        if found is None:
            raise OpError("not_found", f"no item {item_id}", detail="item")
        order_id, session_id = found
        session = session_lock(session_id)
        # Only the order's row (`of`): the meal is locked already, its table need not be.
        orders = Order.objects.select_for_update(of=("self",)).select_related("session__table")
        order = orders.get(pk=order_id)
        if order.session_id == session.pk:
            item = OrderItem.objects.select_for_update().get(pk=item_id)
            return item, order, session
    raise OpError("conflict", "the table changed meanwhile: try again", detail="moved")


def _check_station(restaurant: Restaurant, item: OrderItem, by_id: int | None) -> None:
    station_id = staff_station_id(restaurant, by_id)
    if station_id is not None and item.station_id != station_id:
        raise OpError(
            "forbidden", "this dish is made at another station", action="station",
            station_id=item.station_id,
        )  # fmt: skip


def _round_follow(order: Order, session: DiningSession, now) -> bool:
    """Set the round's status from its items, and its total from the live ones (a voided or
    comped dish is not charged; a round with all voided is cancelled and keeps the total it
    had, as a round cancelled whole does). Returns whether the status changed (the caller
    tells the table and the kitchen: `_announce_round`)."""
    items = list(order.items.all())
    status = round_status(order, items)
    live = [i for i in items if i.status != I.VOIDED]
    # A dish on the house (comped) charges nothing: its price stays on the dish.
    total = sum(i.unit_price * i.qty for i in live if not i.comped) if live else order.total
    changed = status != order.status
    fields = []
    if total != order.total:
        order.total = total
        fields.append("total")
    if changed:
        order.status = status
        order.status_changed_at = now
        if status != S.CANCELLED:
            order.cancel_reason = ""
        fields += ["status", "status_changed_at", "cancel_reason"]
    if fields:
        order.save(update_fields=fields)
    return changed


def _announce_round(order: Order, session: DiningSession) -> None:
    """The round's status changed with a dish: after the dish's own event, as it follows."""
    event = {"type": "order.status", "order_id": order.pk, "status": order.status,
             "awaiting_confirmation": order.is_awaiting_confirmation}  # fmt: skip
    session_change(session, dict(event))
    tell_kitchen(order.restaurant_id, event)


def _item_event(item: OrderItem, order: Order, *, recalled: bool = False) -> dict:
    event = {
        "type": "item.status",
        "order_id": order.pk,
        **item_moved_payload(item),
        "order_status": order.status,
        "order_total": order.total,  # a voided dish is not charged: the round's new total
    }  # fmt: skip
    if recalled:
        event["recalled"] = True
    return event


def _announce(item: OrderItem, order: Order, session: DiningSession, *, recalled=False) -> None:
    event = _item_event(item, order, recalled=recalled)
    session_change(session, dict(event))
    table = session.table
    tell_kitchen(order.restaurant_id,
                  {**event, "table": {"number": table.number, "label": table.label}})  # fmt: skip


@transaction.atomic
def item_status_set(
    *,
    restaurant: Restaurant,
    item_id: int,
    status: str,
    by_id: int | None = None,
    reason: str = "",
    role: str | None = None,
) -> OrderItem:
    """Move one sent dish of ``restaurant``: forward (skipping allowed: queued → ready), or to
    voided from any state but voided, with ``reason`` (1..120 characters: the table sees it).
    ``role``: the mover's role now (the action depends on the item as locked:
    `item_move_action`); None when the caller has asked. A person kept to a station may move
    only its dishes.

    Errors (`OpError`): not_found (unknown here), bad_request (status, reason), forbidden,
    conflict (backward, the same, after voided, or the round still held for staff)."""
    if status not in I.values or status == I.QUEUED:
        raise OpError("bad_request", f"an item moves to cooking, ready, served or voided, "
                      f"not {status!r}", detail="status")  # fmt: skip
    reason = " ".join(reason.split())
    if status == I.VOIDED:
        if not 1 <= len(reason) <= 120:
            raise OpError("bad_request", "say why the dish is taken back (1..120 characters)",
                          detail="reason")  # fmt: skip
        refuse_invisible(reason, "reason")
    item, order, session = _item_locked(restaurant, item_id)
    if role is not None:
        action = item_move_action(item, status)
        if not role_may(role, action, restaurant):
            raise forbidden(action)
        if (
            status == I.VOIDED
            and restaurant.adjust_needs_approval
            and not role_may(role, Action.ADJUST_APPROVE, restaurant)
        ):
            # Where the restaurant wants a manager's word on every dish taken back, the
            # free-text void would go around it: `item.adjust` asks (adjustments.py).
            raise OpError("forbidden", "a manager approves dishes taken back here: item.adjust",
                          detail="needs_approval")  # fmt: skip
    _check_station(restaurant, item, by_id)
    if item.status == I.VOIDED:
        raise OpError("conflict", f"item {item_id} was taken back")
    if status != I.VOIDED and ITEM_RANK[status] <= ITEM_RANK[item.status]:
        raise OpError("conflict", f"item {item_id} cannot move from {item.status} to {status}")
    if order.is_awaiting_confirmation:
        raise OpError("conflict", f"order {order.pk} waits for staff to confirm it: accept "
                      "or cancel it")  # fmt: skip
    now = timezone.now()
    reason = reason if status == I.VOIDED else ""
    ItemMove.objects.create(item=item, from_status=item.status, to_status=status, reason=reason,
                            by_id=by_id, at=now)  # fmt: skip
    item.status = status
    item.status_changed_at = now
    item.void_reason = reason
    item.save(update_fields=["status", "status_changed_at", "void_reason"])
    round_moved = _round_follow(order, session, now)
    _announce(item, order, session)
    if round_moved:
        _announce_round(order, session)
    if status == I.VOIDED:
        for hook in hooks.ITEM_VOIDED:  # the void slip for its station, in this transaction
            hook(item)
    return item


@transaction.atomic
def item_recall(*, restaurant: Restaurant, item_id: int, by_id: int | None = None) -> OrderItem:
    """Take back the dish's last move if staff made it within the recall window
    (settings.RESTAURANT["RECALL_SECONDS"]) and the meal is still open: a mis-tap on a board.
    A move the whole round made (`order.set_status`) is taken back with the round
    (`order.recall`). Recorded as a move of its own; a recall is never recalled."""
    item, order, session = _item_locked(restaurant, item_id)
    _check_station(restaurant, item, by_id)
    last = item.moves.order_by("-at", "-pk").first()
    if last is None or last.recall or last.to_status != item.status:
        raise OpError("conflict", f"item {item_id} has no move to take back")
    if last.order_move_id is not None:
        raise OpError("conflict", f"item {item_id} moved with its round: take back the round")
    now = timezone.now()
    if now > last.at + recall_window():
        raise OpError("conflict", f"item {item_id} moved too long ago to take it back")
    if session.status != DiningSession.Status.OPEN:
        raise OpError("conflict", f"the meal of item {item_id} has ended")
    ItemMove.objects.create(item=item, from_status=item.status, to_status=last.from_status,
                            recall=True, by_id=by_id, at=now)  # fmt: skip
    unvoided = item.status == I.VOIDED
    item.status = last.from_status
    item.status_changed_at = now
    item.void_reason = ""
    item.save(update_fields=["status", "status_changed_at", "void_reason"])
    round_moved = _round_follow(order, session, now)
    _announce(item, order, session, recalled=True)
    if round_moved:
        _announce_round(order, session)
    if unvoided:
        for hook in hooks.ITEM_UNVOIDED:  # the dish is owed again: its station is told
            hook(item)
    return item


def items_follow_round(order: Order, status: str, *, move: OrderMove, reason: str = "") -> list:
    """A whole-round move (`order.set_status`) carried to its items, each move recorded with
    ``move`` so that recalling the round recalls them: preparing/ready/served bring every live
    item below it up to it; cancelled voids every live one with the round's ``reason``.
    Returns the items moved. The caller holds the round's lock and tells the table."""
    if status == S.CANCELLED:
        target = I.VOIDED
    elif status in ITEM_OF_ROUND:
        target = ITEM_OF_ROUND[status]
    else:
        return []
    moved = []
    for item in order.items.select_for_update():
        if item.status == I.VOIDED:
            continue
        if target != I.VOIDED and ITEM_RANK[item.status] >= ITEM_RANK[target]:
            continue
        ItemMove.objects.create(item=item, from_status=item.status, to_status=target,
                                reason=reason if target == I.VOIDED else "",
                                by_id=move.by_id, at=move.at, order_move=move)  # fmt: skip
        item.status = target
        item.status_changed_at = move.at
        item.void_reason = (reason or "cancelled") if target == I.VOIDED else ""
        item.save(update_fields=["status", "status_changed_at", "void_reason"])
        moved.append(item)
        if target == I.VOIDED:
            for hook in hooks.ITEM_VOIDED:  # a cancelled round's dishes: as each voided
                hook(item)
    return moved


def items_recall_round(order: Order, move: OrderMove, *, by_id: int | None, at) -> list:
    """Take back what ``move`` (a round's move being recalled) did to its items."""
    moved = []
    for item_move in move.item_moves.select_related("item").order_by("pk"):
        item = item_move.item
        if item.status != item_move.to_status:
            continue  # moved again since (on a board): that later move stands
        ItemMove.objects.create(item=item, from_status=item.status,
                                to_status=item_move.from_status, recall=True, by_id=by_id,
                                at=at)  # fmt: skip
        unvoided = item.status == I.VOIDED
        item.status = item_move.from_status
        item.status_changed_at = at
        item.void_reason = ""
        item.save(update_fields=["status", "status_changed_at", "void_reason"])
        moved.append(item)
        if unvoided:
            for hook in hooks.ITEM_UNVOIDED:
                hook(item)
    return moved


def nudge_cooldown() -> timedelta:
    return timedelta(seconds=settings.RESTAURANT["NUDGE_COOLDOWN_SECONDS"])


def item_nudge(*, session: DiningSession, diner: Diner, item_id: int) -> int:
    """A diner hurries a late dish of their meal (催菜): once it is past its target
    (`OrderItem.target_at`) and not served or voided, at most once per dish per cooldown
    (settings.RESTAURANT["NUDGE_COOLDOWN_SECONDS"]), whoever at the table asks. Its station
    and the floor are told which dish and how late (`item.nudge`), the table sees it nudged
    (`item.nudged`). The caller holds the session lock. Returns the new seq.

    Errors: not_found (not a dish of this meal), conflict (served or voided, or its round
    still held for staff to confirm), too_early and cooldown (each with ``seconds`` until it
    may be nudged)."""
    item = (
        OrderItem.objects.select_for_update(of=("self",))
        .filter(pk=item_id, order__session_id=session.pk)
        .select_related("order")
        .first()
    )
    if item is None:
        raise OpError("not_found", f"no dish {item_id} in this meal", detail="item")
    if item.status not in NUDGEABLE:
        raise OpError("conflict", f"that dish is already {item.status}")
    if item.order.is_awaiting_confirmation:  # on no board yet: staff accept it first
        raise OpError("conflict", "this round waits for staff to confirm it")
    now = timezone.now()
    if item.target_at and now < item.target_at:
        seconds = int((item.target_at - now).total_seconds()) + 1
        raise OpError("too_early", f"the kitchen has {seconds} s left for it", seconds=seconds)
    if item.nudged_at and now < item.nudged_at + nudge_cooldown():
        seconds = int((item.nudged_at + nudge_cooldown() - now).total_seconds()) + 1
        raise OpError("cooldown", f"the kitchen was told; again in {seconds} s", seconds=seconds)
    item.nudged_at = now
    item.nudges += 1
    item.save(update_fields=["nudged_at", "nudges"])
    late = int((now - (item.target_at or item.order.created_at)).total_seconds())
    table = session.table
    tell_kitchen(session.restaurant_id, {
        "type": "item.nudge", "item_id": item.pk, "dish_id": item.dish_id,
        "order_id": item.order_id,
        "round": item.order.round, "station_id": item.station_id, "name": item.name,
        "qty": item.qty, "table": {"number": table.number, "label": table.label},
        "late_seconds": late, "nudges": item.nudges, "at": now.isoformat(),
    })  # fmt: skip
    return session_change(session, {
        "type": "item.nudged", "order_id": item.order_id, "item_id": item.pk, "by": diner.pk,
        "at": now.isoformat(), "nudges": item.nudges,
    })  # fmt: skip
