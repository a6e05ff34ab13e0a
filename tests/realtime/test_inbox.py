"""A socket's inbox (restaurant/realtime/inbox.py) keeps `asyncio.Queue`'s promises to its
one reader: order, the bound, and no message lost between a put and a waiting get."""

import asyncio

import pytest

from restaurant.realtime.inbox import Inbox

pytestmark = pytest.mark.asyncio


async def test_a_waiting_reader_gets_the_message_and_order_is_kept():
    inbox = Inbox(10)
    reader = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)  # the reader waits
    inbox.put_nowait(1)
    inbox.put_nowait(2)  # before the reader ran again: queued behind the first
    inbox.put_nowait(3)
    assert await reader == 1
    assert [await inbox.get(), await inbox.get()] == [2, 3]
    assert inbox.qsize() == 0 and inbox.waiting is None  # nothing kept while idle


async def test_past_its_limit_it_refuses_as_a_bounded_queue_does():
    inbox = Inbox(2)
    inbox.put_nowait("a")
    inbox.put_nowait("b")
    with pytest.raises(asyncio.QueueFull):
        inbox.put_nowait("c")
    assert [await inbox.get(), await inbox.get()] == ["a", "b"]


async def test_a_cancelled_reader_loses_nothing_put_afterwards():
    inbox = Inbox(5)
    reader = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    inbox.put_nowait("kept")
    assert await inbox.get() == "kept"
