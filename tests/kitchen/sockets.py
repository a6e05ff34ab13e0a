"""Staff sockets in tests: the kitchen display's and the floor's, on the real routing, for a
person with a role at a restaurant (tests/support/people.py)."""

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from restaurant.venues.models import Restaurant, StaffMember
from restaurant.venues.scope import PICKED
from tests.dining.sockets import ORIGIN, DinerSocket
from tests.support.people import staff_user


def signed_in(user, *, picked: Restaurant | None = None) -> str:
    """A session cookie of ``user`` signed in (``picked``: the restaurant they picked for
    the unprefixed forms, kept in their session as `/staff/restaurants/` keeps it)."""
    client = Client()
    client.force_login(user)
    if picked is not None:
        session = client.session
        session[PICKED] = picked.pk
        session.save()
    return client.cookies["sessionid"].value


def new_staff_cookie(
    restaurant: Restaurant | None = None, role: str = StaffMember.Role.MANAGER, **fields
) -> str:
    """The cookie of a new person with ``role`` at ``restaurant`` (the deployment's only
    one when None)."""
    restaurant = restaurant or Restaurant.sole()
    assert restaurant is not None, "several restaurants: say which"
    return signed_in(staff_user(restaurant, role, **fields))


staff_cookie = database_sync_to_async(new_staff_cookie)


class StaffSocket(DinerSocket):
    """A kitchen display's socket; ``slug`` for the per-restaurant form."""

    where = "kitchen"

    def __init__(self, cookie: str | None, headers: list | None = None, *, slug=None) -> None:
        headers = [ORIGIN] if headers is None else headers
        if cookie:
            headers = [*headers, (b"cookie", f"sessionid={cookie}".encode())]
        self.cookie = cookie
        path = f"/ws/r/{slug}/{self.where}/" if slug else f"/ws/{self.where}/"
        self.communicator = WebsocketCommunicator(application, path, headers)

    @classmethod
    async def connect_with(cls, cookie: str, *, slug: str | None = None) -> "StaffSocket":
        socket = cls(cookie, slug=slug)
        connected, code = await socket.communicator.connect()
        assert connected, code
        socket.snapshot = await socket.recv()
        assert socket.snapshot["type"] == "snapshot"
        return socket

    @classmethod
    async def open(
        cls,
        restaurant: Restaurant | None = None,
        role: str = StaffMember.Role.MANAGER,
        *,
        slug: str | None = None,
    ) -> "StaffSocket":
        """A new person with ``role`` at ``restaurant``, connected (the unprefixed form unless
        ``slug``); the snapshot is consumed."""
        return await cls.connect_with(await staff_cookie(restaurant, role), slug=slug)

    async def refused(self) -> bool:
        connected, _ = await self.communicator.connect()
        return not connected


class KitchenSocket(StaffSocket):
    where = "kitchen"


class FloorSocket(StaffSocket):
    """The staff floor's socket: the kitchen's, with the waiter calls always."""

    where = "floor"
