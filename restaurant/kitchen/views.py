from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from restaurant.menu.models import Restaurant


@staff_member_required
@require_GET
def kitchen_display(request):
    return render(request, "kitchen/display.html", {"restaurant": Restaurant.current()})
