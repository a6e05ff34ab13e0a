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

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from redis.exceptions import RedisError

from restaurant.realtime import codec, envelope, metrics
from restaurant.realtime.errors import OpError
from restaurant.realtime.hub import hub_for
from restaurant.realtime.inbox import Inbox
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


class SocketGone(Exception):
    """The ASGI server refused a send: the socket is gone, whatever state it said before."""


class OpConsumer(AsyncWebsocketConsumer):
    registry: dict[str, type] = {}
    kind = "socket"  # the metrics label

    async def __call__(self, scope, receive, send):
        """Run the socket; whatever ends it (a disconnect, a lost layer, a cancel, any
        exception of any handler) its cleanup runs exactly once: no connection row, presence,
        group membership or gauge outlives the socket."""
        self.cleaned_up = False
        self.close_sent = False
        code = 1006
        try:
            await self._run(scope, receive, send)
        except LAYER_LOST as exc:
            # Without this every socket of the process dies with a traceback at once. Close
            # with 4503 instead: the page reconnects with backoff, and its snapshot and the
            # resend of its unanswered ops bring it back once Redis answers again.
            logger.warning("channel layer lost under %s (%s): closing it with 4503",
                           getattr(self, "channel_name", "?"), exc)  # fmt: skip
            code = CLOSE_TRY_AGAIN
            await self._close_quietly(code, "layer_lost")
        except asyncio.CancelledError:
            # The server cancels an application that outlives its socket by its close timeout
            # (daphne: 10 s): a connect stuck behind a busy database in a storm, say.
            await asyncio.shield(self._clean_up(1006))
            raise
        except SocketGone as exc:
            logger.info("%s: %s", getattr(self, "channel_name", "?"), exc)
        except Exception:
            # A bug, or a failure nobody foresaw: the socket ends (1011, "internal error"),
            # the page reconnects and resyncs, and nothing of it stays behind.
            logger.exception("socket %s failed", getattr(self, "channel_name", "?"))
            code = 1011
            await self._close_quietly(code, "internal")
        finally:
            # Shielded: a cancel arriving during cleanup must not cut it short.
            await asyncio.shield(self._clean_up(code))

    async def _close_quietly(self, code: int, reason: str) -> None:
        metrics.CLOSES.labels(reason).inc()
        with contextlib.suppress(Exception):
            await self.send_to_server({"type": "websocket.close", "code": code})

    async def _run(self, scope, receive, send) -> None:
        """Channels' `AsyncConsumer.__call__`, with the process's hub where that makes a
        layer channel per socket: group messages arrive in the socket's inbox."""
        self.scope = scope
        self.server_send = send
        self.base_send = self.send_to_server
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.inbox = Inbox(INBOX_SIZE)
        self.overflowed = False
        self.hub = await hub_for(self.channel_layer)
        self.channel_name = self.hub.socket_name()
        with contextlib.suppress(StopConsumer):
            await await_many_dispatch([receive, self.inbox.get], self.dispatch)

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch, without its `aclose_old_connections()`: that is a hop to
        asgiref's one shared thread before every message the socket handles, a received op
        and every event it forwards alike (five hops per op at a table of four), for
        connections this thread does not have: every database call of a socket runs in
        a database thread that looks after its own (restaurant/realtime/db.py,
        group_commit.py)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def send_to_server(self, message: dict) -> None:
        """Every message to the ASGI server goes through here. After the server was told to
        close, nothing more is sent: a phone slow to answer the close is still "open" to
        the server, which then refuses the send (uvicorn: RuntimeError "Unexpected ASGI
        message 'websocket.close', after sending 'websocket.close'"; daphne: "Attempt to send
        on a closed protocol"), and that exception used to end the handler without cleanup.
        A send the server refuses otherwise ends the socket (cleanup runs in `__call__`)."""
        if self.close_sent:
            return
        if message["type"] == "websocket.close":
            self.close_sent = True
        try:
            await self.server_send(message)
        except Exception as exc:
            self.close_sent = True
            raise SocketGone(f"the server refused a send: {exc!r}") from exc

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
                self.closing = asyncio.ensure_future(self.close_from_outside(CLOSE_TRY_AGAIN))

    async def close_from_outside(self, code: int) -> None:
        """A close started outside the socket's own handlers (a task): nothing may escape it
        unobserved; the server's disconnect then ends the consumer as usual."""
        try:
            await self.close(code=code)
        except Exception as exc:
            logger.info("closing %s: %r", self.channel_name, exc)

    async def join_groups(self, groups: list[str]) -> None:
        for group in groups:
            await self.hub.join(group, self)

    async def _clean_up(self, code: int) -> None:
        """What `disconnect` does, once, whatever ended the socket (bounded: a cleanup stuck
        on a dead Redis or database gives up; the heartbeat reaps this process's connection
        rows that no live socket owns)."""
        if self.cleaned_up:
            return
        self.cleaned_up = True
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
            except Exception as exc:  # the other groups still lose this socket locally
                logger.warning("%s leaving %s: %r", self.channel_name, group, exc)

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
        # Channels' own version leaves `self.groups` (unused here: the hub has the groups)
        # and calls `disconnect`, which `_clean_up` calls once, whoever gets there first.
        await self._clean_up(message.get("code", 1006))
        raise StopConsumer()

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
        if not self.admit():
            if self.abusive():
                await self.close(code=CLOSE_ABUSE)
                return
            reply, op_type = (
                envelope.error(_readable_id(text_data), "rate_limited", "too many messages"),
                "-",
            )
        else:
            try:
                reply, op_type = await self.handle(text_data)
            except (SocketGone, asyncio.CancelledError):
                raise
            except Exception:
                # Whatever a message does to its handler, it gets its one reply and the
                # socket stays open (docs/protocol.md: an unreadable message gets `error`).
                logger.exception("message on %s failed", self.channel_name)
                reply = envelope.error(_readable_id(text_data), "internal", "the server failed")
                op_type = "-"
        await self.send_json(reply)
        result = reply["code"] if reply["type"] == "error" else "ack"
        metrics.OPS.labels(self.kind, op_type, result).inc()
        metrics.OP_SECONDS.labels(self.kind).observe(time.perf_counter() - started)

    def admit(self) -> bool:
        """Flood control: whether this message may be handled (the socket's own bucket;
        subclasses add theirs)."""
        return self.guard.allow()

    def abusive(self) -> bool:
        return self.guard.abusive

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
        except SocketGone:
            raise  # the socket itself is gone (a snapshot sent after the server's close)
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
