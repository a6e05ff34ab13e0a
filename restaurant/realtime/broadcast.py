"""Broadcasts happen after commit, never before: an event must describe what is in the database.

The channel layer is at-most-once; a lost event is repaired by the client's seq-gap resync, so a
failed send is logged and counted, not retried here.

Under an ASGI server the services run in database threads (restaurant/realtime/db.py,
group_commit.py). Waiting there for Redis would make every other op wait too, so the send is
handed to the event loop, where one task per loop runs them in commit order. Elsewhere
(uwsgi, commands) it is sent before returning.
"""

import asyncio
import logging
import os
import threading
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from restaurant.realtime import codec, metrics
from restaurant.realtime.hub import running_hub

logger = logging.getLogger(__name__)


def group_message(message_type: str, event: dict[str, Any] | None = None, **fields: Any) -> dict:
    """A channel-layer message whose event is encoded once here, not once per socket."""
    message = {"type": message_type, **fields}
    if event is not None:
        message["text"] = codec.dumps(event)
    return message


async def _group_send(group: str, message: dict) -> None:
    try:
        layer = get_channel_layer()
        hub = running_hub()
        if hub is not None and hub.layer is layer:
            await hub.publish(group, message)
        else:  # no sockets in this process: every process's hub gets it through the layer
            await layer.group_send(group, {**message, "group": group})
    except Exception:  # a broadcast failure must never undo or fail a committed op
        metrics.BROADCAST_FAILURES.inc()
        logger.exception("broadcast to %s failed", group)


class _OrderedSender:
    """Runs one loop's layer calls one after another, in the order they were handed over.

    Database threads hand calls over in commit order (`from_thread`); the loop is woken once
    for all the calls that queued meanwhile, not once per event (a batch of ops commits many
    events at once: restaurant/realtime/group_commit.py), and one task runs them in turn."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.incoming: deque = deque()  # appended by database threads (deque ops are atomic)
        self.woken = False
        self.pending: deque = deque()
        self.runner: asyncio.Task | None = None

    def from_thread(self, call: Callable[..., Awaitable], args: tuple) -> None:
        self.incoming.append((call, args))
        if not self.woken:  # a second wake-up, when two threads race here, finds nothing
            self.woken = True
            self.loop.call_soon_threadsafe(self._take)

    def _take(self) -> None:  # in the loop
        self.woken = False
        while self.incoming:
            self.pending.append(self.incoming.popleft())
        if self.pending and (self.runner is None or self.runner.done()):
            self.runner = self.loop.create_task(self._drain())

    async def _drain(self) -> None:
        while self.pending:
            call, args = self.pending.popleft()
            await call(*args)  # the layer calls handle their own errors


_senders: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _OrderedSender]" = (
    weakref.WeakKeyDictionary()
)
_senders_lock = threading.Lock()


def _calling_event_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop that called into this thread (we are inside sync_to_async), if any."""
    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    return getattr(local, "main_event_loop", None)


def _sender(loop: asyncio.AbstractEventLoop) -> _OrderedSender:
    sender = _senders.get(loop)
    if sender is None:
        with _senders_lock:  # database threads and the loop: one sender per loop
            sender = _senders.get(loop)
            if sender is None:
                sender = _senders[loop] = _OrderedSender(loop)
    return sender


def _call_layer(call: Callable[..., Awaitable], *args) -> bool:
    """Run a layer call (which handles its own errors) from synchronous code: handed to the
    calling event loop when there is one, without waiting for it; else at once. False when
    that loop has stopped: the server is going down and would never run it, and waiting for
    it would hang the process at exit."""
    loop = _calling_event_loop()
    if loop is None:
        async_to_sync(call)(*args)
    elif loop.is_closed() or not loop.is_running():
        return False
    else:
        _sender(loop).from_thread(call, args)
    return True


def send_now(group: str, message: dict) -> None:
    if not _call_layer(_group_send, group, message):
        # The op is committed; clients catch up by seq and snapshot.
        metrics.BROADCAST_FAILURES.inc()
        logger.warning("broadcast to %s dropped: the event loop has stopped", group)


def broadcast_on_commit(group: str, message: dict) -> None:
    transaction.on_commit(lambda: send_now(group, message))


async def _group_discard(group: str, channel: str) -> None:
    try:
        await get_channel_layer().group_discard(group, channel)
    except Exception as exc:  # it expires with group_expiry anyway
        logger.warning("discarding %s from %s failed: %r", channel, group, exc)


def discard_on_commit(group: str, channel: str) -> None:
    """Take a dead process's hub channel out of a group once the transaction that reaped its
    rows commits (a killed process never left its groups: group sends would keep feeding its
    channel until the memberships expire, a day later)."""
    transaction.on_commit(lambda: _call_layer(_group_discard, group, channel))


def on_commit_once(callback: Callable[[], None]) -> None:
    """``transaction.on_commit(callback)``, unless an equal callback already waits for this
    transaction's commit: one announcement per transaction however many rows changed (give
    the callback an ``__eq__``: a frozen dataclass of what it announces)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        func == callback for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(callback)
