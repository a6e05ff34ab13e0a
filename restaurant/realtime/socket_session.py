"""The Django session of a diner's socket, without copies of the scope.

Channels' `SessionMiddlewareStack` copies the scope twice (once with the parsed cookies, once
with the session) and keeps a wrapper around `send` for the life of the socket, to save a
session after an HTTP response; a socket never saves its session. That is about 1.5 KiB per
socket (tracemalloc), for as long as it is open: a worker holds 10,000 idle sockets (bench W3,
docs/performance.md).
Here the router's scope gains `session`: the session store for the browser's cookie, loaded on
first use (in the database thread, by the consumer's access check), as Channels' is.
"""

from importlib import import_module

from django.conf import settings
from django.http.cookie import parse_cookie


def session_key_of(scope) -> str | None:
    """The session cookie's value in the socket's request headers, if it sent one."""
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            return parse_cookie(value.decode("latin1")).get(settings.SESSION_COOKIE_NAME)
    return None


class SocketSessionMiddleware:
    """ASGI middleware for sockets: ``scope["session"]`` is the Django session of the
    request's cookie (an empty one without a cookie), never saved."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.store = import_module(settings.SESSION_ENGINE).SessionStore

    async def __call__(self, scope, receive, send):
        # Into the scope the router made for this socket alone (Channels' URLRouter passes
        # each route a fresh copy): a copy more would live as long as the socket.
        scope["session"] = self.store(session_key_of(scope))
        return await self.inner(scope, receive, send)
