"""Staff sign-in throttling (django-axes): where a client is, and what a locked-out client sees."""

from math import ceil

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str | None:
    """The client's address for the lockout: REMOTE_ADDR only. Behind the proxy the ASGI layer
    has already put the checked client address there; X-Forwarded-For is the client's own word,
    and reading it here would let an attacker pick a fresh address for every guess."""
    return request.META.get("REMOTE_ADDR")


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 with a page in the visitor's language saying how long the pause lasts."""
    minutes = ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return render(request, "core/locked_out.html", {"minutes": minutes}, status=429)
