"""The diner's side of the till: the check on the phones (who pays for what, AA, what is
left to pay) and the receipt of a closed check.

Access is the bill's (restaurant/dining/views.py `bill_api`): the browser's own diner at the
table's open meal, known by its cookie. When it has none there, the browser may still be one
of the diners of the table's last meal that closed: it is given that meal's receipt address.
The receipt itself is open to whoever has its address (128 random bits: the only key).
Staff-only things (who gave a discount, who took a payment, a refund's reason) are left out.
"""

from django.conf import settings
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from restaurant.billing.models import ClosedCheck, Payment
from restaurant.billing.payloads import check_payload
from restaurant.billing.selectors import EQUAL_MAX, check_of
from restaurant.dining.consumers import cookie_identity
from restaurant.dining.services import diner_for_socket
from restaurant.dining.views import Guessing, _table, _too_many_guesses, table_for_page
from restaurant.kitchen.models import OrderItem
from restaurant.menu.models import Option
from restaurant.menu.money import format_money
from restaurant.tables.models import Table
from restaurant.venues.language import restaurant_language_activate

# What a diner sees of a payment: not who took it, nor the cash handed over, nor why a
# refund was given.
PAYMENT_FIELDS = ("id", "kind", "method", "amount", "target", "diner_id", "refund_of", "state",
                  "at")  # fmt: skip


def _json(body: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


# --- Names in the page's language ----------------------------------------------------------------


def _english_names(item_ids: list[int]) -> dict[int, tuple[str, list[str]]]:
    """The English names of dishes sent (and their options), where the menu gives them: the
    check keeps the names as they were sent, in the restaurant's language."""
    rows = OrderItem.objects.filter(pk__in=item_ids).values_list(
        "pk", "dish__name_en", "options", "option_names"
    )
    rows = list(rows)
    option_ids = {o for _, _, options, _ in rows for o in options or []}
    option_en = dict(
        Option.objects.filter(pk__in=option_ids).exclude(name_en="").values_list("pk", "name_en")
    )
    names = {}
    for pk, dish_en, options, frozen in rows:
        frozen = list(frozen or [])
        options_en = [
            option_en.get(o) or (frozen[i] if i < len(frozen) else "")
            for i, o in enumerate(options or [])
        ]
        names[pk] = (dish_en or "", [o for o in options_en if o])
    return names


def _localise_lines(lines: list[dict]) -> None:
    """Dish and option names in English on an English page (the Chinese ones otherwise)."""
    if not translation.get_language().startswith("en"):
        return
    english = _english_names([line["item_id"] for line in lines])
    for line in lines:
        dish_en, options_en = english.get(line["item_id"], ("", []))
        line["name"] = dish_en or line["name"]
        if options_en:
            line["options"] = options_en


# --- The check API -------------------------------------------------------------------------------


def _for_diner(payload: dict) -> dict:
    """The check as a diner may see it: no staff names, no till-only detail."""
    for line in payload["lines"]:
        for discount in line["discounts"]:
            discount.pop("by", None)
    for discount in payload["discounts"]:
        discount.pop("by", None)
    payload["payments"] = [{k: p[k] for k in PAYMENT_FIELDS} for p in payload["payments"]]
    return payload


def _last_closed(table: Table, known: list[int], browser: str | None) -> ClosedCheck | None:
    """The check of the last meal that closed at ``table`` with one of this browser's
    diners at it."""
    mine = Q(session__diners__pk__in=known)
    if browser is not None:
        mine |= Q(session__diners__browser=browser)
    return (
        ClosedCheck.objects.filter(mine, session__table=table)
        .order_by("-closed_at", "-pk")
        .only("session_id", "receipt_token")
        .first()
    )


def _equal(request) -> int | None:
    """``?equal=N`` (AA among N, 2..EQUAL_MAX), None without it; ValueError otherwise."""
    raw = request.GET.get("equal")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and 2 <= int(raw) <= EQUAL_MAX):
        raise ValueError(raw)
    return int(raw)


@never_cache
@require_GET
def check_api(request, token: str):
    """The check of the browser's meal at this table, as its diner sees it: `check_payload`
    (with ``equal`` for ``?equal=N``) plus ``me`` (the diner's id), each line's ``shares``
    (what each owner pays of it) and ``locked`` (in a share someone paid: it cannot move),
    and ``paid_diners``. Where the browser has no diner at the table's open meal but had
    one at the last meal that closed here: `{"closed": true, "session_id", "receipt_url"}`.
    404 otherwise; 400 for an ``equal`` that is not 2..30."""
    try:
        table = _table(request, token)
    except Guessing:
        return _too_many_guesses()
    if table is None:
        raise Http404("unknown table")
    restaurant = table.restaurant
    restaurant_language_activate(request, restaurant)
    known, browser = cookie_identity(request.session)
    diner = diner_for_socket(table=table, known_diner_ids=known, browser=browser)
    if diner is None:
        closed = _last_closed(table, known, browser)
        if closed is None:
            raise Http404("no meal of this browser at this table")
        url = reverse("receipt", kwargs={"receipt_token": closed.receipt_token})
        return _json({"closed": True, "session_id": closed.session_id, "receipt_url": url})
    try:
        equal = _equal(request)
    except ValueError:
        return _json({"code": "bad_request", "message": f"equal: 2 to {EQUAL_MAX}"}, 400)
    check, items, diners, offs, payments = check_of(diner.session, restaurant)
    payload = check_payload(diner.session, restaurant, check, items, diners, offs, payments,
                            equal=equal)  # fmt: skip
    paid_diners = sorted({
        p.diner_id for p in payments if p.state == Payment.State.SUCCEEDED and p.diner_id
    })  # fmt: skip
    results = {r.key: r for r in check.lines}
    for line in payload["lines"]:
        result = results[line["item_id"]]
        line["shares"] = {str(k): v for k, v in result.shares.items()}
        line["locked"] = bool(set(line["owners"]) & set(paid_diners))
    _localise_lines(payload["lines"])
    payload = _for_diner(payload)
    payload["me"] = diner.pk
    payload["paid_diners"] = paid_diners
    return _json(payload)


# --- The check page ------------------------------------------------------------------------------


@require_GET
@ensure_csrf_cookie
def check_page(request, token: str):
    """The page only (and its cookies, as the table page's): its script joins the table
    (the browser's diner, found or made) and asks the check API."""
    table = table_for_page(request, token)
    if not isinstance(table, Table):
        return table  # a guessing address, an unknown code: the table page's own answers
    restaurant = table.restaurant
    context = {
        "restaurant": restaurant,
        "table": table,
        "config": {
            "token": table.token,
            "wsPath": f"/ws/table/{table.token}/",
            "joinUrl": f"/t/{table.token}/join/",
            "apiUrl": reverse("check-api", kwargs={"token": table.token}),
            "tableUrl": f"/t/{table.token}/",
            "currency": restaurant.currency,
            "equalMax": EQUAL_MAX,
        },
    }
    return render(request, "billing/check.html", context)


# --- The receipt ---------------------------------------------------------------------------------


def _method_label(method: str) -> str:
    labels = {
        "cash": pgettext("payment method", "Cash"),
        "card": pgettext("payment method", "Card"),
        "wechat": pgettext("payment method", "WeChat Pay"),
        "alipay": pgettext("payment method", "Alipay"),
        "other": pgettext("payment method", "Other"),
    }
    return labels.get(method, method)


def _off_label(discount: dict, money) -> str:
    """ "10% off" or "¥5.00 off", and why."""
    if discount.get("percent") is not None:
        percent = discount["percent"].rstrip("0").rstrip(".")
        off = _("%(percent)s%% off") % {"percent": percent}
    else:
        off = _("%(amount)s off") % {"amount": money(discount.get("amount") or 0)}
    reason = (discount.get("reason") or "").strip()
    return f"{off} · {reason}" if reason else off


def receipt_context(closed: ClosedCheck) -> dict:
    """What the receipt shows, from the check as it was closed (`ClosedCheck.detail`), money
    formatted in the page's language. No staff names: the detail's ``by`` are left out."""
    detail = closed.detail
    currency = detail.get("currency") or closed.restaurant.currency
    language = translation.get_language()

    def money(minor: int) -> str:
        return format_money(minor, currency, language)

    lines = [dict(line) for line in detail.get("lines", [])]
    _localise_lines(lines)
    rows = []
    for line in lines:
        rows.append({
            "name": line["name"],
            "options": (", " if language.startswith("en") else "、").join(line["options"] or []),
            "qty": line["qty"],
            "unit": money(line["unit_price"]),
            "amount": money(line["amount"]),
            "comped": line["comped"],
            "offs": [_off_label(d, money) for d in line.get("discounts", [])],
            "discount": money(-line["discount"]) if line.get("discount") else "",
        })  # fmt: skip
    offs = [
        {"label": _off_label(d, money), "taken": money(-(d.get("taken") or 0))}
        for d in detail.get("discounts", [])
        if d.get("taken")
    ]
    payments = []
    for p in detail.get("payments", []):
        if p.get("state") != Payment.State.SUCCEEDED:
            continue
        refund = p.get("kind") == Payment.Kind.REFUND
        payments.append({
            "method": _method_label(p.get("method", "")),
            "refund": refund,
            "amount": money(-p["amount"] if refund else p["amount"]),
        })  # fmt: skip
    total, paid = detail.get("total", closed.total), detail.get("paid", closed.paid)
    service_percent = str(detail.get("service_percent") or "0")
    if "." in service_percent:
        service_percent = service_percent.rstrip("0").rstrip(".")
    return {
        "lines": rows,
        "subtotal": money(detail.get("subtotal", closed.subtotal)),
        "comped": money(detail["comped"]) if detail.get("comped") else "",
        "offs": offs,
        "line_discounts": money(-detail["line_discounts"]) if detail.get("line_discounts") else "",
        "service": money(detail["service"]) if detail.get("service") else "",
        "service_percent": service_percent,
        "cover": money(detail["cover"]) if detail.get("cover") else "",
        "cover_each": money(detail.get("cover_charge") or 0),
        "guests": detail.get("guests") or closed.guests,
        "rounding": money(-detail["rounding"]) if detail.get("rounding") else "",
        "total": money(total),
        "payments": payments,
        "paid": money(paid),
        "balance": money(total - paid) if total != paid else "",
        "settled": total == paid,
        "table": detail.get("table") or {},
    }


@require_GET
def receipt_page(request, receipt_token: str):
    """The receipt of a closed check, by its token: printable, in the diner's language
    (``?lang=en`` or ``?lang=zh-hans`` to switch; else their choice or their browser's, else
    the restaurant's)."""
    closed = (
        ClosedCheck.objects.select_related("restaurant", "session__table")
        .filter(receipt_token=receipt_token)
        .first()
    )
    if closed is None:
        raise Http404("no such receipt")
    restaurant = closed.restaurant
    lang = request.GET.get("lang")
    if lang in dict(settings.LANGUAGES):
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
    else:
        restaurant_language_activate(request, restaurant)
    table = {"number": closed.session.table.number, "label": "", **closed.detail.get("table", {})}
    context = {
        "restaurant": restaurant,
        "closed": closed,
        "table": table,
        "closed_at": timezone.localtime(closed.closed_at),
        "receipt": receipt_context(closed),
        "languages": [code for code, _name in settings.LANGUAGES],
    }
    response = render(request, "billing/receipt.html", context)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
