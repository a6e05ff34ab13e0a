"""Dining sessions: arriving at a table, the session's `seq`, presence, closing.

Every change a diner can see runs inside a transaction that holds the session row's lock,
bumps `seq` with `session_change`, and is broadcast only after commit.
"""

import hashlib
import time
from datetime import timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, FilteredRelation, OuterRef, Q
from django.utils import timezone

from restaurant.dining import sql
from restaurant.dining.models import CartLine, Connection, Diner, DiningSession, MealTransfer
from restaurant.dining.names import clean_name, name_key
from restaurant.dining.payloads import diner_payload
from restaurant.menu.pricing import options_by_id, unit_price
from restaurant.menu.stock import stock_day_roll
from restaurant.realtime import groups
from restaurant.realtime.broadcast import broadcast_on_commit, discard_on_commit, group_message
from restaurant.realtime.errors import OpError
from restaurant.realtime.hub import hub_channel_of
from restaurant.realtime.models import ServerHeartbeat
from restaurant.tables.models import Table
from restaurant.tables.services import floor_changed
from restaurant.venues.models import Restaurant

DINER_COLORS = [
    "#e4572e", "#17bebb", "#ffc914", "#2e86ab", "#76b041",
    "#a23b72", "#f18f01", "#6a4c93", "#c73e1d", "#3b8ea5",
]  # fmt: skip


def session_lock(session_id: int) -> DiningSession:
    """Lock the session row: every writer of a session's state takes this lock first.

    Read with its table in the same statement. A meal moved to another table while the
    statement waited for its lock (restaurant/floor/moves.py) drops out of the result
    (PostgreSQL rechecks the join against the table row it had read): it is read again, now
    that the move committed, rather than taken for missing."""
    locked = DiningSession.objects.select_for_update(of=("self",)).select_related("table")
    for _ in range(2):
        try:
            return locked.get(pk=session_id)
        except DiningSession.DoesNotExist:
            if not DiningSession.objects.filter(pk=session_id).exists():
                raise
    return locked.get(pk=session_id)


def session_of_diner_lock(diner_id: int) -> DiningSession:
    """Lock the session of a diner, found and locked in one statement, which also reads its
    table and the menu version (`session.menu_version`) for the menu catalog."""
    session = sql.session_of_diner_locked(diner_id)
    if session is None:
        raise DiningSession.DoesNotExist(f"no session of diner {diner_id}")
    return session


def session_change(session: DiningSession, event: dict, *, cart: bool = False) -> int:
    """Record one visible change: bump `seq`, stamp the event, broadcast it on commit."""
    session.seq += 1
    if cart:
        session.cart_seq = session.seq
    sql.session_seq_save(session, cart=cart)
    event["seq"] = session.seq
    broadcast_on_commit(groups.table_group(session.table_id), group_message("table.event", event))
    return session.seq


def open_session_for(table: Table) -> DiningSession | None:
    return DiningSession.objects.filter(table=table, status=DiningSession.Status.OPEN).first()


def session_open(*, table: Table, by_staff: bool = False) -> DiningSession:
    """Open the table's session, or return the one already open (safe against a race).
    ``by_staff``: opened from the floor, not by a diner's scan (its first round is not held)."""
    session = open_session_for(table)
    if session is not None:
        return session
    try:
        with transaction.atomic():
            session = DiningSession.objects.create(
                table=table, restaurant_id=table.restaurant_id, opened_by_staff=by_staff
            )
            floor_changed(table_id=table.pk, restaurant_id=table.restaurant_id)
            return session
    except IntegrityError:  # another request opened it first
        return DiningSession.objects.get(table=table, status=DiningSession.Status.OPEN)


def browser_of(session_key: str | None) -> str | None:
    """What a diner row keeps of its browser's Django session key: a SHA-256 of it."""
    return hashlib.sha256(session_key.encode()).hexdigest() if session_key else None


def _the_browsers(known_diner_ids: list[int], browser: str | None) -> Q:
    """A browser's diners: by the diner ids its Django session keeps (they survive the key's
    change on sign-in) or by its browser key."""
    mine = Q(pk__in=known_diner_ids)
    return mine | Q(browser=browser) if browser is not None else mine


def _diner_of_browser(session: DiningSession, known_diner_ids: list[int], browser: str | None):
    return session.diners.filter(_the_browsers(known_diner_ids, browser)).first()


def _staff_opens(table: Table) -> bool:
    """Whether the table's restaurant has staff open its tables."""
    return bool(
        Restaurant.objects.filter(pk=table.restaurant_id)
        .values_list("staff_opens_tables", flat=True)
        .first()
    )


class TableNotOpen(Exception):
    """The restaurant has staff open its tables, and this one is not open."""


class TableFull(Exception):
    """The meal has MAX_DINERS_PER_MEAL diners already: no more browsers join it (one address
    with fresh cookies made 1,500 diners at one table, each broadcast to the table)."""


class MealEnded(Exception):
    """No meal is open at the table and this browser's last one there has ended: a new one
    starts only when the diner asks for it (an old tab, or a reload of it, must not)."""

    def __init__(self, session_id: int | None) -> None:
        super().__init__(f"the meal {session_id} at this table has ended")
        self.session_id = session_id


def meal_ended_here(*, table: Table, known_diner_ids: list[int], browser: str | None) -> int | None:
    """The id of this browser's last meal at ``table`` if that meal has ended, else None."""
    last = (
        DiningSession.objects.filter(
            table=table, diners__in=Diner.objects.filter(_the_browsers(known_diner_ids, browser))
        )
        .order_by("-pk")
        .values_list("pk", "status")
        .first()
    )
    return last[0] if last and last[1] == DiningSession.Status.CLOSED else None


class MealMoved(Exception):
    """This browser's meal was taken from this table by staff (moved, joined into another
    table's meal, or split back out of one) and is open at another table: the page goes
    there (``token``) instead of starting or joining a meal here."""

    def __init__(self, token: str) -> None:
        super().__init__("the meal is at another table now")
        self.token = token


def meal_moved_away(*, table: Table, known_diner_ids: list[int], browser: str | None) -> str | None:
    """The token of the table where this browser's newest meal is open now, when staff took
    that meal away from ``table`` (restaurant/floor/moves.py: a `MealTransfer` from it); None
    otherwise. A page left at the old table's address (offline during the move, an old tab)
    then finds its meal instead of opening an empty one here."""
    mine = Diner.objects.filter(_the_browsers(known_diner_ids, browser))
    last = mine.select_related("session__table").order_by("-pk").first()
    if last is None:
        return None
    meal = last.session
    if meal.status != DiningSession.Status.OPEN or meal.table_id == table.pk:
        return None
    taken = MealTransfer.objects.filter(Q(session=meal) | Q(into=meal), from_table=table)
    return meal.table.token if taken.exists() else None


@transaction.atomic
def diner_join(
    *, table: Table, known_diner_ids: list[int], browser: str | None, start_new: bool = False
) -> Diner:
    """`POST /t/<token>/join/`: the browser's diner at the table's open meal, made or found
    again (`diner_arrive`). Where no meal is open, one is opened, unless this browser's last
    meal here has ended and ``start_new`` is not given (raises MealEnded: the page asks).
    Raises TableNotOpen where staff open tables and this one is not open; MealMoved where
    this browser's meal was taken from this table to another (and it has no diner here)."""
    if not _diner_at_open_meal(table, known_diner_ids, browser):
        moved_to = meal_moved_away(table=table, known_diner_ids=known_diner_ids, browser=browser)
        if moved_to is not None:
            raise MealMoved(moved_to)
    ended = (
        None
        if start_new
        else meal_ended_here(table=table, known_diner_ids=known_diner_ids, browser=browser)
    )
    diner = diner_arrive(
        table=table, known_diner_ids=known_diner_ids, browser=browser, may_open=ended is None
    )
    if diner is not None:
        return diner
    if _staff_opens(table) and open_session_for(table) is None:
        raise TableNotOpen
    raise MealEnded(ended)  # or the meal it was joining closed meanwhile


@transaction.atomic
def diner_arrive(
    *, table: Table, known_diner_ids: list[int], browser: str | None = None, may_open: bool = True
) -> Diner | None:
    """A browser joins the table. Returns its diner (the same one when it comes back, and
    one only for requests it sends at once: looked up again under the session lock), or
    None when no meal is open and none may be opened here: the restaurant wants staff to
    open tables, or ``may_open`` is false. ``browser``: `browser_of` the browser's Django
    session key."""
    session = open_session_for(table)
    if session is None:
        if not may_open or _staff_opens(table):
            return None
        session = session_open(table=table)
    diner = _diner_of_browser(session, known_diner_ids, browser)
    if diner is not None:
        return diner
    session = session_lock(session.pk)
    if session.status != DiningSession.Status.OPEN:
        return None
    diner = _diner_of_browser(session, known_diner_ids, browser)  # made while we waited
    if diner is not None:
        return diner
    names_staff = list(session.diners.values_list("name", "staff_id"))
    names = [name for name, _ in names_staff]
    # Staff ordering for the table (restaurant/dining/staff_diners.py) take no phone's seat.
    phones = sum(1 for _, staff_id in names_staff if staff_id is None)
    if phones >= settings.RESTAURANT["MAX_DINERS_PER_MEAL"]:
        raise TableFull
    n = session.diners_joined + 1
    taken = {name_key(other) for other in names}
    while name_key(f"Guest {n}") in taken:  # someone renamed themselves "Guest n" before
        n += 1
    try:
        with transaction.atomic():
            diner = Diner.objects.create(
                session=session,
                browser=browser,
                name=f"Guest {n}",
                color=DINER_COLORS[(n - 1) % len(DINER_COLORS)],
            )
    except IntegrityError:
        # Cannot happen while every diner is made here, under the lock; the constraint has
        # the last word all the same.
        return Diner.objects.get(session=session, browser=browser)
    session.diners_joined = n
    session.last_active_at = timezone.now()
    session.save(update_fields=["diners_joined", "last_active_at"])
    session_change(session, {"type": "diner", "diner": diner_payload(diner, online=False)})
    floor_changed(table_id=table.pk, restaurant_id=session.restaurant_id)
    return diner


def _diner_at_open_meal(table: Table, known_diner_ids: list[int], browser: str | None) -> bool:
    return Diner.objects.filter(
        _the_browsers(known_diner_ids, browser),
        session__table=table,
        session__status=DiningSession.Status.OPEN,
    ).exists()


def diner_for_socket(
    *, table: Table, known_diner_ids: list[int], browser: str | None = None
) -> Diner | None:
    """The socket's access check: a diner of the table's open session, known by its cookie
    (the diner ids its Django session keeps, or its browser key)."""
    return (
        Diner.objects.filter(
            _the_browsers(known_diner_ids, browser),
            session__table=table,
            session__status=DiningSession.Status.OPEN,
        )
        .select_related("session")
        .first()
    )


def diner_rename(*, session: DiningSession, diner: Diner, name: str) -> int | None:
    """Rename ``diner`` (the caller holds the session lock). Raises OpError: `bad_request`
    for a name restaurant/dining/names.py refuses, `conflict` for another diner's name in
    this meal (no one passes for someone else on the shared cart or the split bill)."""
    name = clean_name(name)
    diner = Diner.objects.get(pk=diner.pk)
    if name == diner.name:
        return None
    key = name_key(name)
    others = Diner.objects.filter(session_id=session.pk).exclude(pk=diner.pk)
    if any(name_key(other) == key for other in others.values_list("name", flat=True)):
        raise OpError("conflict", "another diner at this table already has that name",
                      detail="name_taken")  # fmt: skip
    diner.name = name
    diner.save(update_fields=["name"])
    online = Connection.objects.filter(diner=diner).exists()
    return session_change(session, {"type": "diner", "diner": diner_payload(diner, online=online)})


# --- Presence ---------------------------------------------------------------------------------


def presence_online(session_id: int) -> list[int]:
    return sorted(
        set(
            Connection.objects.filter(diner__session_id=session_id).values_list(
                "diner_id", flat=True
            )
        )
    )


def _presence_broadcast(session: DiningSession) -> None:
    event = {"type": "presence", "online": presence_online(session.pk)}
    broadcast_on_commit(groups.table_group(session.table_id), group_message("table.event", event))
    floor_changed(table_id=session.table_id, restaurant_id=session.restaurant_id)


# When this process last wrote each server's heartbeat row (by server id).
_beats: dict[str, float] = {}
# Servers of this process whose row was gone when they beat again: another process took
# them for dead and reaped their sockets (server_was_reaped).
_reaped: set[str] = set()


def _heartbeat(server_id: str, now) -> None:
    _, created = ServerHeartbeat.objects.update_or_create(
        server_id=server_id, defaults={"seen_at": now}
    )
    if created and server_id in _beats:
        _reaped.add(server_id)
    _beats[server_id] = time.monotonic()


def server_was_reaped(server_id: str) -> bool:
    """Whether, since the last call, this process found ``server_id``'s heartbeat row gone
    (another process reaped it while it could not beat: a database outage). Its sockets'
    connection rows and its hub's group memberships went with it: the caller must make its
    sockets resync (restaurant/realtime/liveness.py)."""
    if server_id in _reaped:
        _reaped.discard(server_id)
        return True
    return False


# A diner's sockets open and close concurrently (several tabs, a reconnect, a phone dropping
# off as it comes back), and so do the diners of a table. Each open or close takes the
# session lock: the last socket of a diner to go then sees that it is the last, and the
# `online` list each one sends is what is true once it commits.


@transaction.atomic
def connection_open(*, diner_id: int, channel_name: str, server_id: str) -> None:
    # A connection row needs its server's heartbeat row (or a dead server's rows could never
    # be reaped); the beat writes it every few seconds, so a connect writes it only when the
    # beat has not lately (a fresh process, or a test). Before the session lock, as the
    # beat takes them.
    if (
        time.monotonic() - _beats.get(server_id, float("-inf"))
        > settings.RESTAURANT["HEARTBEAT_SECONDS"]
    ):
        _heartbeat(server_id, timezone.now())
    session = session_of_diner_lock(diner_id)
    first = not Connection.objects.filter(diner_id=diner_id).exists()
    # A channel name is new for every socket: a plain insert.
    Connection.objects.create(channel_name=channel_name, diner_id=diner_id, server_id=server_id)
    if first:
        _presence_broadcast(session)


@transaction.atomic
def connection_close(*, channel_name: str) -> None:
    diner_id = (
        Connection.objects.filter(channel_name=channel_name).values_list("diner_id", flat=True)
    ).first()
    if diner_id is None:
        return
    try:
        session = session_of_diner_lock(diner_id)
    except DiningSession.DoesNotExist:  # the diner is gone, its connections with it
        return
    deleted, _ = Connection.objects.filter(channel_name=channel_name).delete()
    if deleted and not Connection.objects.filter(diner_id=diner_id).exists():
        _went_offline([session.pk])
        _presence_broadcast(session)


@transaction.atomic
def server_beat(
    *,
    server_id: str,
    live_channels: set[str] | None = None,
    seen_before=None,
    stale_after: float | None = None,
    reap_others: bool = True,
    max_gap: float | None = None,
) -> int:
    """This process is alive. Reap connection rows whose socket is gone: those of processes
    that stopped beating, and this process's own rows that no live socket owns (a disconnect
    handler cancelled by the server before it could delete its row). Rows newer than
    ``seen_before`` (when ``live_channels`` was taken) are left alone. Diners left with no
    socket go offline; returns how many rows were reaped.

    ``reap_others=False`` judges no other process: the caller's own beats were not
    continuous (a database outage), so the others' silence may be the outage's too. So does
    a beat more than ``max_gap`` seconds after this process's previous one (it waited out an
    outage for its connection: the others were waiting too)."""
    now = timezone.now()
    if max_gap is not None and time.monotonic() - _beats.get(server_id, float("-inf")) > max_gap:
        reap_others = False
    _heartbeat(server_id, now)
    stale_after = stale_after or 3 * settings.RESTAURANT["HEARTBEAT_SECONDS"]
    dead = ServerHeartbeat.objects.filter(seen_at__lt=now - timedelta(seconds=stale_after))
    if not reap_others:
        dead = dead.none()
    dead_ids = list(dead.values_list("server_id", flat=True))
    stale_pks = list(Connection.objects.filter(server_id__in=dead_ids).values_list("pk", flat=True))
    if live_channels is not None:
        own = Connection.objects.filter(server_id=server_id, connected_at__lt=seen_before or now)
        stale_pks += [c for c in own.values_list("pk", flat=True) if c not in live_channels]
    if not stale_pks:
        return 0
    stale = Connection.objects.filter(pk__in=stale_pks)
    rows = list(stale.select_related("diner__session"))
    sessions = {row.diner.session for row in rows}
    # A dead process never left its groups: take its hub out of them. (This process's own
    # stale rows belong to consumers that already left its hub.)
    dead_memberships = {
        (group, hub_channel_of(row.channel_name))
        for row in rows
        if row.server_id != server_id
        for group in (
            groups.table_group(row.diner.session.table_id),
            groups.menu_group(row.diner.session.restaurant_id),
        )
    }
    for group, channel in sorted(dead_memberships):
        discard_on_commit(group, channel)
    dead.delete()
    # The sessions' locks before their rows go, as a close takes it (see connection_open),
    # in one order (two beats never wait on each other), after the heartbeat rows (a connect
    # writes its own before the session lock too).
    sessions = list(
        DiningSession.objects.select_for_update()
        .filter(pk__in={session.pk for session in sessions})
        .order_by("pk")
        .only("pk", "table_id", "restaurant_id")
    )
    reaped, _ = stale.delete()
    _went_offline([session.pk for session in sessions])
    for session in sessions:
        _presence_broadcast(session)
    return reaped


def _went_offline(session_ids: list[int]) -> None:
    """A diner going offline is the last sign of life an idle meal gives (`sessions_end_idle`;
    while someone is online a meal is not idle, so coming online need not be recorded)."""
    DiningSession.objects.filter(pk__in=session_ids).update(last_active_at=timezone.now())


# --- Closing ----------------------------------------------------------------------------------


class UnsentCart(Exception):
    """Closing would throw away what the diners put in the cart and never sent."""

    def __init__(self, unsent: dict) -> None:
        super().__init__(f"{unsent['count']} unsent item(s) in the cart")
        self.unsent = unsent


def unsent_cart(session: DiningSession) -> dict:
    """What is in the session's cart, not sent to the kitchen: its lines (dish name, qty,
    unit price, who added it), how many items, their amount, and the cart's `cart_seq`."""
    lines = list(
        CartLine.objects.filter(session=session).select_related("dish", "added_by").order_by("pk")
    )
    options = options_by_id(i for line in lines for i in line.options)
    items = [
        {
            "dish_id": line.dish_id,
            "name": line.dish.name,
            "name_en": line.dish.name_en,
            "qty": line.qty,
            "price": unit_price(line.dish, line.options, options, takeaway=line.takeaway),
            "added_by": line.added_by_id,
            "added_by_name": line.added_by.name,
        }
        for line in lines
    ]
    return {
        "items": items,
        "count": sum(item["qty"] for item in items),
        "total": sum(item["price"] * item["qty"] for item in items),
        "cart_seq": session.cart_seq,
    }


@transaction.atomic
def session_close(
    *, table: Table, discard_cart: bool = False, cart_seq: int | None = None
) -> DiningSession | None:
    """The bill is settled: close the open session; its sockets get `session.closed` and 4000.

    A cart with unsent items is thrown away only when the caller says so (``discard_cart``;
    with ``cart_seq``, only the cart as it was at that seq: one that changed since is
    refused again); otherwise raises UnsentCart with what is in it."""
    session = open_session_for(table)
    if session is None:
        return None
    session = session_lock(session.pk)
    if session.status != DiningSession.Status.OPEN or session.table_id != table.pk:
        return None  # closed, or moved to another table, by another request meanwhile
    if CartLine.objects.filter(session=session).exists() and (
        not discard_cart or (cart_seq is not None and cart_seq != session.cart_seq)
    ):
        raise UnsentCart(unsent_cart(session))
    _session_end(session)
    return session


def sessions_end_idle(*, now=None) -> list[int]:
    """End the meals no one is at: open, no diner online, nothing ordered (no round but
    cancelled ones), and no sign of life (`last_active_at`: a diner arriving, coming online
    or going offline, a cart change) for its own restaurant's `idle_close_minutes` (0: that
    restaurant's meals never end so). Each ends as staff close a table (an unsent cart goes
    with it), checked again under its lock, so any number of processes may run this at once.
    Returns the ids of the sessions ended."""
    now = now or timezone.now()
    # One cutoff per distinct setting (a handful), not one per restaurant.
    quiet = [
        Q(
            restaurant__idle_close_minutes=minutes,
            last_active_at__lt=now - timedelta(minutes=minutes),
        )
        for minutes in Restaurant.objects.filter(idle_close_minutes__gt=0)
        .order_by()
        .values_list("idle_close_minutes", flat=True)
        .distinct()
    ]
    if not quiet:
        return []
    idle = (
        DiningSession.objects.filter(reduce(or_, quiet), status=DiningSession.Status.OPEN)
        .filter(~Exists(Connection.objects.filter(diner__session=OuterRef("pk"))))
        # Orders are the kitchen's, an app above this one (it builds on meals): asked about
        # through their relation to the meal, not imported. No round but cancelled ones.
        .alias(live_order=FilteredRelation("orders", condition=~Q(orders__status="cancelled")))
        .filter(live_order__isnull=True)
    )
    ended = []
    for session_id in idle.values_list("pk", flat=True):
        with transaction.atomic():
            session = session_lock(session_id)
            if idle.filter(pk=session_id).exists():  # still idle, asked under the lock
                _session_end(session)
                ended.append(session_id)
    return ended


def minute_upkeep() -> None:
    """Once a minute in every ASGI process (restaurant/realtime/liveness.py): end idle meals,
    and start a new business day's dish counts where a restaurant's day has turned (so that
    phones see them without anyone ordering first: restaurant/menu/stock.py)."""
    sessions_end_idle()
    stock_day_roll()


def _session_end(session: DiningSession) -> None:
    """Close ``session`` (its lock held): answer its waiter calls, tell its sockets."""
    table = session.table
    session.status = DiningSession.Status.CLOSED
    session.closed_at = timezone.now()
    session.seq += 1
    session.save(update_fields=["status", "closed_at", "seq"])
    open_calls = session.calls.filter(status="open")
    calls = groups.calls_group(session.restaurant_id)
    for call_id in open_calls.values_list("pk", flat=True):
        done = {"type": "waiter.done", "call_id": call_id}
        broadcast_on_commit(calls, group_message("kitchen.event", done))
    open_calls.update(status="done", done_at=timezone.now())
    event = {"type": "session.closed", "seq": session.seq}
    broadcast_on_commit(
        groups.table_group(table.pk), group_message("table.closed", event, session_id=session.pk)
    )
    floor_changed(table_id=table.pk, restaurant_id=session.restaurant_id)
