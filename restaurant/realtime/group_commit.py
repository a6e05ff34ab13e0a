"""Group commit: ops that queue while the database threads are busy commit together.

At a dinner rush a worker's ops arrive faster than one transaction each can commit: every op
paid its own thread hop, BEGIN, COMMIT (PostgreSQL's WAL flush) and a connection taken from
the pool and checked. Here a process keeps one queue per event loop, in shards by meal; a
database thread takes every op waiting in a shard (up to `MAX_BATCH`) and applies them in one
transaction, so the hop, BEGIN and COMMIT are paid once per batch. When ops do not queue, a
batch is one op: nothing waits for a batch to fill.

Each op is still acknowledged only after its commit (its future is resolved after the batch
commits), and its events go out on that commit, in the order the ops were applied. What the
batch guarantees:

- **All or nothing, then one by one.** An op that fails inside a batch (an `OpError`, a
  resend's unique violation, a deadlock, a lost connection) rolls the whole batch back, events
  included; then every op of it runs again alone, in its own transaction, exactly as it would
  have without batching. So no op is applied twice, none is lost, and each gets the reply it
  would have got alone. Failures are rare at a rush (a stale line id, a resend), so the batch
  rarely pays twice.
- **No lock circles.** A batch takes its ops' meal locks in meal id order (the `order` key the
  caller gives: the socket's meal), the order every move, join and split takes them in
  (restaurant/floor/moves.py). A key gone stale (a meal joined into another while its op
  waited) could cross a move's locks; a batch waits at most BATCH_LOCK_TIMEOUT for a lock, so
  it is the batch that gives up (and falls back to one by one), never the staff's move.
- **Connections.** A batch takes one connection from the pool (checked on the way out) and
  gives it back after its commit: one checkout per batch instead of one per op, and an idle
  database thread holds none.
- **Fair turns.** A thread applies one batch, then queues behind whatever else waits for the
  database threads (connects, snapshots, rounds), however long the rush.
- **Loud overload.** An op that waited longer than OP_QUEUE_SECONDS is refused `busy` (not
  applied), counted and logged, unless it was applied already (a resend: its first ack).

Only PostgreSQL batches (DB_THREADS > 1): SQLite takes one writer at a time and runs every op
on asgiref's one database thread (restaurant/realtime/db.py), where this would be a second
writer.
"""

import asyncio
import contextlib
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction

from restaurant.realtime import metrics
from restaurant.realtime.db import db, executor
from restaurant.realtime.errors import OpError

logger = logging.getLogger(__name__)

# A bound on one transaction's size: its locks are held until the last op of it is applied.
MAX_BATCH = 32
LOG_EVERY = 10.0  # seconds between warnings of an overload
BATCH_LOCK_TIMEOUT_MS = 300  # well below PostgreSQL's default deadlock_timeout (1 s)


class _Item:
    __slots__ = ("function", "future", "kwargs", "order", "prior", "queued_at")

    def __init__(
        self, order: int, function: Callable, kwargs: dict, future: asyncio.Future,
        prior: Callable | None = None,
    ) -> None:  # fmt: skip
        self.order = order
        self.function = function
        self.kwargs = kwargs
        self.future = future
        self.prior = prior
        self.queued_at = time.monotonic()


class _Queue:
    """One event loop's ops waiting for the database threads, in DB_THREADS shards by meal
    (the ``order`` key). One thread at a time drains a shard, so two batches in flight never
    wait for each other's meal locks: with one queue, a rush's batches held rows of the same
    tables and ran one after another, however many threads there were."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        size = max(1, settings.DB_THREADS)
        self.shards: list[deque[_Item]] = [deque() for _ in range(size)]
        self.busy = [False] * size
        self.lock = threading.Lock()

    @property
    def draining(self) -> int:
        """How many shards a thread is draining now."""
        return sum(self.busy)

    def put(self, item: _Item) -> None:  # in the loop
        shard = item.order % len(self.shards)
        with self.lock:
            self.shards[shard].append(item)
            start, self.busy[shard] = not self.busy[shard], True
        if start:
            executor().submit(self._drain, shard)

    def _take(self, shard: int) -> list[_Item]:
        with self.lock:
            waiting = self.shards[shard]
            batch = [waiting.popleft() for _ in range(min(MAX_BATCH, len(waiting)))]
            if not batch:
                self.busy[shard] = False
            metrics.OPS_QUEUED.set(sum(len(q) for q in self.shards))
            return batch

    def _drain(self, shard: int) -> None:  # in a database thread
        """One batch, then back in line: a thread that went on draining while ops keep
        coming would starve the other work queued for the database threads (connects,
        snapshots, rounds) for as long as the rush lasts."""
        taken = self._take(shard)
        if not taken:
            return  # this drainer ends (`_take` counted it out)
        # What broadcast.py reads to hand events to this loop, as asgiref sets it for its calls.
        local = SyncToAsync.threadlocal
        local.main_event_loop, local.main_event_loop_pid = self.loop, os.getpid()
        try:
            batch, results = _shed(taken)
            if batch:
                results += _apply(batch)
        except Exception as exc:  # a bug here must not leave its callers waiting for ever
            logger.exception("group commit failed")
            results = [(item, False, exc) for item in taken]
        finally:
            local.main_event_loop = None
            # Back to the pool after each batch: the next turn may run on another thread,
            # and an idle thread must hold nothing (with DB_THREADS equal to DB_POOL_MAX,
            # idle threads would hold the whole pool). A batch pays one checkout, not each op.
            connection.close()
        with contextlib.suppress(RuntimeError):  # the loop closed: the server is stopping
            self.loop.call_soon_threadsafe(_resolve, results)
        with contextlib.suppress(RuntimeError):  # the executor shut down: likewise
            executor().submit(self._drain, shard)  # what queued meanwhile, or its end


def _shed(batch: list[_Item]) -> tuple[list[_Item], list[tuple[_Item, bool, Any]]]:
    """Past what the database threads can apply, ops queue, and every op then waits longer
    than the last: refuse (`busy`, nothing applied: the client may send it again) those that
    waited longer than OP_QUEUE_SECONDS, rather than apply them seconds late while the queue
    grows without end. Loudly: counted, and logged at most every LOG_EVERY seconds."""
    limit = settings.RESTAURANT["OP_QUEUE_SECONDS"]
    now = time.monotonic()
    late = [item for item in batch if now - item.queued_at > limit]
    if not late:
        return batch, []
    metrics.OPS_SHED.inc(len(late))
    global _logged_at
    if now - _logged_at > LOG_EVERY:
        _logged_at = now
        oldest = max(now - item.queued_at for item in late)
        logger.warning(
            "overloaded: %d op(s) waited more than %.1f s for a database thread (the oldest"
            " %.1f s) and were refused with `busy`; %d more wait",
            len(late), limit, oldest, metrics.OPS_QUEUED._value.get(),
        )  # fmt: skip
    return [i for i in batch if i not in late], [_refuse(item) for item in late]


def _refuse(item: _Item) -> tuple[_Item, bool, Any]:
    """`busy` for a late op, unless it was applied already: a resend whose first ack was lost
    gets that ack again (``item.prior``), never "nothing was applied" (a diner told so would
    add the dish a second time)."""
    if item.prior is not None:
        try:
            with transaction.atomic():
                value = item.prior(**item.kwargs)
        except Exception:  # no answer about it: busy, and its resend will be judged again
            logger.exception("looking up a late op failed")
            _drop_if_broken()
            value = None
        if value is not None:
            return item, True, value
    busy = OpError("busy", "the server is overloaded: nothing was applied; try again shortly")
    return item, False, busy


_logged_at = -LOG_EVERY


def _apply(batch: list[_Item]) -> list[tuple[_Item, bool, Any]]:
    """Apply a batch: in one transaction, or when anything in it fails, one by one."""
    batch.sort(key=lambda item: item.order)  # stable: a meal's ops keep their order
    if len(batch) > 1:
        _batch.active = True
        try:
            with transaction.atomic():
                _bound_lock_waits()
                values = [item.function(**item.kwargs) for item in batch]
        except Exception:  # every op runs again alone and gets its own outcome
            metrics.GROUP_COMMITS.labels("fell_back").inc()
            _drop_if_broken()
        else:
            metrics.GROUP_COMMITS.labels("committed").inc()
            metrics.GROUP_COMMIT_OPS.inc(len(batch))
            return [(item, True, value) for item, value in zip(batch, values, strict=True)]
        finally:
            _batch.active = False
    return [_alone(item) for item in batch]


def _alone(item: _Item) -> tuple[_Item, bool, Any]:
    """One op in its own transaction. A connection error or a deadlock is tried once more:
    its transaction rolled back whole, and a kept connection may have died since the last
    batch (a database restart) where a connection from the pool would have been checked."""
    for attempt in (1, 2):
        try:
            return item, True, item.function(**item.kwargs)
        except (OperationalError, InterfaceError) as exc:
            _drop_if_broken()
            if attempt == 2:
                return item, False, exc
        except Exception as exc:  # the op's own caller handles it
            _drop_if_broken()
            return item, False, exc
    raise AssertionError("unreachable")


def _bound_lock_waits() -> None:
    """A batch that waits for a lock longer than BATCH_LOCK_TIMEOUT gives up (and its ops run
    alone). Its order key can be stale (a meal joined into another while the op queued), and
    then its locks cross a move's: PostgreSQL breaks such a circle after deadlock_timeout (1 s
    by default) by failing whichever side it checks first, which could be the staff's move.
    Giving up sooner, the batch is always the side that yields."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{BATCH_LOCK_TIMEOUT_MS}ms'")


_batch = threading.local()


def in_batch() -> bool:
    """Whether this thread is applying a batch: an op then needs no savepoint of its own
    (`transaction.atomic(savepoint=not in_batch())`): if it fails, the whole batch rolls
    back and runs again one by one. Elsewhere (a test's transaction, a caller's) it keeps
    its savepoint, and its failure undoes only its own work."""
    return getattr(_batch, "active", False)


def _drop_if_broken() -> None:
    """A connection that failed goes (back to the pool, which checks it before reuse)."""
    if connection.errors_occurred and not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def _resolve(outcomes: list[tuple[_Item, bool, Any]]) -> None:  # in the loop
    for item, ok, value in outcomes:
        if item.future.done():  # its socket went away and cancelled the wait
            continue
        if ok:
            item.future.set_result(value)
        else:
            item.future.set_exception(value)


_queues: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue]" = (
    weakref.WeakKeyDictionary()
)


async def grouped(
    function: Callable, *, order: int, prior: Callable | None = None, **kwargs
) -> Any:
    """``function(**kwargs)`` applied in a database thread, in one transaction with whatever
    other grouped calls queue beside it; returns its result, or raises its exception, after
    its transaction committed (or rolled back).

    ``function`` must be a complete op: it opens its own ``transaction.atomic()`` (nested in
    a batch: a savepoint-free block, see `diner_op_apply`), locks what it changes, and raises
    on failure. ``order`` is the lock order key: the id of the meal whose row it locks first.
    ``prior(**kwargs)``, if given, answers an op that waited too long to be applied (see
    `_shed`) when it was applied already: the result it was acknowledged with, or None.
    Where the database does not batch (SQLite), it is `db(function)(**kwargs)`."""
    if settings.DB_THREADS <= 1:
        return await db(function)(**kwargs)
    loop = asyncio.get_running_loop()
    queue = _queues.get(loop)
    if queue is None:
        queue = _queues[loop] = _Queue(loop)
    future = loop.create_future()
    queue.put(_Item(order, function, kwargs, future, prior))
    return await future
