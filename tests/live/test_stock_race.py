"""The last portions of a counted dish (限量), raced for by 50 diners at 10 tables through two
ASGI server processes on PostgreSQL and Redis: exactly as many rounds get them as there are
portions, the others get `sold_out` with nothing left, nothing is oversold, and every phone at
every table hears that the dish is sold out. (How fast the phones hear it is a figure of the
benchmark, `python -m bench.stock`, not an assertion here.)"""

import asyncio
import json

import psycopg
import pytest

from tests.support.client import DinerClient
from tests.support.servers import (
    REDIS_TEST_URL,
    AsgiServer,
    manage,
    plain_dish,
    postgres_database,
    redis_prefix,
)

pytestmark = [pytest.mark.multiprocess, pytest.mark.asyncio, pytest.mark.timeout(300)]

TABLES, DINERS, PORTIONS = 10, 5, 5


@pytest.fixture(scope="module")
def servers():
    with postgres_database() as url:
        env = {**redis_prefix(), "VAR_DIR": "/tmp"}
        first = AsgiServer(database_url=url, redis_url=REDIS_TEST_URL, extra_env=env)
        second = AsgiServer(database_url=url, redis_url=REDIS_TEST_URL, extra_env=env)
        with first, second:
            yield url, first, second


def count_dish(database_url: str, dish_id: int, portions: int) -> None:
    """The kitchen's count, as the board sets it: through the service, in the deployment."""
    code = (
        "from restaurant.menu.models import Dish\n"
        "from restaurant.menu.stock import dish_set_stock\n"
        f"dish = Dish.objects.get(pk={dish_id})\n"
        f"dish_set_stock(restaurant=dish.restaurant, dish_id={dish_id}, stock={portions})\n"
    )
    manage("shell", "-c", code, database_url=database_url)


def sold(database_url: str, dish_id: int) -> tuple[int, int | None]:
    with psycopg.connect(database_url) as db:
        taken = db.execute(
            "SELECT COALESCE(SUM(qty), 0) FROM kitchen_orderitem WHERE dish_id = %s", [dish_id]
        ).fetchone()[0]
        left = db.execute("SELECT stock FROM menu_dish WHERE id = %s", [dish_id]).fetchone()[0]
    return taken, left


async def test_fifty_diners_race_for_the_last_five_portions(servers):
    database_url, first, second = servers
    links = await asyncio.to_thread(first.table_links)
    paths = {link["number"]: "/" + link["url"].split("/", 3)[3] for link in links}
    numbers = sorted(paths)[:TABLES]
    assert len(numbers) == TABLES, paths
    dish = await asyncio.to_thread(plain_dish, first)
    await asyncio.to_thread(count_dish, database_url, dish, PORTIONS)

    # Half the diners of each table on each process.
    tables = []
    for number in numbers:
        urls = [server.url + paths[number] for server in (first, second)]
        clients = [DinerClient([urls[i % 2]]) for i in range(DINERS)]
        await asyncio.gather(*(client.start() for client in clients))
        tables.append(clients)
    everyone = [client for clients in tables for client in clients]
    try:
        # One portion in each table's cart, seen by every diner of that table.
        for clients in tables:
            ack = await clients[0].op({"type": "cart.add", "dish_id": dish, "qty": 1,
                                       "options": [], "note": ""})  # fmt: skip
            assert ack["type"] == "ack", ack
            for client in clients:
                await client.wait_for(lambda c, seq=ack["seq"]: c.seq >= seq, timeout=10)

        # Everyone presses Send at once, each with the cart as they see it.
        futures = [await client.send({"type": "order.submit", "seq": client.seq})
                   for client in everyone]  # fmt: skip
        replies = await asyncio.wait_for(asyncio.gather(*futures), 60)

        acked = [r for r in replies if r["type"] == "ack"]
        by_table = [replies[i * DINERS : (i + 1) * DINERS] for i in range(TABLES)]
        assert len(acked) == PORTIONS, json.dumps(replies)[:3000]
        assert all(sum(r["type"] == "ack" for r in table) <= 1 for table in by_table)
        for reply in replies:
            if reply["type"] == "ack":
                continue
            assert reply["code"] in ("sold_out", "stale"), reply
            if reply["code"] == "sold_out":
                assert reply["dish_ids"] == [dish] and reply["left"] == {str(dish): 0}, reply
        # A table that got nothing was told why by at least one of its phones.
        for table in by_table:
            if not any(r["type"] == "ack" for r in table):
                assert any(r.get("code") == "sold_out" for r in table), table

        taken, left = await asyncio.to_thread(sold, database_url, dish)
        assert (taken, left) == (PORTIONS, 0)

        # Every phone hears it: the dish is sold out, none left.
        def told(client):
            return any(e["type"] == "menu.dish" and e["dish_id"] == dish and e["sold_out"]
                       and e["stock"] == 0 for e in client.events)  # fmt: skip

        await asyncio.gather(*(client.wait_for(told, timeout=20) for client in everyone))
    finally:
        await asyncio.gather(*(client.stop() for client in everyone))
