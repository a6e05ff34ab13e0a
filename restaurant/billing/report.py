"""The night's report (日结 / Z report) of one business day, and closing that day.

`z_report` reads the day's closed checks (`ClosedCheck`, their figures and the dishes frozen in
their ``detail``), its payments (`Payment.business_date`), the dishes taken back or given free
on its meals, and the meals still open; `business_day_close` keeps the report as it was
(`BusinessDay.report`) and from then on nothing of that day changes (money taken after a
manager closed today early counts on the next day: restaurant/billing/services.py).

The report is JSON-ready: money in minor units (integers), times as ISO strings in the local
time zone, names of dishes, categories and stations in both languages (``name``, ``name_en``)
so that a stored report reads in either. Its sums are the rows' sums: ``checks.net`` is the sum
of the day's `ClosedCheck.total`, ``payments.total.net`` the sum of its payments' `signed`.
"""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from restaurant.billing.compute import Off
from restaurant.billing.models import BusinessDay, ClosedCheck, Discount, Payment
from restaurant.billing.selectors import check_of, paid_total
from restaurant.dining.models import DiningSession
from restaurant.kitchen.models import ItemAdjustment, ItemMove, OrderItem
from restaurant.realtime.errors import OpError
from restaurant.venues.days import business_date
from restaurant.venues.models import Restaurant

VERSION = 1  # of the report's shape, kept with a stored report


class _Names:
    """Staff names by user id, each looked up once: "who" in the report."""

    def __init__(self) -> None:
        self.known: dict[int, str] = {}

    def __call__(self, user_id: int | None) -> str:
        if user_id is None:
            return ""
        if user_id not in self.known:
            user = get_user_model().objects.filter(pk=user_id).first()
            self.known[user_id] = (user.get_full_name() or user.get_username()) if user else ""
        return self.known[user_id]


def _local(at: datetime.datetime | None) -> str | None:
    return timezone.localtime(at).isoformat() if at else None


def _average(amount: int, count: int) -> int:
    """``amount / count`` in whole minor units, rounded half up (0 when nothing to divide)."""
    if count <= 0:
        return 0
    return int((Decimal(amount) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _table(session: DiningSession) -> dict:
    return {"number": session.table.number, "label": session.table.label}


def _bilingual(row, fallback: str = "") -> dict:
    if row is None:
        return {"name": fallback, "name_en": ""}
    return {"name": row.name, "name_en": row.name_en}


def _line_discounts_taken(line: dict) -> dict[int, int]:
    """What each of a closed line's discounts took, as the check computed it: one after the
    other on what was left of the line (restaurant/billing/compute.py, step 2)."""
    base = 0 if line["comped"] else line["amount"]
    taken, out = 0, {}
    for d in line.get("discounts", []):
        off = Off(percent=Decimal(d["percent"]) if d.get("percent") else None,
                  amount=d.get("amount"))  # fmt: skip
        this = off.of(base - taken)
        taken += this
        out[d["id"]] = this
    return out


def _sales(checks: list[ClosedCheck]) -> dict:
    """Sales by dish, category and station from the checks' frozen lines (qty and amount
    before discounts); comped dishes apart."""
    lines = [line for c in checks for line in c.detail.get("lines", [])]
    items = {
        i.pk: i
        for i in OrderItem.objects.filter(pk__in=[line["item_id"] for line in lines])
        .select_related("dish__category", "station")
    }  # fmt: skip
    dishes: dict = {}
    comped: dict = {}
    categories: dict = {}
    stations: dict = {}

    def add(table: dict, key, names: dict, qty: int, amount: int) -> None:
        row = table.setdefault(key, {**names, "qty": 0, "amount": 0})
        row["qty"] += qty
        row["amount"] += amount

    for line in lines:
        item = items.get(line["item_id"])
        dish = item.dish if item else None
        key = dish.pk if dish else f"line:{line['name']}"
        names = {"dish_id": dish.pk if dish else None, "name": line["name"],
                 "name_en": dish.name_en if dish else ""}  # fmt: skip
        if line["comped"]:
            add(comped, key, names, line["qty"], line["amount"])
            continue
        add(dishes, key, names, line["qty"], line["amount"])
        category = dish.category if dish else None
        add(categories, category.pk if category else None,
            {"category_id": category.pk if category else None, **_bilingual(category)},
            line["qty"], line["amount"])  # fmt: skip
        station = item.station if item else None
        add(stations, station.pk if station else None,
            {"station_id": station.pk if station else None, **_bilingual(station)},
            line["qty"], line["amount"])  # fmt: skip

    def ordered(table: dict) -> list[dict]:
        return sorted(table.values(), key=lambda r: (-r["amount"], -r["qty"], r["name"]))

    return {"dishes": ordered(dishes), "comped_dishes": ordered(comped),
            "categories": ordered(categories), "stations": ordered(stations)}  # fmt: skip


def _discounts(checks: list[ClosedCheck], names: _Names) -> list[dict]:
    """Every discount given on the day's checks, with what it took; removed ones too (taken 0),
    with who removed them."""
    taken: dict[int, int] = {}
    for c in checks:
        for line in c.detail.get("lines", []):
            taken.update(_line_discounts_taken(line))
        for d in c.detail.get("discounts", []):
            taken[d["id"]] = d.get("taken") or 0
    sessions = {c.session_id: c.session for c in checks}
    rows = []
    discounts = Discount.objects.filter(session_id__in=sessions).select_related("item__dish")
    for d in discounts.order_by("at", "pk"):
        removed = d.removed_at is not None
        rows.append({
            "discount_id": d.pk, "session_id": d.session_id,
            "table": _table(sessions[d.session_id]),
            "scope": "dish" if d.item_id else "check", "dish": d.item.name if d.item else "",
            "dish_en": d.item.dish.name_en if d.item else "",
            "percent": str(d.percent) if d.percent is not None else None, "amount": d.amount,
            "taken": 0 if removed else taken.get(d.pk, 0), "reason": d.reason,
            "by": names(d.by_id), "at": _local(d.at), "removed": removed,
            "removed_by": names(d.removed_by_id) if removed else "",
        })  # fmt: skip
    return rows


def _voids_and_comps(checks: list[ClosedCheck], names: _Names) -> list[dict]:
    """Dishes taken back or given free on the day's meals: the adjustments applied (as the
    dish stands now: a void recalled since is not one), and dishes voided otherwise (the
    free-text void, a cancelled round) with who voided them."""
    sessions = {c.session_id: c.session for c in checks}
    rows = []
    counted: set[int] = set()
    adjustments = (
        ItemAdjustment.objects.filter(session_id__in=sessions, state=ItemAdjustment.State.APPLIED)
        .select_related("item__dish", "part")
        .order_by("at", "pk")
    )
    for a in adjustments:
        part = a.part or a.item
        voided = part.status == OrderItem.Status.VOIDED
        if (a.kind == ItemAdjustment.Kind.VOID) != voided or (
            a.kind == ItemAdjustment.Kind.COMP and not part.comped
        ):
            continue  # undone since
        if voided:
            counted.add(part.pk)
        rows.append({
            "kind": a.kind, "session_id": a.session_id, "table": _table(sessions[a.session_id]),
            "dish": a.item.name, "dish_en": a.item.dish.name_en,
            "options": a.item.option_names, "qty": a.qty,
            "amount": a.qty * a.item.unit_price, "reason": a.reason_text, "by": names(a.by_id),
            "approved_by": names(a.decided_by_id), "at": _local(a.at),
        })  # fmt: skip
    voided_items = (
        OrderItem.objects.filter(order__session_id__in=sessions, status=OrderItem.Status.VOIDED)
        .exclude(pk__in=counted)
        .select_related("order", "dish")
        .order_by("status_changed_at", "pk")
    )
    moves = defaultdict(list)
    for move in ItemMove.objects.filter(
        item__in=voided_items, to_status=OrderItem.Status.VOIDED, recall=False
    ).order_by("at", "pk"):
        moves[move.item_id].append(move)
    for item in voided_items:
        last = moves[item.pk][-1] if moves[item.pk] else None
        rows.append({
            "kind": "void", "session_id": item.order.session_id,
            "table": _table(sessions[item.order.session_id]),
            "dish": item.name, "dish_en": item.dish.name_en,
            "options": item.option_names, "qty": item.qty, "amount": item.qty * item.unit_price,
            "reason": item.void_reason or item.order.cancel_reason,
            "by": names(last.by_id) if last else "", "approved_by": "",
            "at": _local(item.status_changed_at),
        })  # fmt: skip
    rows.sort(key=lambda r: r["at"] or "")
    return rows


def _payments(restaurant: Restaurant, date: datetime.date, names: _Names) -> dict:
    """The day's money by method: in, refunded, net; cash handed over and change given."""
    payments = list(
        Payment.objects.filter(
            restaurant=restaurant, business_date=date, state=Payment.State.SUCCEEDED
        )
        .select_related("session__table")
        .order_by("at", "pk")
    )
    methods = list(restaurant.payment_methods)
    methods += sorted({p.method for p in payments} - set(methods))
    by_method = {m: {"method": m, "count": 0, "amount_in": 0, "refund_count": 0, "refunds": 0,
                     "net": 0} for m in methods}  # fmt: skip
    tendered = change = 0
    refunds = []
    for p in payments:
        row = by_method[p.method]
        if p.kind == Payment.Kind.PAY:
            row["count"] += 1
            row["amount_in"] += p.amount
            if p.method == "cash":
                tendered += p.tendered or p.amount
                change += p.change
        else:
            row["refund_count"] += 1
            row["refunds"] += p.amount
            refunds.append({"session_id": p.session_id, "table": _table(p.session),
                            "method": p.method, "amount": p.amount, "reason": p.reason,
                            "by": names(p.by_id), "at": _local(p.at)})  # fmt: skip
        row["net"] += p.signed
    rows = [row for row in by_method.values()]
    total = {key: sum(row[key] for row in rows)
             for key in ("count", "amount_in", "refund_count", "refunds", "net")}  # fmt: skip
    return {"methods": rows, "total": total, "refunds": refunds,
            "cash": {"tendered": tendered, "change": change,
                     "net": by_method["cash"]["net"] if "cash" in by_method else 0}}  # fmt: skip


def open_meals(restaurant: Restaurant, date: datetime.date) -> list[dict]:
    """The restaurant's meals still open that opened on business day ``date`` or before it,
    each with its check now: what closing that day waits for."""
    rows = []
    sessions = DiningSession.objects.filter(
        restaurant=restaurant, status=DiningSession.Status.OPEN
    ).select_related("table")
    for session in sessions.order_by("opened_at", "pk"):
        opened_on = business_date(restaurant, session.opened_at)
        if opened_on > date:
            continue
        check, _, _, _, payments = check_of(session, restaurant)
        paid = paid_total(payments)
        rows.append({
            "session_id": session.pk, "table": _table(session),
            "opened_at": _local(session.opened_at), "opened_on": opened_on.isoformat(),
            "guests": session.guests, "total": check.total, "paid": paid,
            "balance": check.total - paid,
        })  # fmt: skip
    return rows


def z_report(*, restaurant: Restaurant, date: datetime.date) -> dict:
    """The night's report of ``restaurant``'s business day ``date`` as it stands now (see the
    module's docstring). A closed day's report is the one it was closed with
    (`stored_report`), not this."""
    names = _Names()
    checks = list(
        ClosedCheck.objects.filter(restaurant=restaurant, business_date=date)
        .select_related("session__table")
        .order_by("closed_at", "pk")
    )
    totals = {key: sum(getattr(c, key) for c in checks)
              for key in ("subtotal", "discounts", "service", "cover", "rounding", "total",
                          "comped", "paid")}  # fmt: skip
    covers = sum(c.guests for c in checks)
    summary = {
        "count": len(checks), "covers": covers, "gross": totals["subtotal"],
        "discounts": totals["discounts"], "service": totals["service"],
        "cover": totals["cover"], "rounding": totals["rounding"], "net": totals["total"],
        "comped": totals["comped"], "paid": totals["paid"],
        "owed": sum(c.total - c.paid for c in checks),
    }  # fmt: skip
    check_rows = [{
        "session_id": c.session_id, "table": _table(c.session), "closed_at": _local(c.closed_at),
        "closed_by": names(c.closed_by_id), "guests": c.guests, "subtotal": c.subtotal,
        "discounts": c.discounts, "service": c.service, "cover": c.cover,
        "rounding": c.rounding, "total": c.total, "comped": c.comped, "paid": c.paid,
        "unpaid_reason": c.unpaid_reason,
    } for c in checks]  # fmt: skip
    unpaid = [{
        "session_id": c.session_id, "table": _table(c.session), "total": c.total,
        "paid": c.paid, "balance": c.total - c.paid, "reason": c.unpaid_reason,
        "by": names(c.closed_by_id), "closed_at": _local(c.closed_at),
    } for c in checks if c.unpaid_reason]  # fmt: skip
    day = BusinessDay.objects.filter(restaurant=restaurant, date=date).first()
    return {
        "version": VERSION,
        "restaurant": {
            "id": restaurant.pk,
            "slug": restaurant.slug,
            "name": restaurant.name,
            "name_en": restaurant.name_en,
        },
        "currency": restaurant.currency,
        "date": date.isoformat(),
        "day_starts_at": restaurant.day_starts_at.strftime("%H:%M"),
        "generated_at": _local(timezone.now()),
        "checks": summary,
        "averages": {
            "per_check": _average(summary["net"], summary["count"]),
            "per_cover": _average(summary["net"], covers),
        },
        **_sales(checks),
        "discounts": _discounts(checks, names),
        "voids_and_comps": _voids_and_comps(checks, names),
        "payments": _payments(restaurant, date, names),
        "unpaid": unpaid,
        "open_meals": open_meals(restaurant, date),
        "check_list": check_rows,
        "closed": ({"at": _local(day.closed_at), "by": names(day.closed_by_id)} if day else None),
    }


def stored_report(restaurant: Restaurant, date: datetime.date) -> dict | None:
    """The report ``date`` was closed with, or None while that day is open."""
    day = BusinessDay.objects.filter(restaurant=restaurant, date=date).first()
    return day.report if day else None


@transaction.atomic
def business_day_close(*, restaurant: Restaurant, date: datetime.date, by) -> BusinessDay:
    """Close ``restaurant``'s business day ``date`` (日结): its report is kept as it is now and
    no check closes, no payment or refund is recorded on that day after.

    Refused (`OpError` ``conflict``, nothing written): ``already_closed``; ``not_begun`` (a
    day after the current one); ``meals_open`` while meals that opened on that day or before
    it are still open (``meals``: them, with their checks), since each would be kept from
    closing on a closed day, or close on a later one with that day's dishes."""
    with transaction.atomic():
        # The restaurant's row, as every payment and close takes it (billing/services.py's
        # `_day_open`): none lands on the day between the check below and the insert.
        Restaurant.objects.select_for_update().filter(pk=restaurant.pk).exists()
        return _day_close(restaurant, date, by)


def _day_close(restaurant: Restaurant, date: datetime.date, by) -> BusinessDay:
    if BusinessDay.objects.filter(restaurant=restaurant, date=date).exists():
        raise OpError("conflict", f"the business day {date} is already closed",
                      detail="already_closed")  # fmt: skip
    if date > business_date(restaurant):
        raise OpError("conflict", f"the business day {date} has not begun", detail="not_begun")
    still_open = open_meals(restaurant, date)
    if still_open:
        raise OpError("conflict", f"{len(still_open)} table(s) still open: settle and close them "
                      "first", detail="meals_open", meals=still_open)  # fmt: skip
    report = z_report(restaurant=restaurant, date=date)
    now = timezone.now()
    report["closed"] = {"at": _local(now), "by": _Names()(getattr(by, "pk", None))}
    try:
        with transaction.atomic():
            return BusinessDay.objects.create(
                restaurant=restaurant, date=date, closed_at=now, closed_by=by, report=report
            )
    except IntegrityError:  # closed by another press that won the race
        raise OpError("conflict", f"the business day {date} is already closed",
                      detail="already_closed") from None  # fmt: skip
