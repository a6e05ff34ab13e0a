"""A waiter's socket in tests: `/ws/waiter/table/<number>/` on the real routing."""

from channels.testing import WebsocketCommunicator

from config.asgi import application
from tests.dining.sockets import ORIGIN
from tests.kitchen.sockets import StaffSocket


class WaiterSocket(StaffSocket):
    """A waiter ordering for table ``number`` (``slug``: the per-restaurant form)."""

    def __init__(self, cookie: str | None, headers: list | None = None, *, number: int = 1,
                 slug: str | None = None) -> None:  # fmt: skip
        headers = [ORIGIN] if headers is None else headers
        if cookie:
            headers = [*headers, (b"cookie", f"sessionid={cookie}".encode())]
        self.cookie = cookie
        where = f"waiter/table/{number}"
        path = f"/ws/r/{slug}/{where}/" if slug else f"/ws/{where}/"
        self.communicator = WebsocketCommunicator(application, path, headers)

    @classmethod
    async def at(cls, cookie: str, *, number: int = 1, slug: str | None = None) -> "WaiterSocket":
        """Connected; the snapshot consumed (``snapshot``, ``diner_id``: the staff diner)."""
        socket = cls(cookie, number=number, slug=slug)
        connected, code = await socket.communicator.connect()
        assert connected, code
        socket.snapshot = await socket.recv()
        assert socket.snapshot["type"] == "snapshot"
        socket.diner_id = socket.snapshot["me"]["diner_id"]
        return socket
