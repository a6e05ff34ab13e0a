"""The kitchen's pages: the expo (the whole kitchen's rounds, each dish's state), one board
per station, and the served-today list, for the restaurant `staff_view` resolves
(restaurant/venues/http.py): the pages' menu, history and socket URLs are that restaurant's."""

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from restaurant.kitchen.adjustments import (
    adjust_decide,
    adjust_reasons,
    adjustment_payload,
    adjustments_read,
)
from restaurant.kitchen.models import ItemAdjustment
from restaurant.kitchen.selectors import kitchen_recent_items, kitchen_recent_orders
from restaurant.menu.money import format_money
from restaurant.realtime.errors import OpError
from restaurant.venues.http import staff_url, staff_view
from restaurant.venues.models import StaffMember, Station
from restaurant.venues.roles import Action, role_may


def _stations(restaurant) -> list[Station]:
    return list(Station.objects.filter(restaurant=restaurant))


def _own_station(request) -> Station | None:
    """The one station the signed-in person is kept to here (`StaffMember.station`), if any."""
    member = (
        StaffMember.objects.filter(user_id=request.user.pk, restaurant=request.restaurant)
        .select_related("station")
        .first()
    )
    return member.station if member else None


@staff_view(Action.KITCHEN_VIEW)
@require_GET
def kitchen_display(request):
    """The expo: every round with each dish's state. Someone kept to one station lands on
    that station's board instead."""
    own = _own_station(request)
    if own is not None:
        return redirect(staff_url("kitchen-station", request.restaurant, code=own.code))
    context = {
        "restaurant": request.restaurant,
        "stations": _stations(request.restaurant),
        "adjust_reasons": adjust_reasons(request.restaurant),  # the item dialog's (a reload)
    }
    return render(request, "kitchen/display.html", context)


@staff_view(Action.KITCHEN_VIEW)
@require_GET
def kitchen_station(request, code: str):
    """One station's board: only its dishes. Another restaurant's station is a 404."""
    station = get_object_or_404(Station, restaurant=request.restaurant, code=code)
    own = _own_station(request)
    context = {
        "restaurant": request.restaurant,
        "station": station,
        # A person kept to one station sees no others to switch to.
        "stations": [station] if own else _stations(request.restaurant),
        "own": own,
        "recall_seconds": settings.RESTAURANT["RECALL_SECONDS"],
        "adjust_reasons": adjust_reasons(request.restaurant),
    }
    return render(request, "kitchen/station.html", context)


@staff_view(Action.KITCHEN_VIEW)
@require_GET
def kitchen_recent(request):
    """The kitchen's history panels: the shift's served and cancelled orders; with
    ``?station=<code>``, that station's served and voided dishes instead (`items`)."""
    code = request.GET.get("station")
    if code is None:
        body = {"orders": kitchen_recent_orders(restaurant=request.restaurant)}
    else:
        station = get_object_or_404(Station, restaurant=request.restaurant, code=code)
        body = {"items": kitchen_recent_items(restaurant=request.restaurant, station_id=station.pk)}
    return JsonResponse(
        {"now": timezone.now().isoformat(), **body}, json_dumps_params={"ensure_ascii": False}
    )


# The shift the audit page shows: the restaurant keeps no day start, so the last 16 hours
# (a lunch and a dinner service), and whatever still waits for a manager however old.
SHIFT_HOURS = 16


# An id or a number in a form: ASCII digits only (str.isdigit takes "²", which int refuses).
DIGITS = re.compile(r"[0-9]{1,9}")


def _number(raw: str) -> int | None:
    return int(raw) if DIGITS.fullmatch(raw) else None


def _table_filter(request) -> int | None:
    return _number(request.GET.get("table", "") or request.POST.get("table", ""))


def _shown(row: dict, currency: str) -> dict:
    """A row with its amounts formatted for the page."""

    def money(state: dict | None) -> str:
        return format_money(state["amount"], currency) if state and "amount" in state else ""

    after = row["after"] or {}
    at = timezone.localtime(datetime.fromisoformat(row["at"]))
    return {**row, "at_time": at, "before_amount": money(row["before"]),
            "after_amount": money(after), "part_state": after.get("part"),
            "part_amount": money(after.get("part")),
            "refused_why": after.get("refused", "")}  # fmt: skip


@staff_view(Action.TABLE_BILL)
@require_http_methods(["GET", "POST"])
def adjustments_page(request):
    """The shift's dishes taken back (退菜) and given free (赠菜): the last `SHIFT_HOURS`
    hours and every one still pending, newest first; ``?table=<number>`` for one table. Each
    with who asked, when, the table, the dish, qty, kind, reason, before → after, its state
    and who decided. Read with `Action.TABLE_BILL` (managers, cashiers, waiters); a POST
    (``adjustment_id``, ``approve`` "1" or "0") decides a pending one and needs
    `Action.ADJUST_APPROVE`."""
    restaurant = request.restaurant
    table = _table_filter(request)
    error, status = "", 200
    if request.method == "POST":
        if not role_may(request.staff_role, Action.ADJUST_APPROVE, restaurant):
            raise PermissionDenied(f"a {request.staff_role} may not approve")
        adjustment_id = _number(request.POST.get("adjustment_id", ""))
        try:
            if adjustment_id is None:
                raise OpError("bad_request", "which adjustment?")
            adjust_decide(restaurant=restaurant, adjustment_id=adjustment_id,
                          approve=request.POST.get("approve") == "1",
                          by_id=request.user.pk)  # fmt: skip
        except OpError as refused:
            error = refused.message
            status = 404 if refused.code == "not_found" else 409
        else:
            here = staff_url("staff-adjustments", restaurant)
            return redirect(f"{here}?{urlencode({'table': table})}" if table else here)
    since = timezone.now() - timedelta(hours=SHIFT_HOURS)
    rows = adjustments_read().filter(restaurant_id=restaurant.pk)
    recent = rows.filter(at__gte=since) | rows.filter(state=ItemAdjustment.State.PENDING)
    if table is not None:
        recent = recent.filter(item__order__session__table__number=table)
    adjustments = [
        _shown(adjustment_payload(a), restaurant.currency)
        for a in recent.order_by("-at", "-pk")[:500]
    ]
    context = {
        "restaurant": restaurant,
        "adjustments": adjustments,
        "table": table,
        "shift_hours": SHIFT_HOURS,
        "may_decide": role_may(request.staff_role, Action.ADJUST_APPROVE, restaurant),
        "error": error,
    }
    return render(request, "kitchen/adjustments.html", context, status=status)
