"""The kitchen's pages: the expo (the whole kitchen's rounds, each dish's state), one board
per station, and the served-today list, for the restaurant `staff_view` resolves
(restaurant/venues/http.py): the pages' menu, history and socket URLs are that restaurant's."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from restaurant.kitchen.selectors import kitchen_recent_items, kitchen_recent_orders
from restaurant.venues.http import staff_url, staff_view
from restaurant.venues.models import StaffMember, Station
from restaurant.venues.roles import Action


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
    context = {"restaurant": request.restaurant, "stations": _stations(request.restaurant)}
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
