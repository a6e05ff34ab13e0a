"""A dinner longer than the channel layer's `group_expiry` keeps receiving its table's events
(memberships are refreshed by each process), shown with an expiry of two seconds."""

import asyncio

import pytest

from tests.support.client import DinerClient
from tests.support.servers import (
    REDIS_TEST_URL,
    AsgiServer,
    plain_dish,
    prepare_database,
    redis_prefix,
)

pytestmark = [pytest.mark.multiprocess, pytest.mark.asyncio]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database_url = prepare_database(tmp_path_factory.mktemp("long"))
    env = {**redis_prefix(), "VAR_DIR": "/tmp", "CHANNEL_GROUP_EXPIRY": "2",
           "SERVER_HEARTBEAT_SECONDS": "0.3"}  # fmt: skip
    with AsgiServer(database_url=database_url, redis_url=REDIS_TEST_URL, extra_env=env) as s:
        yield s


async def test_memberships_outlive_group_expiry(server):
    page = server.table_url(4)
    early = await DinerClient([page]).start()
    await asyncio.sleep(4)  # twice the group expiry
    late = await DinerClient([page]).start()
    try:
        ack = await late.op({"type": "cart.add", "dish_id": plain_dish(server), "note": "late"})
        assert ack["type"] == "ack"
        await early.wait_for(lambda c: any(ln["note"] == "late" for ln in c.cart.values()), 3)
        assert early.reconnects == 0
    finally:
        await early.stop()
        await late.stop()
