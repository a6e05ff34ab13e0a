"""What a client really receives from the server process (daphne as `make run` starts it):
the size limit closes with 1009, not a dropped connection; bad handshakes get 403."""

import json

import pytest
import websockets

from tests.support.client import fetch_cookie
from tests.support.servers import AsgiServer, prepare_database

pytestmark = [pytest.mark.multiprocess, pytest.mark.asyncio]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database_url = prepare_database(tmp_path_factory.mktemp("daphne"))
    with AsgiServer(database_url=database_url, extra_env={"VAR_DIR": "/tmp"}) as server:
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
