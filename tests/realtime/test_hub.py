"""The process's hub: one layer membership per group for all its sockets, local delivery."""

import asyncio

import pytest
from channels.layers import InMemoryChannelLayer

from restaurant.realtime.hub import Hub, hub_channel_of

pytestmark = pytest.mark.asyncio


class Socket:
    def __init__(self) -> None:
        self.got: list[dict] = []

    def deliver(self, message: dict) -> None:
        self.got.append(message)


class SlowLayer(InMemoryChannelLayer):
    """Each membership change takes a moment, so that joins and leaves interleave."""

    async def group_add(self, group, channel):
        await asyncio.sleep(0.01)
        await super().group_add(group, channel)

    async def group_discard(self, group, channel):
        await asyncio.sleep(0.01)
        await super().group_discard(group, channel)


async def started(layer) -> Hub:
    hub = Hub(layer)
    await hub.start()
    return hub


async def test_one_membership_for_all_local_sockets():
    layer = InMemoryChannelLayer()
    hub = await started(layer)
    a, b = Socket(), Socket()
    await hub.join("table.1", a)
    await hub.join("table.1", b)
    assert set(layer.groups["table.1"]) == {hub.channel}
    await hub.leave("table.1", a)
    assert set(layer.groups["table.1"]) == {hub.channel}, "b is still here"
    await hub.leave("table.1", b)
    assert not layer.groups.get("table.1"), "the last one out takes the hub out"
    assert hub_channel_of(hub.socket_name()) == hub.channel


async def test_a_join_racing_the_last_leave_keeps_the_membership():
    layer = SlowLayer()
    hub = await started(layer)
    a, b = Socket(), Socket()
    await hub.join("table.1", a)
    await asyncio.gather(hub.leave("table.1", a), hub.join("table.1", b))
    assert set(layer.groups.get("table.1", {})) == {hub.channel}
    await hub.publish("table.1", {"type": "table.event", "text": "{}"})
    assert len(b.got) == 1


async def test_own_events_go_local_at_once_and_others_come_through_the_layer():
    layer = InMemoryChannelLayer()
    here, there = await started(layer), await started(layer)  # two processes, one layer
    mine, theirs = Socket(), Socket()
    await here.join("table.1", mine)
    await there.join("table.1", theirs)
    await here.publish("table.1", {"type": "table.event", "text": "1"})
    assert [m["text"] for m in mine.got] == ["1"], "delivered before any layer round trip"
    # A process without sockets (a uwsgi view) sends to every hub through the layer.
    await layer.group_send("table.1", {"type": "table.event", "text": "2", "group": "table.1"})
    for _ in range(100):
        if len(mine.got) == 2 and len(theirs.got) == 2:
            break
        await asyncio.sleep(0.01)
    assert [m["text"] for m in mine.got] == ["1", "2"], "its own copy came back and was dropped"
    assert [m["text"] for m in theirs.got] == ["1", "2"]


async def test_a_failed_join_joins_nothing_and_a_later_one_tries_again():
    class Flaky(InMemoryChannelLayer):
        fail = True

        async def group_add(self, group, channel):
            if self.fail:
                raise ConnectionError("redis is down")
            await super().group_add(group, channel)

    layer = Flaky()
    hub = await started(layer)
    socket = Socket()
    with pytest.raises(ConnectionError):
        await hub.join("table.1", socket)
    assert not hub.members.get("table.1")
    layer.fail = False
    await hub.join("table.1", socket)
    assert set(layer.groups["table.1"]) == {hub.channel}
