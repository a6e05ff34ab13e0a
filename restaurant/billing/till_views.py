"""The till: a table's check for the cashier (`GET staff/tables/<n>/check/`, its JSON at
`GET staff/api/tables/<n>/check/`) and what the cashier does to it, each a POST answered in
JSON: discounts, who pays a dish, payments, refunds, printing the check.

Every view is gated by `staff_view` with the action it does; the table is found by its number
within the restaurant and its meal by `open_meal_id`, a discount or payment by its id within
the restaurant (another restaurant's is a 404, as a missing one). A POST's fields come as JSON
or as a form, each read as its type (`Fields`: a JSON number is a JSON integer, text is a
string; nothing past what the database holds) or refused before anything is written. Money is
in minor units (``amount``, ``expect``, ``tendered``); a form may give ``amount_major`` (and
``tendered_major``) as typed, "38.50", converted exactly. The cash handed over is at most the
amount and 10,000 of the major unit.

Refusals are `{ok: false, code, message, ...}`: ``not_found`` 404, ``bad_request`` 400,
``stale`` (with the ``due`` now) and ``conflict`` (with its ``detail``) 409, ``forbidden`` 403,
and ``no_printer`` 409 when there is no receipt printer to print on.
"""

import json
import re
from decimal import Decimal
from functools import wraps

from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from restaurant.billing import receipts, services
from restaurant.billing.models import Payment
from restaurant.billing.payloads import check_payload, payment_payload
from restaurant.billing.selectors import EQUAL_MAX, check_of
from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_lock
from restaurant.kitchen.models import OrderItem
from restaurant.menu.money import decimals, to_major, to_minor
from restaurant.realtime.errors import OpError
from restaurant.tables.views import table_or_404
from restaurant.venues.http import staff_url, staff_view
from restaurant.venues.roles import Action

STATUS = {"not_found": 404, "bad_request": 400, "stale": 409, "conflict": 409, "forbidden": 403}
JSON = {"ensure_ascii": False}
MAJOR = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,6})?$")  # an amount as typed: 38.50, 38.5, 38


def _reply(body: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params=JSON)


def refusal(error: OpError) -> JsonResponse:
    body = {"ok": False, "code": error.code, "message": error.message, **error.extra}
    if error.extra.get("detail") == "no_printer":
        body["code"] = "no_printer"
    return _reply(body, STATUS.get(error.code, 400))


def answers_json(view):
    """Refusals as JSON: an `OpError`, and a 404 (no such table) too."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except OpError as error:
            return refusal(error)
        except Http404 as error:
            return refusal(OpError("not_found", str(error) or "not found"))

    return wrapped


# --- What a POST says ---------------------------------------------------------------------------

INT_MAX = 2**31 - 1  # money is stored in integer columns (PostgreSQL's integer)
ID_MAX = 2**63 - 1  # ids are bigint
TENDERED_OVER = 4  # cash handed over: at most the amount and 10**4 of the major unit more


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _digits(value) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19


class Fields:
    """A POST's fields, each read as the type it must be or refused (`bad_request`): a JSON
    number must be a JSON integer, a form's a string of ASCII digits; text is a string that
    can be stored (no lone surrogate, no NUL); nothing past what the database holds."""

    def __init__(self, data: dict, *, form: bool) -> None:
        self.data, self.form = data, form

    def _whole(self, value, what: str, most: int) -> int:
        if _is_int(value) or (self.form and _digits(value)):
            number = int(value)
            if 0 <= number <= most:
                return number
            raise OpError("bad_request", f"{what}: a whole number from 0 to {most}")
        raise OpError("bad_request", f"{what} is a whole number")

    def whole(self, key: str, *, optional: bool = False, most: int = INT_MAX) -> int | None:
        """A whole number ≥ 0 (at most ``most``: by default what a money column holds)."""
        value = self.data.get(key)
        if value is None or value == "":
            if optional:
                return None
            raise OpError("bad_request", f"{key} is missing")
        return self._whole(value, key, most)

    def ident(self, key: str) -> int | None:
        """An id, or None when not given."""
        return self.whole(key, optional=True, most=ID_MAX)

    def ids(self, key: str) -> list[int]:
        values = self.data.get(key)
        if values in (None, ""):
            return []
        if not isinstance(values, list) or len(values) > 100:
            raise OpError("bad_request", f"{key} is a list of ids")
        return [self._whole(v, f"{key}: an id", ID_MAX) for v in values]

    def text(self, key: str) -> str:
        """Text ("" when not given)."""
        value = self.data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or "\x00" in value:
            raise OpError("bad_request", f"{key} is text")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise OpError("bad_request", f"{key} is text") from None
        return value

    def percent(self, key: str = "percent") -> str | int | float | None:
        """As typed ("12.5") or a JSON number: the service reads it exactly."""
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if (isinstance(value, str) and len(value) <= 12) or _is_int(value) or type(value) is float:
            return value
        raise OpError("bad_request", "a percentage is a number, like 12.5")

    def money(self, key: str, currency: str, *, optional: bool = False) -> int | None:
        """``key`` in minor units, or ``<key>_major`` as typed in the major unit ("38.50"),
        converted exactly: more decimals than the currency has is refused, never rounded."""
        major = self.data.get(f"{key}_major")
        if self.data.get(key) in (None, "") and major not in (None, ""):
            text = major.strip() if isinstance(major, str) else ""
            if not MAJOR.match(text):
                raise OpError("bad_request", f"{key}_major is an amount as typed, like 38.50")
            try:
                minor = to_minor(Decimal(text), currency)
            except ValueError:
                message = f"{key}_major: more decimals than {currency} has"
                raise OpError("bad_request", message) from None
            if minor > INT_MAX:
                raise OpError("bad_request", f"{key}_major: at most {to_major(INT_MAX, currency)}")
            return minor
        return self.whole(key, optional=optional)


def fields_of(request) -> Fields:
    """The POST's fields: its JSON object, or its form (``diner_ids`` a list)."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):  # not JSON, or nested past Python's stack
            raise OpError("bad_request", "the body is not JSON") from None
        if not isinstance(data, dict):
            raise OpError("bad_request", "the body is a JSON object")
        return Fields(data, form=False)
    data = dict(request.POST.items())
    if "diner_ids" in request.POST:
        data["diner_ids"] = request.POST.getlist("diner_ids")
    return Fields(data, form=True)


def whole(value, what: str, *, optional: bool = False) -> int | None:
    """A whole number ≥ 0 as a query string gives it: ASCII digits."""
    return Fields({what: value}, form=True).whole(what, optional=optional)


def _exists_or_404(number: int, what: str) -> None:
    """An id in the address past what an id can be: no such thing (the database is not asked)."""
    if number > ID_MAX:
        raise OpError("not_found", f"no such {what}", detail=what)


def _table(request, number: int):
    if number > INT_MAX:  # a table's number is an integer column: no such table
        raise Http404("no such table")
    return table_or_404(request.restaurant, number)


def _meal_of(request, number: int, fields: Fields | None = None) -> int:
    """The table's open meal; when the page says which meal it shows (``session_id``) and the
    table has another now (closed and opened again meanwhile), `conflict` ``meal_changed``."""
    _table(request, number)
    session_id = services.open_meal_id(request.restaurant, number)
    shown = fields.ident("session_id") if fields is not None else None
    if shown is not None and shown != session_id:
        raise OpError("conflict", "this table has another meal now", detail="meal_changed")
    return session_id


# --- Reading the check --------------------------------------------------------------------------


def till_check(session: DiningSession, restaurant, *, equal: int | None = None) -> dict:
    """`check_payload` with what the till shows besides: every diner at the table
    (``people``, for who pays a dish), the dishes taken back (``voided``), what of each
    payment may still be refunded (``refundable``), and the meal's guests and times."""
    check, items, diners, offs, payments = check_of(session, restaurant)
    payload = check_payload(session, restaurant, check, items, diners, offs, payments,
                            equal=equal)  # fmt: skip
    refunded: dict[int, int] = {}
    for p in payments:
        if p.kind == Payment.Kind.REFUND and p.state == Payment.State.SUCCEEDED:
            refunded[p.refund_of_id] = refunded.get(p.refund_of_id, 0) + p.amount
    for row in payload["payments"]:
        live = row["kind"] == "pay" and row["state"] == "succeeded"
        row["refundable"] = row["amount"] - refunded.get(row["id"], 0) if live else 0
    payload["people"] = [
        {"diner_id": d.pk, "name": d.name, "color": d.color, "staff": d.staff_id is not None}
        for d in diners
    ]
    voided = (
        OrderItem.objects.filter(order__session=session, status=OrderItem.Status.VOIDED)
        .select_related("order")
        .order_by("order__round", "pk")
    )
    payload["voided"] = [
        {"item_id": i.pk, "name": i.name, "qty": i.qty, "amount": i.unit_price * i.qty,
         "round": i.order.round, "reason": i.void_reason}
        for i in voided
    ]  # fmt: skip
    payload["meal"] = {"guests": session.guests, "opened_at": session.opened_at.isoformat()}
    return payload


def _equal(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    n = whole(value, "equal")
    if not 2 <= n <= EQUAL_MAX:
        raise OpError("bad_request", f"equal shares: 2 to {EQUAL_MAX}")
    return n


@staff_view(Action.TABLE_BILL)
@require_GET
@answers_json
def check_api(request, number: int):
    """The open meal's check (`check_payload` and more, `till_check`); ``?equal=N`` adds the
    N equal shares (AA). 404 when the table has no open meal."""
    restaurant = request.restaurant
    session_id = _meal_of(request, number)
    equal = _equal(request.GET.get("equal"))
    session = DiningSession.objects.select_related("table").get(pk=session_id)
    return _reply(till_check(session, restaurant, equal=equal))


@staff_view(Action.TABLE_BILL)
@require_GET
def check_page(request, number: int):
    """The till's page for the table: its script (till.js) draws the check from the API."""
    restaurant = request.restaurant
    table = _table(request, number)
    session = DiningSession.objects.filter(
        restaurant=restaurant, table=table, status=DiningSession.Status.OPEN
    ).first()
    check = till_check(session, restaurant) if session is not None else None

    def url(name: str, **kwargs) -> str:
        return staff_url(name, restaurant, **kwargs)

    page = url("staff-check", number=number)
    config = {
        "socketPath": f"/ws/r/{restaurant.slug}/floor/",
        "checkUrl": url("staff-check-api", number=number),
        "discountUrl": url("staff-check-discount", number=number),
        "discountRemoveUrl": url("staff-discount-remove", discount_id=999999),
        "ownersUrl": url("staff-check-owners", number=number),
        "paymentUrl": url("staff-check-payment", number=number),
        "refundUrl": url("staff-payment-refund", payment_id=999999),
        "printUrl": url("staff-check-print", number=number),
        "closeUrl": url("staff-table-close", number=number),
        "floorUrl": url("staff-floor"),
        "loginUrl": f"{reverse('staff-login')}?next={page}",
        "currency": restaurant.currency,
        "table": {"id": table.pk, "number": table.number, "label": table.label},
        "equalMax": EQUAL_MAX,
        "can": {key: request.staff_can[key] for key in (
            "check_split", "check_discount", "payment_record", "payment_refund",
            "close_unpaid", "receipt_print", "table_close")},
    }  # fmt: skip
    context = {"restaurant": restaurant, "table": table, "config": config, "check": check}
    return render(request, "billing/till.html", context)


# --- Changing it ----------------------------------------------------------------------------------


@staff_view(Action.CHECK_DISCOUNT)
@require_POST
@answers_json
def discount_add(request, number: int):
    """{item_id?, percent | amount (or amount_major), reason, op_id, session_id?}."""
    fields = fields_of(request)
    restaurant = request.restaurant
    session_id = _meal_of(request, number, fields)
    discount = services.discount_add(
        restaurant=restaurant, session_id=session_id, reason=fields.text("reason"),
        op_id=fields.text("op_id"), by=request.user, item_id=fields.ident("item_id"),
        percent=fields.percent(),
        amount=fields.money("amount", restaurant.currency, optional=True),
    )  # fmt: skip
    return _reply({"ok": True, "discount_id": discount.pk, "session_id": session_id})


@staff_view(Action.CHECK_DISCOUNT)
@require_POST
@answers_json
def discount_remove(request, discount_id: int):
    _exists_or_404(discount_id, "discount")
    discount = services.discount_remove(restaurant=request.restaurant, discount_id=discount_id,
                                        by=request.user)  # fmt: skip
    return _reply({"ok": True, "discount_id": discount.pk, "session_id": discount.session_id})


@staff_view(Action.CHECK_SPLIT)
@require_POST
@answers_json
def owners_set(request, number: int):
    """{item_id, diner_ids: [...], session_id?}: who pays the dish (none: who added it)."""
    fields = fields_of(request)
    session_id = _meal_of(request, number, fields)
    diner_ids = fields.ids("diner_ids")
    item_id = fields.whole("item_id", most=ID_MAX)
    with transaction.atomic():
        session = session_lock(session_id)
        if session.status != DiningSession.Status.OPEN:
            raise OpError("conflict", "this meal has ended", detail="closed")
        owners = services.item_owners_set(session=session, item_id=item_id, diner_ids=diner_ids)
    return _reply({"ok": True, "item_id": item_id, "owners": owners})


@staff_view(Action.PAYMENT_RECORD)
@require_POST
@answers_json
def payment_add(request, number: int):
    """{method, amount (or amount_major), target, expect, tendered? (or tendered_major),
    op_id, session_id?}. ``expect``: the share's due as the page showed it. The cash handed
    over is at most the amount and 10,000 of the major unit (`bad_request` ``tendered_over``
    with the ``most``): more is a slip of the finger, not a customer's cash."""
    fields = fields_of(request)
    restaurant = request.restaurant
    currency = restaurant.currency
    session_id = _meal_of(request, number, fields)
    amount = fields.money("amount", currency)
    tendered = fields.money("tendered", currency, optional=True)
    if tendered is not None:
        over = 10 ** (decimals(currency) + TENDERED_OVER)
        if tendered > amount + over:
            most = amount + over
            message = (f"at most {to_major(most, currency)} handed over for "
                       f"{to_major(amount, currency)} (the amount and {to_major(over, currency)} "
                       "more): type the cash again")  # fmt: skip
            raise OpError("bad_request", message, detail="tendered_over", most=most)
    payment = services.payment_record(
        restaurant=restaurant, session_id=session_id, method=fields.text("method"),
        amount=amount, target=fields.text("target") or "check",
        expect=fields.whole("expect"), op_id=fields.text("op_id"), by=request.user,
        tendered=tendered,
    )  # fmt: skip
    return _reply({"ok": True, "payment": payment_payload(payment)})


@staff_view(Action.PAYMENT_REFUND)
@require_POST
@answers_json
def payment_refund(request, payment_id: int):
    """{amount (or amount_major), reason, op_id}."""
    _exists_or_404(payment_id, "payment")
    fields = fields_of(request)
    restaurant = request.restaurant
    refund = services.payment_refund(
        restaurant=restaurant, payment_id=payment_id,
        amount=fields.money("amount", restaurant.currency), reason=fields.text("reason"),
        op_id=fields.text("op_id"), by=request.user,
    )  # fmt: skip
    return _reply({"ok": True, "payment": payment_payload(refund)})


@staff_view(Action.RECEIPT_PRINT)
@require_POST
@answers_json
def check_print(request, number: int):
    """{op_id?, session_id?}: the open meal's check on the receipt printer (the pre-bill, or
    the receipt once paid); with the ``session_id`` of a meal of this table that has closed,
    its receipt. The same ``op_id`` twice prints once."""
    fields = fields_of(request)
    table = _table(request, number)
    session_id = fields.ident("session_id")
    op_id = fields.text("op_id") or None
    job = receipts.receipt_print(restaurant=request.restaurant, table=table, op_id=op_id,
                                 session_id=session_id)  # fmt: skip
    return _reply({"ok": True, "job_id": job.pk, "state": job.state})
