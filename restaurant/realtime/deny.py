"""Refusing a handshake without the channel layer.

channels' WebsocketDenier is a consumer like any other: it makes a channel-layer channel and
reads it (a Redis round trip and a blocking read per refused socket) only to close the
handshake. A refusal needs none of that, and a flood of refusals is exactly when it should be
cheap. On the Redis layer that read also outlived its socket (a test loop's shutdown waited
on it).
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings

# An alias no settings configure: `get_channel_layer` answers None, so no channel is made.
NO_LAYER = "refusals-use-no-layer"


class Denier(WebsocketDenier):
    channel_layer_alias = NO_LAYER


DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def normalize_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case with the scheme's default port left out, or
    None for anything that is not an http(s) origin (``null``, ``file://``, extensions)."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    shown = "" if port in (None, DEFAULT_PORTS[scheme]) else f":{port}"
    return f"{scheme}://{host}{shown}"


def origin_allowed(origin: str | None, allowed: list[str]) -> bool:
    """An exact match of scheme, host and port against ``allowed`` (a leading ``*.`` in an
    allowed host matches its subdomains, as in CSRF_TRUSTED_ORIGINS)."""
    mine = normalize_origin(origin) if origin else None
    if mine is None:
        return False
    for entry in allowed:
        scheme, _, rest = entry.partition("://*.")
        if rest:
            wanted = normalize_origin(f"{scheme}://{rest}")
            if (
                wanted
                and mine.startswith(f"{scheme}://")
                and mine.endswith("." + wanted.split("://", 1)[1])
            ):
                return True
        elif normalize_origin(entry) == mine:
            return True
    return False


class StrictOriginValidator:
    """Refuses (403, with `Denier`) a socket whose Origin is missing, ``null``, or not one of
    WS_ALLOWED_ORIGINS to the scheme and port. (channels' OriginValidator compares host
    names only: ``file://localhost`` or another port on an allowed host passed it.)"""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(
            _origin(scope), settings.WS_ALLOWED_ORIGINS
        ):
            return await Denier()(scope, receive, send)
        return await self.application(scope, receive, send)


def _origin(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            return value.decode("latin1")
    return None
