from django.conf import settings
from django.shortcuts import render

from restaurant.venues.models import Restaurant


def landing(request):
    """The deployment's only restaurant's page; with several (a chain, a platform), a neutral
    page: diners arrive by their table's code, staff sign in. It lists no restaurant."""
    restaurant = Restaurant.sole()
    if restaurant is None:
        return render(request, "core/landing_many.html", {"site_name": settings.SITE_NAME})
    return render(request, "core/landing.html", {"restaurant": restaurant})
