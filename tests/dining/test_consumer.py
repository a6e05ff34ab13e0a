"""The diner socket on the real routing (Origin check, session cookie, URL router)."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from restaurant.dining.models import CartLine, DiningSession
from restaurant.dining.services import session_close
from restaurant.menu.services import dish_set_sold_out
from tests.dining.sockets import ORIGIN, DinerSocket, table_page_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def two_diners(menu):
    a = await DinerSocket.join(menu.table.token)
    b = await DinerSocket.join(menu.table.token)
    # a hears b arrive and come online
    await a.recv_until("diner")
    await a.recv_until("presence")
    return a, b


async def test_snapshot_first(menu):
    a = await DinerSocket.join(menu.table.token)
    snap = a.snapshot
    assert set(snap) >= {"seq", "restaurant", "table", "session", "me", "diners", "cart",
                         "orders", "menu_version"}  # fmt: skip
    assert snap["restaurant"]["currency"] == "CNY"
    assert snap["table"] == {"number": 1, "label": "1号桌"}
    assert snap["session"]["status"] == "open"
    assert snap["diners"] == [
        {"diner_id": a.diner_id, "name": "Guest 1", "color": snap["diners"][0]["color"],
         "online": True}
    ]  # fmt: skip
    await a.close()


async def test_ops_reach_the_table_and_not_the_next_one(menu):
    a, b = await two_diners(menu)
    elsewhere = await DinerSocket.join(menu.other_table.token)
    op_id = await a.send({"type": "cart.add", "dish_id": menu.rice.pk, "qty": 2})
    reply, events = await a.reply(op_id)
    assert reply["type"] == "ack"
    event = events[0] if events else (await a.recv_until("cart.line"))[0]
    assert event["type"] == "cart.line" and event["seq"] == reply["seq"]
    assert event["by"] == a.diner_id
    assert event["line"]["qty"] == 2 and event["line"]["price"] == 300
    seen, _ = await b.recv_until("cart.line")
    assert seen == event
    assert await elsewhere.silent()
    for s in (a, b, elsewhere):
        await s.close()


async def test_resent_op_is_acked_once_applied_once(menu):
    a, b = await two_diners(menu)
    message = {"type": "cart.add", "id": "retry-1", "dish_id": menu.rice.pk}
    first = await a.op(dict(message))
    await b.recv_until("cart.line")
    again = await a.op(dict(message, qty=5))
    assert again == first
    assert await b.silent()
    assert await database_sync_to_async(CartLine.objects.get)() is not None
    await a.close()
    await b.close()


BAD_INPUT = [
    (None, b"\x00\x01", None, "bad_request"),
    ("not json", None, None, "bad_request"),
    ("[1, 2]", None, None, "bad_request"),
    ('{"type": "cart.add", "dish_id": 1}', None, None, "bad_request"),
    ('{"type": "cart.add", "id": 7, "dish_id": 1}', None, None, "bad_request"),
    ('{"type": "cart.explode", "id": "u1"}', None, "u1", "unknown_type"),
    ('{"type": "cart.add", "id": "n1", "dish_id": 1, "qty": -1}', None, "n1", "bad_request"),
    ('{"type": "cart.add", "id": "p1", "dish_id": 1, "price": 1}', None, "p1", "bad_request"),
    ('{"type": "cart.add", "id": "m1"}', None, "m1", "bad_request"),
    ('{"type": "cart.set_qty", "id": "q1", "line_id": 1, "qty": 100}', None, "q1", "bad_request"),
    ('{"type": "diner.rename", "id": "r1", "name": ""}', None, "r1", "bad_request"),
]


@pytest.mark.parametrize("text, data, op_id, code", BAD_INPUT)
async def test_bad_input_is_an_error_that_changes_nothing(menu, text, data, op_id, code):
    a, b = await two_diners(menu)
    seq_before = (await database_sync_to_async(DiningSession.objects.get)()).seq
    await a.send_raw(text, data)
    reply = await a.recv()
    assert reply["type"] == "error" and reply["id"] == op_id and reply["code"] == code
    assert reply["message"]
    assert await b.silent()
    assert (await database_sync_to_async(DiningSession.objects.get)()).seq == seq_before
    # the socket stays open and usable
    assert (await a.op({"type": "sync"}))["type"] == "ack"
    await a.close()
    await b.close()


async def test_oversized_frame_closes_with_1009(menu):
    a = await DinerSocket.join(menu.table.token)
    await a.send_raw(json.dumps({"type": "sync", "id": "x", "pad": "x" * 17000}))
    assert await a.communicator.receive_output(3) == {"type": "websocket.close", "code": 1009}


async def test_burst_passes_flood_is_limited_then_closed(menu):
    a = await DinerSocket.join(menu.table.token)
    for _ in range(20):
        await a.send({"type": "diner.rename", "name": "Burst"})
    replies = [await a.recv() for _ in range(20)]
    replies = [r for r in replies if r["type"] in ("ack", "error")]
    assert all(r["type"] == "ack" for r in replies)
    # The flood: messages that need no database, so only the limiter decides what happens.
    for i in range(400):
        await a.send({"type": "nope", "id": f"flood-{i}"})
    codes = []
    while True:
        output = await a.communicator.receive_output(10)
        if output["type"] == "websocket.close":
            assert output["code"] == 4429
            break
        message = json.loads(output["text"])
        if message["type"] == "error":
            codes.append((message["code"], message["id"]))
    limited = [op_id for code, op_id in codes if code == "rate_limited"]
    assert limited and limited[0].startswith("flood-")
    # each message got its own reply: judged (unknown_type) while tokens last, else limited
    assert {code for code, _ in codes} <= {"unknown_type", "rate_limited"}
    assert len({op_id for _, op_id in codes}) == len(codes)


async def test_a_flooding_socket_leaves_the_rest_of_the_table_alone(menu):
    flooder, neighbour = await two_diners(menu)
    for i in range(400):  # closed with 4429 on the way
        await flooder.send({"type": "nope", "id": f"flood-{i}"})
    # the other diner at the table is served as usual, and hears its own change
    reply, _ = await neighbour.reply(await neighbour.send(
        {"type": "cart.add", "dish_id": menu.rice.pk, "qty": 1}))  # fmt: skip
    assert reply["type"] == "ack", reply
    event, _ = await neighbour.recv_until("cart.line")
    assert event["seq"] == reply["seq"]
    await neighbour.close()


async def test_sync_sends_snapshot_then_ack(menu):
    a = await DinerSocket.join(menu.table.token)
    op_id = await a.send({"type": "sync"})
    snapshot = await a.recv()
    ack = await a.recv()
    assert snapshot["type"] == "snapshot"
    assert ack == {"type": "ack", "id": op_id, "seq": snapshot["seq"]}
    await a.close()


async def test_same_browser_reconnects_as_the_same_diner(menu):
    a = await DinerSocket.join(menu.table.token)
    await a.close()
    again = await DinerSocket.join(menu.table.token, cookie=a.cookie)
    assert again.diner_id == a.diner_id
    await again.close()


async def test_presence_follows_sockets(menu):
    a, b = await two_diners(menu)
    await b.close()
    presence, _ = await a.recv_until("presence")
    assert presence["online"] == [a.diner_id]
    assert "seq" not in presence
    await a.close()


async def test_sold_out_reaches_every_table(menu):
    a = await DinerSocket.join(menu.table.token)
    other = await DinerSocket.join(menu.other_table.token)
    await database_sync_to_async(dish_set_sold_out)(
        restaurant=menu.restaurant, dish_id=menu.rice.pk, sold_out=True
    )
    for s in (a, other):
        event, _ = await s.recv_until("menu.dish")
        assert isinstance(event.pop("version"), int)  # the menu version it brings pages to
        assert event == {"type": "menu.dish", "dish_id": menu.rice.pk, "sold_out": True,
                         "price": 300}  # fmt: skip
    reply = await a.op({"type": "cart.add", "dish_id": menu.rice.pk})
    assert reply["code"] == "sold_out" and reply["dish_ids"] == [menu.rice.pk]
    await a.close()
    await other.close()


async def test_close_sends_session_closed_then_4000(menu):
    a = await DinerSocket.join(menu.table.token)
    await database_sync_to_async(session_close)(table=menu.table)
    event, _ = await a.recv_until("session.closed")
    assert event["seq"] == a.snapshot["seq"] + 1
    assert await a.communicator.receive_output(3) == {"type": "websocket.close", "code": 4000}


async def test_double_submit_race_makes_one_order(menu):
    a, b = await two_diners(menu)
    await a.op({"type": "cart.add", "dish_id": menu.rice.pk})
    line_event, _ = await b.recv_until("cart.line")
    seq = line_event["seq"]
    ids = await asyncio.gather(
        a.send({"type": "order.submit", "seq": seq}), b.send({"type": "order.submit", "seq": seq})
    )
    replies = [(await s.reply(i))[0] for s, i in zip((a, b), ids, strict=True)]
    assert sorted(r["type"] for r in replies) == ["ack", "error"]
    assert next(r for r in replies if r["type"] == "error")["code"] == "stale"
    await a.close()
    await b.close()


class TestHandshake:
    async def refused(self, path, headers):
        from channels.testing import WebsocketCommunicator

        from config.asgi import application

        communicator = WebsocketCommunicator(application, path, headers)
        connected, _ = await communicator.connect()
        assert not connected

    async def test_unknown_token(self, menu):
        await self.refused("/ws/table/" + "x" * 24 + "/", [ORIGIN])

    @pytest.mark.parametrize(
        "origin", [None, b"null", b"http://evil.example", b"http://127.0.0.1.evil.example"]
    )
    async def test_bad_origin(self, menu, origin):
        cookie = await table_page_cookie(menu.table.token)
        headers = [(b"cookie", f"sessionid={cookie}".encode())]
        if origin is not None:
            headers.append((b"origin", origin))
        await self.refused(f"/ws/table/{menu.table.token}/", headers)

    async def test_no_diner_cookie(self, menu):
        await table_page_cookie(menu.table.token)  # the table is open, but not for this socket
        await self.refused(f"/ws/table/{menu.table.token}/", [ORIGIN])

    async def test_diner_of_another_table(self, menu):
        cookie = await table_page_cookie(menu.other_table.token)
        headers = [ORIGIN, (b"cookie", f"sessionid={cookie}".encode())]
        await self.refused(f"/ws/table/{menu.table.token}/", headers)


async def test_ops_are_counted(menu):
    from restaurant.realtime.metrics import OPS

    def count(result):
        return OPS.labels("diner", "cart.add", result)._value.get()

    before = (count("ack"), count("sold_out"))
    a = await DinerSocket.join(menu.table.token)
    await a.op({"type": "cart.add", "dish_id": menu.rice.pk})
    await a.op({"type": "cart.add", "dish_id": menu.pork.pk})
    assert (count("ack"), count("sold_out")) == (before[0] + 1, before[1] + 1)
    await a.close()


async def test_a_consumer_cancelled_by_the_server_leaves_its_groups_and_row(menu):
    """daphne cancels an application that outlives its socket by its close timeout (a connect
    stuck behind a busy database): its `disconnect` never runs, yet it must leave its groups
    (the process's hub, its only socket gone, leaves the layer's) and its connection row must
    go, or group sends keep feeding a dead channel for a day."""
    from restaurant.dining.models import Connection
    from restaurant.realtime import groups
    from restaurant.realtime.hub import hub_channel_of
    from tests.support.layers import group_members

    socket = await DinerSocket.join(menu.table.token)
    group = groups.table_group(menu.table.pk)
    [channel] = await database_sync_to_async(
        lambda: list(Connection.objects.values_list("channel_name", flat=True))
    )()
    hub = hub_channel_of(channel)
    assert await group_members(group) == {hub}
    socket.communicator.future.cancel()  # as the server does: no websocket.disconnect first
    for _ in range(100):
        await asyncio.sleep(0.05)
        rows = await database_sync_to_async(Connection.objects.count)()
        if hub not in await group_members(group) and rows == 0:
            break
    assert hub not in await group_members(group), "still a member of its table's group"
    assert hub not in await group_members(groups.menu_group(menu.restaurant.pk))
    assert await database_sync_to_async(Connection.objects.count)() == 0


async def test_one_hub_membership_for_the_sockets_of_a_process(menu):
    """Two diners' sockets in one process: the table's layer group holds the process's hub
    once, events still reach both, and it stays until the last socket leaves."""
    from restaurant.realtime import groups
    from restaurant.realtime.hub import running_hub
    from tests.support.layers import group_members

    a, b = await two_diners(menu)
    hub = running_hub()
    group = groups.table_group(menu.table.pk)
    assert await group_members(group) == {hub.channel}
    assert len(hub.members[group]) == 2
    await a.op({"type": "cart.add", "dish_id": menu.rice.pk})
    await b.recv_until("cart.line")
    await a.close()
    for _ in range(100):
        if len(hub.members[group]) == 1:
            break
        await asyncio.sleep(0.02)
    assert await group_members(group) == {hub.channel}, "b is still at the table"
    await b.close()
    for _ in range(100):
        if not await group_members(group):
            break
        await asyncio.sleep(0.02)
    assert not await group_members(group)


async def test_a_socket_that_misses_group_messages_is_told_to_resync(menu, monkeypatch):
    """Its inbox full (its consumer busy), a socket would silently miss events: it is closed
    with 4503 instead, and the page reconnects and resyncs."""
    from restaurant.realtime import consumers, groups
    from restaurant.realtime.hub import running_hub

    monkeypatch.setattr(consumers, "INBOX_SIZE", 2)
    socket = await DinerSocket.join(menu.table.token)
    [consumer] = running_hub().members[groups.table_group(menu.table.pk)]
    for n in range(3):  # no await in between: nothing drains the inbox
        consumer.deliver({"type": "table.event", "text": json.dumps({"type": "noop", "n": n})})
    while True:
        output = await socket.communicator.receive_output(5)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == consumers.CLOSE_TRY_AGAIN
