"""A meal's check on paper: built from the check as the till shows it (`check_payload`, or a
closed check's `ClosedCheck.detail`, the same shape) and queued on the cashier's printer
(`Restaurant.receipt_station`) as a receipt print job.

While the meal is open it prints the pre-bill (预结单) or, once nothing is owed, the receipt; a
closed meal prints its receipt as it was closed, with the QR code of the receipt online.

A press sent twice (the same ``op_id``) queues one job: each printed copy carries a number made
of the meal and the press (``#<meal>-<6 hex of the op_id's hash>``), and under the meal's lock
a job of the last minutes already carrying it is the answer. No model holds the press's id, so
its number on the paper is where it is kept.
"""

import hashlib
from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from restaurant.billing.models import ClosedCheck
from restaurant.billing.payloads import check_payload
from restaurant.billing.selectors import check_of
from restaurant.billing.services import open_meal_id
from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_lock
from restaurant.printing.models import PrintJob
from restaurant.printing.receipts import Receipt, ReceiptLine, ReceiptPayment, receipt_render
from restaurant.printing.services import receipt_queue
from restaurant.realtime.errors import OpError
from restaurant.tables.links import site_url
from restaurant.tables.models import Table
from restaurant.venues.models import Restaurant

# The payment methods as the paper says them: both languages, whatever the page's.
METHODS = {
    "cash": "现金 Cash",
    "card": "银行卡 Card",
    "wechat": "微信 WeChat Pay",
    "alipay": "支付宝 Alipay",
    "other": "其他 Other",
}
SAME_PRESS_WITHIN = timedelta(minutes=10)


def _table_name(table: dict) -> str:
    label = (table.get("label") or "").strip()
    number = table["number"]
    if not label or label == f"{number}号桌":
        return f"{number}号桌 Table {number}"
    return f"{label} ({number})"


def receipt_of(check: dict, restaurant: Restaurant, *, at, url: str = "",
               number: str = "") -> Receipt:  # fmt: skip
    """The paper's content of ``check`` (a `check_payload`, or a `ClosedCheck.detail`)."""
    lines = [
        ReceiptLine(qty=line["qty"], name=line["name"], amount=line["amount"],
                    options=list(line.get("options") or []), comped=line["comped"],
                    discount=line["discount"])
        for line in check["lines"]
    ]  # fmt: skip
    payments = [
        ReceiptPayment(
            method=METHODS.get(p["method"], p["method"]),
            amount=p["amount"] if p["kind"] == "pay" else -p["amount"],
            tendered=p["tendered"], change=p["change"],
        )
        for p in check["payments"]
        if p["state"] == "succeeded"
    ]  # fmt: skip
    guests = check.get("guests") or check.get("meal_guests")
    return Receipt(
        restaurant=f"{restaurant.name} {restaurant.name_en}".strip(),
        table=_table_name(check["table"]),
        at=timezone.localtime(at).strftime("%Y-%m-%d %H:%M"), currency=check["currency"],
        lines=lines, subtotal=check["subtotal"], total=check["total"], paid=check["paid"],
        guests=guests, comped=check["comped"], line_discounts=check["line_discounts"],
        discounts=[(d["reason"], d["taken"] or 0) for d in check["discounts"] if d["taken"]],
        service_percent=_percent(check["service_percent"]), service=check["service"],
        cover_each=check["cover_charge"], cover=check["cover"], rounding=check["rounding"],
        payments=payments, final=bool(check.get("closed")), url=url, number=number,
    )  # fmt: skip


def _percent(text: str) -> str:
    """The percentage as printed: 10.00 → 10, 12.50 → 12.5."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def press_number(session_id: int, op_id: str | None) -> str:
    if not op_id:
        return str(session_id)
    return f"{session_id}-{hashlib.sha256(op_id.encode()).hexdigest()[:6]}"


def _same_press(restaurant: Restaurant, number: str) -> PrintJob | None:
    mark = f"#{number}\n".encode()
    recent = PrintJob.objects.filter(
        restaurant=restaurant, kind=PrintJob.Kind.RECEIPT,
        created_at__gte=timezone.now() - SAME_PRESS_WITHIN,
    ).order_by("-pk")  # fmt: skip
    return next((job for job in recent if mark in bytes(job.payload)), None)


def receipt_print(*, restaurant: Restaurant, table: Table, op_id: str | None = None,
                  session_id: int | None = None) -> PrintJob:  # fmt: skip
    """Print the check of ``table``'s open meal (the pre-bill, or the receipt once nothing is
    owed), or of its meal ``session_id`` once closed (its receipt as closed, with the QR code
    of the receipt online). Refusals: `not_found` (no open meal, another table's or
    restaurant's meal, a meal that ended without a check), `bad_request` (an ``op_id`` over 64
    characters), `conflict` ``no_printer`` (no receipt station with an enabled printer)."""
    if op_id is not None and not (isinstance(op_id, str) and 1 <= len(op_id) <= 64):
        raise OpError("bad_request", "op_id: 1 to 64 characters")
    if session_id is None:
        session_id = open_meal_id(restaurant, table.number)
    elif not DiningSession.objects.filter(pk=session_id, restaurant=restaurant,
                                          table=table).exists():  # fmt: skip
        raise OpError("not_found", "no such meal at this table", detail="meal")
    with transaction.atomic():
        session = session_lock(session_id)  # two presses at once: one after the other
        number = press_number(session.pk, op_id)
        if op_id and (job := _same_press(restaurant, number)) is not None:
            return job
        restaurant = Restaurant.objects.select_related("receipt_station").get(pk=restaurant.pk)
        if session.status == DiningSession.Status.OPEN:
            check = check_payload(session, restaurant, *check_of(session, restaurant))
            check["meal_guests"] = session.guests
            receipt = receipt_of(check, restaurant, at=timezone.now(), number=number)
        else:
            closed = ClosedCheck.objects.filter(session=session, restaurant=restaurant).first()
            if closed is None:
                raise OpError("not_found", "this meal ended without a check", detail="meal")
            url = site_url() + reverse("receipt", args=[closed.receipt_token])
            check = {**closed.detail, "meal_guests": closed.guests}
            receipt = receipt_of(check, restaurant, at=closed.closed_at, url=url, number=number)
        return receipt_queue(station=restaurant.receipt_station, payload=receipt_render(receipt))
