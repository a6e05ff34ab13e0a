"""What a client really receives from the server process (daphne as `make run` starts it):
the size limit closes with 1009, not a dropped connection; bad handshakes get 403; a socket
that stops reading is dropped before its unsent output grows past the limit."""

import asyncio
import json
import socket as sockets

import pytest
import websockets

from tests.support.client import fetch_cookie
from tests.support.servers import AsgiServer, plain_dish, prepare_database

pytestmark = [pytest.mark.multiprocess, pytest.mark.asyncio]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database_url = prepare_database(tmp_path_factory.mktemp("daphne"))
    env = {
        "VAR_DIR": "/tmp",
        # A small outbound bound, and no flood limit, so that one socket can outrun it quickly.
        "WS_SEND_BUFFER_BYTES": str(64 * 1024),
        "WS_RATE_PER_SECOND": "100000",
        "WS_RATE_BURST": "100000",
    }
    with AsgiServer(database_url=database_url, extra_env=env) as server:
        yield server


def socket_args(server: AsgiServer, number: int = 1) -> tuple[str, dict]:
    page = server.table_url(number)
    cookie = fetch_cookie(page)
    token = page.rstrip("/").rsplit("/", 1)[1]
    url = server.url.replace("http", "ws") + f"/ws/table/{token}/"
    return url, {"origin": server.url, "additional_headers": {"Cookie": f"sessionid={cookie}"}}


@pytest.mark.parametrize("size", [16 * 1024 + 1, 1024 * 1024])
async def test_oversized_message_is_closed_with_1009(server, size):
    url, kwargs = socket_args(server)
    async with websockets.connect(url, max_size=None, **kwargs) as socket:
        assert json.loads(await socket.recv())["type"] == "snapshot"
        await socket.send(json.dumps({"type": "sync", "id": "big", "pad": "x" * size}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await socket.recv()
        assert closed.value.rcvd is not None, "the server dropped the connection without a close"
        assert closed.value.rcvd.code == 1009


async def test_message_at_the_limit_is_served(server):
    url, kwargs = socket_args(server)
    async with websockets.connect(url, **kwargs) as socket:
        await socket.recv()
        message = {"type": "sync", "id": "edge", "pad": ""}
        message["pad"] = "x" * (16 * 1024 - len(json.dumps(message)))
        await socket.send(json.dumps(message))
        reply = json.loads(await socket.recv())
        while reply["type"] not in ("ack", "error"):
            reply = json.loads(await socket.recv())
        # the unknown field is refused, but the frame itself was accepted
        assert reply["type"] == "error" and reply["id"] == "edge"


@pytest.mark.parametrize("origin", ["null", "http://evil.example", None])
async def test_foreign_origin_is_refused_with_403(server, origin):
    url, kwargs = socket_args(server)
    kwargs["origin"] = origin
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(url, **kwargs):
            pass
    assert refused.value.response.status_code == 403


async def fill_cart(url: str, kwargs: dict, dish_id: int, lines: int) -> None:
    async with websockets.connect(url, **kwargs) as socket:
        await socket.recv()
        for i in range(lines):
            note = f"{i} " + "少辣多葱" * 34  # 138 characters, about 410 bytes
            await socket.send(json.dumps({"type": "cart.add", "id": f"fill{i}", "dish_id": dish_id,
                                          "qty": 1, "options": [], "note": note}))  # fmt: skip
            while json.loads(await socket.recv())["type"] not in ("ack", "error"):
                pass


async def test_a_socket_that_stops_reading_is_dropped_and_its_diner_resyncs(server):
    url, kwargs = socket_args(server, number=2)
    await fill_cart(url, kwargs, plain_dish(server), lines=45)  # a snapshot of about 20 KiB

    raw = sockets.socket()
    raw.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, 4096)  # the kernel holds little
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", server.port))
    # max_queue=1: the client stops reading the TCP stream once one message waits unread.
    socket = await websockets.connect(url, sock=raw, max_queue=1, max_size=None, **kwargs)
    requests = 500
    for i in range(requests):  # each `sync` is answered with the whole snapshot
        await socket.send(json.dumps({"type": "sync", "id": f"s{i}"}))
    await asyncio.sleep(3)  # the server works through them while nobody reads

    replies = 0
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(socket.recv(), 10)
            replies += 1
    assert closed.value.rcvd is None, "the server should abort, not wait for a close handshake"
    assert replies < requests / 10, f"{replies} replies: the socket was not dropped early"
    assert "stopped reading" in server.log_path_text()

    # The diner comes back (a new socket, same cookie) and is served a fresh snapshot, whole
    # although it is larger than what a client may send.
    async with websockets.connect(url, max_size=None, **kwargs) as again:
        snapshot = await again.recv()
        assert json.loads(snapshot)["type"] == "snapshot"
        assert len(snapshot.encode()) > 16 * 1024
