"""Past one machine: the channel layer sharded over two Redis servers (REDIS_URL lists both).

A second redis-server on a free loopback port, two ASGI workers whose REDIS_URL names both
shards: diners spread over the workers still see each other, at tables whose groups live on
different shards (channels_redis places a group on one shard by a hash of its name: the Redis
layer keeps it there as a sorted set, the PubSub layer subscribes to it there). Both layers.
"""

import concurrent.futures
import contextlib
import secrets
import shutil
import subprocess
import time

import psycopg
import pytest
import redis
from channels_redis.utils import _consistent_hash

from restaurant.realtime.groups import table_group
from tests.support.client import DinerClient
from tests.support.servers import REDIS_TEST_URL, AsgiServer, free_port, plain_dish, redis_prefix

pytestmark = [pytest.mark.deploy, pytest.mark.asyncio, pytest.mark.xdist_group("deploy-shards")]


@pytest.fixture(scope="module")
def second_redis(deploy_requirements):
    server = shutil.which("redis-server")
    port = free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.RedisError):
                if redis.Redis.from_url(url, socket_timeout=1).ping():
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the second redis-server on port {port} did not start")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="module", params=["pubsub", "redis"])
def sharded(request, second_redis, deploy_database):
    shards = [REDIS_TEST_URL, second_redis]
    env = {**redis_prefix(), "VAR_DIR": "/tmp", "CHANNEL_LAYER": request.param}
    database_url = deploy_database[0]
    servers = [
        AsgiServer(database_url=database_url, redis_url=",".join(shards), extra_env=env)
        for _ in range(2)
    ]
    try:
        # /healthz, which start() waits for, answers only when every shard does
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            for future in [pool.submit(server.start) for server in servers]:
                future.result()
        yield servers, shards, Layout(request.param, env["CHANNEL_PREFIX"]), database_url
    finally:
        # Routing is under test here, not a graceful exit: TERM, a short grace, then KILL.
        for server in servers:
            if server.process and server.process.poll() is None:
                server.process.terminate()
        for server in servers:
            with contextlib.suppress(subprocess.TimeoutExpired, AttributeError):
                server.process.wait(3)
            server.kill()
            server.stop()
        for url in shards:
            client = redis.Redis.from_url(url)
            for key in client.scan_iter(f"{env['CHANNEL_PREFIX']}*", count=1000):
                client.delete(key)


class Layout:
    """Where a layer keeps a group in Redis, and on which shard."""

    def __init__(self, layer: str, prefix: str) -> None:
        self.layer, self.prefix = layer, prefix

    def key(self, table_id: int) -> str:
        if self.layer == "pubsub":  # the channel it subscribes to, hashed by that name
            return f"{self.prefix}__group__{table_group(table_id)}"
        return f"{self.prefix}:group:{table_group(table_id)}"  # a sorted set, hashed by group

    def shard(self, table_id: int) -> int:
        name = self.key(table_id) if self.layer == "pubsub" else table_group(table_id)
        return _consistent_hash(name, 2)

    def held(self, url: str, table_id: int) -> int:
        client = redis.Redis.from_url(url)
        if self.layer == "pubsub":
            [(_, subscribers)] = client.pubsub_numsub(self.key(table_id))
            return int(subscribers > 0)
        return client.exists(self.key(table_id))


# Tables of this module's own: the deploy database is shared by every deploy test of the run,
# and a demo table borrowed here (table 1 when the random prefix hashed both spare demo tables
# to one shard) kept the cart this test leaves, which the stack test then found when closing.
OWN_TABLES = range(901, 917)  # 16: two shards both get one but once in 32,768 runs


# The deployment's restaurant (the deploy database has one: its menu is `/api/menu/`'s).
RESTAURANT = "(SELECT id FROM venues_restaurant ORDER BY id LIMIT 1)"


def own_tables(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        for number in OWN_TABLES:
            connection.execute(
                "INSERT INTO tables_table (restaurant_id, number, label, token)"
                f" VALUES ({RESTAURANT}, %s, %s, %s)"
                " ON CONFLICT (restaurant_id, number) DO NOTHING",
                [number, f"shard test {number}", secrets.token_urlsafe(18)],
            )


def tables_by_shard(database_url: str, layout: Layout) -> dict[int, tuple[int, str]]:
    """Shard index -> (table id, token) of one of this module's tables on that shard."""
    own_tables(database_url)
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT id, token FROM tables_table"
            f" WHERE restaurant_id = {RESTAURANT} AND number = ANY(%s) ORDER BY number",
            [list(OWN_TABLES)],
        ).fetchall()
    found: dict[int, tuple[int, str]] = {}
    for table_id, token in rows:
        found.setdefault(layout.shard(table_id), (table_id, token))
    assert set(found) == {0, 1}, "every one of this module's tables hashes to the same shard"
    return found


async def test_diners_spread_over_workers_see_each_other_across_redis_shards(sharded):
    (first, second), shards, layout, database_url = sharded
    dish_id = plain_dish(first)
    for shard, (table_id, token) in tables_by_shard(database_url, layout).items():
        a = await DinerClient([f"{first.url}/t/{token}/"]).start()
        b = await DinerClient([f"{second.url}/t/{token}/"]).start()
        try:
            # While its diners are connected, the table's group lives on its own shard alone.
            holders = [layout.held(url, table_id) for url in shards]
            assert holders == [int(i == shard) for i in range(2)], (shard, holders)
            note = f"on shard {shard}"
            ack = await a.op({"type": "cart.add", "dish_id": dish_id, "note": note})
            assert ack["type"] == "ack", ack
            await b.wait_for(lambda c, n=note: any(ln["note"] == n for ln in c.cart.values()))
            # a name no diner of this meal has (each layer's pass reuses the open tables)
            name = f"B{shard}-{secrets.token_hex(3)}"
            ack = await b.op({"type": "diner.rename", "name": name})
            assert ack["type"] == "ack", ack
            await a.wait_for(
                lambda c, n=name: any(
                    e["type"] == "diner" and e["diner"]["name"] == n for e in c.events
                )
            )
            await b.wait_for(lambda c, a=a: c.seq == a.seq)
            assert a.cart == b.cart
        finally:
            await a.stop()
            await b.stop()
