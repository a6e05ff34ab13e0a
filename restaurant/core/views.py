from django.http import HttpResponse
from django.shortcuts import render

from restaurant.core.health import channel_layer_ok, database_ok
from restaurant.menu.models import Restaurant


def landing(request):
    return render(request, "core/landing.html", {"restaurant": Restaurant.current()})


def healthz(request):
    if database_ok() and channel_layer_ok():
        return HttpResponse("ok", content_type="text/plain")
    return HttpResponse("unavailable", status=503, content_type="text/plain")
