"""Two ASGI server processes on one Redis and one PostgreSQL: diners of one table on
different processes see each other, and killing a process mid-stream loses no acknowledged
op and applies none twice."""

import asyncio

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


@pytest.fixture(scope="module")
def database_url():
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def two_servers(database_url):
    """Shared by this module's tests; the last test kills the second one."""
    env = {**redis_prefix(), "VAR_DIR": "/tmp", "SERVER_HEARTBEAT_SECONDS": "0.5"}
    first = AsgiServer(database_url=database_url, redis_url=REDIS_TEST_URL, extra_env=env)
    second = AsgiServer(database_url=database_url, redis_url=REDIS_TEST_URL, extra_env=env)
    with first, second:
        yield first, second


def page(server: AsgiServer, number: int, links: dict) -> str:
    return server.url + links[number]


@pytest.fixture(scope="module")
def paths(two_servers):
    """Table number → the table page's path (the same on every server)."""
    return {link["number"]: "/" + link["url"].split("/", 3)[3] for link in
            two_servers[0].table_links()}  # fmt: skip


async def test_diners_on_different_processes_see_each_other(two_servers, paths):
    first, second = two_servers
    a = await DinerClient([page(first, 1, paths)]).start()
    b = await DinerClient([page(second, 1, paths)]).start()
    stranger = await DinerClient([page(second, 2, paths)]).start()
    try:
        ack = await a.op({"type": "cart.add", "dish_id": plain_dish(first), "qty": 2, "options": [],
                          "note": "from process one"})  # fmt: skip
        assert ack["type"] == "ack", ack
        await b.wait_for(lambda c: any(ln["note"] == "from process one" for ln in c.cart.values()))
        ack = await b.op({"type": "diner.rename", "name": "小王"})
        assert ack["type"] == "ack", ack
        await a.wait_for(lambda c: any(e["type"] == "diner" and e["diner"]["name"] == "小王"
                                       for e in c.events))  # fmt: skip
        await b.wait_for(lambda c: c.seq == a.seq)  # its own event may trail its ack
        assert a.cart == b.cart
        await asyncio.sleep(0.3)
        assert not [e for e in stranger.events if e["type"] != "presence"]
    finally:
        for client in (a, b, stranger):
            await client.stop()


async def test_killing_a_process_mid_stream_loses_no_acknowledged_op(two_servers, paths):
    """Runs last: it kills the second server."""
    first, second = two_servers
    # A diner who will not come back (a phone on the dead process that is switched off): once
    # the dead process stops beating, the table sees it go offline.
    gone = DinerClient([page(second, 3, paths)])
    gone_id = (await gone.start()).me
    # The writer starts on the process that will die; it fails over to the other one.
    writer = await DinerClient([page(second, 3, paths), page(first, 3, paths)]).start()
    watcher = await DinerClient([page(first, 3, paths)]).start()
    try:
        dish_id = plain_dish(first)
        futures = []
        for i in range(60):
            # A distinct note per op: an op applied twice would show as qty 2 on its line.
            message = {"type": "cart.add", "dish_id": dish_id, "note": f"op {i}"}
            futures.append(await writer.send(message))
            if i == 30:
                second.kill()
            await asyncio.sleep(0.02)
        replies = await asyncio.wait_for(asyncio.gather(*futures), 30)
        assert writer.reconnects >= 1
        assert [r["type"] for r in replies] == ["ack"] * 60, replies
        await watcher.wait_for(lambda c: len(c.cart) == 60, timeout=10)
        notes = sorted((line["note"], line["qty"]) for line in watcher.cart.values())
        assert notes == sorted((f"op {i}", 1) for i in range(60))
        # the writer converges on the same state as the watcher
        await writer.wait_for(lambda c: c.seq == watcher.seq, timeout=10)
        assert writer.cart == watcher.cart

        def gone_offline(client):
            presence = [e for e in client.events if e["type"] == "presence"]
            return presence and gone_id not in presence[-1]["online"]

        await watcher.wait_for(gone_offline, timeout=10)
    finally:
        gone._runner.cancel()  # its process is dead; it must not fail over
        await writer.stop()
        await watcher.stop()
