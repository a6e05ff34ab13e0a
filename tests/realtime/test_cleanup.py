"""No exception of any kind in a consumer leaves a trace: whatever ends a socket (a frame
that breaks the decoder, a failing database or layer call at any await, a server that
refuses a send, a bug in an event handler), its connection row, its presence at the table,
its hub membership and the open-sockets gauge are gone afterwards, and an unreadable message
gets `error` with `id: null` while the socket stays open."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

import restaurant.dining.consumers as diner_consumers
from config.asgi import application
from restaurant.dining.consumers import TableConsumer
from restaurant.dining.models import Connection
from restaurant.dining.services import presence_online
from restaurant.realtime import liveness, metrics
from restaurant.realtime.hub import Hub, running_hub
from tests.dining.sockets import ORIGIN, DinerSocket, table_page_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def sockets_open() -> float:
    return metrics.SOCKETS_OPEN.labels("diner")._value.get()


@database_sync_to_async
def connection_rows() -> int:
    return Connection.objects.count()


class Boom(RuntimeError):
    """The injected fault."""


def boom(*args, **kwargs):
    raise Boom("injected")


def live_consumers() -> set:
    """Diner consumers the process still holds: in the hub's groups or in liveness."""
    hub = running_hub()
    groups = hub.members.values() if hub else ()
    held = {m for group in groups for m in group} | set(liveness._members)
    return {m for m in held if isinstance(m, TableConsumer)}


async def assert_no_trace(
    gauge_before: float, held_before: set, watcher: DinerSocket | None = None
) -> None:
    """Only the watcher (when given) is left of this test's sockets: its row, its gauge
    count, its consumer (``held_before``: consumers other tests of this process left)."""
    left = 1 if watcher else 0
    assert await connection_rows() == left
    assert sockets_open() == gauge_before + left
    assert len(live_consumers() - held_before) == left
    if watcher is not None:  # the table sees only the watcher online
        session_id = watcher.snapshot["session"]["id"]
        assert await database_sync_to_async(presence_online)(session_id) == [watcher.diner_id]


async def test_a_frame_that_breaks_the_decoder_gets_an_error_and_the_socket_stays(menu):
    diner = await DinerSocket.join(menu.table.token)
    deep = "[" * 8000 + "]" * 8000  # 16,000 bytes: under the size limit
    await diner.send_raw(deep)
    error = await diner.recv()
    assert error["type"] == "error" and error["id"] is None and error["code"] == "bad_request"
    await diner.send_raw('{"type": "sync", "id": "deep", "x": ' + "[" * 5000 + "]" * 5000 + "}")
    error = await diner.recv()
    assert error["type"] == "error" and error["code"] == "bad_request"
    reply = await diner.op({"type": "sync"})  # still served
    assert reply["type"] == "ack"
    await diner.close()


async def test_a_handler_that_raises_answers_and_keeps_the_socket(menu, monkeypatch):
    diner = await DinerSocket.join(menu.table.token)
    monkeypatch.setattr(TableConsumer, "handle", lambda self, text: boom())
    op_id = await diner.send({"type": "sync"})
    error = await diner.recv()
    assert error == {**error, "type": "error", "id": op_id, "code": "internal"}
    monkeypatch.undo()
    assert (await diner.op({"type": "sync"}))["type"] == "ack"
    await diner.close()


# --- faults at each await of a socket's life ---------------------------------------------------
def fail_connection_open(monkeypatch):
    monkeypatch.setattr(diner_consumers, "connection_open", boom)


def fail_snapshot(monkeypatch):
    monkeypatch.setattr(diner_consumers, "dining_snapshot", boom)


def fail_second_join(monkeypatch):
    real, calls = Hub.join, []

    async def join(self, group, consumer):
        calls.append(group)
        if len(calls) == 2:
            raise Boom("injected")
        await real(self, group, consumer)

    monkeypatch.setattr(Hub, "join", join)


def fail_group_event(monkeypatch):
    """The handler breaks for sockets that connect from now on (the victim), never for the
    watcher already there."""
    sound, real = live_consumers(), TableConsumer.table_event

    async def broken(self, message):
        if self in sound:
            return await real(self, message)
        raise Boom("injected")

    monkeypatch.setattr(TableConsumer, "table_event", broken)


def fail_leaving(monkeypatch):
    """The layer fails under the last member's leave (Redis gone)."""
    from channels.layers import get_channel_layer

    async def group_discard(*args, **kwargs):
        raise Boom("injected")

    monkeypatch.setattr(get_channel_layer(), "group_discard", group_discard)


def fail_connection_close(monkeypatch):
    monkeypatch.setattr(diner_consumers, "connection_close", boom)


FAULTS = {
    "connection_open": fail_connection_open,
    "snapshot": fail_snapshot,
    "hub_join": fail_second_join,
    "group_event": fail_group_event,
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_fault_at_any_await_leaves_no_trace(menu, monkeypatch, fault):
    held = live_consumers()
    watcher = await DinerSocket.join(menu.table.token)
    before = sockets_open() - 1
    cookie = await table_page_cookie(menu.table.token)
    FAULTS[fault](monkeypatch)
    victim = DinerSocket(menu.table.token, cookie)
    await victim.communicator.connect()
    if fault == "group_event":  # an event for the table reaches the victim's handler
        await watcher.op({"type": "diner.rename", "name": "Watcher"})
    await victim.communicator.wait(10)  # the application ended, whatever it sent before
    await assert_no_trace(before, held, watcher)
    await watcher.close()
    await assert_no_trace(before, held)


@pytest.mark.parametrize("fault", ["leaving", "connection_close"])
async def test_a_cleanup_step_that_fails_does_not_stop_the_others(menu, monkeypatch, fault):
    before, held = sockets_open(), live_consumers()
    diner = await DinerSocket.join(menu.table.token)
    {"leaving": fail_leaving, "connection_close": fail_connection_close}[fault](monkeypatch)
    await diner.close()
    monkeypatch.undo()
    assert sockets_open() == before and not live_consumers() - held
    if fault == "connection_close":
        # the row is the heartbeat's to reap: this process owns it and no live socket does
        from restaurant.dining.services import server_beat

        assert await database_sync_to_async(server_beat)(
            server_id=liveness.SERVER_ID, live_channels=set()
        ) == 1  # fmt: skip
    assert await connection_rows() == 0


# --- the server refuses sends after its own close -------------------------------------------------
class StrictServer:
    """What uvicorn does: once the application sent `websocket.close`, any further send
    raises, although the peer (a slow phone) has not answered the close yet."""

    def __init__(self, app) -> None:
        self.app = app
        self.refused = 0

    async def __call__(self, scope, receive, send):
        closed = False

        async def strict_send(message):
            nonlocal closed
            if closed:
                self.refused += 1
                raise RuntimeError(
                    f"Unexpected ASGI message '{message['type']}', after sending "
                    "'websocket.close' or response already completed."
                )
            if message["type"] == "websocket.close":
                closed = True
            await send(message)

        return await self.app(scope, receive, strict_send)


async def test_sends_after_the_servers_own_close_are_not_made(menu):
    held = live_consumers()
    watcher = await DinerSocket.join(menu.table.token)
    before = sockets_open() - 1
    cookie = await table_page_cookie(menu.table.token)
    server = StrictServer(application)
    headers = [ORIGIN, (b"cookie", f"sessionid={cookie}".encode())]
    flooder = WebsocketCommunicator(server, f"/ws/table/{menu.table.token}/", headers)
    assert (await flooder.connect())[0]
    # The flood goes on after the 4429 (the phone has not read the close yet), and the
    # table's events keep coming for it: every one of them would be a send after the close.
    for i in range(400):
        await flooder.send_to(text_data=json.dumps({"type": "nope", "id": f"f{i}"}))
    await watcher.op({"type": "diner.rename", "name": "Still here"})
    while (output := await flooder.receive_output(10))["type"] != "websocket.close":
        pass
    assert output["code"] == 4429
    for i in range(5):
        await flooder.send_to(text_data=json.dumps({"type": "sync", "id": f"late-{i}"}))
    await flooder.send_input({"type": "websocket.disconnect", "code": 1006})
    await flooder.wait(10)
    assert server.refused == 0
    await assert_no_trace(before, held, watcher)
    await watcher.close()


async def test_a_send_the_server_refuses_ends_the_socket_without_trace(menu, caplog):
    """A server that refuses a send for its own reasons (the socket died under it)."""
    held = live_consumers()
    watcher = await DinerSocket.join(menu.table.token)
    before = sockets_open() - 1
    cookie = await table_page_cookie(menu.table.token)

    async def dying_server(scope, receive, send):
        sent = 0

        async def send_then_die(message):
            nonlocal sent
            sent += 1
            if sent > 3:  # accept, snapshot, presence; then the socket is gone
                raise RuntimeError("Attempt to send on a closed protocol")
            await send(message)

        return await application(scope, receive, send_then_die)

    headers = [ORIGIN, (b"cookie", f"sessionid={cookie}".encode())]
    victim = WebsocketCommunicator(dying_server, f"/ws/table/{menu.table.token}/", headers)
    assert (await victim.connect())[0]
    await victim.send_to(text_data=json.dumps({"type": "sync", "id": "s"}))
    await asyncio.wait_for(victim.wait(10), 15)
    await assert_no_trace(before, held, watcher)
    # a socket gone is not a server failure: no error logged for the op that found out
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text
    await watcher.close()


async def test_the_channels_code_the_consumer_mirrors_is_the_one_pinned():
    """`OpConsumer._run` replaces Channels' `AsyncConsumer.__call__` (a hub inbox instead of
    a layer channel per socket) and `websocket_disconnect` (cleanup once, in `_clean_up`);
    it relies on `await_many_dispatch`, `dispatch` and `StopConsumer` behaving as in the
    pinned Channels. A Channels upgrade that changes them fails here: re-read them, adjust
    restaurant/realtime/consumers.py, then update these digests."""
    import hashlib
    import inspect

    from channels.consumer import AsyncConsumer
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.utils import await_many_dispatch

    def digest(function) -> str:
        return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]

    assert {
        "AsyncConsumer.__call__": digest(AsyncConsumer.__call__),
        "AsyncConsumer.dispatch": digest(AsyncConsumer.dispatch),
        "AsyncWebsocketConsumer.websocket_disconnect": digest(
            AsyncWebsocketConsumer.websocket_disconnect
        ),
        "await_many_dispatch": digest(await_many_dispatch),
    } == {
        "AsyncConsumer.__call__": "e52238720872dbc3",
        "AsyncConsumer.dispatch": "39f34e7d4fb0f655",
        "AsyncWebsocketConsumer.websocket_disconnect": "10f38aa55fd51ff5",
        "await_many_dispatch": "30ef889498560da3",
    }
