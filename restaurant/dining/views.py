"""The diner's HTTP side: the table page (which makes the diner and its cookie) and the bill."""

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from restaurant.dining.consumers import cookie_identity, known_diner_ids
from restaurant.dining.selectors import dining_bill
from restaurant.dining.services import browser_of, diner_arrive, diner_for_socket
from restaurant.menu.models import Restaurant
from restaurant.tables.guard import is_guessing
from restaurant.tables.selectors import table_by_token

REMEMBERED_SESSIONS = 8  # diner ids a browser keeps, newest last


class Guessing(Exception):
    """An unknown token from an address past the guessing limit (restaurant/tables/guard.py)."""


def _table(request, token: str):
    """The table of ``token``, or None; raises Guessing for a miss of a guessing address."""
    address = request.META.get("REMOTE_ADDR")
    table = table_by_token(token, address=address)
    if table is None and is_guessing(address):
        raise Guessing
    return table


def _too_many_guesses() -> HttpResponse:
    response = HttpResponse(
        "too many unknown table codes from this address; wait and scan the code again",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(settings.RESTAURANT["TOKEN_MISS_WINDOW"])
    return response


@require_GET
def table_page(request, token: str):
    try:
        table = _table(request, token)
    except Guessing:
        return _too_many_guesses()
    restaurant = Restaurant.current()
    if table is None:
        # A rotated or mistyped code: say so plainly (the QR code on the table is the new one).
        return render(request, "dining/unknown_table.html", {"restaurant": restaurant}, status=404)
    known = known_diner_ids(request.session)  # loads the session (see cookie_identity)
    if request.session.session_key is None:
        # A first visit: its session gets its key now, so that the browser's diner is known
        # by it (requests sent at once with that cookie then find one diner, not one each).
        request.session.save()
    browser = browser_of(request.session.session_key)
    diner = diner_arrive(table=table, known_diner_ids=known, browser=browser)
    if diner is None:
        return render(
            request, "dining/table_not_open.html", {"restaurant": restaurant, "table": table}
        )
    remembered = dict(request.session.get("diners", {}))
    remembered.pop(str(diner.session_id), None)
    remembered[str(diner.session_id)] = diner.pk
    # A WebSocket handshake cannot set a cookie: this response must carry the session.
    request.session["diners"] = dict(list(remembered.items())[-REMEMBERED_SESSIONS:])
    context = {
        "restaurant": restaurant,
        "table": table,
        "config": {
            "token": table.token,
            "wsPath": f"/ws/table/{table.token}/",
            "menuUrl": "/api/menu/",
            "billUrl": f"/api/t/{table.token}/bill/",
            "dinerId": diner.pk,
            "currency": restaurant.currency,
        },
    }
    return render(request, "dining/table.html", context)


@require_GET
def bill_api(request, token: str):
    try:
        table = _table(request, token)
    except Guessing:
        return _too_many_guesses()
    if table is None:
        raise Http404("unknown table")
    known, browser = cookie_identity(request.session)
    diner = diner_for_socket(table=table, known_diner_ids=known, browser=browser)
    if diner is None:
        raise Http404("no open session for this browser at this table")
    return JsonResponse(
        dining_bill(session=diner.session), json_dumps_params={"ensure_ascii": False}
    )
