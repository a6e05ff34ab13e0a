"""Moving a meal to another table (转台), joining it into another table's meal (并台), and
splitting a join back out. Each is one transaction that locks the meals it touches in one
global order (sessions by pk, as `server_beat` does), so two of them never deadlock, and
leaves a `MealTransfer` row: the floor's audit trail and what undoing a join needs.

Nothing goes to the kitchen again: rounds keep their items, stations and tickets; only the
meal they belong to (and a joined round's number) changes. The split bill keeps knowing who
added what because every cart line and dish keeps its `added_by` diner, and diners keep
their ids wherever their meal goes.

The phones follow over their sockets (restaurant/dining/consumers.py, `table_moved`): the old
table's group is told which meal's sockets move where, with the event they show; the staff
sockets send themselves a fresh snapshot (`staff.resync`), since every order shows its table.
"""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from restaurant.billing.services import (
    item_owners_prune,
    meal_has_check_changes,
    meal_has_payments,
)
from restaurant.dining.models import CartLine, Diner, DiningSession, MealTransfer
from restaurant.dining.names import name_key
from restaurant.dining.services import session_change
from restaurant.floor import protocol
from restaurant.kitchen.models import Order, OrderItem, WaiterCall
from restaurant.kitchen.services import STANDARD_REASONS, table_payload
from restaurant.realtime import groups
from restaurant.realtime.broadcast import broadcast_on_commit, group_message
from restaurant.realtime.errors import OpError
from restaurant.tables.models import Table
from restaurant.tables.services import floor_changed
from restaurant.venues.models import Restaurant

OPEN = DiningSession.Status.OPEN
NOTE_MAX = 140  # DiningSession.note


# --- Reading and locking ----------------------------------------------------------------------


def _table(restaurant: Restaurant, number: int, what: str) -> Table:
    table = Table.objects.filter(restaurant=restaurant, number=number).first()
    if table is None:  # another restaurant's table is answered exactly as an unknown one
        raise OpError("not_found", f"no table {number}", detail=what)
    return table


def _open_meal_id(table: Table) -> int | None:
    return (
        DiningSession.objects.filter(table=table, status=OPEN).values_list("pk", flat=True).first()
    )


def _lock(*session_ids: int | None) -> dict[int, DiningSession]:
    """Lock the sessions (their rows only), lowest pk first: every move, join, split and
    heartbeat takes them in this order, so none waits on another in a circle."""
    ids = sorted({i for i in session_ids if i is not None})
    locked = (
        DiningSession.objects.select_for_update(of=("self",))
        .select_related("table")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    found = {session.pk: session for session in locked}
    # A meal moved to another table while this waited for its lock drops out of the
    # statement (PostgreSQL rechecks the join against the table row it had read): read it
    # again, now that the move committed (it is locked already).
    missing = [i for i in ids if i not in found]
    if missing:
        found.update({session.pk: session for session in locked.filter(pk__in=missing)})
    if len(found) != len(ids):
        raise OpError("conflict", "a meal changed meanwhile: look again", detail="moved")
    return found


def _still_at(session: DiningSession, table: Table) -> None:
    """The meal is still at the table it was found at (another move may have taken it while
    this one waited for its lock)."""
    if session.table_id != table.pk:
        raise OpError("conflict", "that meal has just moved to another table", detail="moved")


def _still_open(session: DiningSession) -> None:
    if session.status != OPEN:
        raise OpError("closed", "that meal has just ended", detail="meal")


# --- Telling the sockets ----------------------------------------------------------------------


def _follow(
    *,
    old_table_id: int,
    session_ids: list[int],
    table: Table,
    session_id: int,
    event: dict,
    diner_ids: list[int] | None = None,
) -> None:
    """On commit, the sockets of ``session_ids`` on the old table (only those of
    ``diner_ids`` when given) move to ``table``'s group and ``session_id``, show ``event``
    and send themselves a snapshot (restaurant/dining/consumers.py, `table_moved`)."""
    message = group_message(
        "table.moved", event, session_ids=session_ids, diner_ids=diner_ids,
        table_id=table.pk, session_id=session_id, token=table.token,
    )  # fmt: skip
    broadcast_on_commit(groups.table_group(old_table_id), message)


def _resync_table(table_id: int) -> None:
    """Every socket of the table sends itself a fresh snapshot (after commit)."""
    broadcast_on_commit(groups.table_group(table_id), group_message("table.resync"))


def _resync_staff(restaurant_id: int, *table_ids: int) -> None:
    """The floor redraws both tables; every staff socket of the restaurant (kitchen and floor
    alike are in the kitchen group) sends itself a fresh snapshot: its orders show their
    table, which just changed."""
    for table_id in table_ids:
        floor_changed(table_id=table_id, restaurant_id=restaurant_id)
    broadcast_on_commit(groups.kitchen_group(restaurant_id), group_message("staff.resync"))


def _tell_calls_done(restaurant_id: int, call_ids: list[int]) -> None:
    calls = groups.calls_group(restaurant_id)
    for call_id in call_ids:
        done = {"type": "waiter.done", "call_id": call_id}
        broadcast_on_commit(calls, group_message("kitchen.event", done))


# --- Move -------------------------------------------------------------------------------------


@transaction.atomic
def meal_move(
    *, restaurant: Restaurant, table_number: int, to_number: int, by_id: int | None
) -> MealTransfer:
    """Move table ``table_number``'s open meal, whole (diners, cart, rounds, calls, bill: all
    hang off the meal), to the free table ``to_number`` of ``restaurant``.

    Its phones get `session.moved {seq, table: {number, label}, token}` (the new table's
    token) and follow over their sockets. Raises OpError, nothing changed: `bad_request` for
    the same table; `not_found` for a table not of this restaurant (detail `table` or `to`)
    or no open meal there (detail `meal`); `conflict` detail `occupied` when the target has
    an open meal (join it instead); `closed` when the meal ended before the move got its
    lock."""
    if table_number == to_number:
        raise OpError("bad_request", "the meal is at that table already", detail="to")
    source_table = _table(restaurant, table_number, "table")
    target = _table(restaurant, to_number, "to")
    meal_id = _open_meal_id(source_table)
    if meal_id is None:
        raise OpError("not_found", f"table {table_number} has no open meal", detail="meal")
    # The target's meal too, if it has one: a close of it in progress then decides first.
    locked = _lock(meal_id, _open_meal_id(target))
    session = locked[meal_id]
    _still_open(session)
    _still_at(session, source_table)
    if DiningSession.objects.filter(table=target, status=OPEN).exists():
        raise OpError("conflict", f"table {to_number} has an open meal: join it instead",
                      detail="occupied")  # fmt: skip
    try:
        with transaction.atomic():  # a meal opened there meanwhile: the unique constraint
            DiningSession.objects.filter(pk=session.pk).update(table=target)
            WaiterCall.objects.filter(session=session).update(table=target)
    except IntegrityError:
        raise OpError("conflict", f"table {to_number} has an open meal: join it instead",
                      detail="occupied") from None  # fmt: skip
    session.table = target
    event = {"type": "session.moved", "table": table_payload(session), "token": target.token}
    session_change(session, event)
    _follow(old_table_id=source_table.pk, session_ids=[session.pk], table=target,
            session_id=session.pk, event=event)  # fmt: skip
    _resync_staff(restaurant.pk, source_table.pk, target.pk)
    return MealTransfer.objects.create(
        restaurant=restaurant, kind=MealTransfer.Kind.MOVE, session=session,
        from_table=source_table, to_table=target, by_id=by_id,
    )  # fmt: skip


# --- Join -------------------------------------------------------------------------------------


def _joined_note(a: str, b: str) -> str:
    return " / ".join(n for n in (a, b) if n)[:NOTE_MAX]


def _same_kind_open(call: WaiterCall, open_at_target: list[WaiterCall]) -> bool:
    """A table has at most one open call per standard reason and one in its own words
    (restaurant/kitchen/services.py, `waiter_call`)."""
    standard = call.reason in STANDARD_REASONS
    return any(
        (other.reason == call.reason) if standard else other.reason not in STANDARD_REASONS
        for other in open_at_target
    )


def _unique_names(diners: list[Diner], target: DiningSession, joined: int) -> dict:
    """One table, one diner per name (as `diner_rename` keeps it): a joining diner whose name
    is taken at ``target`` gets the next free "Guest n". Returns {diner id: [old, new]}."""
    taken = {name_key(name) for name in target.diners.values_list("name", flat=True)}
    n = target.diners_joined + joined
    renamed = {}
    for diner in diners:
        if name_key(diner.name) in taken:
            n += 1
            while name_key(f"Guest {n}") in taken:
                n += 1
            renamed[str(diner.pk)] = [diner.name, f"Guest {n}"]
            diner.name = f"Guest {n}"
            diner.save(update_fields=["name"])
        taken.add(name_key(diner.name))
    return renamed


@transaction.atomic
def meal_join(
    *, restaurant: Restaurant, table_number: int, into_number: int, by_id: int | None
) -> MealTransfer:
    """Join table ``table_number``'s open meal into table ``into_number``'s open meal.

    Its diners, cart lines, rounds (renumbered after the target's last round, in their
    order) and calls become the target's; an open call of a kind already open at the target
    is answered instead. Guests add up, notes join. The joined meal is closed with
    `merged_into` set; its phones get `session.moved {seq, table, token, joined: true}` and
    follow to the target's meal, whose phones get `session.joined {seq, from: {number,
    label}}` and a fresh snapshot. Nothing is sent to the kitchen again.

    A browser or a staff member with a diner at both meals keeps both: the joined one's
    browser key (staff link) is set aside and comes back on a split; the cookie still knows
    it by id. The transfer's `detail` records what came over, for `meal_split`.

    Raises OpError, nothing changed: `bad_request` (the same table), `not_found` (a table
    not of this restaurant, detail `table`/`into`; no open meal at ``table_number``, detail
    `meal`), `conflict` detail `free` (no meal at the target: move instead), `closed` (either
    meal ended before the join got its locks)."""
    if table_number == into_number:
        raise OpError("bad_request", "a meal cannot join itself", detail="into")
    source_table = _table(restaurant, table_number, "table")
    target_table = _table(restaurant, into_number, "into")
    source_id = _open_meal_id(source_table)
    if source_id is None:
        raise OpError("not_found", f"table {table_number} has no open meal", detail="meal")
    target_id = _open_meal_id(target_table)
    if target_id is None:
        raise OpError("conflict", f"table {into_number} has no open meal: move instead",
                      detail="free")  # fmt: skip
    locked = _lock(source_id, target_id)
    source, target = locked[source_id], locked[target_id]
    _still_open(source)
    _still_open(target)
    _still_at(source, source_table)
    _still_at(target, target_table)
    if meal_has_check_changes(source):
        # Its payments and check discounts are its own check's; a join would leave them
        # behind on a meal that no longer has the dishes. Settle or remove them first.
        raise OpError("conflict", f"table {table_number}'s check has payments or discounts",
                      detail="paid")  # fmt: skip

    diners = list(Diner.objects.filter(session=source).order_by("pk"))
    there = Diner.objects.filter(session=target)
    browsers_there = set(there.exclude(browser=None).values_list("browser", flat=True))
    staff_there = set(there.exclude(staff=None).values_list("staff_id", flat=True))
    set_aside: dict[str, dict] = {}
    for diner in diners:
        aside = {}
        if diner.browser is not None and diner.browser in browsers_there:
            aside["browser"], diner.browser = diner.browser, None
        if diner.staff_id is not None and diner.staff_id in staff_there:
            aside["staff_id"], diner.staff_id = diner.staff_id, None
        if aside:
            set_aside[str(diner.pk)] = aside
            diner.save(update_fields=["browser", "staff"])
    renamed = _unique_names(diners, target, source.diners_joined)
    Diner.objects.filter(session=source).update(session=target)
    lines = list(CartLine.objects.filter(session=source).values_list("pk", flat=True))
    CartLine.objects.filter(session=source).update(session=target)

    target_orders = list(Order.objects.filter(session=target).values_list("pk", flat=True))
    last = Order.objects.filter(session=target).aggregate(last=Max("round"))["last"] or 0
    moved_orders = []
    for n, order in enumerate(Order.objects.filter(session=source).order_by("round"), 1):
        moved_orders.append({"id": order.pk, "round": order.round})
        Order.objects.filter(pk=order.pk).update(session=target, round=last + n)

    open_at_target = list(WaiterCall.objects.filter(table=target_table, status="open"))
    calls = list(WaiterCall.objects.filter(session=source).order_by("pk"))
    answered = [c.pk for c in calls if c.status == "open" and _same_kind_open(c, open_at_target)]
    WaiterCall.objects.filter(pk__in=answered).update(status="done", done_at=timezone.now())
    WaiterCall.objects.filter(session=source).update(session=target, table=target_table)
    _tell_calls_done(restaurant.pk, answered)

    detail = {
        "diners": [d.pk for d in diners],
        "set_aside": set_aside,
        "renamed": renamed,
        "orders": moved_orders,
        "target_orders": target_orders,
        "calls": [c.pk for c in calls],
        "calls_answered": answered,
        "cart_lines": lines,
        "guests": source.guests,
        "note": source.note,
        "target_guests": target.guests,
        "target_note": target.note,
    }
    if source.guests is not None:
        target.guests = (target.guests or 0) + source.guests
    target.note = _joined_note(target.note, source.note)
    detail["joined_note"] = target.note
    target.diners_joined += source.diners_joined  # the next "Guest n" is a new n
    target.last_active_at = timezone.now()
    target.save(update_fields=["guests", "note", "diners_joined", "last_active_at"])

    source.status = DiningSession.Status.CLOSED
    source.closed_at = timezone.now()
    source.merged_into = target
    source.seq += 1
    source.save(update_fields=["status", "closed_at", "merged_into", "seq"])
    moved = {
        "type": "session.moved", "seq": source.seq, "table": table_payload(target),
        "token": target_table.token, "joined": True,
    }  # fmt: skip
    # The target's phones first (their event, then a snapshot each), then the followers:
    # a follower joining the target's group late still sends itself a snapshot.
    session_change(target, {"type": "session.joined", "from": table_payload(source)})
    _resync_table(target_table.pk)
    _follow(old_table_id=source_table.pk, session_ids=[source.pk], table=target_table,
            session_id=target.pk, event=moved)  # fmt: skip
    _resync_staff(restaurant.pk, source_table.pk, target_table.pk)
    return MealTransfer.objects.create(
        restaurant=restaurant, kind=MealTransfer.Kind.JOIN, session=source, into=target,
        from_table=source_table, to_table=target_table, by_id=by_id, detail=detail,
    )  # fmt: skip


# --- Split ------------------------------------------------------------------------------------


def _split_conflict(message: str, detail: str) -> OpError:
    return OpError("conflict", message, detail=detail)


@transaction.atomic
def meal_split(*, restaurant: Restaurant, transfer_id: int, by_id: int | None) -> MealTransfer:
    """Undo the join ``transfer_id``: the joined meal reopens at its own table with its
    diners (and every cart line they added since), its rounds with their old numbers, and its
    calls. A round sent after the join goes back too when all its dishes are its diners'
    (numbered after its last); the target's own later rounds close up behind the ones that
    left, so each meal's rounds stay 1..n. The joined meal's guests leave the count; the note
    is the target's own again unless someone changed it since.

    Refused where a round sent after the join holds dishes of both parties: `conflict`
    detail `mixed_round` (the bill still splits by who added what: leave the meal joined).
    Also `conflict`: detail `undone` (split already), `closed` (the joined meal has ended),
    `occupied` (its table has a meal now), `paid` (`meal_has_payments`). `not_found`: no
    join ``transfer_id`` at this restaurant. Nothing changed on any refusal.

    The leaving phones get `session.moved {seq, table, token, split: true}` and follow back;
    the phones that stay get `session.split {seq, to: {number, label}}` and a snapshot."""
    join = MealTransfer.objects.filter(
        pk=transfer_id, restaurant=restaurant, kind=MealTransfer.Kind.JOIN
    ).first()
    if join is None:
        raise OpError("not_found", f"no join {transfer_id}", detail="transfer")
    locked = _lock(join.session_id, join.into_id)
    source, target = locked[join.session_id], locked[join.into_id]
    join = MealTransfer.objects.select_for_update().get(pk=join.pk)  # read again: the locks
    if join.undone_at is not None or source.merged_into_id != target.pk:
        raise _split_conflict("that join has been split back already", "undone")
    if target.status != OPEN:
        raise _split_conflict("the joined meal has ended", "closed")
    if meal_has_payments(target):
        raise _split_conflict("part of the bill has been paid", "paid")
    home = join.from_table
    if DiningSession.objects.filter(table=home, status=OPEN).exists():
        raise _split_conflict(f"table {home.number} has an open meal now", "occupied")
    detail = join.detail
    diner_ids = set(detail["diners"])
    rounds_back = {o["id"]: o["round"] for o in detail["orders"]}
    before = set(detail["target_orders"]) | set(rounds_back)
    later_back = []
    for order in Order.objects.filter(session=target).exclude(pk__in=before).order_by("round"):
        added_by = set(OrderItem.objects.filter(order=order).values_list("added_by_id", flat=True))
        if added_by and added_by <= diner_ids:
            later_back.append(order.pk)
        elif added_by & diner_ids:
            raise _split_conflict(
                f"round {order.round} holds dishes of both tables: the meal stays joined",
                "mixed_round",
            )

    # Back to the joined meal: its rounds first, then close up the target's.
    for order_id, round_ in rounds_back.items():
        Order.objects.filter(pk=order_id).update(session=source, round=round_)
    last = max(rounds_back.values(), default=0)
    for n, order_id in enumerate(later_back, 1):
        Order.objects.filter(pk=order_id).update(session=source, round=last + n)
    for n, order in enumerate(Order.objects.filter(session=target).order_by("round"), 1):
        if order.round != n:
            Order.objects.filter(pk=order.pk).update(round=n)
    CartLine.objects.filter(session=target, added_by_id__in=diner_ids).update(session=source)
    Diner.objects.filter(pk__in=diner_ids).update(session=source)
    for diner_id, aside in detail["set_aside"].items():
        Diner.objects.filter(pk=int(diner_id)).update(**aside)
    for diner_id, (old, new) in detail.get("renamed", {}).items():  # unless renamed since
        Diner.objects.filter(pk=int(diner_id), name=new).update(name=old)
    item_owners_prune(source, target)  # a claim across the two parties goes with the join
    calls = WaiterCall.objects.filter(session=target).filter(pk__in=detail["calls"])
    calls_back = list(calls.values_list("pk", flat=True))
    calls.update(session=source, table=home)
    later_calls = WaiterCall.objects.filter(session=target, diner_id__in=diner_ids)
    calls_back += list(later_calls.values_list("pk", flat=True))
    try:
        with transaction.atomic():  # one of a kind the table already has open: answered
            later_calls.update(session=source, table=home)
    except IntegrityError:
        later_calls.update(session=source, table=home, status="done", done_at=timezone.now())

    if target.guests is not None and detail["guests"] is not None:  # as told since, less theirs
        left = target.guests - detail["guests"]
        target.guests = left if left > 0 else detail["target_guests"]
    if target.note == detail["joined_note"]:
        target.note = detail["target_note"]
    target.save(update_fields=["guests", "note"])
    try:
        with transaction.atomic():  # a meal opened at its table meanwhile
            DiningSession.objects.filter(pk=source.pk).update(
                status=OPEN, closed_at=None, merged_into=None, last_active_at=timezone.now()
            )
    except IntegrityError:
        raise _split_conflict(f"table {home.number} has an open meal now", "occupied") from None
    source.status = OPEN
    # The leaving phones have the target's seq: the event must come after it for them.
    source.seq = max(source.seq, target.seq)
    event = {"type": "session.moved", "table": table_payload(source), "token": home.token,
             "split": True}  # fmt: skip
    session_change(source, event)
    _follow(old_table_id=target.table_id, session_ids=[target.pk], diner_ids=sorted(diner_ids),
            table=home, session_id=source.pk, event=event)  # fmt: skip
    session_change(target, {"type": "session.split", "to": table_payload(source)})
    _resync_table(target.table_id)
    _resync_staff(restaurant.pk, home.pk, target.table_id)

    join.undone_at = timezone.now()
    join.save(update_fields=["undone_at"])
    return MealTransfer.objects.create(
        restaurant=restaurant, kind=MealTransfer.Kind.SPLIT, session=source, into=target,
        from_table=target.table, to_table=home, by_id=by_id,
        detail={"join": join.pk, "diners": sorted(diner_ids), "orders_back": list(rounds_back),
                "later_orders_back": later_back, "calls": calls_back},
    )  # fmt: skip


# --- The staff socket's ops (restaurant/floor/protocol.py) --------------------------------------


def table_op_apply(op, staff) -> None:
    """``op``: a `TableMove`, `TableJoin` or `TableSplit`; ``staff``: restaurant/kitchen/ops.py's
    `Staff` (its role already asked for `Action.TABLE_MOVE`)."""
    where = {"restaurant": staff.restaurant, "by_id": staff.user_id}
    if isinstance(op, protocol.TableMove):
        meal_move(table_number=op.table, to_number=op.to, **where)
    elif isinstance(op, protocol.TableJoin):
        meal_join(table_number=op.table, into_number=op.into, **where)
    else:
        meal_split(transfer_id=op.transfer_id, **where)
