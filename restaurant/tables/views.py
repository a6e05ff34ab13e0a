"""The staff floor: tables at a glance, open/close/rotate, QR codes. Staff only."""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from restaurant.core.access import staff_required
from restaurant.dining.selectors import dining_bill
from restaurant.dining.services import (
    UnsentCart,
    open_session_for,
    session_close,
    session_open,
    unsent_cart,
)
from restaurant.kitchen.services import order_status_set
from restaurant.menu.models import Restaurant
from restaurant.realtime.errors import OpError
from restaurant.tables.links import table_url
from restaurant.tables.models import Table
from restaurant.tables.qr import table_qr_svg, table_qr_svg_inline
from restaurant.tables.selectors import floor_tables, table_by_number
from restaurant.tables.services import table_token_rotate


def _table(number: int) -> Table:
    table = table_by_number(number)
    if table is None:
        raise Http404(f"no table {number}")
    return table


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@staff_required
@require_GET
def floor(request):
    return render(request, "staff/floor.html", {"restaurant": Restaurant.current(),
                                                "tables": floor_tables()})  # fmt: skip


@staff_required
@require_GET
def floor_api(request):
    return JsonResponse({"tables": floor_tables()}, json_dumps_params={"ensure_ascii": False})


def _action_reply(request, table: Table, ok: bool, **data):
    if _wants_json(request):
        return JsonResponse({"ok": ok, "table": table.number, **data}, status=200 if ok else 409,
                            json_dumps_params={"ensure_ascii": False})  # fmt: skip
    return redirect("staff-floor")


@staff_required
@require_POST
def table_open(request, number: int):
    table = _table(number)
    session = session_open(table=table, by_staff=True)
    return _action_reply(request, table, True, session_id=session.pk)


@staff_required
@require_POST
def table_close(request, number: int):
    """Close the table's meal. Unsent items in its cart are thrown away only when the form
    says so (`discard_cart=1`, and `cart_seq`: the cart as shown); otherwise 409 with them
    (`unsent`), whatever the client (a form without the floor's script too)."""
    table = _table(number)
    cart_seq = request.POST.get("cart_seq", "")
    try:
        session = session_close(
            table=table,
            discard_cart=request.POST.get("discard_cart") == "1",
            cart_seq=int(cart_seq) if cart_seq.isdigit() else None,
        )
    except UnsentCart as refused:
        if _wants_json(request):
            return _action_reply(request, table, False, reason="unsent_cart",
                                 unsent=refused.unsent)  # fmt: skip
        restaurant = Restaurant.current()
        amount = f"{refused.unsent['total'] / 100:.2f} {restaurant.currency}"
        context = {"restaurant": restaurant, "table": table, "unsent": refused.unsent,
                   "amount": amount}  # fmt: skip
        return render(request, "staff/close_unsent.html", context, status=409)
    return _action_reply(request, table, session is not None,
                         session_id=session.pk if session else None)  # fmt: skip


@staff_required
@require_POST
def table_rotate(request, number: int):
    table = table_token_rotate(table=_table(number))
    return _action_reply(request, table, True, url=table_url(table))


@staff_required
@require_POST
def order_accept(request, order_id: int):
    """Accept a round held for staff (the first of a meal a diner's scan opened): the floor's
    Accept button. The same move as the kitchen's `order.set_status` to `accepted`, so a
    round already moved on answers 409 `conflict`."""
    try:
        order = order_status_set(order_id=order_id, status="accepted", by_id=request.user.pk)
    except OpError as refused:
        if refused.code == "not_found":
            raise Http404(refused.message) from None
        if not _wants_json(request):
            return redirect("staff-floor")
        body = {"ok": False, "order_id": order_id, "code": refused.code,
                "message": refused.message}  # fmt: skip
        return JsonResponse(body, status=409)
    if _wants_json(request):
        return JsonResponse({"ok": True, "order_id": order.pk, "status": order.status})
    return redirect("staff-floor")


@staff_required
@require_GET
def table_bill(request, number: int):
    session = open_session_for(_table(number))
    if session is None:
        raise Http404("the table is not open")
    bill = {**dining_bill(session=session), "unsent": unsent_cart(session)}
    return JsonResponse(bill, json_dumps_params={"ensure_ascii": False})


@staff_required
@require_GET
def table_qr(request, number: int):
    response = HttpResponse(table_qr_svg(_table(number)), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"  # the token inside may be rotated
    return response


@staff_required
@require_GET
def qr_sheet(request):
    cards = [
        # segno's own SVG markup: no user input in it
        {"table": t, "url": table_url(t), "svg": mark_safe(table_qr_svg_inline(t))}
        for t in Table.objects.all()
    ]
    return render(request, "staff/qr_sheet.html", {"restaurant": Restaurant.current(),
                                                   "cards": cards})  # fmt: skip
