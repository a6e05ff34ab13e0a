"""The diner's HTTP side: the table page (which makes the diner and its cookie) and the bill."""

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from restaurant.dining.consumers import known_diner_ids
from restaurant.dining.selectors import dining_bill
from restaurant.dining.services import diner_arrive, diner_for_socket
from restaurant.menu.models import Restaurant
from restaurant.tables.selectors import table_by_token

REMEMBERED_SESSIONS = 8  # diner ids a browser keeps, newest last


def _table_or_404(request, token: str):
    table = table_by_token(token, address=request.META.get("REMOTE_ADDR"))
    if table is None:
        raise Http404("unknown table")
    return table


@require_GET
def table_page(request, token: str):
    table = table_by_token(token, address=request.META.get("REMOTE_ADDR"))
    restaurant = Restaurant.current()
    if table is None:
        # A rotated or mistyped code: say so plainly (the QR code on the table is the new one).
        return render(request, "dining/unknown_table.html", {"restaurant": restaurant}, status=404)
    diner = diner_arrive(table=table, known_diner_ids=known_diner_ids(request.session))
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
    table = _table_or_404(request, token)
    diner = diner_for_socket(table=table, known_diner_ids=known_diner_ids(request.session))
    if diner is None:
        raise Http404("no open session for this browser at this table")
    return JsonResponse(
        dining_bill(session=diner.session), json_dumps_params={"ensure_ascii": False}
    )
