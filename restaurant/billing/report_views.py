"""The night's report (日结) for staff: the page of one business day, its CSV and XLSX, and
closing the day.

- ``GET staff/report/?date=YYYY-MM-DD`` [REPORT_VIEW]: the report (the current business day
  without ``date``); a closed day shows the report it was closed with.
- ``GET staff/report/<day>.csv`` and ``.xlsx`` [REPORT_VIEW]: the same report as files.
- ``POST staff/report/<day>/close/`` [DAY_CLOSE]: close the day (restaurant/billing/report.py's
  `business_day_close`); a form is sent back to the page (409 with the reason, and the tables
  still open), a JSON client (``Accept: application/json``) gets ``{ok, ...}``.
A date that is not YYYY-MM-DD is a 400 page saying so.
"""

import datetime
import re

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from restaurant.billing import exports
from restaurant.billing.models import BusinessDay
from restaurant.billing.report import business_day_close, z_report
from restaurant.menu.money import format_money
from restaurant.realtime.errors import OpError
from restaurant.tables.views import wants_json
from restaurant.venues.days import business_date
from restaurant.venues.http import staff_url, staff_view
from restaurant.venues.roles import Action

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(text: str | None) -> datetime.date | None:
    if not text or not DAY.match(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _report(restaurant, date: datetime.date) -> tuple[dict, BusinessDay | None]:
    """The day's report: the stored one once the day is closed (it cannot change), else now."""
    day = BusinessDay.objects.filter(restaurant=restaurant, date=date).first()
    if day is not None:
        return day.report, day
    return z_report(restaurant=restaurant, date=date), None


def _at(iso: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(iso) if iso else None


def _neighbour(date: datetime.date, days: int) -> datetime.date | None:
    try:
        return date + datetime.timedelta(days=days)
    except OverflowError:
        return None


def _shown(report: dict) -> dict:
    """The report as the page shows it: money formatted in the page's language, times as
    datetimes, names in the page's language."""
    currency = report["currency"]

    def m(minor: int) -> str:
        return format_money(minor, currency)

    def minus(minor: int) -> str:
        return "−" + m(minor) if minor else m(0)

    c, pay = report["checks"], report["payments"]
    net = c["net"]
    breakdown = [
        (_("Dishes (before discounts)"), m(c["gross"]), ""),
        (_("Discounts"), minus(c["discounts"]), "is-minus"),
        (_("Service charge"), m(c["service"]), ""),
        (_("Cover charge"), m(c["cover"]), ""),
        (_("Rounding"), minus(c["rounding"]), "is-minus"),
        (_("Net sales"), m(net), "is-total"),
        (_("Paid on these checks"), m(c["paid"]), ""),
    ]
    if c["owed"]:
        breakdown.append((_("Owed on these checks"), m(c["owed"]), "is-owed"))
    if c["comped"]:
        breakdown.append((_("On the house (value)"), m(c["comped"]), "is-note"))

    def sales(rows: list[dict]) -> list[dict]:
        top = max((r["amount"] for r in rows), default=0)
        return [{"name": exports.in_language(r) or _("(none)"), "qty": r["qty"],
                 "amount": m(r["amount"]),
                 "share": round(100 * r["amount"] / top) if top else 0} for r in rows]  # fmt: skip

    def table(row: dict) -> dict:
        return {**row["table"], "name": exports.table_name(row["table"])}

    return {
        "net": m(net),
        "count": c["count"],
        "covers": c["covers"],
        "per_check": m(report["averages"]["per_check"]),
        "per_cover": m(report["averages"]["per_cover"]),
        "breakdown": breakdown,
        "methods": [
            {
                "label": exports.method_label(r["method"]),
                "count": r["count"],
                "amount_in": m(r["amount_in"]),
                "refund_count": r["refund_count"],
                "refunds": m(r["refunds"]),
                "net": m(r["net"]),
                "empty": not r["count"] and not r["refund_count"],
            }
            for r in pay["methods"]
        ],
        "payments_total": {
            **pay["total"],
            "amount_in": m(pay["total"]["amount_in"]),
            "refunds": m(pay["total"]["refunds"]),
            "net": m(pay["total"]["net"]),
        },
        "cash": {
            **{k: m(v) for k, v in pay["cash"].items()},
            "change": minus(pay["cash"]["change"]),
        },
        "has_cash": bool(pay["cash"]["tendered"] or pay["cash"]["change"]),
        "refunds": [
            {
                **r,
                "table": table(r),
                "method": exports.method_label(r["method"]),
                "amount": m(r["amount"]),
                "at": _at(r["at"]),
            }
            for r in pay["refunds"]
        ],
        "sales": [
            ("categories", _("Sales by category"), sales(report["categories"])),
            ("stations", _("Sales by station"), sales(report["stations"])),
            ("dishes", _("Sales by dish"), sales(report["dishes"])),
            ("comped", _("On the house"), sales(report["comped_dishes"])),
        ],
        "discounts": [
            {
                **d,
                "table": table(d),
                "dish": exports.dish_name(d),
                "off": exports.discount_label(d, currency) if d["percent"] else m(d["amount"] or 0),
                "taken": m(d["taken"]),
                "at": _at(d["at"]),
            }
            for d in report["discounts"]
        ],
        "adjustments": [
            {
                **a,
                "table": table(a),
                "dish": exports.dish_name(a),
                "amount": m(a["amount"]),
                "at": _at(a["at"]),
            }
            for a in report["voids_and_comps"]
        ],
        "unpaid": [
            {
                **u,
                "table": table(u),
                "total": m(u["total"]),
                "paid": m(u["paid"]),
                "balance": m(u["balance"]),
                "closed_at": _at(u["closed_at"]),
            }
            for u in report["unpaid"]
        ],
        "open_meals": _open_shown(report["open_meals"], currency),
        "check_list": [
            {
                **k,
                "table": table(k),
                "total": m(k["total"]),
                "paid": m(k["paid"]),
                "short": k["total"] != k["paid"],
                "closed_at": _at(k["closed_at"]),
            }
            for k in report["check_list"]
        ],
        "generated_at": _at(report["generated_at"]),
    }


def _open_shown(meals: list[dict], currency: str) -> list[dict]:
    return [{**o, "table_name": exports.table_name(o["table"]),
             "total": format_money(o["total"], currency), "paid": format_money(o["paid"], currency),
             "balance": format_money(o["balance"], currency), "opened_at": _at(o["opened_at"])}
            for o in meals]  # fmt: skip


REFUSALS = {
    "already_closed": lambda: _("This day is already closed."),
    "meals_open": lambda: _("Tables are still open: settle and close them first."),
    "not_begun": lambda: _("This day has not begun yet."),
}


def _page(request, date: datetime.date, *, error: str = "", blocked=None, status: int = 200):
    restaurant = request.restaurant
    report, day = _report(restaurant, date)
    today = business_date(restaurant)
    open_now = report["open_meals"] if day is None else []
    context = {
        "restaurant": restaurant,
        "date": date,
        "date_iso": date.isoformat(),
        "today": today,
        "is_today": date == today,
        "previous": _neighbour(date, -1),
        "next": _neighbour(date, 1) if date < today else None,
        "report": _shown(report),
        "day": day,
        "closed_at": _at(report["closed"]["at"]) if day and report.get("closed") else None,
        "closed_by": (report.get("closed") or {}).get("by", "") if day else "",
        "future": date > today,
        "may_close": request.staff_can["day_close"] and day is None and date <= today,
        "blocked": _open_shown(blocked, restaurant.currency) if blocked else None,
        "close_blocked": bool(open_now),
        "error": error,
    }
    return render(request, "billing/report.html", context, status=status)


def _bad_date(request, text: str | None):
    context = {"restaurant": request.restaurant, "bad": True, "bad_date": text or "",
               "today": business_date(request.restaurant)}  # fmt: skip
    if wants_json(request):
        return JsonResponse({"ok": False, "code": "bad_request",
                             "message": "a day is YYYY-MM-DD"}, status=400)  # fmt: skip
    return render(request, "billing/report.html", context, status=400)


@staff_view(Action.REPORT_VIEW)
@require_GET
def report_page(request):
    text = request.GET.get("date")
    if not text:
        return _page(request, business_date(request.restaurant))
    date = _day(text)
    if date is None:
        return _bad_date(request, text)
    return _page(request, date)


def _file(request, day: str, build, content_type: str, extension: str):
    date = _day(day)
    if date is None:
        return _bad_date(request, day)
    report, _stored = _report(request.restaurant, date)
    response = HttpResponse(build(report), content_type=content_type)
    name = f"report-{request.restaurant.slug}-{date.isoformat()}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@staff_view(Action.REPORT_VIEW)
@require_GET
def report_csv(request, day: str):
    return _file(request, day, exports.report_csv, "text/csv; charset=utf-8", "csv")


@staff_view(Action.REPORT_VIEW)
@require_GET
def report_xlsx(request, day: str):
    return _file(
        request, day, exports.report_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx",
    )  # fmt: skip


@staff_view(Action.DAY_CLOSE)
@require_POST
def day_close(request, day: str):
    date = _day(day)
    if date is None:
        return _bad_date(request, day)
    restaurant = request.restaurant
    try:
        closed = business_day_close(restaurant=restaurant, date=date, by=request.user)
    except OpError as refused:
        detail = refused.extra.get("detail") or refused.code
        meals = refused.extra.get("meals") or []
        if wants_json(request):
            return JsonResponse({"ok": False, "code": refused.code, "reason": detail,
                                 "message": refused.message, "meals": meals},
                                status=409, json_dumps_params={"ensure_ascii": False})  # fmt: skip
        message = REFUSALS[detail]() if detail in REFUSALS else refused.message
        return _page(request, date, error=message, blocked=meals, status=409)
    if wants_json(request):
        return JsonResponse({"ok": True, "date": date.isoformat(),
                             "closed_at": closed.closed_at.isoformat(),
                             "closed_by": closed.report["closed"]["by"]},
                            json_dumps_params={"ensure_ascii": False})  # fmt: skip
    return redirect(f"{staff_url('staff-report', restaurant)}?date={date.isoformat()}")
