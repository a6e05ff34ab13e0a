"""The kitchen display and its served-today list, for the restaurant `staff_view` resolves
(restaurant/venues/http.py): the page's menu, history and socket URLs are that restaurant's."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from restaurant.kitchen.selectors import kitchen_recent_orders
from restaurant.venues.http import staff_view
from restaurant.venues.roles import Action


@staff_view(Action.KITCHEN_VIEW)
@require_GET
def kitchen_display(request):
    return render(request, "kitchen/display.html", {"restaurant": request.restaurant})


@staff_view(Action.KITCHEN_VIEW)
@require_GET
def kitchen_recent(request):
    """The kitchen's history panel: the shift's served and cancelled orders."""
    orders = kitchen_recent_orders(restaurant=request.restaurant)
    return JsonResponse(
        {"now": timezone.now().isoformat(), "orders": orders},
        json_dumps_params={"ensure_ascii": False},
    )
