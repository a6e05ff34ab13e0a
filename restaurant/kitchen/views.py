from django.shortcuts import render
from django.views.decorators.http import require_GET

from restaurant.core.access import staff_required
from restaurant.menu.models import Restaurant


@staff_required
@require_GET
def kitchen_display(request):
    return render(request, "kitchen/display.html", {"restaurant": Restaurant.current()})
