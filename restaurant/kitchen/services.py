"""Orders and waiter calls: from the table to the kitchen and back."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from restaurant.dining.models import CartLine, Diner, DiningSession
from restaurant.dining.names import refuse_invisible
from restaurant.dining.services import session_change, session_lock
from restaurant.kitchen import hooks
from restaurant.kitchen.items import (
    items_follow_round,
    items_recall_round,
    round_status,
    staff_station_id,
)
from restaurant.kitchen.models import ItemMove, Order, OrderItem, OrderMove, WaiterCall
from restaurant.kitchen.payloads import call_payload, item_moved_payload, meal_of, order_payload
from restaurant.kitchen.required import required_check
from restaurant.kitchen.rules import forbidden, recall_window, tell_kitchen
from restaurant.kitchen.sets import set_parts
from restaurant.menu.catalog import catalog
from restaurant.menu.models import Option
from restaurant.menu.pricing import options_by_id, unit_price
from restaurant.menu.stock import stock_take
from restaurant.realtime import groups
from restaurant.realtime.broadcast import broadcast_on_commit, group_message
from restaurant.realtime.errors import OpError
from restaurant.venues.days import business_date_from
from restaurant.venues.models import Restaurant, Station
from restaurant.venues.roles import Action, role_may

S = Order.Status
# Forward moves only, skipping allowed; `cancelled` from any state before `served`.
STATUS_RANK = {S.SUBMITTED: 0, S.ACCEPTED: 1, S.PREPARING: 2, S.READY: 3, S.SERVED: 4}
FINAL = {S.SERVED, S.CANCELLED}
# A round held for staff (`Order.is_awaiting_confirmation`) may only be accepted or cancelled.
HELD_MOVES = {S.ACCEPTED, S.CANCELLED}
# The round moves that move its dishes with it (restaurant/kitchen/items.py ITEM_OF_ROUND).
ITEM_MOVING = {S.PREPARING, S.READY, S.SERVED, S.CANCELLED}
WAITER_REASONS = ("service", "bill", "water")


def table_payload(session: DiningSession) -> dict:
    return {"number": session.table.number, "label": session.table.label}


def _holds_first_round(session: DiningSession) -> bool:
    hold = getattr(session, "hold_first_round", None)  # read with the lock on the op path
    if hold is None:
        hold = (
            Restaurant.objects.filter(pk=session.restaurant_id)
            .values_list("hold_first_round", flat=True)
            .first()
        )
    return bool(hold)


def order_move_action(order: Order, status: str) -> Action:
    """Which staff action moving ``order`` to ``status`` is (restaurant/venues/roles.py)."""
    if status == S.CANCELLED:
        return Action.ORDER_CANCEL
    if status == S.SERVED:
        # Serving what the kitchen has made ready; from an earlier status it also does the
        # kitchen's moves (ready), which only those who may advance an order may skip.
        return Action.ORDER_SERVE if order.status == S.READY else Action.ORDER_ADVANCE
    if status == S.ACCEPTED and order.is_awaiting_confirmation:
        return Action.ORDER_ACCEPT
    return Action.ORDER_ADVANCE


def _order_locked(restaurant: Restaurant, order_id: int) -> tuple[Order, DiningSession]:
    """The restaurant's order and its meal, both locked (the session first, as every writer).
    Another restaurant's order id is answered exactly as an unknown one; a round that went to
    another meal while this waited for the meal's lock (a join or its split) is looked up
    again."""
    for _ in range(3):
        session_id = (
            Order.objects.filter(pk=order_id, restaurant_id=restaurant.pk)
            .values_list("session_id", flat=True)
            .first()
        )
        if session_id is None:
            raise OpError("not_found", f"no order {order_id}")
        session = session_lock(session_id)
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.session_id == session.pk:
            return order, session
    raise OpError("conflict", "the table changed meanwhile: try again", detail="moved")


def _refuse_sold_out_options(lines: list[CartLine], options: dict[int, Option]) -> None:
    """A line with an option switched off since it was added: `sold_out` with its dishes
    (`dish_ids`, as for sold-out dishes) and the options (`option_ids`)."""
    gone = {i for line in lines for i in line.options if i in options and options[i].sold_out}
    if gone:
        dish_ids = sorted({line.dish_id for line in lines if gone.intersection(line.options)})
        raise OpError("sold_out", "some choices in the cart are sold out", dish_ids=dish_ids,
                      option_ids=sorted(gone))  # fmt: skip


def order_submit(*, session: DiningSession, diner: Diner, seq: int) -> int:
    """Send the whole cart to the kitchen as one round. The caller holds the session lock, so
    two diners pressing together make one order and the other gets `stale`."""
    if seq > session.seq:
        raise OpError("bad_request", f"seq {seq} is ahead of the table's {session.seq}",
                      detail="seq")  # fmt: skip
    if session.cart_seq > seq:
        raise OpError(
            "stale", f"the cart changed at seq {session.cart_seq}; review it and submit again"
        )
    lines = list(CartLine.objects.filter(session=session).select_related("dish__category"))
    if not lines:
        raise OpError("empty_cart", "the cart is empty")
    if not hasattr(session, "day_starts_at"):  # locked by `session_lock`, not the op's read
        session.menu_version, session.day_starts_at = Restaurant.objects.values_list(
            "menu_version", "day_starts_at"
        ).get(pk=session.restaurant_id)
    sold_out = sorted({line.dish_id for line in lines if line.dish.sold_out})
    if sold_out:
        raise OpError("sold_out", "some dishes in the cart are sold out", dish_ids=sold_out)
    options = options_by_id(i for line in lines for i in line.options)
    _refuse_sold_out_options(lines, options)

    _refuse_options_not_offered(session, lines)

    # 套餐: a set meal's line goes to the kitchen as its parts (restaurant/kitchen/sets.py).
    today = business_date_from(session.day_starts_at)
    parts = set_parts(lines, options, restaurant_id=session.restaurant_id, today=today)

    # Rice or tea for every guest (restaurant/kitchen/required.py): before anything is taken.
    sent: list[tuple] = []  # (dish, qty): a set meal as its parts
    for n, line in enumerate(lines):
        sent += [(p.dish, line.qty) for p in parts[n]] if n in parts else [(line.dish, line.qty)]
    required_check(session=session, diner_id=diner.pk, dishes=sent)

    # 限量: the counted dishes' portions, in this transaction, under their row locks (two
    # tables racing for the last ones queue there); raises `sold_out` with what is left. What
    # is counted is what is sent: a set meal's dishes, not the set (it is no kitchen item, so
    # no void could give it back). (Read without the lock here: a dish counted only after
    # this read was counted after this round, which then takes nothing from it.)
    portions: dict[int, int] = {}
    for dish, qty in sent:
        if dish.is_counted:
            portions[dish.pk] = portions.get(dish.pk, 0) + qty
    if portions:
        stock_take(restaurant_id=session.restaurant_id, portions=portions, today=today,
                   menu_version=session.menu_version)  # fmt: skip

    stations = list(Station.objects.filter(restaurant_id=session.restaurant_id))
    by_id = {station.pk: station for station in stations}
    default = stations[0] if stations else None
    now = timezone.now()

    def item(line, dish, price, option_ids, option_names, **set_of) -> OrderItem:
        station = _station_of(dish, by_id, default)
        return OrderItem(
            dish=dish, name=dish.name, qty=line.qty, options=option_ids,
            option_names=option_names, note=line.note, added_by_id=line.added_by_id,
            shared=line.shared, takeaway=line.takeaway, unit_price=price, station=station,
            status_changed_at=now,
            target_at=now + timedelta(minutes=_target_minutes(dish, station)), **set_of,
        )  # fmt: skip

    items = []
    for n, line in enumerate(lines):
        if n in parts:
            for part in parts[n]:
                items.append(item(line, part.dish, part.unit_price, part.option_ids,
                                  part.option_names, set_name=line.dish.name, set_dish=line.dish,
                                  set_line=n + 1))  # fmt: skip
        else:
            names = [options[i].name for i in line.options if i in options]
            price = unit_price(line.dish, line.options, options, takeaway=line.takeaway)
            items.append(item(line, line.dish, price, line.options, names))
    round_ = session.orders.count() + 1
    order = Order.objects.create(
        session=session,
        round=round_,
        submitted_by=diner,
        total=sum(item.unit_price * item.qty for item in items),
        # The first round of a meal a diner's scan opened waits for staff (read with the
        # session's lock: restaurant/dining/sql.py), unless staff sent it (代客下单).
        awaiting_confirmation=(
            round_ == 1
            and not session.opened_by_staff
            and _holds_first_round(session)
            and not Diner.objects.filter(pk=diner.pk, staff__isnull=False).exists()
        ),
    )
    for item in items:
        item.order = order
    OrderItem.objects.bulk_create(items)
    CartLine.objects.filter(session=session).delete()
    for hook in hooks.ROUND_SUBMITTED:  # the stations' tickets: in this transaction
        hook(order)

    order = Order.objects.prefetch_related("items").get(pk=order.pk)
    payload = order_payload(order)
    new_seq = session_change(
        session, {"type": "order.submitted", "by": diner.pk, "order": payload}, cart=True
    )
    kitchen_event = {"type": "order.new", "order": {**payload, "meal": meal_of(session)},
                     "table": table_payload(session)}  # fmt: skip
    tell_kitchen(session.restaurant_id, kitchen_event)
    return new_seq


def _refuse_options_not_offered(session: DiningSession, lines: list[CartLine]) -> None:
    """An option is valid on a dish only while its group is offered on it: a line added before
    the group was taken off the dish is refused (`bad_request`, `detail: "options"`, the dish),
    not sent and charged. From the menu catalog: no query."""
    menu = catalog(session.restaurant_id, session.menu_version)
    for line in lines:
        offered = {o.pk for group in menu.groups.get(line.dish_id, []) for o in group.choices}
        if not offered.issuperset(line.options):
            raise OpError("bad_request", f"an option is no longer offered on “{line.dish.name}”",
                          detail="options", dish_id=line.dish_id)  # fmt: skip


def _station_of(dish, stations: dict[int, Station], default: Station | None) -> Station | None:
    """Where ``dish`` is made (`Dish.station_for`), from the restaurant's ``stations`` read
    once per round rather than a query per dish."""
    station_id = dish.station_id or dish.category.station_id
    return stations.get(station_id, default) if station_id else default


def _target_minutes(dish, station: Station | None) -> int:
    """Minutes a dish may take before a diner may nudge it: its own target, its station's,
    else the deployment's (settings.RESTAURANT["NUDGE_AFTER_MINUTES"])."""
    if dish.target_minutes:
        return dish.target_minutes
    if station is not None:
        return station.target_minutes
    return settings.RESTAURANT["NUDGE_AFTER_MINUTES"]


@transaction.atomic
def order_status_set(
    *,
    restaurant: Restaurant,
    order_id: int,
    status: str,
    by_id: int | None = None,
    reason: str = "",
    role: str | None = None,
) -> Order:
    """Move one of ``restaurant``'s orders: forward, or to `cancelled` before `served`, with
    the ``reason`` staff give, if any (kept on the order, sent to the table; ignored for other
    moves). ``role``: the mover's role now, when the caller leaves the permission to this
    function (the move's action depends on the order as locked: `order_move_action`); a role
    that may not make the move is refused with `forbidden`. None: the caller has asked."""
    if status not in S.values:
        raise OpError("bad_request", f"unknown status {status!r}")
    order, session = _order_locked(restaurant, order_id)
    if role is not None:
        action = order_move_action(order, status)
        if not role_may(role, action, restaurant):
            raise forbidden(action)
        if (
            status == Order.Status.CANCELLED
            and restaurant.adjust_needs_approval
            and not role_may(role, Action.ADJUST_APPROVE, restaurant)
        ):
            # Cancelling a round takes every dish of it back: where the restaurant wants a
            # manager's word on that, the cancel would go around it.
            raise OpError("forbidden", "a manager approves dishes taken back here",
                          detail="needs_approval")  # fmt: skip
    if order.status in FINAL:
        raise OpError("conflict", f"order {order_id} is already {order.status}")
    if status != S.CANCELLED and STATUS_RANK[status] <= STATUS_RANK[order.status]:
        raise OpError("conflict", f"order {order_id} cannot move from {order.status} to {status}")
    if order.is_awaiting_confirmation and status not in HELD_MOVES:
        raise OpError(
            "conflict", f"order {order_id} waits for staff to confirm it: accept or cancel it"
        )
    was_held = order.is_awaiting_confirmation
    if status in ITEM_MOVING and staff_station_id(restaurant, by_id) is not None:
        # Someone kept to one station moves its dishes, not the other stations' with them.
        raise OpError("forbidden", "move the dishes of your station one by one",
                      action="station")  # fmt: skip
    moved_from = order.status
    order.status = status
    order.status_changed_at = timezone.now()
    order.cancel_reason = " ".join(reason.split())[:120] if status == S.CANCELLED else ""
    order.save(update_fields=["status", "status_changed_at", "cancel_reason"])
    move = OrderMove.objects.create(
        order=order, from_status=moved_from, to_status=status, by_id=by_id,
        at=order.status_changed_at,
    )  # fmt: skip
    # Its dishes move with it, in the same event: one change for the table, not one a dish.
    moved = items_follow_round(order, status, move=move, reason=order.cancel_reason)
    if was_held and status == S.ACCEPTED:
        for hook in hooks.ROUND_CONFIRMED:  # now it may be cooked: its tickets, in this transaction
            hook(order)
    event = {"type": "order.status", "order_id": order.pk, "status": status,
             "awaiting_confirmation": order.is_awaiting_confirmation,
             "items": [item_moved_payload(item) for item in moved]}  # fmt: skip
    if order.cancel_reason:
        event["reason"] = order.cancel_reason
    session_change(session, dict(event))
    tell_kitchen(restaurant.pk, event)
    return order


def recall_until(move: OrderMove | None) -> datetime | None:
    """Until when ``move`` (an order's last) may be taken back, or None if it may not be."""
    if move is None or move.recall:
        return None
    return move.at + recall_window()


@transaction.atomic
def order_recall(*, restaurant: Restaurant, order_id: int, by_id: int | None = None) -> Order:
    """Take back the order's last status move, if staff made it within the recall window and
    the table's meal is still open: the order goes back to the status it came from (a served
    or cancelled round comes back to the board). Recorded as a move of its own; a recall is
    never recalled. Broadcast like any status change, marked `recalled`. Only ``restaurant``'s
    orders: another's id is unknown here."""
    order, session = _order_locked(restaurant, order_id)
    if staff_station_id(restaurant, by_id) is not None:
        raise OpError("forbidden", "take back your station's dishes one by one",
                      action="station")  # fmt: skip
    last = order.moves.order_by("-at", "-pk").first()
    until = recall_until(last)
    if until is None or last.to_status != order.status:
        raise OpError("conflict", f"order {order_id} has no move to take back")
    now = timezone.now()
    if now > until:
        raise OpError("conflict", f"order {order_id} moved too long ago to take it back")
    if session.status != session.Status.OPEN:
        raise OpError("conflict", f"the meal of order {order_id} has ended")
    since = ItemMove.objects.filter(item__order=order, at__gte=last.at).exclude(order_move=last)
    if since.exists():
        raise OpError("conflict", f"a dish of order {order_id} moved since: take it back "
                      "on its own")  # fmt: skip
    order.status = last.from_status
    moved = items_recall_round(order, last, by_id=by_id, at=now)
    # A dish moved on a board since the round's move keeps that move: the round follows it.
    order.status = round_status(order, list(order.items.all()))
    order.status_changed_at = now
    order.cancel_reason = ""
    order.save(update_fields=["status", "status_changed_at", "cancel_reason"])
    OrderMove.objects.create(
        order=order, from_status=last.to_status, to_status=order.status, recall=True,
        by_id=by_id, at=now,
    )  # fmt: skip
    if order.is_awaiting_confirmation:  # the accept taken back: held for staff again
        for hook in hooks.ROUND_HELD_AGAIN:
            hook(order)
    event = {"type": "order.status", "order_id": order.pk, "status": order.status,
             "awaiting_confirmation": order.is_awaiting_confirmation,
             "items": [item_moved_payload(item) for item in moved]}  # fmt: skip
    session_change(session, {**event, "recalled": True})
    # The kitchen gets the order whole: a served or cancelled one had left its board.
    order = Order.objects.prefetch_related("items").get(pk=order.pk)
    whole = {**order_payload(order), "table": table_payload(session), "meal": meal_of(session)}
    kitchen_event = {**event, "recalled": True, "order": whole}
    tell_kitchen(restaurant.pk, kitchen_event)
    return order


# The reasons the contract names; anything else is the diner's own words.
STANDARD_REASONS = ("service", "bill", "water")


def waiter_call_event(call: WaiterCall) -> dict:
    """A call as staff see it (`waiter.call` on the staff sockets, and in their snapshot)."""
    return {
        "type": "waiter.call",
        "call_id": call.pk,
        "table": {"number": call.table.number, "label": call.table.label},
        "reason": call.reason,
        "at": call.created_at.isoformat(),
        "seen_at": call.seen_at.isoformat() if call.seen_at else None,
    }


def _tell_staff(restaurant_id: int, event: dict) -> None:
    """Waiter calls go to the restaurant's floor, and to its kitchen display where it says so
    (its sockets join the calls group then: restaurant/kitchen/consumers.py)."""
    broadcast_on_commit(groups.calls_group(restaurant_id), group_message("kitchen.event", event))


def waiter_call(*, session: DiningSession, diner: Diner, reason: str) -> int | None:
    """Tell staff, and the whole table (the caller holds the session lock). While a call of
    the same table and reason is open, another adds nothing; free text counts as one reason,
    so a table has at most one open call of each standard reason and one of its own words
    (docs/protocol.md), however many different words it sends."""
    reason = " ".join(reason.split())
    if not 1 <= len(reason) <= 60:
        raise OpError("bad_request", "a reason has 1..60 characters", detail="reason")
    refuse_invisible(reason, "reason")
    open_calls = WaiterCall.objects.filter(table_id=session.table_id, status="open")
    if reason in STANDARD_REASONS:
        open_calls = open_calls.filter(reason=reason)
    else:
        open_calls = open_calls.exclude(reason__in=STANDARD_REASONS)
    if open_calls.exists():
        return None
    call = WaiterCall.objects.create(
        table_id=session.table_id, restaurant_id=session.restaurant_id, session=session,
        diner=diner, reason=reason,
    )  # fmt: skip
    call.table = session.table
    _tell_staff(session.restaurant_id, waiter_call_event(call))
    event = {"type": "waiter.call", "by": diner.pk, "call": call_payload(call)}
    return session_change(session, event)


def _call_locked(restaurant: Restaurant, call_id: int) -> tuple[WaiterCall, DiningSession]:
    """One of ``restaurant``'s calls and its table's session, both locked (the session first,
    as every writer). Another restaurant's call id is answered exactly as an unknown one."""
    for _ in range(3):
        session_id = (
            WaiterCall.objects.filter(pk=call_id, restaurant_id=restaurant.pk)
            .values_list("session_id", flat=True)
            .first()
        )
        if session_id is None:
            raise OpError("not_found", "that call is not known", detail="call")
        session = session_lock(session_id)
        calls = WaiterCall.objects.select_for_update(of=("self",)).select_related("table")
        call = calls.get(pk=call_id)
        if call.session_id == session.pk:  # not gone with a join or a split meanwhile
            return call, session
    raise OpError("conflict", "the table changed meanwhile: try again", detail="moved")


@transaction.atomic
def waiter_call_seen(*, restaurant: Restaurant, call_id: int) -> WaiterCall:
    """Staff saw the call: the whole table is told someone is coming. Once: nothing for a
    call already seen or done."""
    call, session = _call_locked(restaurant, call_id)
    if call.status == WaiterCall.Status.OPEN and call.seen_at is None:
        call.seen_at = timezone.now()
        call.save(update_fields=["seen_at"])
        seen = {"type": "waiter.seen", "call_id": call.pk, "at": call.seen_at.isoformat()}
        _tell_staff(restaurant.pk, seen)
        session_change(session, {"type": "waiter.seen", "call": call_payload(call)})
    return call


@transaction.atomic
def waiter_call_done(*, restaurant: Restaurant, call_id: int) -> WaiterCall:
    """Staff answered the call: it leaves the floor (and the kitchen), the table is told."""
    call, session = _call_locked(restaurant, call_id)
    if call.status == WaiterCall.Status.OPEN:
        call.status = WaiterCall.Status.DONE
        call.done_at = timezone.now()
        call.save(update_fields=["status", "done_at"])
        _tell_staff(restaurant.pk, {"type": "waiter.done", "call_id": call.pk})
        if session.status == DiningSession.Status.OPEN:
            session_change(session, {"type": "waiter.done", "call": call_payload(call)})
    return call
