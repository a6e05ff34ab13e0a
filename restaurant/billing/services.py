"""Changing a meal's check: who pays for a dish, discounts, payments, refunds, closing.

Every service here takes the meal's lock (`session_lock`, the lock every writer of the meal
takes: a void, a move, a round) and reads the check under it, so a payment and a void, or two
phones claiming one dish, are one after the other and each sees the other's outcome. After
commit the table's phones and the restaurant's tills are told `check.changed` (no `seq`: they
fetch the check again).

Refusals are `OpError`s, nothing changed: ``not_found`` (another restaurant's meal, dish or
payment too), ``bad_request`` (a malformed amount or share), ``stale`` (the check changed
since the till showed the amount: ``due`` is the current one), and ``conflict`` with a
``detail``: ``paid`` (the dish is in a share someone paid), ``claimed`` (another diner claims
it), ``unpaid`` (closing with money owed),
``closed`` (the meal has ended), ``over`` (more than is owed). Money taken after a manager
closed today early counts on the next business day.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from restaurant.billing import selectors
from restaurant.billing.models import BusinessDay, ClosedCheck, Discount, ItemOwner, Payment
from restaurant.billing.payloads import check_payload
from restaurant.billing.selectors import check_of, paid_total, share_due
from restaurant.dining.models import CartLine, Diner, DiningSession
from restaurant.dining.services import UnsentCart, session_close, session_lock, unsent_cart
from restaurant.kitchen.models import Order, OrderItem
from restaurant.kitchen.services import order_status_set
from restaurant.realtime import groups
from restaurant.realtime.broadcast import broadcast_on_commit, group_message
from restaurant.realtime.errors import OpError
from restaurant.tables.models import Table
from restaurant.tables.services import floor_changed
from restaurant.venues.days import business_date
from restaurant.venues.models import Restaurant

OPEN = DiningSession.Status.OPEN
REASON_MAX = 120


def check_changed(session: DiningSession) -> None:
    """After commit: the table's phones and the restaurant's tills fetch the check again."""
    event = {"type": "check.changed", "session_id": session.pk}
    broadcast_on_commit(groups.table_group(session.table_id), group_message("table.event", event))
    floor_changed(table_id=session.table_id, restaurant_id=session.restaurant_id)


def _meal(restaurant: Restaurant, session_id: int) -> DiningSession:
    """The restaurant's meal ``session_id``, locked and open."""
    if not DiningSession.objects.filter(pk=session_id, restaurant=restaurant).exists():
        raise OpError("not_found", "no such meal", detail="meal")
    session = session_lock(session_id)
    if session.status != OPEN:
        raise OpError("conflict", "this meal has ended", detail="closed")
    return session


def open_meal_id(restaurant: Restaurant, table_number: int) -> int:
    """The open meal at table ``table_number``: `not_found` when none (or no such table)."""
    session_id = (
        DiningSession.objects.filter(restaurant=restaurant, table__number=table_number, status=OPEN)
        .values_list("pk", flat=True)
        .first()
    )
    if session_id is None:
        raise OpError("not_found", "no open meal at that table", detail="meal")
    return session_id


def _day_open(restaurant: Restaurant):
    """The business day money taken now belongs to: today's, or, once a manager has closed
    today early (日结 before ``day_starts_at``), the next open one. The restaurant's row is
    locked till commit, as closing a day locks it (restaurant/billing/report.py), so no
    payment or close lands on a day while it is being closed."""
    Restaurant.objects.select_for_update().filter(pk=restaurant.pk).exists()
    day = business_date(restaurant)
    closed = set(
        BusinessDay.objects.filter(restaurant=restaurant, date__gte=day).values_list(
            "date", flat=True
        )
    )
    while day in closed:
        day += datetime.timedelta(days=1)
    return day


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text_ok(text) -> bool:
    """A string that can be stored and printed: UTF-8 (no lone surrogate), no control
    character but tab and line breaks (an ESC or a GS typed into a reason would be a printer
    command on a receipt), as the diners' own text (restaurant/dining/protocol.py)."""
    if not isinstance(text, str) or _CONTROL.search(text):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _reason(text) -> str:
    if not _text_ok(text if text is not None else ""):
        raise OpError("bad_request", "a reason is text")
    text = (text or "").strip()
    if not 1 <= len(text) <= REASON_MAX:
        raise OpError("bad_request", f"say why, in 1 to {REASON_MAX} characters")
    return text


# --- Who pays for a dish ----------------------------------------------------------------------


def _item(session: DiningSession, item_id: int) -> OrderItem:
    item = next((i for i in selectors.meal_items(session) if i.pk == item_id), None)
    if item is None:
        raise OpError("not_found", "no such dish on this check", detail="item")
    return item


def _paid_diners(session: DiningSession) -> set[int]:
    """Diners whose own share has money paid on it (net of refunds): their dishes are locked
    to them. A share refunded in full is free again."""
    paid: dict[int, int] = {}
    for payment in Payment.objects.filter(session=session, state=Payment.State.SUCCEEDED).exclude(
        diner=None
    ):
        paid[payment.diner_id] = paid.get(payment.diner_id, 0) + payment.signed
    return {diner for diner, amount in paid.items() if amount > 0}


def item_owners_set(
    *, session: DiningSession, item_id: int, diner_ids: list[int], by_diner: int | None = None
) -> list[int]:
    """Who pays for dish ``item_id`` of ``session`` (locked by the caller): one diner (a
    claim: "I'll pay for this"), several (shared equally), or none (back to who added it).

    ``by_diner``: the phone's own diner. A phone may claim a dish for itself, share it among
    diners at the table including itself (`forbidden` ``not_yours`` otherwise), or let go of
    its own claim or share; it may not take a dish another diner
    claimed (`conflict` ``claimed``): they let go first. The till (``by_diner`` None) may set
    anything. Any dish in a share someone paid is locked (`conflict` ``paid``). Returns the
    owners as the check now counts them (diner ids)."""
    item = _item(session, item_id)
    wanted = sorted(set(_ids(diner_ids)))
    at_table = set(Diner.objects.filter(session=session).values_list("pk", flat=True))
    if not set(wanted) <= at_table:
        raise OpError("not_found", "not a diner at this table", detail="diner")
    current = selectors.owners_of(item)
    if (
        by_diner is not None
        and wanted
        and by_diner not in wanted
        and not set(wanted) < set(current)
    ):
        # A phone shares a dish among people including itself, or leaves a share: it never
        # hands a dish to others who did not take it.
        raise OpError("forbidden", "a share you set includes you", detail="not_yours")
    paid = _paid_diners(session)
    if paid & (set(current) | set(wanted)):
        raise OpError("conflict", "this dish is in a share that has been paid", detail="paid")
    claims = list(item.owners.all())
    if by_diner is not None and len(claims) == 1 and claims[0].diner_id != by_diner:
        holder = claims[0].diner_id
        if wanted != [holder]:
            name = Diner.objects.get(pk=holder).name
            raise OpError("conflict", f"{name} is paying for this dish", detail="claimed",
                          diner_id=holder)  # fmt: skip
    if not item.shared and wanted == [item.added_by_id]:
        wanted = []  # the default: no row (for a dish added as shared, the default is the
        # table's share: who added it paying alone is a row of its own)
    if wanted == sorted(o.diner_id for o in claims):
        return list(selectors.owners_of(item))
    ItemOwner.objects.filter(item=item).delete()
    ItemOwner.objects.bulk_create([ItemOwner(item=item, diner_id=d) for d in wanted])
    check_changed(session)
    return wanted or [item.added_by_id]


# --- Discounts --------------------------------------------------------------------------------


def _percent(value) -> Decimal:
    try:
        percent = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise OpError("bad_request", "a percentage is a number") from None
    if not (percent.is_finite() and 0 < percent <= 100 and percent == round(percent, 2)):
        raise OpError("bad_request", "a percentage is more than 0, at most 100, 2 decimals")
    return percent


@transaction.atomic
def discount_add(
    *, restaurant: Restaurant, session_id: int, reason: str, op_id: str, by,
    item_id: int | None = None, percent=None, amount: int | None = None,
) -> Discount:  # fmt: skip
    """A discount on dish ``item_id`` or (None) on the whole check: ``percent`` (0 < p ≤ 100,
    2 decimals) or ``amount`` (minor units > 0), never both, with a ``reason`` (1..120). An
    amount over what is left is taken as all of it (the check shows what it took). ``op_id``
    (1..64): the same press sent twice gives one discount (the first is returned)."""
    _op_id(op_id)
    if (percent is None) == (amount is None):
        raise OpError("bad_request", "a discount is a percentage or an amount")
    if amount is not None:
        _positive(amount, "an amount")
    percent = _percent(percent) if percent is not None else None
    reason = _reason(reason)
    session = _meal(restaurant, session_id)
    existing = Discount.objects.filter(session=session, op_id=op_id).first()
    if existing is not None:
        return existing
    if item_id is not None:
        _item(session, item_id)
    discount = Discount.objects.create(
        restaurant=restaurant, session=session, item_id=item_id, percent=percent,
        amount=amount, reason=reason, op_id=op_id, by=by,
    )  # fmt: skip
    check_changed(session)
    return discount


@transaction.atomic
def discount_remove(*, restaurant: Restaurant, discount_id: int, by) -> Discount:
    discount = Discount.objects.filter(pk=discount_id, restaurant=restaurant).first()
    if discount is None:
        raise OpError("not_found", "no such discount", detail="discount")
    session = _meal(restaurant, discount.session_id)
    discount = Discount.objects.select_for_update().get(pk=discount_id)
    if discount.removed_at is None:
        discount.removed_at, discount.removed_by = timezone.now(), by
        discount.save(update_fields=["removed_at", "removed_by"])
        check_changed(session)
    return discount


# --- Payments ---------------------------------------------------------------------------------


def _op_id(op_id) -> None:
    if not (_text_ok(op_id) and 1 <= len(op_id) <= 64):
        raise OpError("bad_request", "op_id: 1 to 64 characters")


# Amounts are stored in integer columns (PostgreSQL's integer: up to 2,147,483,647): an
# amount past this is a typo or an attack, refused before the database sees it.
AMOUNT_MAX = 2_000_000_000


def _positive(value, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= AMOUNT_MAX:
        raise OpError("bad_request", f"{what} is a positive whole number of minor units, "
                      f"at most {AMOUNT_MAX}")  # fmt: skip
    return value


def _ids(values) -> list[int]:
    if not isinstance(values, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 2**62 for v in values
    ):
        raise OpError("bad_request", "a list of ids")
    return values


def payment_record(
    *, restaurant: Restaurant, session_id: int, method: str, amount: int, target: str,
    expect: int, op_id: str, by, tendered: int | None = None,
) -> Payment:  # fmt: skip
    """Record money taken at the till against ``target`` (a share, see selectors): ``amount``
    minor units, at most what the share still owes (`conflict` ``over``). ``expect`` is the
    share's due as the till showed it: if the check changed since (a void, a discount, a
    payment from another till), `stale` with the ``due`` now, nothing recorded. Cash may
    record ``tendered`` (≥ amount): the change is worked out. ``op_id`` (1..64): the same
    press sent twice records one payment (the first is returned)."""
    if not isinstance(target, str) or not isinstance(method, str):
        raise OpError("bad_request", "method and target are text")
    if not isinstance(expect, int) or isinstance(expect, bool):
        raise OpError("bad_request", "expect is the share's due in minor units")
    if method not in restaurant.payment_methods:
        raise OpError("bad_request", f"this till does not take {method!r}")
    amount = _positive(amount, "an amount")
    _op_id(op_id)
    if tendered is not None:
        tendered = _positive(tendered, "the cash handed over")
        if method != "cash":
            raise OpError("bad_request", "only cash is handed over")
        if tendered < amount:
            raise OpError("bad_request", "less cash handed over than the amount")
    try:
        with transaction.atomic():
            return _payment_record(restaurant, session_id, method, amount, target, expect,
                                   op_id, by, tendered)  # fmt: skip
    except IntegrityError:  # the same op_id, recorded by a press that won the race
        existing = Payment.objects.filter(session_id=session_id, op_id=op_id).first()
        if existing is None:
            raise
        return existing


def _payment_record(restaurant, session_id, method, amount, target, expect, op_id, by,
                    tendered) -> Payment:  # fmt: skip
    existing = Payment.objects.filter(session_id=session_id, op_id=op_id).first()
    if existing is not None and existing.restaurant_id == restaurant.pk:
        return existing  # a resend after the meal closed, too
    session = _meal(restaurant, session_id)
    # Asked again under the meal's lock: the same press from another tab that held it first has
    # committed by now, and is the answer (not a `stale` against its own payment).
    existing = Payment.objects.filter(session=session, op_id=op_id).first()
    if existing is not None:
        return existing
    day = _day_open(restaurant)
    check, _, _, _, payments = check_of(session, restaurant)
    due = share_due(check, payments, target)
    if due != expect:
        raise OpError("stale", "the check changed: check the amount again", due=due)
    if amount > due:
        raise OpError("conflict", "more than this share still owes", detail="over", due=due)
    diner_id = int(target.split(":")[1]) if target.startswith("diner:") else None
    payment = Payment.objects.create(
        restaurant=restaurant, session=session, method=method, amount=amount,
        tendered=tendered, change=(tendered - amount) if tendered else 0, target=target,
        diner_id=diner_id, op_id=op_id, by=by, business_date=day,
    )  # fmt: skip
    check_changed(session)
    return payment


@transaction.atomic
def payment_refund(
    *, restaurant: Restaurant, payment_id: int, amount: int, reason: str, op_id: str, by
) -> Payment:
    """Give back ``amount`` (minor units) of payment ``payment_id``, by the same method, with
    a ``reason``: at most what of it has not been refunded (`conflict` ``over``). Only while
    its meal is open (a closed check is the night's record). ``op_id`` as for a payment."""
    amount = _positive(amount, "an amount")
    reason = _reason(reason)
    _op_id(op_id)
    original = Payment.objects.filter(
        pk=payment_id, restaurant=restaurant, kind=Payment.Kind.PAY
    ).first()
    if original is None:
        raise OpError("not_found", "no such payment", detail="payment")
    session = _meal(restaurant, original.session_id)
    existing = Payment.objects.filter(session=session, op_id=op_id).first()
    if existing is not None:  # the same press again (asked under the lock, as for payments)
        return existing
    day = _day_open(restaurant)
    refunded = sum(
        r.amount for r in Payment.objects.filter(refund_of=original, state=Payment.State.SUCCEEDED)
    )
    if amount > original.amount - refunded:
        left = original.amount - refunded
        raise OpError("conflict", "more than is left of that payment", detail="over", due=left)
    refund = Payment.objects.create(
        restaurant=restaurant, session=session, kind=Payment.Kind.REFUND,
        method=original.method, amount=amount, target=original.target,
        diner_id=original.diner_id, refund_of=original, reason=reason, op_id=op_id, by=by,
        business_date=day,
    )  # fmt: skip
    check_changed(session)
    return refund


# --- Closing ----------------------------------------------------------------------------------


@transaction.atomic
def meal_close(
    *, restaurant: Restaurant, table: Table, by, may_close_unpaid: bool,
    unpaid_reason: str = "", discard_cart: bool = False, cart_seq: int | None = None,
) -> DiningSession | None:  # fmt: skip
    """Close the table's meal when its check is settled (balance 0), writing its final check
    (`ClosedCheck`) and ending the meal (restaurant/dining/services.py's `session_close`,
    with its unsent-cart rule). With money owed it is refused, `conflict` ``unpaid`` with
    ``balance``, unless ``may_close_unpaid`` (a manager: `Action.CLOSE_UNPAID`) and an
    ``unpaid_reason``; paid over (after a void), always: refund first. None: no meal was
    open."""
    session = DiningSession.objects.filter(table=table, status=OPEN).first()
    if session is None:
        return None
    session = session_lock(session.pk)
    if session.status != OPEN or session.table_id != table.pk:
        return None  # closed, or moved to another table, by another request meanwhile
    restaurant = Restaurant.objects.get(pk=restaurant.pk)
    check, items, diners, offs, payments = check_of(session, restaurant)
    balance = check.total - paid_total(payments)
    reason = ""
    if balance < 0:  # money to give back is never waved through: refund it first
        raise OpError("conflict", f"{-balance} paid over: refund it first", detail="unpaid",
                      balance=balance)  # fmt: skip
    if balance > 0:
        if not (may_close_unpaid and isinstance(unpaid_reason, str) and unpaid_reason.strip()):
            raise OpError("conflict", f"{balance} still owed", detail="unpaid",
                          balance=balance)  # fmt: skip
        reason = _reason(unpaid_reason)
    day = _day_open(restaurant)
    held = Order.objects.filter(
        session=session, status=Order.Status.SUBMITTED, awaiting_confirmation=True
    )
    if (
        held.exists()
        and CartLine.objects.filter(session=session).exists()
        and (not discard_cart or (cart_seq is not None and cart_seq != session.cart_seq))
    ):
        raise UnsentCart(unsent_cart(session))  # asked first: a refusal must cancel nothing
    for order_id in held.values_list("pk", flat=True):
        # A round staff never accepted was never ordered: the guests are gone, so is it.
        order_status_set(restaurant=restaurant, order_id=order_id, status="cancelled",
                         by_id=getattr(by, "pk", None), reason="table closed")  # fmt: skip
    closed = session_close(table=table, discard_cart=discard_cart, cart_seq=cart_seq)
    if closed is None:
        return None
    ClosedCheck.objects.create(
        session=session, restaurant=restaurant, business_date=day, closed_by=by,
        guests=selectors.guests_of(session, diners), subtotal=check.subtotal,
        discounts=check.discounts, service=check.service, cover=check.cover,
        rounding=check.rounding, total=check.total, comped=check.comped,
        paid=paid_total(payments), unpaid_reason=reason,
        detail={**check_payload(session, restaurant, check, items, diners, offs, payments),
                "closed": True},
    )  # fmt: skip
    return closed


def meal_has_payments(session: DiningSession) -> bool:
    """Whether anything of the meal's check has been paid (a refunded payment counts: the
    money moved)."""
    return Payment.objects.filter(session=session).exists()


def meal_has_check_changes(session: DiningSession) -> bool:
    """Payments, or a live discount on the whole check: what a join cannot carry over."""
    return (
        meal_has_payments(session)
        or Discount.objects.filter(session=session, item=None, removed_at__isnull=True).exists()
    )


def item_owners_prune(*sessions: DiningSession) -> int:
    """Drop claims and shares of the dishes of ``sessions`` by diners no longer at the dish's
    meal (a join split back: the diners went home, their dishes with them, or not): such a
    dish goes back to who added it. Returns how many were dropped."""
    stale = ItemOwner.objects.filter(item__order__session__in=sessions).exclude(
        diner__session_id=F("item__order__session_id")
    )
    return stale.delete()[0]
