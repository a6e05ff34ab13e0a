"""ASGI entry point of the relay baseline: `/ws/table/<token>/` to the relay consumer, and a
one-line HTTP answer (`/healthz`) so that the bench can tell when the server is up."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.relay.settings")

import django

django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from bench.relay.consumers import RelayConsumer  # noqa: E402


async def http_ok(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})  # fmt: skip
    await send({"type": "http.response.body", "body": b"ok"})


application = ProtocolTypeRouter(
    {
        "http": http_ok,
        "websocket": AllowedHostsOriginValidator(
            URLRouter([path("ws/table/<str:token>/", RelayConsumer.as_asgi())])
        ),
    }
)
