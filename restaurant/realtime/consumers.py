"""The socket plumbing every consumer shares: flood control, the size limit, the envelope,
and group messages through the process's hub (restaurant/realtime/hub.py) instead of a
channel-layer channel per socket.

Subclasses say which ops they accept (`registry`) and how to apply one (`apply`); they never
touch the ORM in the event loop (services run through `restaurant.realtime.db.db`).
"""

import asyncio
import contextlib
import logging
import time
from typing import Any

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from redis.exceptions import RedisError

from restaurant.realtime import codec, envelope, metrics
from restaurant.realtime.errors import OpError
from restaurant.realtime.hub import hub_for
from restaurant.realtime.ratelimit import FloodGuard

logger = logging.getLogger(__name__)

CLOSE_TOO_LARGE = 1009
CLOSE_ABUSE = 4429
# The server lost its channel layer under the socket: reconnect (with backoff) and resync.
# Not 1012: daphne's autobahn lets a server send only 1000 and 3000-4999.
CLOSE_TRY_AGAIN = 4503

# What the Redis channel layer raises when Redis goes away (a restart, a failover, a network
# cut): the socket's channel is gone with it, and so are its group memberships.
LAYER_LOST = (RedisError, OSError)  # OSError: ConnectionError and the like
CLEANUP_SECONDS = 10
# Group messages waiting for a socket whose consumer is busy (an op in the database): past
# this the socket has missed events, and is closed with 4503 to resync.
INBOX_SIZE = 1000


class OpConsumer(AsyncWebsocketConsumer):
    registry: dict[str, type] = {}
    kind = "socket"  # the metrics label

    async def __call__(self, scope, receive, send):
        try:
            await self._run(scope, receive, send)
        except LAYER_LOST as exc:
            # Without this every socket of the process dies with a traceback at once. Close
            # with 4503 instead: the page reconnects with backoff, and its snapshot and the
            # resend of its unanswered ops bring it back once Redis answers again.
            logger.warning("channel layer lost under %s (%s): closing it with 4503",
                           getattr(self, "channel_name", "?"), exc)  # fmt: skip
            metrics.CLOSES.labels("layer_lost").inc()
            with contextlib.suppress(Exception):
                await self.base_send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN})
            await self._clean_up(CLOSE_TRY_AGAIN)
        except asyncio.CancelledError:
            # The server cancels an application that outlives its socket by its close timeout
            # (daphne: 10 s): a connect stuck behind a busy database in a storm, say. Its
            # `disconnect` never ran, and its group memberships would stay in Redis for a day.
            await asyncio.shield(self._clean_up(1006))
            raise

    async def _run(self, scope, receive, send) -> None:
        """Channels' `AsyncConsumer.__call__`, with the process's hub where that makes a
        layer channel per socket: group messages arrive in the socket's inbox."""
        self.scope = scope
        self.base_send = send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.inbox: asyncio.Queue = asyncio.Queue(INBOX_SIZE)
        self.overflowed = False
        self.hub = await hub_for(self.channel_layer)
        self.channel_name = self.hub.socket_name()
        with contextlib.suppress(StopConsumer):
            await await_many_dispatch([receive, self.inbox.get], self.dispatch)

    def deliver(self, message: dict) -> None:
        """A group message from the hub (in the event loop, never blocking)."""
        try:
            self.inbox.put_nowait(message)
        except asyncio.QueueFull:
            if not self.overflowed:
                self.overflowed = True
                metrics.CLOSES.labels("inbox_full").inc()
                logger.warning("%s missed group messages (inbox full): closing it with 4503",
                               self.channel_name)  # fmt: skip
                self.closing = asyncio.ensure_future(self.close(code=CLOSE_TRY_AGAIN))

    async def join_groups(self, groups: list[str]) -> None:
        for group in groups:
            await self.hub.join(group, self)

    async def _clean_up(self, code: int) -> None:
        """What `disconnect` does, for a consumer that never got to run it (bounded: a
        cleanup stuck on a dead Redis or database gives up; the heartbeat reaps the rest)."""
        try:
            await asyncio.wait_for(self.disconnect(code), CLEANUP_SECONDS)
        except Exception as exc:  # best effort, logged
            logger.warning("cleanup of %s incomplete: %r", getattr(self, "channel_name", "?"), exc)
        if getattr(self, "counted_open", False):
            metrics.SOCKETS_OPEN.labels(self.kind).dec()
            self.counted_open = False

    async def leave_groups(self, groups: list[str]) -> None:
        """Best effort: with the layer gone, its memberships went with it (or expire)."""
        hub = getattr(self, "hub", None)
        for group in groups if hub is not None else []:
            try:
                await hub.leave(group, self)
            except LAYER_LOST:
                continue  # the other groups still lose this socket locally

    async def websocket_connect(self, message: dict) -> None:
        limits = settings.RESTAURANT
        self.guard = FloodGuard(
            limits["RATE_PER_SECOND"],
            limits["RATE_BURST"],
            limits["RATE_STRIKES"],
            limits["RATE_STRIKE_WINDOW"],
        )
        self.counted_open = False
        await super().websocket_connect(message)

    async def accept(self, subprotocol=None, headers=None) -> None:
        await super().accept(subprotocol, headers)
        metrics.SOCKETS_OPEN.labels(self.kind).inc()
        self.counted_open = True

    async def websocket_disconnect(self, message: dict) -> None:
        if self.counted_open:
            metrics.SOCKETS_OPEN.labels(self.kind).dec()
            self.counted_open = False
        await super().websocket_disconnect(message)

    async def close(self, code=None, reason=None) -> None:
        if code is not None:
            metrics.CLOSES.labels(str(code)).inc()
        await super().close(code, reason)

    async def send_json(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=codec.dumps(payload))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        started = time.perf_counter()
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > settings.RESTAURANT["MAX_MESSAGE_BYTES"]:
            # The ASGI server enforces this first (daphne/uvicorn options); this is the backstop.
            await self.close(code=CLOSE_TOO_LARGE)
            return
        if not self.guard.allow():
            if self.guard.abusive:
                await self.close(code=CLOSE_ABUSE)
                return
            reply, op_type = (
                envelope.error(_readable_id(text_data), "rate_limited", "too many messages"),
                "-",
            )
        else:
            reply, op_type = await self.handle(text_data)
        await self.send_json(reply)
        result = reply["code"] if reply["type"] == "error" else "ack"
        metrics.OPS.labels(self.kind, op_type, result).inc()
        metrics.OP_SECONDS.labels(self.kind).observe(time.perf_counter() - started)

    async def handle(self, text_data: str | None) -> tuple[dict, str]:
        """One message in, its one reply out (`ack` or `error`), and the op type for metrics."""
        try:
            op_id, op = envelope.parse_op(text_data, self.registry)
        except envelope.InvalidOp as exc:
            return envelope.error(exc.op_id, exc.code, exc.message), "-"
        op_type = op.__struct_config__.tag
        try:
            seq = await self.apply(op_id, op)
        except OpError as exc:
            return envelope.error(op_id, exc.code, exc.message, **exc.extra), op_type
        except Exception:
            logger.exception("op %s failed", op_type)
            return envelope.error(op_id, "internal", "the server failed; retry"), op_type
        return envelope.ack(op_id, seq), op_type

    async def apply(self, op_id: str, op: Any) -> int | None:
        raise NotImplementedError

    # Group messages carry their event already encoded (one encode per broadcast, not per socket).
    async def forward(self, message: dict) -> None:
        await self.send(text_data=message["text"])


def _readable_id(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        message = codec.loads(text)
    except codec.DecodeError:
        return None
    return envelope.read_op_id(message) if isinstance(message, dict) else None
