"""The staff floor: tables at a glance, opening and closing them, their bills, accepting a
held round. (QR codes and token rotation: restaurant/tables/views.py.)

Every view is gated by `staff_view` with the action it does (restaurant/venues/http.py): the
restaurant is the one the URL or the person's pick names, and a table number or an order id is
looked up within it, so another restaurant's is a 404."""

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from restaurant.billing.services import meal_close
from restaurant.dining.selectors import dining_bill
from restaurant.dining.services import UnsentCart, open_session_for, session_open, unsent_cart
from restaurant.floor.selectors import floor_tables
from restaurant.kitchen.services import order_status_set
from restaurant.menu.money import format_money
from restaurant.realtime.errors import OpError
from restaurant.tables.views import action_reply, table_or_404, wants_json
from restaurant.venues.http import staff_url, staff_view
from restaurant.venues.roles import Action, may


@staff_view(Action.FLOOR_VIEW)
@require_GET
def floor(request):
    restaurant = request.restaurant
    tables = floor_tables(restaurant=restaurant)
    for table in tables:  # the first paint's figures, as floor.js formats them
        table["total_text"] = format_money(table["total"], restaurant.currency)
    context = {"restaurant": restaurant, "tables": tables}
    return render(request, "staff/floor.html", context)


@staff_view(Action.FLOOR_VIEW)
@require_GET
def floor_api(request):
    return JsonResponse({"tables": floor_tables(restaurant=request.restaurant)},
                        json_dumps_params={"ensure_ascii": False})  # fmt: skip


@staff_view(Action.TABLE_OPEN)
@require_POST
def table_open(request, number: int):
    table = table_or_404(request.restaurant, number)
    session = session_open(table=table, by_staff=True)
    return action_reply(request, table, True, session_id=session.pk)


@staff_view(Action.TABLE_CLOSE)
@require_POST
def table_close(request, number: int):
    """Close the table's meal once its check is settled (restaurant/billing/services.py's
    `meal_close`): with money owed, 409 `unpaid` with the ``balance`` and the till's URL,
    unless a manager gives ``unpaid_reason``. Unsent items in its cart are thrown away only
    when the form says so (`discard_cart=1`, and `cart_seq`: the cart as shown); otherwise
    409 with them (`unsent`), whatever the client (a form without the floor's script too)."""
    table = table_or_404(request.restaurant, number)
    restaurant = request.restaurant
    cart_seq = request.POST.get("cart_seq", "")
    try:
        session = meal_close(
            restaurant=restaurant, table=table, by=request.user,
            may_close_unpaid=may(request.user, restaurant, Action.CLOSE_UNPAID),
            unpaid_reason=request.POST.get("unpaid_reason", ""),
            discard_cart=request.POST.get("discard_cart") == "1",
            cart_seq=int(cart_seq) if cart_seq.isdigit() else None,
        )  # fmt: skip
    except UnsentCart as refused:
        if wants_json(request):
            return action_reply(request, table, False, reason="unsent_cart",
                                unsent=refused.unsent)  # fmt: skip
        amount = format_money(refused.unsent["total"], restaurant.currency)
        context = {"restaurant": restaurant, "table": table, "unsent": refused.unsent,
                   "amount": amount}  # fmt: skip
        return render(request, "staff/close_unsent.html", context, status=409)
    except OpError as refused:
        till = staff_url("staff-check", restaurant, number=table.number)
        if wants_json(request):
            extra = {k: v for k, v in refused.extra.items() if k != "detail"}
            reason = refused.extra.get("detail") or refused.code
            return action_reply(request, table, False, reason=reason, message=refused.message,
                                check_url=till, **extra)  # fmt: skip
        return redirect(till)
    return action_reply(request, table, session is not None,
                        session_id=session.pk if session else None)  # fmt: skip


@staff_view(Action.ORDER_ACCEPT)
@require_POST
def order_accept(request, order_id: int):
    """Accept a round held for staff (the first of a meal a diner's scan opened): the floor's
    Accept button. The same move as the kitchen's `order.set_status` to `accepted`, so a
    round already moved on answers 409 `conflict`. Another restaurant's order id is not
    found (404)."""
    floor_page = staff_url("staff-floor", request.restaurant)
    try:
        order = order_status_set(
            restaurant=request.restaurant, order_id=order_id, status="accepted",
            by_id=request.user.pk, role=request.staff_role,
        )  # fmt: skip
    except OpError as refused:
        if refused.code == "not_found":
            raise Http404(refused.message) from None
        if refused.code == "forbidden":
            # Accepting a round that is not held is the kitchen's move (`order.advance`); here
            # it means the round moved on meanwhile, which the floor shows as a conflict.
            refused = OpError("conflict", f"order {order_id} is not waiting to be accepted")
        if not wants_json(request):
            return redirect(floor_page)
        body = {"ok": False, "order_id": order_id, "code": refused.code,
                "message": refused.message}  # fmt: skip
        return JsonResponse(body, status=409)
    if wants_json(request):
        return JsonResponse({"ok": True, "order_id": order.pk, "status": order.status})
    return redirect(floor_page)


@staff_view(Action.TABLE_BILL)
@require_GET
def table_bill(request, number: int):
    session = open_session_for(table_or_404(request.restaurant, number))
    if session is None:
        raise Http404("the table is not open")
    bill = {**dining_bill(session=session), "unsent": unsent_cart(session)}
    return JsonResponse(bill, json_dumps_params={"ensure_ascii": False})
