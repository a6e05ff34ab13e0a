"""CHANNEL_LAYER=pubsub: two server processes on RedisPubSubChannelLayer still make one
table (the layer is an option, measured in docs/performance.md; the default is tested
everywhere else)."""

import pytest

from tests.support.client import DinerClient
from tests.support.servers import REDIS_TEST_URL, AsgiServer, plain_dish, prepare_database

pytestmark = [pytest.mark.multiprocess, pytest.mark.asyncio]


async def test_two_processes_on_the_pubsub_layer(tmp_path):
    database_url = prepare_database(tmp_path)
    env = {"VAR_DIR": str(tmp_path), "CHANNEL_LAYER": "pubsub",
           **{"CHANNEL_PREFIX": f"ropubsub-{tmp_path.name}"}}  # fmt: skip
    first = AsgiServer(database_url=database_url, redis_url=REDIS_TEST_URL, extra_env=env)
    second = AsgiServer(database_url=database_url, redis_url=REDIS_TEST_URL, extra_env=env)
    with first, second:
        page = first.table_url(1)
        a = await DinerClient([page]).start()
        b = await DinerClient([second.url + "/" + page.split("/", 3)[3]]).start()
        add = {"type": "cart.add", "dish_id": plain_dish(first), "qty": 1, "options": []}
        assert (await a.op({**add, "note": "from one"}))["type"] == "ack"
        await b.wait_for(lambda c: any(ln["note"] == "from one" for ln in c.cart.values()))
        assert (await b.op({**add, "note": "from two"}))["type"] == "ack"
        for diner in (a, b):  # the sender's own event may come after its ack
            await diner.wait_for(lambda c: any(ln["note"] == "from two" for ln in c.cart.values()))
        assert a.cart == b.cart
        await a.stop()
        await b.stop()
