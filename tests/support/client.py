"""A diner client as the protocol describes one: snapshot first, events applied by `seq`, a
`sync` on a gap, reconnect with backoff, and every unanswered op resent with the same id.

Used by the multi-process tests (and the benchmarks) against real servers.
"""

import asyncio
import contextlib
import http.cookiejar
import itertools
import json
import random
import urllib.request
from urllib.parse import urlsplit

import websockets

FINAL_CLOSE_CODES = {4000, 4403, 4429, 1009}
_ids = itertools.count(1)


def fetch_cookie(page_url: str, cookie: str | None = None) -> str:
    """Open the table page and join as its script does (the page's GET makes nothing: `POST
    join/` with the CSRF token makes the diner); return the session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    if cookie:
        parts = urlsplit(page_url)
        jar.set_cookie(http.cookiejar.Cookie(
            0, "sessionid", cookie, None, False, parts.hostname, False, False, "/", True,
            False, None, False, None, None, {},
        ))  # fmt: skip
    with opener.open(urllib.request.Request(page_url), timeout=10) as response:
        assert response.status == 200, response.status
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    join = urllib.request.Request(
        page_url.rstrip("/") + "/join/",
        data=b"",
        headers={"X-CSRFToken": csrf, "Referer": page_url},
        method="POST",
    )
    with opener.open(join, timeout=10) as response:
        assert response.status == 200, response.status
    return next((c.value for c in jar if c.name == "sessionid"), cookie)


class DinerClient:
    def __init__(self, page_urls: list[str]) -> None:
        """``page_urls``: the same table's page on one or more servers, tried in turn."""
        self.page_urls = page_urls
        self.cookie: str | None = None
        self.server = 0
        self.seq = 0
        self.me: int | None = None
        self.cart: dict[int, dict] = {}
        self.orders: dict[int, dict] = {}
        self.pending: dict[str, tuple[dict, asyncio.Future]] = {}
        self.replies: dict[str, dict] = {}
        self.events: list[dict] = []
        self.reconnects = 0
        self.socket = None
        self.closed_for_good: int | None = None
        self._ready = asyncio.Event()
        self._runner: asyncio.Task | None = None

    def ws_url(self) -> str:
        parts = urlsplit(self.page_urls[self.server])
        return f"ws://{parts.netloc}/ws/table/{parts.path.strip('/').split('/')[-1]}/"

    def origin(self) -> str:
        parts = urlsplit(self.page_urls[self.server])
        return f"{parts.scheme}://{parts.netloc}"

    async def start(self) -> "DinerClient":
        self.cookie = await asyncio.to_thread(fetch_cookie, self.page_urls[0])
        self._runner = asyncio.create_task(self._run())
        await asyncio.wait_for(self._ready.wait(), 10)
        return self

    async def stop(self) -> None:
        if self._runner:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self.socket:
            await self.socket.close()

    async def _run(self) -> None:
        delay = 0.5
        while self.closed_for_good is None:
            try:
                async with websockets.connect(
                    self.ws_url(),
                    origin=self.origin(),
                    additional_headers={"Cookie": f"sessionid={self.cookie}"},
                    open_timeout=5,
                ) as socket:
                    self.socket = socket
                    delay = 0.5
                    await self._session(socket)
            except websockets.ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else None
                if code in FINAL_CLOSE_CODES:
                    self.closed_for_good = code
                    break
            except (TimeoutError, OSError, websockets.InvalidHandshake):
                pass
            self.socket = None
            self._ready.clear()
            self.reconnects += 1
            self.server = (self.server + 1) % len(self.page_urls)
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 10)

    async def _session(self, socket) -> None:
        snapshot = json.loads(await socket.recv())
        assert snapshot["type"] == "snapshot", snapshot
        self._apply_snapshot(snapshot)
        # Resend every unanswered op with its id, including any queued while resending.
        resent: set[str] = set()
        while todo := [m for op_id, (m, _) in self.pending.items() if op_id not in resent]:
            for message in todo:
                resent.add(message["id"])
                await socket.send(json.dumps(message))
        self._ready.set()
        async for text in socket:
            await self._handle(json.loads(text))

    def _apply_snapshot(self, snapshot: dict) -> None:
        self.seq = snapshot["seq"]
        self.me = snapshot["me"]["diner_id"]
        self.cart = {line["line_id"]: line for line in snapshot["cart"]}
        self.orders = {order["order_id"]: order for order in snapshot["orders"]}

    async def _handle(self, message: dict) -> None:
        kind = message["type"]
        if kind in ("ack", "error"):
            entry = self.pending.pop(message["id"], None)
            self.replies[message["id"]] = message
            if entry and not entry[1].done():
                entry[1].set_result(message)
            return
        if kind == "snapshot":
            self._apply_snapshot(message)
            return
        self.events.append(message)
        seq = message.get("seq")
        if seq is None:
            return
        if seq <= self.seq:
            return  # already have it
        if seq > self.seq + 1:
            await self.socket.send(json.dumps({"type": "sync", "id": f"sync-{next(_ids)}"}))
            return
        self.seq = seq
        if kind == "cart.line":
            self.cart[message["line"]["line_id"]] = message["line"]
        elif kind == "cart.line_removed":
            self.cart.pop(message["line_id"], None)
        elif kind == "order.submitted":
            self.cart.clear()
            self.orders[message["order"]["order_id"]] = message["order"]
        elif kind == "order.status":
            self.orders[message["order_id"]]["status"] = message["status"]

    async def send(self, message: dict) -> asyncio.Future:
        """Queue an op; the future resolves with its ack or error, across reconnects."""
        message.setdefault("id", f"op-{next(_ids)}-{random.getrandbits(32):x}")
        future = asyncio.get_running_loop().create_future()
        self.pending[message["id"]] = (message, future)
        if self.socket is not None and self._ready.is_set():
            with contextlib.suppress(websockets.ConnectionClosed):
                await self.socket.send(json.dumps(message))
        return future

    async def op(self, message: dict, timeout: float = 10) -> dict:
        return await asyncio.wait_for(await self.send(message), timeout)

    async def wait_for(self, predicate, timeout: float = 5) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate(self):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)
