"""Run calls at once in threads, each on its own database connection. PostgreSQL runs them
concurrently. SQLite takes one writer at a time anyway, and the tests' in-memory database
(shared cache) refuses a second one at once ("database table is locked") instead of waiting:
there the calls take turns."""

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, connections


def at_once(*calls: Callable, timeout: float = 30) -> list:
    """Start every call together (a barrier), wait for all; returns their results in order,
    or raises the first exception."""
    start = threading.Barrier(len(calls))
    turns = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def run(call: Callable):
        try:
            start.wait(timeout)
            with turns:
                return call()
        finally:
            connections.close_all()  # the thread's own connection (back to the pool)

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout) for future in futures]


class Meeting:
    """A point that concurrent calls reach together, when they can: a barrier that gives up
    after ``timeout`` (a call held back by a lock never comes) and lets everyone on."""

    def __init__(self, parties: int, timeout: float = 1.0) -> None:
        self.barrier = threading.Barrier(parties)
        self.timeout = timeout

    def wait(self) -> bool:
        """True if all met; False when one did not come in time (or the meeting broke)."""
        try:
            self.barrier.wait(self.timeout)
            return True
        except threading.BrokenBarrierError:
            return False


def held_then(first: Callable, second: Callable, hold_at: Callable, timeout: float = 20) -> list:
    """``first`` runs until the point ``hold_at`` wires (``hold_at(hold)`` makes the code under
    test call ``hold()`` there, e.g. right after it took its row locks) and waits there until
    ``second`` is blocked on those locks (PostgreSQL says so in pg_stat_activity); then both
    finish. Returns their results in order, an exception as a result. On SQLite, which takes
    one writer at a time, ``first`` runs whole, then ``second``: the outcome a race must
    come to all the same."""
    results: dict[str, object] = {}
    held, go = threading.Event(), threading.Event()
    sqlite = connection.vendor == "sqlite"

    def hold() -> None:
        if threading.current_thread().name == "first" and not sqlite:
            held.set()
            go.wait(timeout)

    hold_at(hold)

    def run(name: str, call: Callable) -> None:
        try:
            results[name] = call()
        except BaseException as exc:  # the race's outcome, whatever it is
            results[name] = exc
        finally:
            connections.close_all()

    one = threading.Thread(target=run, args=("first", first), name="first")
    one.start()
    if sqlite:
        one.join(timeout)
    else:
        assert held.wait(timeout), "the first call never reached its hold point"
    two = threading.Thread(target=run, args=("second", second), name="second")
    two.start()
    if not sqlite:
        _until_blocked(timeout)
        go.set()
    one.join(timeout)
    two.join(timeout)
    return [results.get("first"), results.get("second")]


def _until_blocked(timeout: float) -> None:
    """Until some session of this database waits for a lock (the second call, on the first's
    rows), or ``timeout``: a second call that needs none of them never waits, and passes."""
    import time

    deadline = time.monotonic() + timeout
    probe = connections.create_connection("default")
    try:
        while time.monotonic() < deadline:
            with probe.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0]:
                    return
            threading.Event().wait(0.02)
    finally:
        probe.close()
