"""Staff views of the tables themselves: QR codes, the printable sheet, rotating a token.
The floor's views (restaurant/floor/views.py) share the table lookup and the reply.

Every view is gated by `staff_view` (restaurant/venues/http.py), which resolves the
restaurant; a table is found by its number within it, so another restaurant's table is a 404."""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from restaurant.tables.links import table_url
from restaurant.tables.models import Table
from restaurant.tables.qr import table_qr_svg, table_qr_svg_inline
from restaurant.tables.selectors import table_by_number
from restaurant.tables.services import table_token_rotate
from restaurant.venues.http import staff_url, staff_view
from restaurant.venues.models import Restaurant
from restaurant.venues.roles import Action


def table_or_404(restaurant: Restaurant, number: int) -> Table:
    """Table ``number`` of ``restaurant``: the number is the restaurant's, never global."""
    table = table_by_number(restaurant=restaurant, number=number)
    if table is None:
        raise Http404(f"no table {number}")
    return table


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def action_reply(request, table: Table, ok: bool, **data):
    """A staff action's answer: JSON for the floor's script, else back to the floor page."""
    if wants_json(request):
        return JsonResponse({"ok": ok, "table": table.number, **data}, status=200 if ok else 409,
                            json_dumps_params={"ensure_ascii": False})  # fmt: skip
    return redirect(staff_url("staff-floor", table.restaurant))


@staff_view(Action.TABLE_ROTATE)
@require_POST
def table_rotate(request, number: int):
    table = table_token_rotate(table=table_or_404(request.restaurant, number))
    return action_reply(request, table, True, url=table_url(table))


@staff_view(Action.TABLE_QR)
@require_GET
def table_qr(request, number: int):
    table = table_or_404(request.restaurant, number)
    response = HttpResponse(table_qr_svg(table), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"  # the token inside may be rotated
    return response


@staff_view(Action.TABLE_QR)
@require_GET
def qr_sheet(request):
    restaurant = request.restaurant
    cards = [
        # segno's own SVG markup: no user input in it
        {"table": t, "url": table_url(t), "svg": mark_safe(table_qr_svg_inline(t))}
        for t in Table.objects.filter(restaurant=restaurant).order_by("number")
    ]
    return render(request, "staff/qr_sheet.html", {"restaurant": restaurant, "cards": cards})
