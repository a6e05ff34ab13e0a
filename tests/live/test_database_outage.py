"""A PostgreSQL outage (every connection cut, none accepted for a while, then back) costs a
few refused requests while it lasts and nothing after: pooled connections are checked
before use, a process does not take another for dead for the silence the outage caused
them both, one taken for dead all the same resyncs its sockets, and no worker goes deaf.
Two real server processes on one PostgreSQL and Redis, on each channel layer."""

import asyncio
import concurrent.futures
import time
import urllib.error
import urllib.request

import psycopg
import pytest

from tests.support.client import DinerClient
from tests.support.servers import (
    REDIS_TEST_URL,
    AsgiServer,
    plain_dish,
    postgres_database,
    redis_prefix,
)

pytestmark = [pytest.mark.multiprocess, pytest.mark.asyncio]
BEAT = 0.5  # seconds: a process silent for 3 beats (1.5 s) counts as dead


@pytest.fixture(scope="module")
def database_url():
    with postgres_database() as url:
        yield url


@pytest.fixture(params=["pubsub", "redis"])
def two_servers(request, database_url):
    env = {**redis_prefix(), "VAR_DIR": "/tmp", "SERVER_HEARTBEAT_SECONDS": str(BEAT),
           "CHANNEL_LAYER": request.param}  # fmt: skip
    first = AsgiServer(database_url=database_url, redis_url=REDIS_TEST_URL, extra_env=env)
    second = AsgiServer(database_url=database_url, redis_url=REDIS_TEST_URL, extra_env=env)
    with first, second:
        yield first, second


def admin(database_url: str) -> psycopg.Connection:
    return psycopg.connect(database_url, autocommit=True, connect_timeout=5)


def terminate_connections(database_url: str) -> None:
    """What a PostgreSQL restart does to every pooled connection, with no wait after it."""
    name = database_url.rsplit("/", 1)[1]
    with admin(database_url.rsplit("/", 1)[0] + "/postgres") as db:
        db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )


def all_served(urls: list[str]) -> list[int]:
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return list(pool.map(status, urls))


def outage(database_url: str, seconds: float) -> float:
    """Cut every connection of the servers to their database and accept none for
    ``seconds`` (as a restart does, longer); returns the database's clock at the end."""
    name = database_url.rsplit("/", 1)[1]
    with admin(database_url.rsplit("/", 1)[0] + "/postgres") as db:
        db.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            time.sleep(seconds)  # the outage itself, not a wait for an event
        finally:
            db.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        return db.execute("SELECT clock_timestamp()").fetchone()[0]


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def diners_online(database_url: str, diner_ids: list[int]) -> int:
    with admin(database_url) as db:
        return db.execute(
            "SELECT count(DISTINCT diner_id) FROM dining_connection WHERE diner_id = ANY(%s)",
            [diner_ids],
        ).fetchone()[0]


async def both_beat_since(database_url: str, since, timeout: float = 30) -> None:
    """Wait until both processes wrote their heartbeat after ``since``: by then any process
    that was going to take the other for dead has done so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with admin(database_url) as db:
            fresh = db.execute(
                "SELECT count(*) FROM realtime_serverheartbeat WHERE seen_at > %s", [since]
            ).fetchone()[0]
        if fresh >= 2:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the servers did not both beat again after the outage")


async def test_an_outage_loses_no_socket_and_no_delivery(two_servers, database_url):
    first, second = two_servers
    links = {link["number"]: link["url"].split("/", 3)[3] for link in first.table_links()}
    page = {server: f"{server.url}/{links[3]}" for server in two_servers}
    a = await DinerClient([page[first]]).start()
    b = await DinerClient([page[second]]).start()
    dish = plain_dish(first)
    try:
        assert (await a.op({"type": "cart.add", "dish_id": dish, "note": "before"}))[
            "type"
        ] == "ack"
        await b.wait_for(lambda c: any(ln["note"] == "before" for ln in c.cart.values()))

        # A restart: every pooled connection dies. Right after it every page load and every
        # new socket is served (dead connections are checked and replaced, not handed out).
        urls = [page[s] for s in two_servers for _ in range(8)]
        for _ in range(2):
            await asyncio.to_thread(terminate_connections, database_url)
            assert await asyncio.to_thread(all_served, urls) == [200] * 16
            newcomers = [
                await DinerClient([page[s]]).start() for s in two_servers for _ in range(4)
            ]
            for client in newcomers:
                await client.stop()

        # A longer outage: nothing is accepted for longer than it takes to be taken for dead.
        back_at = await asyncio.to_thread(outage, database_url, 3 * BEAT * 2)
        assert await asyncio.to_thread(all_served, urls) == [200] * 16

        # Both diners are online to the table once both processes beat again. A process
        # whose pool is still in psycopg_pool's reconnect backoff when the other has beaten
        # steadily for three beats is taken for dead (likelier on a busy machine); it finds out
        # at its next beat and its sockets resync (4503), so the diner comes back, never deaf.
        await both_beat_since(database_url, back_at)
        deadline = time.monotonic() + 30
        while diners_online(database_url, [a.me, b.me]) != 2:
            assert time.monotonic() < deadline, (
                first.log_path_text()[-2000:] + second.log_path_text()[-2000:]
            )
            await asyncio.sleep(0.1)
        # ...and an op on one process reaches the diner on the other.
        assert (await a.op({"type": "cart.add", "dish_id": dish, "note": "after"}))["type"] == "ack"
        await b.wait_for(lambda c: any(ln["note"] == "after" for ln in c.cart.values()))
    finally:
        await a.stop()
        await b.stop()
