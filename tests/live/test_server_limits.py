"""The daphne that `make run` starts (restaurant/core/asgi_server.py), from outside: it names
no product in a Server header, and it does not hold connections for clients that never finish
a request (slowloris) nor idle keep-alive connections, while it keeps serving everyone else."""

import selectors
import socket
import time
import urllib.request

import pytest
from daphne.cli import CommandLineInterface

from restaurant.core.asgi_server import daphne_args
from tests.support.servers import AsgiServer, prepare_database

pytestmark = pytest.mark.multiprocess

READ_TIMEOUT = 2.0  # seconds, HTTP_READ_TIMEOUT for the server under test
MARGIN = 15.0  # a generous bound for "closed by the server", on a busy machine
HALF_SENT = 200
HANDSHAKE = (
    b"GET /ws/table/nope/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://evil\r\n\r\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("limits")
    env = {"VAR_DIR": str(tmp), "HTTP_READ_TIMEOUT": str(READ_TIMEOUT)}
    with AsgiServer(database_url=prepare_database(tmp), extra_env=env) as server:
        yield server


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=MARGIN)


def wait_closed(sockets: list[socket.socket], deadline: float, trickle: bool = False) -> list:
    """Read every socket until the server closes it (EOF or reset), until ``deadline``;
    returns the ones still open. With ``trickle``, each still-open socket sends one more
    header byte whenever half a second passes without news (a slowloris that keeps busy)."""
    selector = selectors.DefaultSelector()
    for s in sockets:
        s.setblocking(False)
        selector.register(s, selectors.EVENT_READ)
    while selector.get_map() and time.monotonic() < deadline:
        events = selector.select(timeout=0.5 if trickle else deadline - time.monotonic())
        for key, _ in events:
            try:
                data = key.fileobj.recv(65536)
            except (ConnectionResetError, BlockingIOError):
                data = b""
            if not data:
                selector.unregister(key.fileobj)
        if trickle and not events:
            for key in list(selector.get_map().values()):
                key.fileobj.send(b"x")
    still_open = [key.fileobj for key in selector.get_map().values()]
    selector.close()
    return still_open


def get_healthz(server) -> int:
    with urllib.request.urlopen(server.url + "/healthz", timeout=MARGIN) as response:
        return response.status


def test_responses_name_no_server(server):
    with urllib.request.urlopen(server.url + "/", timeout=MARGIN) as response:
        assert response.status == 200
        assert response.headers.get("Server") is None
    # the WebSocket handshake (here refused: no such table) is answered by autobahn
    with connect(server) as s:
        s.sendall(HANDSHAKE)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            assert chunk, f"closed before a reply: {head!r}"
            head += chunk
    assert b"\r\nserver:" not in head.lower(), head


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["app:x"], ""),
        (["-s", "Custom", "app:x"], "Custom"),
        (["--server-name", "X", "app:x"], "X"),
    ],
)
def test_an_explicit_server_name_still_wins(argv, name):
    assert CommandLineInterface().parser.parse_args(daphne_args(argv)).server_name == name


def test_half_sent_requests_are_closed_and_others_are_served_meanwhile(server):
    started = time.monotonic()
    half_sent = []
    for _ in range(HALF_SENT):
        s = connect(server)
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow")  # never finished
        half_sent.append(s)
    try:
        assert get_healthz(server) == 200  # while all of them are open
        still_open = wait_closed(half_sent, deadline=started + READ_TIMEOUT + MARGIN)
        assert still_open == [], f"{len(still_open)} of {HALF_SENT} still open"
    finally:
        for s in half_sent:
            s.close()
    assert get_healthz(server) == 200


def test_a_request_trickled_byte_by_byte_is_closed_all_the_same(server):
    """Activity does not extend the deadline: the request must arrive whole in time."""
    with connect(server) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        started = time.monotonic()
        assert wait_closed([s], deadline=started + READ_TIMEOUT + MARGIN, trickle=True) == []
        assert time.monotonic() - started < READ_TIMEOUT + MARGIN


def test_an_idle_keep_alive_connection_is_closed(server):
    with connect(server) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        reply = b""
        while not reply.endswith(b"ok"):
            chunk = s.recv(4096)
            assert chunk, reply
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 200")
        # a second request on the same connection is served (keep-alive works) ...
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        # ... and then, idle, the connection is closed by the server
        deadline = time.monotonic() + READ_TIMEOUT + MARGIN
        assert wait_closed([s], deadline=deadline) == []
