"""A socket's messages are handled in the event loop without a hop to asgiref's shared thread
(Channels' `dispatch` closes old database connections there before every message; our
sockets' database work runs in threads that look after their own connections)."""

import channels.consumer
import pytest

from tests.dining.sockets import DinerSocket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_ops_and_events_make_no_hop_to_close_connections(menu, monkeypatch):
    ann = await DinerSocket.join(menu.table.token)
    bo = await DinerSocket.join(menu.table.token)
    hops = []

    async def counted():
        hops.append(1)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    await ann.send({"type": "cart.add", "dish_id": menu.rice.pk, "qty": 1, "options": []})
    ack, _ = await ann.recv_until("ack")
    event, _ = await bo.recv_until("cart.line")
    assert event["seq"] == ack["seq"]
    assert hops == []
    await ann.communicator.disconnect()
    await bo.communicator.disconnect()
