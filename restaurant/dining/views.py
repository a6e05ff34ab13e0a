"""The diner's HTTP side: the table page, the join that makes the diner, and the bill.

A GET makes nothing: link previews, crawlers and a reloaded old tab fetch the page too. The
page's script joins (`POST /t/<token>/join/`), which makes the diner or finds the browser's
own."""

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from restaurant.dining.consumers import cookie_identity, known_diner_ids
from restaurant.dining.selectors import dining_bill
from restaurant.dining.services import (
    MealEnded,
    MealMoved,
    TableFull,
    TableNotOpen,
    browser_of,
    diner_for_socket,
    diner_join,
    open_session_for,
)
from restaurant.tables.guard import is_guessing
from restaurant.tables.models import Table
from restaurant.tables.selectors import table_by_token
from restaurant.venues.language import restaurant_language_activate
from restaurant.venues.models import Restaurant

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


def _keyed_session(request) -> list[int]:
    """Load the browser's Django session and give it a key if it has none (a first visit, or
    a session that expired), so that its diner is known by it: joins sent at once with that
    cookie then find one diner, not one each. Returns the diner ids the session keeps."""
    known = known_diner_ids(request.session)  # loads it: an expired session loses its key
    if request.session.session_key is None:
        request.session.save()
        request.session.modified = True  # the response carries its cookie
    return known


def table_for_page(request, token: str) -> Table | HttpResponse:
    """A diner's page's table by its code, in the restaurant's language, the browser's session
    keyed; or the answer instead: 429 for an address guessing codes, the "code changed" page
    (404) for an unknown one. The table page and the till's split page (restaurant/billing)
    both start so."""
    try:
        table = _table(request, token)
    except Guessing:
        return _too_many_guesses()
    if table is None:
        # A rotated or mistyped code: say so plainly (the QR code on the table is the new one).
        # Which restaurant it was is unknown: named only where the deployment has just one.
        context = {"restaurant": Restaurant.sole()}
        return render(request, "dining/unknown_table.html", context, status=404)
    restaurant_language_activate(request, table.restaurant)  # the token names its restaurant
    _keyed_session(request)
    return table


@require_GET
@ensure_csrf_cookie
def table_page(request, token: str):
    """The page only: it and its cookies (session, CSRF). Its script joins."""
    table = table_for_page(request, token)
    if not isinstance(table, Table):
        return table
    restaurant = table.restaurant
    known = known_diner_ids(request.session)
    if restaurant.staff_opens_tables and open_session_for(table) is None:
        return render(
            request, "dining/table_not_open.html", {"restaurant": restaurant, "table": table}
        )
    browser = browser_of(request.session.session_key)
    context = {
        "restaurant": restaurant,
        "table": table,
        # A browser with no diner at the open meal is arriving: its page asks its name. The
        # card is in the page from the first paint, so that it cannot push the menu down when
        # the join's snapshot comes (table_welcome.js only ever hides it).
        "arriving": diner_for_socket(table=table, known_diner_ids=known, browser=browser) is None,
        "config": {
            "token": table.token,
            "wsPath": f"/ws/table/{table.token}/",
            "joinUrl": f"/t/{table.token}/join/",
            # In the page's language: the descriptions it shows, not both (restaurant/menu).
            "menuUrl": reverse("menu-api", kwargs={"slug": restaurant.slug})
            + f"?lang={request.LANGUAGE_CODE}",
            "billUrl": f"/api/t/{table.token}/bill/",
            "currency": restaurant.currency,
        },
    }
    return render(request, "dining/table.html", context)


def _refusal(status: int, code: str, message: str, **data) -> JsonResponse:
    body = {"code": code, "message": message, **data}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@require_POST
def table_join(request, token: str):
    """Make this browser's diner at the table's open meal, or find it again: `200
    {diner_id, session_id, name}`. `new=1` starts a new meal where this browser's last one
    here has ended (without it: 409 `ended`). 409 `not_open` where staff open tables and
    this one is not open; 404 for an unknown token (429 for a guessing address); CSRF (the
    `X-CSRFToken` header) as for any POST."""
    try:
        table = _table(request, token)
    except Guessing:
        return _too_many_guesses()
    if table is None:
        return _refusal(404, "not_found", _("This table code is not valid any more."))
    restaurant_language_activate(request, table.restaurant)
    known = _keyed_session(request)
    try:
        diner = diner_join(
            table=table,
            known_diner_ids=known,
            browser=browser_of(request.session.session_key),
            start_new=request.POST.get("new") == "1",
        )
    except TableNotOpen:
        return _refusal(409, "not_open", _("Please ask staff to open this table"))
    except MealEnded as ended:
        return _refusal(409, "ended", _("This meal has ended."), session_id=ended.session_id)
    except TableFull:
        return _refusal(409, "full", _("This table is full. Please ask staff for help."))
    except MealMoved as moved:
        return _refusal(409, "moved", _("Your meal is at another table now."), token=moved.token)
    remembered = dict(request.session.get("diners", {}))
    remembered.pop(str(diner.session_id), None)
    remembered[str(diner.session_id)] = diner.pk
    # A WebSocket handshake cannot set a cookie: this response must carry the session.
    request.session["diners"] = dict(list(remembered.items())[-REMEMBERED_SESSIONS:])
    return JsonResponse(
        {"diner_id": diner.pk, "session_id": diner.session_id, "name": diner.name},
        json_dumps_params={"ensure_ascii": False},
    )


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
