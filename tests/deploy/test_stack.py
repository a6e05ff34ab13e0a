"""The whole production stack, rendered by `manage.py deploy_config` and brought up on loopback:
nginx in front, uwsgi for HTTP, two daphne workers for `/ws/`, all under supervisord, on this
machine's PostgreSQL (a temporary database) and Redis (a unique channel prefix), for both
variants (daphne on unix socket files, daphne on TCP ports); and the alternative of uvicorn
workers serving everything.

One stack per variant, shared by its tests; teardown shuts supervisord down and proves that no
process of the temporary root is left, whatever the tests did.
"""

import asyncio
import collections
import concurrent.futures
import gzip
import http.cookiejar
import json
import re
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import websockets

from tests.deploy.stack import PROBE, Stack, get, get_from
from tests.live.test_media import MAKE_PHOTO
from tests.support.client import DinerClient, fetch_cookie
from tests.support.servers import plain_dish

# One xdist worker runs the whole module (make: --dist loadgroup): its stacks are shared. The
# first test's budget holds bringing them up (Stack.start: up to 240 s on a busy machine) and,
# should that fail, stopping them again.
pytestmark = [
    pytest.mark.deploy,
    pytest.mark.asyncio,
    pytest.mark.xdist_group("deploy-stack"),
    pytest.mark.timeout(480),
]


VARIANTS = {"unix": [1, 2, 3, 4], "tcp": [5, 6, 7, 8]}  # each variant's own tables
UVICORN_TABLES = [9, 10]


@pytest.fixture(scope="module")
def stacks(deploy_database):
    """Every stack of this module on one temporary database, brought up side by side (and
    torn down so): both daphne + uwsgi variants, and uvicorn workers serving everything."""
    database_url = deploy_database[0]
    stacks = {variant: Stack(variant=variant, database_url=database_url) for variant in VARIANTS}
    stacks["uvicorn"] = Stack(
        name="uvicorn",
        variant="unix",
        database_url=database_url,
        asgi_server="uvicorn",
        http_server="asgi",
    )
    with concurrent.futures.ThreadPoolExecutor(len(stacks)) as pool:
        try:
            for future in [pool.submit(s.start) for s in stacks.values()]:
                future.result()
            yield stacks
        finally:
            for future in [pool.submit(s.stop) for s in stacks.values()]:
                future.result()  # a stack that did not stop cleanly fails the run


@pytest.fixture(scope="module", params=list(VARIANTS))
def stack(request, stacks):
    return stacks[request.param]


@pytest.fixture
def staff_password(deploy_database):
    return deploy_database[1]


@pytest.fixture
def tables(stack, deploy_database):
    """This variant's tables: (number, page path)."""
    return [(number, deploy_database[2][number]) for number in VARIANTS[stack.variant]]


# --- clients -----------------------------------------------------------------------------------
class Diner:
    """One raw socket, through nginx or straight to one ASGI worker; records what it gets."""

    def __init__(self, stack: Stack, path: str, worker: dict | None = None) -> None:
        self.stack, self.path, self.worker = stack, path, worker
        self.token = path.strip("/").split("/")[-1]
        self.messages: list[dict] = []
        self.close_code: int | None = None

    async def __aenter__(self) -> "Diner":
        cookie = await asyncio.to_thread(fetch_cookie, self.stack.url + self.path)
        ws_path = f"/ws/table/{self.token}/"
        kwargs = {
            "origin": self.stack.url,
            "open_timeout": 5,
            "max_size": None,
            "additional_headers": {"Cookie": f"sessionid={cookie}"},
        }
        if self.worker is None:
            self.socket = await websockets.connect(
                f"ws://127.0.0.1:{self.stack.port}{ws_path}", **kwargs
            )
        elif "socket" in self.worker:
            self.socket = await websockets.unix_connect(
                self.worker["socket"], f"ws://127.0.0.1{ws_path}", **kwargs
            )
        else:
            self.socket = await websockets.connect(
                f"ws://127.0.0.1:{self.worker['port']}{ws_path}", **kwargs
            )
        self.snapshot = json.loads(await asyncio.wait_for(self.socket.recv(), 5))
        assert self.snapshot["type"] == "snapshot", self.snapshot
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for text in self.socket:
                self.messages.append(json.loads(text))
        except websockets.ConnectionClosed:
            pass
        self.close_code = self.socket.close_code

    async def __aexit__(self, *exc) -> None:
        await self.socket.close()
        await self.reader

    async def op(self, message: dict) -> dict:
        await self.socket.send(json.dumps(message))
        await self.wait_for(lambda m: m["type"] in ("ack", "error") and m["id"] == message["id"])
        return next(m for m in self.messages if m.get("id") == message["id"])

    async def wait_for(self, predicate, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((m for m in self.messages if predicate(m)), None)
            if found is not None:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"no such message in {timeout}s; got {self.messages}")

    async def wait_closed(self, timeout: float = 10) -> int | None:
        await asyncio.wait_for(asyncio.shield(self.reader), timeout)
        return self.close_code


class CountingDiner(DinerClient):
    """The protocol-complete client, counting the replies each op id receives."""

    def __init__(self, page_urls: list[str]) -> None:
        super().__init__(page_urls)
        self.reply_counts: collections.Counter = collections.Counter()

    async def _handle(self, message: dict) -> None:
        if message["type"] in ("ack", "error"):
            self.reply_counts[message["id"]] += 1
        await super()._handle(message)


class Staff:
    """A browser session of a staff member: admin login with the CSRF dance, then POSTs."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def login(self, username: str, password: str) -> dict:
        """Returns the headers of the login form's response."""
        login = self.base + "/admin/login/?next=/staff/"
        with self.opener.open(login, timeout=10) as response:
            headers = dict(response.headers)
            form = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        data = urllib.parse.urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token,
                "next": "/staff/",
            }
        )
        with self.opener.open(login, data=data.encode(), timeout=10) as response:
            assert response.geturl().endswith("/staff/"), "login failed: " + response.geturl()
            assert response.status == 200
        return headers

    def post(self, path: str, form: str = "") -> tuple[dict, dict]:
        request = urllib.request.Request(
            self.base + path,
            data=form.encode(),
            method="POST",
            headers={"X-CSRFToken": self.cookie("csrftoken"), "Accept": "application/json"},
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return json.load(response), dict(response.headers)
        except urllib.error.HTTPError as refused:  # a 409 says why in JSON too
            return json.load(refused), dict(refused.headers)


async def access_log_line(stack: Stack, pattern: str, timeout: float = 5) -> str:
    """nginx writes a request's line when it ends (for a socket: when it closes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in stack.log("nginx-access.log").splitlines():
            if re.search(pattern, line):
                return line
        await asyncio.sleep(0.05)
    raise AssertionError(
        f"no access log line matches {pattern!r}:\n{stack.log('nginx-access.log')}"
    )


def upstream(line: str) -> str:
    return re.search(r"upstream=(\S+)", line).group(1)


def worker_upstreams(stack: Stack) -> set[str]:
    return {
        f"unix:{w['socket']}" if "socket" in w else f"127.0.0.1:{w['port']}" for w in stack.workers
    }


# --- the tests ---------------------------------------------------------------------------------
async def test_the_print_worker_runs_beside_the_servers(stack):
    """The kitchen's printers are served in the rendered deployment too (docs/printing.md)."""
    assert stack.status()["print_worker"] == "RUNNING", stack.logs()
    assert "print worker" in stack.log("print_worker.log")


async def test_pages_from_uwsgi_files_from_nginx_env_everywhere(stack):
    status, headers, _ = get(stack.url + "/")
    assert status == 200 and headers.get("X-App-Server") == "uwsgi", headers
    line = await access_log_line(stack, r'"GET / HTTP/1.1" 200')
    assert upstream(line) == f"unix:{stack.layout['uwsgi_socket']}", line

    status, headers, body = get(stack.url + "/static/css/app.css")
    assert status == 200 and headers.get("X-Static-Server") == "nginx", headers
    assert "X-App-Server" not in headers and headers["Content-Type"] == "text/css"
    assert upstream(await access_log_line(stack, r'"GET /static/css/app.css ')) == "-"
    # nginx answers for /static/ alone: a missing file is its 404, never the app's
    status, headers, _ = get(stack.url + "/static/no-such-file.css")
    assert status == 404 and "X-App-Server" not in headers

    (stack.root / "media" / "probe.txt").write_text("media from disk")
    status, headers, body = get(stack.url + "/media/probe.txt")
    assert (status, body) == (200, b"media from disk") and headers["X-Static-Server"] == "nginx"

    # A dish photo, resized under MEDIA_ROOT: the menu (from uwsgi) points at the copy nginx serves.
    dish_id = int(stack.manage("shell", "-c", MAKE_PHOTO).split()[-1])
    _, _, menu = get(stack.url + "/api/menu/")
    [dish] = [d for c in json.loads(menu)["categories"] for d in c["dishes"] if d["id"] == dish_id]
    status, headers, body = get(stack.url + dish["image"])
    assert status == 200 and headers["X-Static-Server"] == "nginx", (dish["image"], status)
    assert headers["Content-Type"] == "image/webp" and body[8:12] == b"WEBP"

    # Static files by content-hashed name, precompressed, cached for a year; pages (with their
    # CSRF token) never compressed; the menu JSON gzipped by the app.
    status, headers, page = get(stack.url + "/admin/login/", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and "Content-Encoding" not in headers, headers
    css = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page.decode()).group(1)
    status, headers, body = get(stack.url + css, headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip", headers
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["X-Static-Server"] == "nginx" and gzip.decompress(body)
    status, headers, _ = get(stack.url + "/static/css/app.css")
    assert "immutable" not in headers["Cache-Control"]
    status, headers, body = get(stack.url + "/api/menu/", headers={"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(body))

    # The one env file reached every application process, byte for byte, through supervisord.
    names = ["uwsgi", *(f"{stack.program}:{w['name']}" for w in stack.workers)]
    for name in names:
        environ = Path(f"/proc/{stack.pid(name)}/environ").read_bytes().decode()
        values = dict(item.split("=", 1) for item in environ.split("\0") if "=" in item)
        assert values["DEPLOY_PROBE"] == PROBE, name
        assert values["DJANGO_ENV"] == "production" and values["CHANNEL_PREFIX"] == stack.prefix


async def test_staff_close_over_uwsgi_reaches_sockets_on_every_worker(
    stack, tables, staff_password
):
    number, path = tables[0]
    async with (
        Diner(stack, path) as through_nginx,
        Diner(stack, path, stack.workers[0]) as on_first,
        Diner(stack, path, stack.workers[1]) as on_second,
    ):
        staff = Staff(stack.url)
        headers = await asyncio.to_thread(staff.login, "staff", staff_password)
        assert headers["X-App-Server"] == "uwsgi", headers
        reply, headers = await asyncio.to_thread(staff.post, f"/staff/tables/{number}/close/")
        assert reply["ok"] is True and headers["X-App-Server"] == "uwsgi", (reply, headers)
        for diner in (through_nginx, on_first, on_second):
            await diner.wait_for(lambda m: m["type"] == "session.closed")
            assert await diner.wait_closed() == 4000
    post = await access_log_line(stack, rf'"POST /staff/tables/{number}/close/ HTTP/1.1" 200')
    assert upstream(post) == f"unix:{stack.layout['uwsgi_socket']}", post
    socket_line = await access_log_line(stack, rf'"GET /ws/table/{through_nginx.token}/ \S+" 101')
    assert upstream(socket_line) in worker_upstreams(stack), socket_line


async def test_diners_on_different_workers_see_each_other(stack, tables):
    path, dish_id = tables[1][1], plain_dish(stack)
    async with (
        Diner(stack, path, stack.workers[0]) as first,
        Diner(stack, path, stack.workers[1]) as second,
    ):
        ack = await first.op(
            {"type": "cart.add", "id": "w0-add", "dish_id": dish_id, "note": "from worker 0"}
        )
        assert ack["type"] == "ack", ack
        line = await second.wait_for(lambda m: m["type"] == "cart.line")
        assert (
            line["line"]["note"] == "from worker 0"
            and line["by"] == first.snapshot["me"]["diner_id"]
        )
        ack = await second.op({"type": "diner.rename", "id": "w1-name", "name": "Worker One"})
        assert ack["type"] == "ack", ack
        await first.wait_for(lambda m: m["type"] == "diner" and m["diner"]["name"] == "Worker One")
    for worker in stack.workers[:2]:
        assert f"WSCONNECT /ws/table/{first.token}/" in stack.log(worker["name"] + ".log")


async def test_oversized_frame_through_nginx_closes_with_1009(stack, tables):
    async with Diner(stack, tables[3][1]) as diner:
        await diner.socket.send(json.dumps({"type": "sync", "id": "big", "pad": "x" * 20000}))
        assert await diner.wait_closed() == 1009


async def test_a_forged_forwarded_for_is_not_believed(stack, tables):
    """A client writes its own X-Forwarded-For: through nginx it names neither the address
    that token guessing counts, nor the one the metrics allow-list checks, nor the one the
    socket limits count (all read restaurant/core/client_address.py)."""
    guesser, victim = "127.0.0.9", "127.0.0.5"  # two clients of this machine, not nginx's own
    forged = {"X-Forwarded-For": f"{victim}, 127.0.0.1"}
    for i in range(8):  # past the stack's TOKEN_MISS_LIMIT (5), on the socket workers
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(
                f"ws://127.0.0.1:{stack.port}/ws/table/{'G' * 23}{i}/",
                origin=stack.url, additional_headers=forged, local_addr=(guesser, 0),
                open_timeout=5,
            )  # fmt: skip
        assert refused.value.response.status_code == 403
    unknown = f"{stack.url}/t/{'H' * 24}/"
    # The misses were counted against the guesser's real address (seen by uwsgi too)...
    assert get_from(unknown, guesser, forged)[0] == 429
    # ...not against the address it claimed, whose misses are still plain 404s
    assert get_from(unknown, victim)[0] == 404
    # and a real table still opens for the guesser's address (its restaurant's Wi-Fi)
    assert get_from(stack.url + tables[0][1], guesser, forged)[0] == 200
    # claiming the loopback does not open /metrics
    assert get_from(stack.url + "/metrics", guesser, {"X-Forwarded-For": "127.0.0.1"})[0] == 403


async def test_restarting_a_worker_loses_no_acknowledged_op(stack, tables):
    path, dish_id = tables[2][1], plain_dish(stack)
    token = path.strip("/").split("/")[-1]
    writer = await CountingDiner([stack.url + path]).start()
    watcher = None
    try:
        # The worker nginx gave the writer is the one to restart.
        deadline = time.monotonic() + 5
        while not (
            serving := [
                w
                for w in stack.workers
                if f"WSCONNECT /ws/table/{token}/" in stack.log(w["name"] + ".log")
            ]
        ):
            assert time.monotonic() < deadline, "no worker logged the writer's socket"
            await asyncio.sleep(0.05)
        name = f"{stack.program}:{serving[0]['name']}"
        watcher = await CountingDiner([stack.url + path]).start()
        futures, restart, i = [], None, 0
        while i < 50 or not restart.done():
            # A distinct note per op: an op applied twice would show as qty 2 on its line.
            message = {"type": "cart.add", "dish_id": dish_id, "note": f"op {i}"}
            futures.append(await writer.send(message))
            if i == 10:
                restart = asyncio.create_task(asyncio.to_thread(stack.ctl, "restart", name))
            i += 1
            await asyncio.sleep(0.1)  # within the rate limit
        await restart
        replies = await asyncio.wait_for(asyncio.gather(*futures), 30)
        assert writer.reconnects >= 1, "the restart did not touch the writer's socket"
        assert [r["type"] for r in replies] == ["ack"] * i, replies
        assert all(writer.reply_counts[r["id"]] == 1 for r in replies), writer.reply_counts
        await watcher.wait_for(lambda c: len(c.cart) == i, timeout=10)
        notes = sorted((line["note"], line["qty"]) for line in watcher.cart.values())
        assert notes == sorted((f"op {n}", 1) for n in range(i))
        await writer.wait_for(lambda c: c.seq == watcher.seq, timeout=10)
        assert writer.cart == watcher.cart
        assert stack.status()[name] == "RUNNING"
    finally:
        await writer.stop()
        if watcher:
            await watcher.stop()


async def test_uvicorn_workers_serving_everything(stacks, deploy_database, staff_password):
    """The alternative layout: no uwsgi, nginx sends HTTP and sockets to uvicorn workers."""
    stack = stacks["uvicorn"]
    status, headers, _ = get(stack.url + "/")
    assert status == 200 and "X-App-Server" not in headers, headers
    assert upstream(await access_log_line(stack, r'"GET / HTTP/1.1" 200')) in worker_upstreams(
        stack
    )
    status, headers, _ = get(stack.url + "/static/css/app.css")
    assert status == 200 and headers.get("X-Static-Server") == "nginx"

    (number, path), (_, other) = ((n, deploy_database[2][n]) for n in UVICORN_TABLES)
    dish_id = plain_dish(stack)
    async with (
        Diner(stack, path) as through_nginx,
        Diner(stack, path, stack.workers[0]) as on_first,
        Diner(stack, path, stack.workers[1]) as on_second,
    ):
        ack = await on_first.op(
            {"type": "cart.add", "id": "u0", "dish_id": dish_id, "note": "uvicorn 0"}
        )
        assert ack["type"] == "ack", ack
        for diner in (through_nginx, on_second):
            await diner.wait_for(lambda m: m["type"] == "cart.line")
        staff = Staff(stack.url)
        await asyncio.to_thread(staff.login, "staff", staff_password)
        close = f"/staff/tables/{number}/close/"
        refused, _ = await asyncio.to_thread(staff.post, close)  # the cart was never sent
        assert refused["reason"] == "unsent_cart" and refused["unsent"]["count"] == 1, refused
        reply, _ = await asyncio.to_thread(staff.post, close, "discard_cart=1")
        assert reply["ok"] is True, reply
        for diner in (through_nginx, on_first, on_second):
            await diner.wait_for(lambda m: m["type"] == "session.closed")
            assert await diner.wait_closed() == 4000
    # uvicorn serving HTTP believes no X-Forwarded-For of a client's either
    forged = {"X-Forwarded-For": "127.0.0.1"}
    assert get_from(stack.url + "/metrics", "127.0.0.9", forged)[0] == 403
    async with Diner(stack, other) as diner:  # uvicorn's own limit, through nginx
        await diner.socket.send(json.dumps({"type": "sync", "id": "big", "pad": "x" * 20000}))
        assert await diner.wait_closed() == 1009
