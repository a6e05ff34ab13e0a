from django.shortcuts import render

from restaurant.menu.models import Restaurant


def landing(request):
    return render(request, "core/landing.html", {"restaurant": Restaurant.current()})
