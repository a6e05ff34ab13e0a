from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from restaurant.core.access import staff_required
from restaurant.kitchen.selectors import kitchen_recent_orders
from restaurant.menu.models import Restaurant


@staff_required
@require_GET
def kitchen_display(request):
    return render(request, "kitchen/display.html", {"restaurant": Restaurant.current()})


@staff_required
@require_GET
def kitchen_recent(request):
    """The kitchen's history panel: the shift's served and cancelled orders."""
    return JsonResponse(
        {"now": timezone.now().isoformat(), "orders": kitchen_recent_orders()},
        json_dumps_params={"ensure_ascii": False},
    )
