"""Reading a meal's check: its dishes, who pays for each, discounts, charges, payments, and
what each share still owes (restaurant/billing/compute.py does the sums).

Shares (``target`` strings, the same in payments and on the pages):
- ``check``: the whole check; its due is the balance;
- ``diner:<id>``: that diner's part by who had what (shared dishes split, claims honoured);
- ``equal:<n>:<k>``: the k-th (0-based) of n equal parts of the total (AA).
A share's due is its part less what was paid against it, never more than the balance.
"""

import datetime
import re
from decimal import Decimal

from django.db.models import Prefetch

from restaurant.billing.compute import Check, Line, Off, Rules, allocate, check_compute
from restaurant.billing.compute import equal_parts as _equal_parts
from restaurant.billing.models import BusinessDay, Discount, ItemOwner, Payment
from restaurant.dining.models import Diner, DiningSession
from restaurant.kitchen.models import Order, OrderItem
from restaurant.menu.money import decimals
from restaurant.realtime.errors import OpError
from restaurant.venues.models import Restaurant

TARGET = re.compile(r"^(check|diner:(\d{1,12})|equal:(\d{1,2}):(\d{1,2}))$")
EQUAL_MAX = 30  # AA among at most this many


def day_is_closed(restaurant_id: int, date: datetime.date) -> bool:
    return BusinessDay.objects.filter(restaurant_id=restaurant_id, date=date).exists()


def rounding_unit(restaurant: Restaurant) -> int:
    """抹零's unit in minor units: the major unit (to the yuan: 100 fen) or a tenth of it
    (to the jiao: 10 fen), by the currency's decimals (JPY: to the yen is 1)."""
    places = decimals(restaurant.currency)
    if restaurant.rounding == Restaurant.Rounding.YUAN:
        return 10**places
    if restaurant.rounding == Restaurant.Rounding.JIAO:
        return 10 ** max(places - 1, 0)
    return 1


def guests_of(session: DiningSession, diners: list[Diner]) -> int:
    """The cover charge's count: the meal's guest count when staff set it, else the diners
    who joined at the table (staff's own diner not counted)."""
    if session.guests:
        return session.guests
    return sum(1 for d in diners if d.staff_id is None)


def meal_items(session: DiningSession) -> list[OrderItem]:
    """The dishes on the check: every item of the meal's rounds but cancelled rounds, a round
    still held for staff to accept (not ordered yet: closing the table cancels it) and voided
    dishes, with their owners and live line discounts."""
    return list(
        OrderItem.objects.filter(order__session=session)
        .exclude(order__status=Order.Status.CANCELLED)
        .exclude(order__status=Order.Status.SUBMITTED, order__awaiting_confirmation=True)
        .exclude(status=OrderItem.Status.VOIDED)
        .select_related("order")
        .prefetch_related(
            Prefetch("owners", queryset=ItemOwner.objects.order_by("diner_id")),
            Prefetch("discounts", queryset=Discount.objects.filter(removed_at__isnull=True)),
        )
        .order_by("order__round", "pk")
    )


def _off(d: Discount) -> Off:
    return Off(percent=d.percent, amount=d.amount, key=d.pk)


def owners_of(item: OrderItem, table: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """Who pays for ``item`` (diner ids): its owner rows when there are any (a claim or an
    explicit share wins); else, for a dish added as shared by the table, every diner of the
    meal who is not staff, in id order (who added it when there is none); else who added it.

    ``table``: those diners' ids, read once per check by the caller (`check_of`); without
    it, a shared dish reads them (one query)."""
    rows = [o.diner_id for o in item.owners.all()]
    if rows:
        return tuple(rows)
    if item.shared:
        if table is None:
            table = tuple(
                Diner.objects.filter(session_id=item.order.session_id, staff__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        if table:
            return table
    return (item.added_by_id,)


def check_of(session: DiningSession, restaurant: Restaurant | None = None) -> tuple:
    """(Check, items, diners, check discounts, payments) for ``session`` now. Read it under
    the session's lock to act on it."""
    restaurant = restaurant or Restaurant.objects.get(pk=session.restaurant_id)
    items = meal_items(session)
    diners = list(Diner.objects.filter(session=session).order_by("pk"))
    table = tuple(d.pk for d in diners if d.staff_id is None)  # who shares a shared dish
    offs = list(Discount.objects.filter(session=session, item=None, removed_at__isnull=True))
    lines = [
        Line(key=i.pk, amount=i.unit_price * i.qty, owners=owners_of(i, table),
             comped=i.comped, offs=tuple(_off(d) for d in i.discounts.all()))
        for i in items
    ]  # fmt: skip
    rules = Rules(
        service_percent=Decimal(restaurant.service_percent),
        cover_charge=restaurant.cover_charge,
        guests=guests_of(session, diners),
        rounding_unit=rounding_unit(restaurant),
    )
    check = check_compute(lines, [_off(d) for d in offs], rules)
    payments = list(Payment.objects.filter(session=session).order_by("at", "pk"))
    return check, items, diners, offs, payments


def paid_total(payments: list[Payment], target: str | None = None) -> int:
    """Payments less refunds (succeeded ones only), against ``target`` or in all."""
    return sum(
        p.signed
        for p in payments
        if p.state == Payment.State.SUCCEEDED and (target is None or p.target == target)
    )


def share_due(check: Check, payments: list[Payment], target: str) -> int:
    """What ``target`` still owes (minor units, ≥ 0): its part less what was paid against
    it, capped by the balance. `bad_request` for a target that is not a share of this check."""
    balance = check.total - paid_total(payments)
    match = TARGET.match(target) if isinstance(target, str) else None
    if not match:
        raise OpError("bad_request", f"no such share: {target!r}")
    if target == "check":
        return max(balance, 0)
    if match.group(2):
        diner_id = int(match.group(2))
        if diner_id not in check.per_owner:
            raise OpError("not_found", "that diner has nothing on this check", detail="share")
        return diner_dues(check, payments)[diner_id]
    else:
        n, k = int(match.group(3)), int(match.group(4))
        if not (1 <= n <= EQUAL_MAX and 0 <= k < n):
            raise OpError("bad_request", f"an equal share is k of n, 0 ≤ k < n ≤ {EQUAL_MAX}")
        part = _equal_parts(check.total, n)[k]
    return max(0, min(part - paid_total(payments, target), balance))


def diner_dues(check: Check, payments: list[Payment]) -> dict:
    """What each owner of the check (diner id; None: the table's own part) still owes, so that
    the dues always add up to the balance: each owner's part less what they paid against it,
    and the money no one's share took (paid against the check or an equal part, or paid by a
    diner past their part, after a void) spread over what is still owed, in proportion."""
    paid_by = {k: paid_total(payments, f"diner:{k}") for k in check.per_owner if k is not None}
    remaining = {k: max(part - paid_by.get(k, 0), 0) for k, part in check.per_owner.items()}
    taken = sum(min(max(paid_by.get(k, 0), 0), part) for k, part in check.per_owner.items())
    credit = max(paid_total(payments) - taken, 0)
    owed = sum(remaining.values())
    if not owed or not credit:
        return remaining
    spread = allocate(min(credit, owed), remaining)
    return {k: remaining[k] - spread[k] for k in remaining}


def check_state(check: Check, payments: list[Payment]) -> str:
    """``open`` (nothing paid), ``partly_paid``, ``settled`` (balance 0) or ``overpaid``
    (more paid than owed, after a void or a discount: a refund settles it)."""
    paid = paid_total(payments)
    balance = check.total - paid
    if balance < 0:
        return "overpaid"
    if balance == 0:
        return "settled"
    return "partly_paid" if paid else "open"
