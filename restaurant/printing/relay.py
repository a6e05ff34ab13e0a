"""The print worker's events, when the channel layer is the in-memory one (`make run` without
REDIS_URL): that layer reaches no other process, so the worker `serve` starts writes each
event to its stdout as one line, and `serve` hands it to its own server's event loop, whose
sockets then hear it as from any service. With Redis the worker sends through the layer
itself and this is not used.

A line: ``relay {"group": ..., "message": {...}}`` (the message as `group_message` made it:
JSON text inside). Anything else the worker prints is passed through as it is.
"""

import asyncio
import json
import sys
import threading
from collections.abc import Callable

from channels.layers import BaseChannelLayer, channel_layers, get_channel_layer
from django.conf import settings

PREFIX = "relay "
_write = threading.Lock()


class StdoutLayer(BaseChannelLayer):
    """A channel layer that only sends to groups, one line on stdout per message."""

    extensions = ["groups"]

    async def group_send(self, group: str, message: dict) -> None:
        line = PREFIX + json.dumps({"group": group, "message": message}, ensure_ascii=False)
        with _write:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    async def send(self, channel, message):
        raise NotImplementedError("the relay only sends to groups")

    async def receive(self, channel):
        raise NotImplementedError("the relay only sends to groups")

    async def new_channel(self, prefix="specific."):
        raise NotImplementedError("the relay only sends to groups")

    async def group_add(self, group, channel):
        raise NotImplementedError("the relay only sends to groups")

    async def group_discard(self, group, channel):
        raise NotImplementedError("the relay only sends to groups")


def events_to_stdout() -> None:
    """In the worker: every broadcast from now on is a line on stdout."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "restaurant.printing.relay.StdoutLayer"}}
    channel_layers.backends.clear()


def pass_on(stream, loop: asyncio.AbstractEventLoop, echo: Callable[[str], None]) -> None:
    """In the parent, on a thread: each relayed line of ``stream`` (the worker's stdout) is
    sent to its group on ``loop`` (the server's, where its sockets' hub listens); other lines
    go to ``echo``. Returns when the stream ends (the worker exited)."""
    for raw in stream:
        line = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        if not line.startswith(PREFIX):
            echo(line.rstrip("\n"))
            continue
        event = json.loads(line[len(PREFIX) :])
        if loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(_send(event["group"], event["message"]), loop)


async def _send(group: str, message: dict) -> None:
    await get_channel_layer().group_send(group, message)
