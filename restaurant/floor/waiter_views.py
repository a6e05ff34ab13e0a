"""The waiter's ordering page (代客下单): `GET /staff/tables/<number>/order/`. A phone or tablet
page on the table's shared cart; it talks to `/ws/r/<slug>/waiter/table/<number>/`
(restaurant/floor/waiter.py). The menu comes with the page, each dish with the pinyin
initials of its name (gbjd → 宫保鸡丁) that the search box matches, and the dishes the
restaurant sent most in the last hours ("recent")."""

from datetime import timedelta

from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from restaurant.kitchen.adjustments import adjust_reasons
from restaurant.kitchen.models import OrderItem
from restaurant.menu.selectors import menu_payload
from restaurant.tables.views import table_or_404
from restaurant.venues.http import staff_url, staff_view
from restaurant.venues.models import Restaurant
from restaurant.venues.roles import Action

RECENT_HOURS = 3
RECENT_COUNT = 8


def recent_dishes(*, restaurant: Restaurant, hours: int = RECENT_HOURS,
                  count: int = RECENT_COUNT) -> list[int]:  # fmt: skip
    """The ids of the dishes ``restaurant`` sent most (by quantity, voided ones not counted)
    in the last ``hours``, most first: what a waiter is likely to order next."""
    since = timezone.now() - timedelta(hours=hours)
    rows = (
        OrderItem.objects.filter(order__restaurant=restaurant, order__created_at__gte=since)
        .exclude(status="voided")
        .values("dish_id")
        .annotate(sent=Sum("qty"))
        .order_by("-sent", "dish_id")[:count]
    )
    return [row["dish_id"] for row in rows]


def waiter_menu(*, restaurant: Restaurant) -> dict:
    """The restaurant's menu as `/api/menu/` gives it, each dish with its `initials` (the same
    as its `py`, kept for this page's readers), and `recent`: dish ids (`recent_dishes`)."""
    menu = menu_payload(restaurant=restaurant)
    for category in menu["categories"]:
        for dish in category["dishes"]:
            dish["initials"] = dish.get("py", "")  # `py` is left out where it is empty
    menu["recent"] = recent_dishes(restaurant=restaurant)
    return menu


@staff_view(Action.ORDER_FOR_TABLE)
@require_GET
def waiter_order(request, number: int):
    """The page; with `?menu=1`, the menu alone as JSON (the page fetches it again when the
    menu changes)."""
    restaurant = request.restaurant
    table = table_or_404(restaurant, number)
    menu = waiter_menu(restaurant=restaurant)
    if request.GET.get("menu") == "1":
        return JsonResponse(menu, json_dumps_params={"ensure_ascii": False})
    page = staff_url("staff-waiter-order", restaurant, number=number)
    config = {
        "wsPath": f"/ws/r/{restaurant.slug}/waiter/table/{table.number}/",
        "menuUrl": f"{page}?menu=1",
        "floorUrl": staff_url("staff-floor", restaurant),
        "loginUrl": f"{reverse('staff-login')}?next={page}",
        "currency": restaurant.currency,
        "table": {"number": table.number, "label": table.label},
        # Taking a sent dish back or giving it free from this page (`item.adjust`): the
        # restaurant's reasons, what this person's role may, and whether a manager decides.
        "reasons": adjust_reasons(restaurant),
        "canVoid": request.staff_can["item_void"],
        "canComp": request.staff_can["item_comp"],
        "needsApproval": restaurant.adjust_needs_approval
        and not request.staff_can["adjust_approve"],
    }
    context = {"restaurant": restaurant, "table": table, "config": config, "menu": menu,
               "hours": RECENT_HOURS}  # fmt: skip
    return render(request, "floor/waiter.html", context)
