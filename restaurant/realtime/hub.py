"""Fan-out per process: an event crosses the channel layer once per process, not once per
socket.

Each ASGI process (each event loop) has one hub, and its sockets join groups through it. The
hub is the process's only member of a channel-layer group: it joins when the first of its
sockets joins and leaves when the last one leaves, and it puts each message the layer brings
into the inbox of every local socket of that group. An event committed in this process is put
into the local inboxes at once and sent through the layer for the other processes, whose
hubs do the same; this process's own copy comes back through the layer and is dropped.
Processes without a hub (uwsgi's views, commands) send through the layer to every hub.

Why: with one layer channel per socket, each event cost one layer message per diner at the
table, and that delivery was the largest part of an op's CPU after the database's
(docs/performance.md, sitting 7); a storm of sockets connecting or leaving was also a storm
of group_add and group_discard in Redis, and a socket that died unseen stayed a member.

A socket's name (`<hub channel>#<n>`) is unique across processes, as a channel name is; the
connection rows keep it, and the heartbeat reaper finds a dead process's hub channel in it.
"""

import asyncio
import collections
import itertools
import logging
import weakref

logger = logging.getLogger(__name__)

SOCKET_SEPARATOR = "#"
RETRY_SECONDS = 1.0
STOP = "hub.stop"
STOP_SECONDS = 5.0


def hub_channel_of(socket_name: str) -> str:
    """The hub channel of the process a socket belongs (or belonged) to."""
    return socket_name.partition(SOCKET_SEPARATOR)[0]


class Hub:
    def __init__(self, layer) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.members: dict[str, set] = {}  # group -> local consumers
        self.joined: set[str] = set()  # groups the hub's channel is a layer member of
        self._locks: dict[str, asyncio.Lock] = collections.defaultdict(asyncio.Lock)
        self._numbers = itertools.count(1)
        self._started: asyncio.Task | None = None
        self._receiver: asyncio.Task | None = None
        self._stopping = False

    async def start(self) -> None:
        """Make the hub's layer channel and start reading it (once; raises what the layer
        raises while Redis is down, and a later call tries again)."""
        if self._started is None or (self._started.done() and self._started.exception()):
            self._started = asyncio.ensure_future(self._start())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        self.channel = await self.layer.new_channel("hub.")
        self._receiver = asyncio.get_running_loop().create_task(
            self._receive(), name="restaurant-hub"
        )

    def socket_name(self) -> str:
        return f"{self.channel}{SOCKET_SEPARATOR}{next(self._numbers)}"

    # --- membership ---------------------------------------------------------------------------

    async def join(self, group: str, consumer) -> None:
        """Deliver the group's messages to ``consumer`` from now on. Raises (and joins
        nothing) when the layer fails."""
        async with self._locks[group]:
            if group not in self.joined:
                await self.layer.group_add(group, self.channel)
                self.joined.add(group)
            self.members.setdefault(group, set()).add(consumer)

    async def leave(self, group: str, consumer) -> None:
        """Stop delivering to ``consumer``; the last local member takes the hub out of the
        layer's group. Best effort towards the layer: its membership expires anyway."""
        local = self.members.get(group)
        if local is not None:
            local.discard(consumer)
        async with self._locks[group]:  # a join in between keeps the membership
            if self.members.get(group) or group not in self.joined:
                return
            self.members.pop(group, None)
            self.joined.discard(group)
            await self.layer.group_discard(group, self.channel)

    async def refresh(self) -> None:
        """Renew the layer memberships of groups with local members (the Redis layer expires
        them after `group_expiry`)."""
        for group in list(self.joined):
            if self.members.get(group):
                await self.layer.group_add(group, self.channel)

    def forget_memberships(self) -> None:
        """The layer lost them (Redis came back empty): the next join adds them again."""
        self.joined.clear()

    # --- messages -----------------------------------------------------------------------------

    async def publish(self, group: str, message: dict) -> None:
        """An event of this process: to the local sockets now, through the layer to the
        others (raises what the layer raises; the local ones have it already)."""
        message = {**message, "group": group, "origin": self.channel}
        self.deliver(message)
        await self.layer.group_send(group, message)

    def deliver(self, message: dict) -> None:
        for consumer in list(self.members.get(message.get("group"), ())):
            consumer.deliver(message)

    async def _receive(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis down: the liveness watch closes the sockets
                if asyncio.current_task().cancelling():
                    # Cancelled (the loop is closing), and the layer answered the cancel with
                    # an error of its own: stop, or the loop's shutdown waits forever.
                    raise asyncio.CancelledError from exc
                logger.warning("hub %s: receive failed (%r); retrying", self.channel, exc)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if message.get("type") == STOP and self._stopping:
                return
            if message.get("origin") != self.channel:
                self.deliver(message)

    async def stop(self) -> None:
        """End the receiver with a message to itself. Cancelling it is not enough on the
        Redis layer: a cancel that lands as redis-py's read times out is lost on Python 3.11,
        and the layer's receive goes on waiting, and so does a loop that is shutting down."""
        if self._receiver is None or self._receiver.done():
            return
        self._stopping = True
        await self.layer.send(self.channel, {"type": STOP})
        await asyncio.wait([self._receiver], timeout=STOP_SECONDS)
        if not self._receiver.done():
            self._receiver.cancel()


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


async def hub_for(layer) -> Hub:
    """The running event loop's hub over ``layer``, started."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None or hub.layer is not layer:  # the layer was replaced (tests do)
        if hub is not None and hub._receiver is not None:
            hub._receiver.cancel()
        hub = _hubs[loop] = Hub(layer)
    await hub.start()
    return hub


def running_hub() -> Hub | None:
    """The running event loop's hub, if its sockets have started one."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    hub = _hubs.get(loop)
    return hub if hub is not None and hub.channel is not None else None
