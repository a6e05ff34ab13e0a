"""Who the client is (restaurant/core/client_address.py), and the Origin a socket may come
from (restaurant/realtime/deny.py): one place decides each, and every limit and allow-list
reads what it decided."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import HttpCommunicator, WebsocketCommunicator

from config.asgi import application
from restaurant.core.client_address import ClientAddressMiddleware, client_address
from restaurant.realtime.address_limit import AddressLimitMiddleware
from restaurant.realtime.deny import origin_allowed
from tests.dining.sockets import DinerSocket

ROOT = Path(__file__).resolve().parents[2]


# --- the rule --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "peer, forwarded, trusted, expected",
    [
        # no proxy configured: the header is the client's to write, and ignored
        ("203.0.113.9", ["127.0.0.1"], [], "203.0.113.9"),
        ("127.0.0.1", ["10.0.0.5"], [], "127.0.0.1"),
        # a peer that is not a configured proxy: ignored too
        ("203.0.113.9", ["127.0.0.1"], ["127.0.0.1"], "203.0.113.9"),
        # from the proxy: the rightmost address it was not itself told by a proxy
        ("127.0.0.1", ["203.0.113.9"], ["127.0.0.1"], "203.0.113.9"),
        ("127.0.0.1", ["6.6.6.6, 203.0.113.9"], ["127.0.0.1"], "203.0.113.9"),
        ("127.0.0.1", ["6.6.6.6", "203.0.113.9"], ["127.0.0.1"], "203.0.113.9"),
        (
            "127.0.0.1",
            ["6.6.6.6, 203.0.113.9, 10.1.2.3"],
            ["127.0.0.1", "10.0.0.0/8"],
            "203.0.113.9",
        ),
        # a proxy that forwarded nothing, or nonsense: the proxy itself
        ("127.0.0.1", [], ["127.0.0.1"], "127.0.0.1"),
        ("127.0.0.1", ["unknown"], ["127.0.0.1"], "127.0.0.1"),
        ("127.0.0.1", ["203.0.113.9, garbage"], ["127.0.0.1"], "127.0.0.1"),
        # unix socket files: trusted only when the deployment says so
        (None, ["203.0.113.9"], ["unix"], "203.0.113.9"),
        (None, ["203.0.113.9"], [], None),
        ("127.0.0.1", ["[2001:db8::1]:5555"], ["127.0.0.1"], "2001:db8::1"),
    ],
)
def test_the_client_address_rule(peer, forwarded, trusted, expected):
    assert client_address(peer, forwarded, trusted) == expected


# --- every entry point reads it ----------------------------------------------------------------
async def get(path: str, peer: str, forwarded: str | None = None) -> int:
    headers = [(b"host", b"127.0.0.1:8000")]
    headers += [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    communicator = HttpCommunicator(application, "GET", path, headers=headers)
    communicator.scope["client"] = (peer, 5000)
    response = await communicator.get_response()
    return response["status"]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_metrics_allow_list_cannot_be_claimed_with_a_header(settings):
    settings.TRUSTED_PROXIES = []
    assert await get("/metrics", "203.0.113.9", forwarded="127.0.0.1") == 403
    assert await get("/metrics", "127.0.0.1") == 200
    # behind a configured proxy, the proxy's own address is not the client's
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert await get("/metrics", "127.0.0.1", forwarded="203.0.113.9") == 403
    assert await get("/metrics", "203.0.113.7", forwarded="127.0.0.1") == 403


class Accepting(AsyncWebsocketConsumer):
    pass


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_socket_limits_count_the_decided_address(settings):
    """A client behind no trusted proxy cannot spread its sockets over invented addresses;
    behind the proxy, each real client has its own allowance."""
    settings.RESTAURANT = {**settings.RESTAURANT, "SOCKETS_PER_ADDRESS": 3}
    limit = AddressLimitMiddleware(Accepting.as_asgi())
    app = ClientAddressMiddleware(limit)

    async def connect(peer: str, forwarded: str) -> bool:
        communicator = WebsocketCommunicator(
            app, "/ws/x/", [(b"x-forwarded-for", forwarded.encode())]
        )
        communicator.scope["client"] = [peer, 40000]
        connected, _ = await communicator.connect()
        if connected:
            opened.append(communicator)
        return connected

    opened: list = []
    settings.TRUSTED_PROXIES = []
    results = [await connect("198.51.100.4", f"10.9.0.{i}") for i in range(6)]
    assert results == [True] * 3 + [False] * 3
    assert limit.open == {"198.51.100.4": 3}
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert all([await connect("127.0.0.1", f"10.9.1.{i}") for i in range(6)])
    assert limit.open["10.9.1.0"] == 1 and "127.0.0.1" not in limit.open
    for communicator in opened:
        await communicator.disconnect()


# --- Origins ---------------------------------------------------------------------------------
ALLOWED = ["http://127.0.0.1:8000", "http://localhost:8000", "https://*.example.com"]


@pytest.mark.parametrize(
    "origin",
    ["http://127.0.0.1:8000", "HTTP://LOCALHOST:8000", "https://shop.example.com",
     "https://a.b.example.com"],
)  # fmt: skip
def test_the_site_origins_pass(origin):
    assert origin_allowed(origin, ALLOWED)


@pytest.mark.parametrize(
    "origin",
    [None, "", "null", "file://localhost", "chrome-extension://localhost",
     "http://127.0.0.1:9999", "http://127.0.0.1", "https://127.0.0.1:8000",
     "http://shop.example.com", "https://example.com", "https://evilexample.com",
     "http://127.0.0.1:8000.evil.example", "http://[::1", "ws://127.0.0.1:8000"],
)  # fmt: skip
def test_other_origins_are_refused(origin):
    assert not origin_allowed(origin, ALLOWED)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin", [b"file://localhost", b"chrome-extension://localhost", b"http://127.0.0.1:9999"]
)
async def test_a_socket_from_another_scheme_or_port_gets_403(menu, origin):
    cookie = (await DinerSocket.join(menu.table.token)).cookie
    socket = DinerSocket(menu.table.token, cookie, headers=[(b"origin", origin)])
    connected, _ = await socket.communicator.connect()
    assert not connected  # refused during the handshake: HTTP 403


def settings_under(tmp_path, code: str, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environ.update({"DJANGO_ENV": "production", "SECRET_KEY": "k1-Ab" * 12,
                    "REDIS_URL": "redis://127.0.0.1:6379/0", "VAR_DIR": str(tmp_path),
                    "DJANGO_SETTINGS_MODULE": "config.settings", **env})  # fmt: skip
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def origins_under(tmp_path, **env) -> list[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environ.update({"DJANGO_ENV": "production", "SECRET_KEY": "k1-Ab" * 12,
                    "REDIS_URL": "redis://127.0.0.1:6379/0", "VAR_DIR": str(tmp_path),
                    "DJANGO_SETTINGS_MODULE": "config.settings", **env})  # fmt: skip
    code = "from django.conf import settings; print(','.join(settings.WS_ALLOWED_ORIGINS))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run.stdout.strip().split(",")


def test_production_sockets_come_from_https_only(tmp_path):
    origins = origins_under(
        tmp_path, ALLOWED_HOSTS="order.example.com", SITE_URL="https://order.example.com",
        CSRF_TRUSTED_ORIGINS="http://order.example.com",
    )  # fmt: skip
    assert origins == ["https://order.example.com"]
    # plain HTTP on a private network, said so explicitly
    origins = origins_under(
        tmp_path, ALLOWED_HOSTS="10.0.0.2", SITE_URL="http://10.0.0.2:8080",
        SECURE_SSL_REDIRECT="false",
    )  # fmt: skip
    assert origins == ["http://10.0.0.2:8080"]


def test_production_behind_the_https_redirect_takes_sockets_from_https_pages(tmp_path):
    """SITE_URL left at http while HTTP redirects to HTTPS: the pages are https ones, and
    their sockets connect (they were all refused: no origin was left)."""
    origins = origins_under(tmp_path, ALLOWED_HOSTS="order.example.com",
                            SITE_URL="http://order.example.com")  # fmt: skip
    assert origins == ["https://order.example.com"]


@pytest.mark.parametrize("value", ["Production", "PRODUCTION", "prod", " production"])
def test_a_misspelt_environment_is_refused(tmp_path, value):
    """Not silently development (DEBUG allowed, any key) for a typo."""
    run = settings_under(tmp_path, "import django; django.setup()", DJANGO_ENV=value,
                         DEBUG="true", SECRET_KEY="x")  # fmt: skip
    assert run.returncode != 0 and "DJANGO_ENV must be" in run.stderr
