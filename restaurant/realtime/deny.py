"""Refusing a handshake without the channel layer.

channels' WebsocketDenier is a consumer like any other: it makes a channel-layer channel and
reads it (a Redis round trip and a blocking read per refused socket) only to close the
handshake. A refusal needs none of that, and a flood of refusals is exactly when it should be
cheap. On the Redis layer that read also outlived its socket (a test loop's shutdown waited
on it).
"""

from urllib.parse import urlparse

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings

# An alias no settings configure: `get_channel_layer` answers None, so no channel is made.
NO_LAYER = "refusals-use-no-layer"


class Denier(WebsocketDenier):
    channel_layer_alias = NO_LAYER


class LayerlessOriginValidator(OriginValidator):
    """channels' OriginValidator, refusing with `Denier`."""

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not self.valid_origin(_origin(scope)):
            return await Denier()(scope, receive, send)
        return await super().__call__(scope, receive, send)


def _origin(scope):
    for name, value in scope.get("headers", []):
        if name == b"origin":
            try:
                return urlparse(value.decode("latin1"))
            except UnicodeDecodeError:
                return None
    return None


def allowed_hosts_origin_validator(application) -> LayerlessOriginValidator:
    """channels' AllowedHostsOriginValidator, with `LayerlessOriginValidator`."""
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    return LayerlessOriginValidator(application, allowed_hosts)
