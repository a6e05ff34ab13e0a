"""Where the sockets' database work runs.

Channels' `database_sync_to_async` runs all of a process's ORM work in one thread. On
PostgreSQL that thread spent half its time waiting for round trips (the profile in
docs/performance.md), while other tables' ops queued behind it. There, ops run in a pool of
DB_THREADS threads instead: different tables overlap their round trips; ops of one table
still take turns on the session row lock, and broadcasts keep commit order per event loop
(broadcast.py; a rare out-of-order pair is repaired by the clients' seq-gap resync).
Connections come from the bounded psycopg pool and belong to these threads, never to
sockets: a process uses at most DB_THREADS of them for its sockets, however many are open.
On SQLite (one writer at a time anyway) it stays one thread.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from channels.db import DatabaseSyncToAsync, database_sync_to_async
from django.conf import settings

_executor: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    """The DB_THREADS threads (PostgreSQL only; also group_commit.py's)."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(settings.DB_THREADS, thread_name_prefix="restaurant-db")
    return _executor


def db(function: Callable) -> Callable:
    """`function` made awaitable, run where database work runs."""
    if settings.DB_THREADS <= 1:
        return database_sync_to_async(function)
    return DatabaseSyncToAsync(function, thread_sensitive=False, executor=executor())


def close_connections() -> None:
    """Have every thread of the pool close its database connection (a test run's end, before
    its database is dropped). Each thread takes one task: they wait for each other."""
    if _executor is None:
        return
    import threading

    from django.db import connections

    size = _executor._max_workers
    barrier = threading.Barrier(size)

    def close() -> None:
        barrier.wait(timeout=10)
        connections.close_all()

    for future in [_executor.submit(close) for _ in range(size)]:
        future.result(timeout=15)
