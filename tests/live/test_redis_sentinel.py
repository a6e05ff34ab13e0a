"""The app on Redis Sentinel (REDIS_SENTINELS) while the primary dies: the Sentinels promote
the replica, the worker finds it by itself, diners hear each other again and no acked op is
lost (docs/redis-sentinel.md). Nothing is restarted but the sockets the worker closes (4503)
so that they resync."""

import asyncio

import pytest
import redis

from tests.support.client import DinerClient
from tests.support.sentinel import SentinelGroup, wait_until
from tests.support.servers import AsgiServer, plain_dish, prepare_database
from tests.test_settings import setup_with

# Generous: two cores shared with other work. On an idle machine the promotion takes ~3 s
# (docs/redis-sentinel.md, "Measured") and the events flow again right after.
DEADLINE = 40


@pytest.fixture
def sentinels(tmp_path):
    work = tmp_path / "redis"
    work.mkdir()
    with SentinelGroup(work) as group:
        group.wait_ready()
        yield group


def layer_traces(port: int, layer: str, prefix: str) -> list:
    """What the worker's layer holds on the Redis at ``port``: its subscriptions (pubsub) or
    its keys (redis). Empty would mean the worker is not on that Redis at all."""
    with redis.Redis(port=port, socket_timeout=2) as client:
        if layer == "pubsub":
            return client.pubsub_channels(f"{prefix}*")
        return client.keys(f"{prefix}*")


def add(dish_id: int, note: str) -> dict:
    return {"type": "cart.add", "dish_id": dish_id, "qty": 1, "options": [], "note": note}


def notes(client: DinerClient) -> list[str]:
    return sorted(line["note"] for line in client.cart.values())


def has_notes(*wanted: str):
    return lambda client: set(wanted) <= set(notes(client))


def test_production_accepts_sentinels_instead_of_a_url(tmp_path):
    run = setup_with(
        tmp_path, ALLOWED_HOSTS="example.com", REDIS_URL="", REDIS_SENTINELS="127.0.0.1:26379"
    )
    assert run.returncode == 0, run.stderr[-2000:]


def test_a_url_and_sentinels_together_are_refused(tmp_path):
    run = setup_with(tmp_path, ALLOWED_HOSTS="example.com", REDIS_SENTINELS="127.0.0.1:26379")
    assert run.returncode != 0 and "not both" in run.stderr


@pytest.mark.multiprocess
@pytest.mark.asyncio
@pytest.mark.xdist_group("redis-sentinel")
@pytest.mark.timeout(120)
@pytest.mark.parametrize("layer", ["pubsub", "redis"])
async def test_diners_hear_each_other_after_a_failover(tmp_path, sentinels, layer):
    database_url = prepare_database(tmp_path)
    env = {
        "VAR_DIR": str(tmp_path),
        "CHANNEL_PREFIX": "rosentinel",
        "CHANNEL_LAYER": layer,
        "REDIS_SENTINELS": sentinels.env_value(),
        "REDIS_SENTINEL_MASTER": sentinels.master,
    }
    # No REDIS_URL: AsgiServer leaves the caller's out, and settings refuse both at once.
    with AsgiServer(database_url=database_url, extra_env=env) as server:
        page = server.table_url(1)
        first, second = [await DinerClient([page]).start() for _ in range(2)]
        dish = plain_dish(server)
        assert (await first.op(add(dish, "before")))["type"] == "ack"
        await second.wait_for(has_notes("before"))
        assert layer_traces(sentinels.primary, layer, "rosentinel"), "not on the primary"

        sentinels.kill("primary")
        # An op while the primary is gone: the database takes it, so it is acked; its event
        # may be lost with the primary, and the resync must still bring it to the other diner.
        during = await first.op(add(dish, "during"), timeout=DEADLINE)
        assert during["type"] == "ack", during
        await asyncio.to_thread(sentinels.wait_promoted, DEADLINE)

        # After the failover, an op of the other diner reaches the first one.
        after = await second.op(add(dish, "after"), timeout=DEADLINE)
        assert after["type"] == "ack", after
        everything = has_notes("before", "during", "after")
        await first.wait_for(everything, timeout=DEADLINE)
        await second.wait_for(everything, timeout=DEADLINE)
        assert notes(first) == notes(second) == ["after", "before", "during"]
        # The pub/sub layer resubscribes a moment after the promotion (its receive loop retries
        # every second); an event published before that is lost and the resync repairs it.
        await asyncio.to_thread(
            wait_until,
            lambda: layer_traces(sentinels.replica, layer, "rosentinel"),
            DEADLINE,
            "the worker's layer on the new primary",
        )
        assert server.process.poll() is None, "the worker died in the failover"
        for diner in (first, second):
            await diner.stop()
