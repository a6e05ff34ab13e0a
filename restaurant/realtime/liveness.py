"""Per-process upkeep of sockets, run by one background task per ASGI process:

- a heartbeat row, so that sockets of a process that died (kill -9, a lost machine) stop
  counting as online: their connection rows are reaped by whichever process notices first,
  once its own beats have been steady for as long as it takes to be judged dead (after a
  database outage every process's last beat is old); a process that finds it was reaped
  anyway makes its sockets resync;
- group membership refresh (of the process's hub), so that a dinner longer than the
  layer's `group_expiry` keeps receiving its table's events;
- a sweep of staff sockets whose access ended with no event to say so (a session that
  expired or was deleted in the database): one check for all of them per beat
  (restaurant/venues/access.py, handed over with `on_access_sweep`), and those that fail
  close with 4403;
- a watch on Redis itself: when it comes back empty (restarted without persistence, failed
  over), this process's group memberships are gone, and a socket whose consumer did not
  happen to hit the outage would stay deaf. Every socket of the process is then closed with
  4503; pages reconnect, resync from the snapshot and resend what was unanswered;
- ending idle meals (no one online, nothing ordered, quiet for the restaurant's
  `idle_close_minutes`: `sessions_end_idle`) once a minute. Every process does it: each
  meal is checked again under its own lock, so two processes at once end it once.
"""

import asyncio
import logging
import os
import secrets
import socket
import time
import weakref
from collections.abc import Callable

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

from restaurant.realtime import consumers
from restaurant.realtime.db import db
from restaurant.realtime.hub import running_hub

logger = logging.getLogger(__name__)

SERVER_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

# The upkeep's database work belongs to the apps above this library, which it may not import:
# dining (heartbeat rows, reaping, idle meals) and venues (staff access). Each hands its part
# over at startup, in its AppConfig.ready: `on_beat` and `on_access_sweep`.
_hooks: dict[str, Callable] = {}


def on_beat(
    *,
    beat: Callable[..., object],
    was_reaped: Callable[[str], bool],
    end_idle: Callable[[], object],
) -> None:
    """What a beat does to the database, in this order: ``beat(server_id=, live_channels=,
    seen_before=, reap_others=, max_gap=)`` records this process's beat and reaps the dead;
    ``was_reaped(server_id)`` says whether another process reaped this one; ``end_idle()``
    is the once-a-minute upkeep (idle meals end, a new day's dish counts start)."""
    _hooks.update(beat=beat, was_reaped=was_reaped, end_idle=end_idle)


def on_access_sweep(holding: Callable[[list], set]) -> None:
    """``holding(accesses)``: those of the given staff accesses that still hold."""
    _hooks["accesses_holding"] = holding


def _hook(name: str) -> Callable:
    try:
        return _hooks[name]
    except KeyError:
        raise LookupError(
            f"liveness: no app handed over {name!r} (on_beat, on_access_sweep)"
        ) from None


_members: "weakref.WeakSet" = weakref.WeakSet()
_tasks: dict[int, asyncio.Task] = {}
_watches: dict[int, asyncio.Task] = {}

LAYER_CHECK_SECONDS = 2.0
IDLE_MEALS_SECONDS = 60.0


def heartbeat_seconds() -> float:
    return settings.RESTAURANT["HEARTBEAT_SECONDS"]


def register(consumer) -> None:
    """Track a connected consumer (it has `channel_layer`, `channel_name`, `groups_joined`)."""
    _members.add(consumer)
    if heartbeat_seconds() <= 0:
        return
    loop = asyncio.get_running_loop()
    task = _tasks.get(id(loop))
    if task is None or task.done():
        _tasks[id(loop)] = loop.create_task(_upkeep(), name="restaurant-liveness")
    watch = _watches.get(id(loop))
    if hasattr(consumer.channel_layer, "forgot") and (watch is None or watch.done()):
        _watches[id(loop)] = loop.create_task(
            _watch_layer(consumer.channel_layer), name="restaurant-layer-watch"
        )


def unregister(consumer) -> None:
    _members.discard(consumer)


def _group_refresh_seconds(layer) -> float:
    expiry = getattr(layer, "group_expiry", None)
    return expiry / 3 if expiry else float("inf")


async def _upkeep() -> None:
    refreshed = time.monotonic()
    idle_checked = float("-inf")
    beating_since: float | None = None  # since when every beat of this process succeeded
    while True:
        try:
            members = list(_members)
            # Another process is judged dead only once this one has beaten without a break
            # for as long as it takes to be judged dead: after a database outage, every
            # process's last beat is old, and the first to come back must not reap the rest.
            started = time.monotonic()
            steady = beating_since is not None and (
                started - beating_since >= 3 * heartbeat_seconds()
            )
            await database_sync_to_async(_hook("beat"))(
                server_id=SERVER_ID,
                live_channels={c.channel_name for c in members},
                seen_before=timezone.now(),
                reap_others=steady,
                max_gap=2 * heartbeat_seconds(),
            )
            finished = time.monotonic()
            if beating_since is None or finished - started > heartbeat_seconds():
                beating_since = finished  # this beat waited out (part of) an outage
            if _hook("was_reaped")(SERVER_ID):
                await resync_all("another process took this one for dead and reaped its sockets")
            hub = running_hub()
            if hub is not None and time.monotonic() - refreshed > _group_refresh_seconds(hub.layer):
                refreshed = time.monotonic()
                await hub.refresh()
            await access_sweep()
            if time.monotonic() - idle_checked >= IDLE_MEALS_SECONDS:
                idle_checked = time.monotonic()
                await database_sync_to_async(_hook("end_idle"))()
        except asyncio.CancelledError:
            raise
        except Exception:
            beating_since = None
            logger.exception("liveness upkeep failed; retrying")
        await asyncio.sleep(heartbeat_seconds())


async def resync_all(why: str) -> int:
    """Close every socket of the process with 4503: its group memberships or presence rows
    are gone (Redis came back empty; the process was reaped), so each page reconnects,
    joins again, resyncs from its snapshot and resends what was unanswered."""
    members = list(_members)
    logger.warning("%s: closing %d socket(s) with 4503 to resync", why, len(members))
    hub = running_hub()
    if hub is not None:
        hub.forget_memberships()
    for consumer in members:
        unregister(consumer)
        await consumer.close_from_outside(consumers.CLOSE_TRY_AGAIN)  # one failing: the rest
    return len(members)


async def access_sweep() -> int:
    """Close the process's sockets whose access no longer holds; returns how many. A socket
    takes part by having `access` (a `StaffAccess`, None once lost) and `lose_access()`."""
    members = [c for c in list(_members) if getattr(c, "access", None) is not None]
    if not members:
        return 0
    holding = await db(_hook("accesses_holding"))([c.access for c in members])
    lost = [c for c in members if c.access is not None and c.access not in holding]
    for consumer in lost:
        await consumer.lose_access()
    return len(lost)


async def _watch_layer(layer) -> None:
    ttl = int(max(60, 10 * LAYER_CHECK_SECONDS))
    while True:
        try:
            if await layer.forgot(SERVER_ID, ttl):
                await resync_all("Redis came back without this process's group memberships")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis down: the sockets' own receive loops notice
            logger.debug("layer watch: %s", exc)
        await asyncio.sleep(LAYER_CHECK_SECONDS)
