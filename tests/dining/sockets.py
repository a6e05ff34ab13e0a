"""A diner's socket in tests: the real ASGI application (Origin check, session cookie,
routing), driven by channels' WebsocketCommunicator."""

import itertools
import json

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
_ids = itertools.count(1)


def join_table(client: Client, token: str, **form) -> dict:
    """What the table page's script does: GET the page (its session and CSRF cookies), then
    join with `POST /t/<token>/join/` and the CSRF header. Returns the join's JSON answer."""
    page = client.get(f"/t/{token}/")
    assert page.status_code == 200, page.status_code
    response = client.post(
        f"/t/{token}/join/", form, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value
    )
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return response.json()


@database_sync_to_async  # returns its pooled connection, as the consumers' calls do
def table_page_cookie(token: str, cookie: str | None = None, *, new: bool = False) -> str:
    """Open the table page and join as a browser would (``new``: the diner pressed "start a
    new order" after their meal ended); returns the session cookie it sets (or had)."""
    client = Client(enforce_csrf_checks=True)
    if cookie:
        client.cookies["sessionid"] = cookie
    join_table(client, token, **({"new": "1"} if new else {}))
    return client.cookies["sessionid"].value


class DinerSocket:
    def __init__(self, token: str, cookie: str | None, headers: list | None = None) -> None:
        headers = [ORIGIN] if headers is None else headers
        if cookie:
            headers = [*headers, (b"cookie", f"sessionid={cookie}".encode())]
        self.cookie = cookie
        self.communicator = WebsocketCommunicator(application, f"/ws/table/{token}/", headers)

    @classmethod
    async def join(
        cls, token: str, cookie: str | None = None, *, new: bool = False
    ) -> "DinerSocket":
        """Open the table page, join (making the diner) and connect; consumes the snapshot."""
        cookie = await table_page_cookie(token, cookie, new=new)
        socket = cls(token, cookie)
        connected, code = await socket.communicator.connect()
        assert connected, code
        socket.snapshot = await socket.recv()
        assert socket.snapshot["type"] == "snapshot"
        socket.diner_id = socket.snapshot["me"]["diner_id"]
        # Coming online is announced to the whole table, this socket included. The join's
        # own `diner` event may come first: it is handed to the event loop after its commit
        # and can reach the table's group after this socket joined it (a busy machine).
        presence, _ = await socket.recv_until("presence")
        while socket.diner_id not in presence["online"]:
            presence, _ = await socket.recv_until("presence")
        return socket

    async def send(self, message: dict) -> str:
        message.setdefault("id", f"op-{next(_ids)}")
        await self.communicator.send_to(text_data=json.dumps(message))
        return message["id"]

    async def send_raw(self, text: str | None = None, data: bytes | None = None) -> None:
        await self.communicator.send_to(text_data=text, bytes_data=data)

    async def recv(self, timeout: float = 10) -> dict:
        return json.loads(await self.communicator.receive_from(timeout))

    async def recv_until(self, kind: str, timeout: float = 10) -> tuple[dict, list[dict]]:
        """The first message of type ``kind``, and those skipped on the way."""
        skipped = []
        while True:
            message = await self.recv(timeout)
            if message["type"] == kind:
                return message, skipped
            skipped.append(message)

    async def reply(self, op_id: str, timeout: float = 10) -> tuple[dict, list[dict]]:
        """The ack or error for ``op_id``, and the events that came before it."""
        events = []
        while True:
            message = await self.recv(timeout)
            if message["type"] in ("ack", "error") and message["id"] == op_id:
                return message, events
            events.append(message)

    async def op(self, message: dict) -> dict:
        reply, _ = await self.reply(await self.send(message))
        return reply

    async def silent(self, timeout: float = 0.2) -> bool:
        return await self.communicator.receive_nothing(timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()
