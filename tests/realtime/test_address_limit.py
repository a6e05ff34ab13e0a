"""Sockets per address: a shared Wi-Fi's diners get in; one machine cannot hog a worker."""

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator

from restaurant.realtime.address_limit import AddressLimitMiddleware
from tests.dining.sockets import DinerSocket, table_page_cookie

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


class Accepting(AsyncWebsocketConsumer):
    pass  # accepts every socket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limits(settings):
    settings.RESTAURANT = {
        **settings.RESTAURANT,
        "SOCKETS_PER_ADDRESS": 3,
        "CONNECTS_PER_SECOND": 2.0,
        "CONNECT_BURST": 5,
    }
    return settings.RESTAURANT


def communicator(app, address: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(app, "/ws/x/")
    communicator.scope["client"] = [address, 40000]
    return communicator


async def open_sockets(app, address: str, count: int) -> tuple[list, int]:
    opened, refused = [], 0
    for _ in range(count):
        socket = communicator(app, address)
        connected, _ = await socket.connect()
        if connected:
            opened.append(socket)
        else:
            refused += 1
    return opened, refused


async def test_open_sockets_per_address_are_capped_and_freed_on_close(limits):
    app = AddressLimitMiddleware(Accepting.as_asgi(), clock=Clock())
    opened, refused = await open_sockets(app, "10.0.0.1", 4)
    assert (len(opened), refused) == (3, 1)
    # Another address (another restaurant, another phone network) is not affected.
    others, refused = await open_sockets(app, "10.0.0.2", 1)
    assert (len(others), refused) == (1, 0)
    await opened[0].disconnect()
    again, refused = await open_sockets(app, "10.0.0.1", 1)
    assert (len(again), refused) == (1, 0), "a closed socket frees its place"
    for socket in opened[1:] + others + again:
        await socket.disconnect()
    assert app.open == {}


async def test_connect_rate_has_a_burst_then_refills(limits):
    clock = Clock()
    app = AddressLimitMiddleware(Accepting.as_asgi(), clock=clock)
    admitted = 0
    for _ in range(8):  # connect and leave at once: only the rate limits these
        socket = communicator(app, "10.0.0.1")
        connected, _ = await socket.connect()
        if connected:
            admitted += 1
            await socket.disconnect()
    assert admitted == limits["CONNECT_BURST"]
    clock.now += 1.0  # two more tokens
    opened, refused = await open_sockets(app, "10.0.0.1", 3)
    assert (len(opened), refused) == (2, 1)
    for socket in opened:
        await socket.disconnect()


async def test_a_dining_room_on_one_wifi_gets_in_with_the_defaults(settings):
    """The shipped defaults admit 300 diners (re)connecting at once from one address, and
    cap one address well below what would exhaust a worker."""
    from config.settings import RESTAURANT as shipped  # as the project ships them

    keys = ("SOCKETS_PER_ADDRESS", "CONNECTS_PER_SECOND", "CONNECT_BURST")
    settings.RESTAURANT = {**settings.RESTAURANT, **{k: shipped[k] for k in keys}}
    app = AddressLimitMiddleware(Accepting.as_asgi(), clock=Clock())
    admitted = 0
    for _ in range(2000):  # all within the same instant
        if not app.admit("10.0.0.1"):
            break
        app.open["10.0.0.1"] = app.open.get("10.0.0.1", 0) + 1
        admitted += 1
    assert 300 <= admitted <= shipped["SOCKETS_PER_ADDRESS"], admitted


async def test_the_diner_socket_is_behind_the_limit(menu, settings):
    first = await DinerSocket.join(menu.table.token)  # scope client: 127.0.0.1
    settings.RESTAURANT = {**settings.RESTAURANT, "SOCKETS_PER_ADDRESS": 1}
    cookie = await table_page_cookie(menu.table.token)
    second = DinerSocket(menu.table.token, cookie)
    connected, _ = await second.communicator.connect()
    assert not connected, "a second socket from the address should be refused"
    await first.close()
    again = DinerSocket(menu.table.token, cookie)
    connected, _ = await again.communicator.connect()
    assert connected, "the place freed by the first one is free again"
    await again.close()
