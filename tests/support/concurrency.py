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
