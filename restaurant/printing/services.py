"""Print jobs: made with the change that needs them, moved by the print worker and by staff.

Every function here is one transaction. The worker's moves are compare-and-set updates
(``state`` and ``worker`` in the WHERE clause): a job whose lease ran out and was taken back
by recovery is never moved on by the worker that lost it. Every change staff should see is
told to the restaurant's kitchen group (kitchen displays and the floor) after commit.
"""

import os
import socket
from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from restaurant.dining.services import session_lock
from restaurant.kitchen.models import ItemMove, Order, OrderItem
from restaurant.printing import conf
from restaurant.printing.models import Printer, PrintJob
from restaurant.printing.payloads import print_job_payload, printer_payload
from restaurant.printing.tickets import Ticket, TicketItem, ticket_render
from restaurant.realtime import groups
from restaurant.realtime.broadcast import broadcast_on_commit, group_message
from restaurant.realtime.errors import OpError
from restaurant.venues.models import Restaurant, StaffMember, Station

S = PrintJob.State
# Jobs the printer still owes: the station's queue.
PENDING = (S.QUEUED, S.CLAIMED, S.SENDING)


def _tell_kitchen(restaurant_id: int, event: dict) -> None:
    """After commit, to the restaurant's kitchen display and floor sockets (none other's)."""
    broadcast_on_commit(groups.kitchen_group(restaurant_id), group_message("kitchen.event", event))


def _job_told(job_id: int) -> None:
    job = PrintJob.objects.select_related("order__session__table").get(pk=job_id)
    _tell_kitchen(job.restaurant_id, {"type": "print.job", **print_job_payload(job)})


def _printer_told(station_id: int) -> None:
    printer = Printer.objects.filter(station_id=station_id).first()
    if printer is None:
        return
    queue = PrintJob.objects.filter(station_id=station_id, state__in=PENDING).count()
    event = {"type": "printer.status", **printer_payload(printer, queue)}
    _tell_kitchen(printer.station.restaurant_id, event)


# --- what a slip says ------------------------------------------------------------------------


def _table_name(order: Order) -> str:
    table = order.session.table
    return f"{table.label} ({table.number})" if table.label else f"{table.number}号桌 Table"


def _station_name(station: Station) -> str:
    return f"{station.name} {station.name_en}".strip()


def _ticket_item(item: OrderItem) -> TicketItem:
    return TicketItem(qty=item.qty, name=item.name, options=list(item.option_names),
                      note=item.note, takeaway=item.takeaway)  # fmt: skip


def _job_make(*, station: Station, order: Order, ticket: Ticket, **fields) -> PrintJob:
    """A queued job whose payload is ``ticket`` rendered now, numbered with the job's id."""
    job = PrintJob.objects.create(
        restaurant_id=station.restaurant_id, station=station, order=order, payload=b"", **fields
    )
    ticket.number = str(job.pk)
    job.payload = ticket_render(ticket)
    job.save(update_fields=["payload"])
    _job_told(job.pk)
    _printer_told(station.pk)
    return job


def _round_ticket(order: Order, station: Station, items, *, reprint: bool) -> Ticket:
    return Ticket(
        restaurant=order.session.restaurant.name,
        station=_station_name(station),
        table=_table_name(order),
        at=timezone.localtime(order.created_at).strftime("%H:%M"),
        round=order.round,
        items=[_ticket_item(item) for item in items],
        reprint=reprint,
        guests=order.session.guests,
        meal_note=order.session.note,
    )


def print_jobs_for_round(order: Order) -> list[PrintJob]:
    """The round's tickets: one job per station that has dishes in it and an enabled
    printer, with only that station's dishes. Runs inside the transaction that creates the
    round (`restaurant.kitchen.hooks.round_submitted_register`): the jobs commit or roll back
    with it. Dishes of no station, and stations without a printer, print nothing; nor does
    a round held for staff to confirm (`Order.awaiting_confirmation`): it prints when
    accepted (`print_jobs_for_confirmed_round`), not before anyone may cook it."""
    if order.awaiting_confirmation:
        return []
    return _round_jobs(order)


def print_jobs_for_confirmed_round(order: Order) -> list[PrintJob]:
    """The tickets of a held round that staff have just accepted, inside that transaction
    (`restaurant.kitchen.hooks.round_confirmed_register`)."""
    return _round_jobs(order)


def _round_jobs(order: Order) -> list[PrintJob]:
    # A station that has the round's ticket already gets none again (a held round accepted,
    # taken back and accepted again): a second copy is a reprint, asked for by staff. One
    # set aside when the round was held again, unsent, is printed now as the round is.
    originals = PrintJob.objects.filter(order=order, kind=PrintJob.Kind.TICKET, reprint=False)
    printed = set(originals.values_list("station_id", flat=True))
    for job in originals.filter(state=S.CANCELLED, last_error=SET_ASIDE_HELD):
        _tickets_rewrite_at(order.pk, job.station_id)
    by_station: dict[int, list[OrderItem]] = defaultdict(list)
    for item in order.items.all():
        if item.station_id in printed:
            continue
        if item.station_id is not None and item.status != OrderItem.Status.VOIDED:
            by_station[item.station_id].append(item)
    if not by_station:
        return []
    printers = Printer.objects.filter(station_id__in=by_station, enabled=True).select_related(
        "station"
    )
    order = Order.objects.select_related("session__table", "session__restaurant").get(pk=order.pk)
    return [
        _job_make(
            station=printer.station,
            order=order,
            ticket=_round_ticket(
                order, printer.station, by_station[printer.station_id], reprint=False
            ),
            item_ids=[item.pk for item in by_station[printer.station_id]],
        )
        for printer in sorted(printers, key=lambda p: (p.station.sort_order, p.station_id))
    ]


UNSENT = (S.QUEUED, S.CLAIMED)  # no byte of it has gone out: it may still change


def _printer_of(station_id: int | None) -> Printer | None:
    if station_id is None:
        return None
    return (
        Printer.objects.filter(station_id=station_id, enabled=True)
        .select_related("station")
        .first()
    )


def _round_tickets(item: OrderItem):
    """The round's tickets at ``item``'s station, originals and reprints."""
    return PrintJob.objects.filter(
        order_id=item.order_id, station_id=item.station_id, kind=PrintJob.Kind.TICKET
    )


# Why a ticket was cancelled while it was unsent, where it may come back: every dish taken back
# (one taken back again revives it), the round held for staff again (its accept revives it).
ALL_TAKEN_BACK = "every dish taken back before it printed"
SET_ASIDE_HELD = "the round is held for staff again"
REVIVABLE = (ALL_TAKEN_BACK, SET_ASIDE_HELD)


def _tickets_rewrite(item: OrderItem) -> bool:
    return _tickets_rewrite_at(item.order_id, item.station_id)


def _tickets_rewrite_at(order_id: int, station_id: int) -> bool:
    """The round's tickets at the station not yet sent, rendered again with the station's
    live dishes (cancelled when none is left), and its original ticket cancelled that way
    (or set aside while the round was held again) brought back when there are live dishes
    again: a dish voided, or a void taken back, before its ticket printed is printed as it
    is now, and no slip has to say so. Each one is changed only if it is still unsent, or
    still cancelled for that reason (a compare-and-set on its state: a worker that claimed
    it meanwhile finds it no longer its, and takes it again with the new bytes). Returns
    whether any ticket was rewritten."""
    order = Order.objects.select_related("session__table", "session__restaurant").get(pk=order_id)
    if order.is_awaiting_confirmation:
        return False  # held: nothing prints until staff accept it
    live = list(order.items.filter(station_id=station_id).exclude(status=OrderItem.Status.VOIDED))
    tickets = PrintJob.objects.filter(
        order_id=order_id, station_id=station_id, kind=PrintJob.Kind.TICKET
    )
    revivable = Q(state=S.CANCELLED, reprint=False, last_error__in=REVIVABLE)
    rewritten = False
    for job in tickets.filter(Q(state__in=UNSENT) | revivable).select_related("station"):
        was = Q(state__in=UNSENT) if job.state in UNSENT else revivable
        if live:
            ticket = _round_ticket(order, job.station, live, reprint=job.reprint)
            ticket.number = str(job.pk)
            changed = {"payload": ticket_render(ticket), "state": S.QUEUED, "last_error": "",
                       "item_ids": [i.pk for i in live],
                       "next_attempt_at": timezone.now()}  # fmt: skip
        elif job.state in UNSENT:
            changed = {"state": S.CANCELLED, "last_error": ALL_TAKEN_BACK}
        else:
            continue
        if PrintJob.objects.filter(was, pk=job.pk).update(worker="", lease_until=None, **changed):
            rewritten = True
            _job_told(job.pk)
            _printer_told(job.station_id)
    return rewritten


def print_jobs_held_again(order: Order) -> None:
    """Staff took back the accept of a held round (it waits for them again): its tickets not
    yet sent are set aside, and print, as the round is then, once it is accepted again
    (`restaurant.kitchen.hooks.round_held_again_register`). A ticket already sent stays on
    paper: the floor holds the round, the kitchen's board shows it held."""
    for job_id in PrintJob.objects.filter(
        order=order, kind=PrintJob.Kind.TICKET, state__in=UNSENT
    ).values_list("pk", flat=True):
        if PrintJob.objects.filter(pk=job_id, state__in=UNSENT).update(
            state=S.CANCELLED, worker="", lease_until=None, last_error=SET_ASIDE_HELD
        ):
            _job_told(job_id)


def _slip_make(
    item: OrderItem, printer: Printer, kind: str, *, reprint_of: PrintJob | None = None
) -> PrintJob:
    order = Order.objects.select_related("session__table", "session__restaurant").get(
        pk=item.order_id
    )
    ticket = Ticket(
        restaurant=order.session.restaurant.name,
        station=_station_name(printer.station),
        table=_table_name(order),
        at=timezone.localtime().strftime("%H:%M"),
        round=order.round,
        items=[_ticket_item(item)],
        void=kind == PrintJob.Kind.VOID,
        void_reason=item.void_reason if kind == PrintJob.Kind.VOID else "",
        restore=kind == PrintJob.Kind.RESTORE,
        reprint=reprint_of is not None,
    )
    return _job_make(station=printer.station, order=order, ticket=ticket, kind=kind, item=item,
                     reprint=reprint_of is not None, reprint_of=reprint_of)  # fmt: skip


UNKNOWN = "unknown"  # the station's paper cannot be told: a slip of it may have printed


def _station_has_it(item: OrderItem) -> bool | str | None:
    """What ``item``'s station will have on paper about the dish once every slip it has, or
    is to get, is printed: True (it has the dish to make), False (its last word is a void,
    or its tickets never listed it), None (it never had a ticket of the round: it works
    from its board), `UNKNOWN` while a ticket of the round or a slip of the dish may have
    printed and staff have not said (settling it decides: `print_job_resolve`). Replays
    the station's jobs of the round in print order (each station prints its queue oldest
    first): a ticket listing the dish, a void slip, a back-on slip."""
    jobs = PrintJob.objects.filter(order_id=item.order_id, station_id=item.station_id)
    if not jobs.filter(kind=PrintJob.Kind.TICKET).exists():
        return None
    about_it = Q(kind=PrintJob.Kind.TICKET) | Q(item_id=item.pk)
    if jobs.filter(about_it, state=S.UNCERTAIN, resolved_at__isnull=True).exists():
        return UNKNOWN
    has_it = False
    for job in jobs.exclude(state=S.CANCELLED).order_by("created_at", "pk"):
        if job.kind == PrintJob.Kind.TICKET:
            has_it = has_it or item.pk in job.item_ids
        elif job.item_id == item.pk:
            has_it = job.kind == PrintJob.Kind.RESTORE
    return has_it


def _slips_cancel(item: OrderItem, kind: str) -> None:
    """``item``'s slips of ``kind`` not yet sent, cancelled (compare-and-set)."""
    slips = PrintJob.objects.filter(item=item, kind=kind, state__in=UNSENT)
    for job_id in list(slips.values_list("pk", flat=True)):
        if PrintJob.objects.filter(pk=job_id, state__in=UNSENT).update(
            state=S.CANCELLED, worker="", lease_until=None, last_error="overtaken"
        ):
            _job_told(job_id)


def _station_reconcile(item: OrderItem, *, reprint_of: PrintJob | None = None):
    """A slip for ``item``'s station where its paper, once printed, would say otherwise than
    the dish is: 退菜 VOID for a dish taken back that the paper lists, 恢复 BACK ON for a live
    dish the paper says is not to be made. None where it agrees (or the station never had a
    ticket of the round, or has no printer), and while its paper cannot be told (a slip in
    doubt: staff settling it reconcile again). ``reprint_of``: the doubtful slip this one
    stands for (printed under REPRINT)."""
    printer = _printer_of(item.station_id)
    if printer is None:
        return None
    has_it = _station_has_it(item)
    live = item.status != OrderItem.Status.VOIDED
    if has_it is None or has_it is UNKNOWN or has_it == live:
        return None
    kind = PrintJob.Kind.RESTORE if live else PrintJob.Kind.VOID
    return _slip_make(item, printer, kind, reprint_of=reprint_of)


def print_job_void(item: OrderItem) -> PrintJob | None:
    """A sent dish was taken back (on its own, or with its round). Runs inside that
    transaction (`restaurant.kitchen.hooks.item_voided_register`). The station hears of it
    only as it must: its back-on slip not yet printed is cancelled, a ticket of the round not
    yet printed is printed without the dish (or not at all), and a 退菜 (void) slip follows
    only where the station still has, or may have, the dish on paper (`_station_has_it`).
    Returns the void slip, if one was made."""
    if _printer_of(item.station_id) is None:
        return None
    _part_on_parents_paper(item)
    _slips_cancel(item, PrintJob.Kind.RESTORE)
    _tickets_rewrite(item)
    return _station_reconcile(item)


def _part_on_parents_paper(item: OrderItem) -> None:
    """A part of a dish (`OrderItem.split_from`: 2 of 3 bowls taken back) was never on a
    ticket itself: its dish was, with the part in its quantity. The station's tickets already
    out (sent, or in doubt) that list the dish and not the part are recorded as listing the
    part too, so that the paper replay (`_station_has_it`) counts it there: a void slip for
    the part's quantity follows. Tickets not yet sent are printed as the round is now (the
    dish without the part) and are left as they are. Done on the part's first void only:
    what the station had on paper then stays what it had."""
    if item.split_from_id is None:
        return
    if ItemMove.objects.filter(item=item, to_status=OrderItem.Status.VOIDED).count() > 1:
        return  # voided before: its paper was settled then
    # A part of a part (comped, then some of it taken back): the dish first on paper counts.
    ancestors, above = set(), item.split_from_id
    while above is not None and above not in ancestors:
        ancestors.add(above)
        above = OrderItem.objects.filter(pk=above).values_list("split_from_id", flat=True).first()
    tickets = PrintJob.objects.filter(
        order_id=item.order_id, station_id=item.station_id, kind=PrintJob.Kind.TICKET
    ).exclude(state__in=(*UNSENT, S.CANCELLED))
    for job in tickets:
        if ancestors.intersection(job.item_ids) and item.pk not in job.item_ids:
            PrintJob.objects.filter(pk=job.pk).update(item_ids=[*job.item_ids, item.pk])


def print_job_unvoid(item: OrderItem) -> PrintJob | None:
    """A void was taken back (the dish's recall, or its round's): the dish is owed again.
    Runs inside that transaction (`restaurant.kitchen.hooks.item_unvoided_register`). Its
    void slip not yet printed is cancelled, a ticket of the round not yet printed (or
    cancelled with every dish taken back) is printed with the dish again, and a 恢复 BACK ON
    slip says to make it only where the station's paper would otherwise say it is not to be
    made (`_station_has_it`). Returns the slip, if one was made."""
    if _printer_of(item.station_id) is None:
        return None
    _slips_cancel(item, PrintJob.Kind.VOID)
    _tickets_rewrite(item)
    return _station_reconcile(item)


# --- staff: reprint, and settle a job that may have printed ----------------------------------


def _station_of_staff(restaurant: Restaurant, user_id: int) -> int | None:
    """The station a kitchen person or tablet is kept to (`StaffMember.station`), or None."""
    return (
        StaffMember.objects.filter(user_id=user_id, restaurant=restaurant)
        .values_list("station_id", flat=True)
        .first()
    )


def _may_print_at(restaurant: Restaurant, user_id: int | None, station_id: int) -> None:
    if user_id is None:
        return
    own = _station_of_staff(restaurant, user_id)
    if own is not None and own != station_id:
        raise OpError("forbidden", "you may reprint only your station's tickets",
                      action="ticket.reprint")  # fmt: skip


def _printer_enabled(station: Station) -> None:
    if not Printer.objects.filter(station=station, enabled=True).exists():
        raise OpError("conflict", f"station {station.code} has no printer")


@transaction.atomic
def ticket_reprint(
    *, restaurant: Restaurant, order_id: int, station_id: int, by_id: int | None = None,
    reprint_of: PrintJob | None = None,
) -> PrintJob:  # fmt: skip
    """A new job with ``station_id``'s dishes of ``restaurant``'s order ``order_id``, printed
    under 重印 / REPRINT (dishes voided since are left out). Another restaurant's order or
    station is `not_found`; a station without an enabled printer is `conflict`; staff kept to
    another station (``by_id``'s `StaffMember.station`) are `forbidden`."""
    station = Station.objects.filter(pk=station_id, restaurant=restaurant).first()
    order = (
        Order.objects.select_related("session__table", "session__restaurant")
        .filter(pk=order_id, restaurant_id=restaurant.pk)
        .first()
    )
    if station is None or order is None:
        raise OpError("not_found", f"no order {order_id} at station {station_id}")
    # The meal's lock, as every writer of its rounds takes it first: a void committing
    # meanwhile cannot slip between the dishes read here and the job written.
    session_lock(order.session_id)
    order.refresh_from_db(fields=["status", "awaiting_confirmation"])
    if order.is_awaiting_confirmation:
        # Nobody may cook it yet: its ticket prints when staff accept it.
        raise OpError("conflict", f"order {order_id} waits for staff to confirm it")
    _may_print_at(restaurant, by_id, station.pk)
    _printer_enabled(station)
    items = order.items.filter(station=station).exclude(status=OrderItem.Status.VOIDED)
    if not items:
        raise OpError("conflict", f"order {order_id} has no dishes at station {station.code}")
    if reprint_of is None:
        reprint_of = (
            PrintJob.objects.filter(order=order, station=station, kind=PrintJob.Kind.TICKET)
            .order_by("-created_at", "-pk")
            .first()
        )
    ticket = _round_ticket(order, station, items, reprint=True)
    return _job_make(station=station, order=order, ticket=ticket, reprint=True,
                     reprint_of=reprint_of, item_ids=[item.pk for item in items])  # fmt: skip


@transaction.atomic
def print_job_resolve(
    *, restaurant: Restaurant, job_id: int, reprint: bool, by_id: int | None = None
) -> PrintJob | None:
    """Staff settle a job that may have printed (`uncertain`), having looked at the printer.
    ``reprint`` (it did not come out): the job counts as never printed (`cancelled`), and
    what the station must have on paper now is printed under 重印 / REPRINT: a round's
    ticket with its dishes as they are now (none if every one was taken back since), a
    void or back-on slip only if the dish's state since still needs one
    (`_station_reconcile`). Otherwise it is taken as printed (`done`). Returns the job made,
    if any. Another restaurant's job is `not_found`, a job not in doubt (or settled already)
    is `conflict`."""
    found = (
        PrintJob.objects.filter(pk=job_id, restaurant_id=restaurant.pk)
        .values("order__session_id")
        .first()
    )
    if found is None:
        raise OpError("not_found", f"no print job {job_id}")
    if found["order__session_id"] is not None:
        # The meal first, then the job: the order every writer of its rounds locks in.
        session_lock(found["order__session_id"])
    job = (
        PrintJob.objects.select_for_update(of=("self",))
        .select_related("order", "item")
        .get(pk=job_id)
    )
    _may_print_at(restaurant, by_id, job.station_id)
    if job.state != S.UNCERTAIN or job.resolved_at is not None:
        raise OpError("conflict", f"print job {job_id} is {job.state}, not in doubt")
    if reprint:
        _printer_enabled(job.station)
    job.resolved_by_id = by_id
    job.resolved_at = timezone.now()
    if reprint:
        job.state, job.last_error = S.CANCELLED, "staff: it did not print"
    else:
        job.state = S.DONE
    job.save(update_fields=["state", "last_error", "resolved_by", "resolved_at"])
    made = None
    if reprint and job.kind == PrintJob.Kind.TICKET and job.order_id is not None:
        live = job.order.items.filter(station_id=job.station_id).exclude(
            status=OrderItem.Status.VOIDED
        )
        if live.exists():
            made = ticket_reprint(restaurant=restaurant, order_id=job.order_id,
                                  station_id=job.station_id, reprint_of=job)  # fmt: skip
    # Now that staff said what is on paper, the dishes it is about are reconciled with it
    # (a void or its recall made while it was in doubt printed nothing then).
    if job.order_id is not None:
        about = job.order.items.filter(station_id=job.station_id)
        if job.kind != PrintJob.Kind.TICKET:
            about = about.filter(pk=job.item_id)
        for item in about:
            slip = _station_reconcile(item, reprint_of=job if reprint else None)
            made = made or slip
    _job_told(job.pk)
    _printer_told(job.station_id)
    return made


def _reprint_banner() -> bytes:
    from restaurant.printing.tickets import _Slip

    slip = _Slip()
    slip.line("** 重印 REPRINT **", size=2, bold=True, align="center")
    return slip.printer.output


# --- the cashier's: a check or a receipt -----------------------------------------------------


@transaction.atomic
def receipt_queue(*, station: Station | None, payload: bytes) -> PrintJob:
    """A job printing ``payload`` (a check or a receipt, restaurant/printing/receipts.py) on
    ``station``'s printer, told to the boards like a ticket. No station, or no enabled printer
    at it: `conflict` ``no_printer``, nothing queued."""
    printer = _printer_of(station.pk if station is not None else None)
    if printer is None:
        raise OpError("conflict", "no receipt printer is set up", detail="no_printer")
    job = PrintJob.objects.create(
        restaurant_id=station.restaurant_id, station=station, kind=PrintJob.Kind.RECEIPT,
        payload=payload,
    )  # fmt: skip
    _job_told(job.pk)
    _printer_told(station.pk)
    return job


# --- the printer itself ----------------------------------------------------------------------


@transaction.atomic
def printer_set(
    *, station: Station, url: str | None, enabled: bool = True, answers_status: bool = True
) -> Printer | None:
    """Point ``station`` at the printer at ``url`` (tcp://HOST:PORT, port 9100 by default),
    or remove its printer (``url`` None). ``answers_status``: False for a printer that never
    answers ESC/POS status queries (`Printer.answers_status`). Raises ValidationError for a
    bad address, nothing changed. A printer removed or disabled takes its queued jobs with it
    (`cancelled`): a ticket printed hours later, when a printer is set again, would be cooked
    again."""
    # Only the printer's row: its ordering's joins would lock the restaurant's too.
    printer = (
        Printer.objects.select_for_update(of=("self",)).filter(station=station).order_by().first()
    )
    if url is None:
        if printer is not None:
            printer.delete()
        _queue_cancel(station.pk)
        return None
    if printer is None:
        printer = Printer(station=station)
    was = printer.url
    printer.url = url
    printer.enabled = enabled
    printer.answers_status = answers_status
    printer.full_clean()
    if printer.url != was:  # another printer: what was known of the old one does not hold
        printer.online, printer.paper, printer.last_error = None, Printer.Paper.UNKNOWN, ""
        printer.state_changed_at = timezone.now()
    printer.save()
    if not enabled:
        _queue_cancel(station.pk)
    _printer_told(station.pk)
    return printer


def printer_saved(printer: Printer) -> None:
    """After the admin saved ``printer``: a disabled one's queue is cancelled, as
    `printer_set` does, and the boards are told."""
    with transaction.atomic():
        if not printer.enabled:
            _queue_cancel(printer.station_id)
        _printer_told(printer.station_id)


def printer_deleted(sender, instance: Printer, **kwargs) -> None:
    """A printer deleted (post_delete): its station's unsent jobs are cancelled."""
    _queue_cancel(instance.station_id)
    _printer_told(instance.station_id)


def _queue_cancel(station_id: int) -> None:
    """The station's jobs no byte of which went out, cancelled: those a worker holds too (its
    next move, a compare-and-set, finds the job no longer its and sends nothing)."""
    ids = list(
        PrintJob.objects.filter(station_id=station_id, state__in=UNSENT).values_list(
            "pk", flat=True
        )
    )
    PrintJob.objects.filter(pk__in=ids, state__in=UNSENT).update(
        state=S.CANCELLED, worker="", lease_until=None
    )
    for job_id in ids:
        _job_told(job_id)


# --- the worker's moves ------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=conf.seconds("PRINT_LEASE_SECONDS"))


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s... after the 1st, 2nd, 3rd failed try, capped (conf.py)."""
    base = conf.seconds("PRINT_BACKOFF_SECONDS")
    cap = conf.seconds("PRINT_BACKOFF_MAX_SECONDS")
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def stations_due(now=None) -> list[int]:
    """Stations whose oldest unprinted job may be tried now: it is queued and due, nothing of
    the station is claimed or sending (one connection per printer, tickets in order), and
    the printer is enabled. Oldest first."""
    now = now or timezone.now()
    older = PrintJob.objects.filter(
        station_id=OuterRef("station_id"), state__in=PENDING
    ).filter(Q(created_at__lt=OuterRef("created_at"))
             | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")))  # fmt: skip
    busy = PrintJob.objects.filter(
        station_id=OuterRef("station_id"), state__in=(S.CLAIMED, S.SENDING)
    )
    return list(
        PrintJob.objects.filter(
            state=S.QUEUED, next_attempt_at__lte=now, station__printer__enabled=True
        )
        .filter(~Exists(older), ~Exists(busy))
        .order_by("created_at", "pk")
        .values_list("station_id", flat=True)
    )


def printers_to_probe(now=None) -> list[tuple[int, int]]:
    """(printer id, station id) of the enabled printers that answer status and that nobody
    has heard from for PRINT_PROBE_SECONDS (or ever), their station with no job in hand."""
    now = now or timezone.now()
    since = now - timedelta(seconds=conf.seconds("PRINT_PROBE_SECONDS"))
    busy = PrintJob.objects.filter(
        station_id=OuterRef("station_id"), state__in=(S.CLAIMED, S.SENDING)
    )
    return list(
        Printer.objects.filter(enabled=True, answers_status=True)
        .filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=since))
        .filter(~Exists(busy))
        .order_by()
        .values_list("pk", "station_id")
    )


def print_job_claim(*, station_id: int, worker: str) -> PrintJob | None:
    """Take ``station_id``'s oldest queued job, if it is due and the station has no job in
    hand: ``claimed``, leased to ``worker``, its try counted; None if another worker was
    first. The printer's row is locked (skip_locked on PostgreSQL: a worker that finds it
    taken moves on; SQLite takes the database's write lock for the transaction)."""
    now = timezone.now()
    with transaction.atomic():
        # Only the printer's row is locked (`of`), without the ordering's joins: the
        # restaurant's row would be locked too, and every other station skipped meanwhile.
        printer = (
            Printer.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(station_id=station_id, enabled=True)
            .select_related("station")
            .order_by()
            .first()
        )
        if printer is None:
            return None
        queue = PrintJob.objects.filter(station_id=station_id, state__in=PENDING)
        head = queue.order_by("created_at", "pk").first()
        if head is None or head.state != S.QUEUED or head.next_attempt_at > now:
            return None
        head.state, head.worker = S.CLAIMED, worker
        head.lease_until = now + _lease()
        head.attempts += 1
        # A compare-and-set, as every later move: where the lock is the database's (SQLite),
        # a worker that read the same head is refused here, not let overwrite the claim.
        claimed = PrintJob.objects.filter(pk=head.pk, state=S.QUEUED).update(
            state=S.CLAIMED, worker=worker, lease_until=head.lease_until, attempts=head.attempts
        )
        if not claimed:
            return None
    head.printer = printer
    return head


def _move(job: PrintJob, *, worker: str, from_states, **fields) -> bool:
    """Compare and set: ``job`` takes ``fields`` only if it is still in ``from_states`` and
    held by ``worker``."""
    moved = PrintJob.objects.filter(pk=job.pk, state__in=from_states, worker=worker).update(
        **fields
    )
    return moved == 1


def print_job_sending(job: PrintJob, *, worker: str) -> bool:
    """Commit ``sending`` before the first byte of the ticket goes out (and renew the
    lease). False: the job is no longer this worker's; send nothing."""
    return _move(job, worker=worker, from_states=[S.CLAIMED], state=S.SENDING,
                 lease_until=timezone.now() + _lease())  # fmt: skip


def print_job_lease_renew(job: PrintJob, *, worker: str) -> bool:
    return _move(job, worker=worker, from_states=[S.CLAIMED, S.SENDING],
                 lease_until=timezone.now() + _lease())  # fmt: skip


def print_job_done(job: PrintJob, *, worker: str) -> bool:
    """The printer answered after taking the bytes: ``done``. A job recovery marked
    `uncertain` meanwhile (this worker was too slow for its lease) and no one has settled
    is known printed after all, and becomes ``done`` too."""
    with transaction.atomic():
        moved = PrintJob.objects.filter(
            Q(state=S.SENDING) | Q(state=S.UNCERTAIN, resolved_at__isnull=True),
            pk=job.pk, worker=worker,
        ).update(state=S.DONE, sent_at=timezone.now(), last_error="", lease_until=None)  # fmt: skip
        if moved:
            _job_told(job.pk)
            _printer_told(job.station_id)
    return bool(moved)


def print_job_uncertain(job: PrintJob, *, worker: str, error: str) -> bool:
    """Bytes went out and no answer came: it may have printed. Never sent again by the
    worker; the station's screen asks staff (`print_job_resolve`)."""
    with transaction.atomic():
        moved = _move(job, worker=worker, from_states=[S.SENDING], state=S.UNCERTAIN,
                      last_error=error[:200], lease_until=None)  # fmt: skip
        if moved:
            _job_told(job.pk)
            _printer_told(job.station_id)
    return moved


def print_job_retry(job: PrintJob, *, worker: str, error: str) -> bool:
    """No byte of the ticket went out (the printer refused, timed out before, is off or out
    of paper): back to ``queued``, tried again after the backoff."""
    with transaction.atomic():
        moved = PrintJob.objects.filter(pk=job.pk, state=S.CLAIMED, worker=worker).update(
            state=S.QUEUED, worker="", lease_until=None, last_error=error[:200],
            next_attempt_at=timezone.now() + backoff(job.attempts),
        )  # fmt: skip
        if moved:
            _printer_told(job.station_id)
    return bool(moved)


def print_jobs_recover(now=None) -> tuple[int, int]:
    """Jobs of workers that died: their lease ran out, or the worker ran on this machine and
    its process is gone (`workers_gone`: a worker killed and started again goes on at once,
    not a lease later). ``claimed`` ones go back to the queue (no byte went out), ``sending``
    ones become ``uncertain`` (bytes may have). Returns (requeued, uncertain).

    Every move is a compare-and-set on the state and the worker, so a worker wrongly taken
    for dead (another machine's process of the same host name and pid) cannot then print:
    its own next move finds the job no longer its."""
    now = now or timezone.now()
    held = PrintJob.objects.filter(state__in=(S.CLAIMED, S.SENDING))
    gone = workers_gone(set(held.values_list("worker", flat=True)))
    expired = Q(lease_until__lt=now) | Q(lease_until__isnull=True) | Q(worker__in=gone)
    requeued = PrintJob.objects.filter(expired, state=S.CLAIMED).update(
        state=S.QUEUED, worker="", lease_until=None, next_attempt_at=now
    )
    with transaction.atomic():
        doubtful = list(
            PrintJob.objects.filter(expired, state=S.SENDING).values_list(
                "pk", "station_id", "worker"
            )
        )
        moved_count = 0
        for job_id, station_id, worker in doubtful:
            moved = PrintJob.objects.filter(expired, pk=job_id, state=S.SENDING,
                                            worker=worker).update(
                state=S.UNCERTAIN, lease_until=None,
                last_error="the worker stopped while sending: it may have printed",
            )  # fmt: skip
            if moved:
                moved_count += 1
                _job_told(job_id)
                _printer_told(station_id)
    return requeued, moved_count


def workers_gone(workers: set[str]) -> set[str]:
    """Of the workers named ``HOST:PID`` (restaurant/printing/worker.py `worker_name`), those
    of this machine whose process no longer exists. Another machine's are never judged here:
    their leases run out."""
    here, gone = socket.gethostname(), set()
    for name in workers:
        host, _, pid = name.rpartition(":")
        if host != here or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)  # signal 0: asks whether the process exists, sends nothing
        except ProcessLookupError:
            gone.add(name)
        except PermissionError:
            pass  # it exists (another user's)
    return gone


def printer_state_set(
    printer: Printer,
    *,
    online: bool | None,
    paper: str | None = None,
    error: str = "",
    speaks_status: bool | None = None,
) -> None:
    """What the worker learnt of ``printer`` now (``paper`` None: not asked, kept;
    ``speaks_status`` None: not learnt, kept). The boards are told when its state changed."""
    now = timezone.now()
    paper = paper or printer.paper
    changed = (printer.online, printer.paper, printer.last_error) != (online, paper, error[:200])
    fields = {"online": online, "paper": paper, "last_error": error[:200], "last_seen_at": now}
    if changed:
        fields["state_changed_at"] = now
    with transaction.atomic():
        Printer.objects.filter(pk=printer.pk).update(**fields)
        for name, value in fields.items():
            setattr(printer, name, value)
        if changed:
            _printer_told(printer.station_id)


# --- what a staff socket starts from -----------------------------------------------------------


def printers_state(restaurant: Restaurant) -> list[dict]:
    """The restaurant's printers as `printer.status` describes them (snapshot part
    ``printers``)."""
    printers = Printer.objects.filter(station__restaurant=restaurant)
    queues = dict(
        PrintJob.objects.filter(restaurant=restaurant, state__in=PENDING)
        .values_list("station_id")
        .annotate(n=Count("pk"))
        .values_list("station_id", "n")
    )
    return [printer_payload(p, queues.get(p.station_id, 0)) for p in printers]


def print_jobs_uncertain(restaurant: Restaurant) -> list[dict]:
    """The restaurant's jobs that may have printed and that staff have not settled (snapshot
    part ``print_jobs_uncertain``), oldest first."""
    jobs = PrintJob.objects.filter(
        restaurant=restaurant, state=S.UNCERTAIN, resolved_at__isnull=True
    ).select_related("order__session__table")
    return [print_job_payload(job) for job in jobs]
