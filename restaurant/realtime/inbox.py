"""A socket's inbox of group messages: what `asyncio.Queue` does for one reader, in a tenth
of the memory.

Every socket has one, and a worker holds 10,000 idle sockets: an `asyncio.Queue` weighs 3.3
KiB empty (four deques), most of a socket's cost above the ASGI server's own (bench W3,
docs/performance.md). Here an idle inbox is a future its one reader waits on; a deque exists
only while messages wait for a busy consumer.
"""

import asyncio
from collections import deque


class Inbox:
    """`put_nowait` from the hub (in the event loop), `get` by the socket's one reader.
    Raises `asyncio.QueueFull` past ``limit`` waiting messages, as a bounded Queue does."""

    __slots__ = ("limit", "waiter", "waiting")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.waiting: deque | None = None
        self.waiter: asyncio.Future | None = None

    def put_nowait(self, message) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            self.waiter = None
            waiter.set_result(message)
            return
        if self.waiting is None:
            self.waiting = deque()
        elif len(self.waiting) >= self.limit:
            raise asyncio.QueueFull
        self.waiting.append(message)

    def qsize(self) -> int:
        return len(self.waiting) if self.waiting else 0

    async def get(self):
        if self.waiting:
            message = self.waiting.popleft()
            if not self.waiting:
                self.waiting = None  # an empty deque is 0.6 KiB: drop it
            return message
        self.waiter = asyncio.get_running_loop().create_future()
        try:
            return await self.waiter
        finally:
            self.waiter = None
