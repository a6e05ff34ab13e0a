"""Redis restarts under a running worker (no persistence: it comes back empty, as this
deployment runs it). Every socket must hear events again, and converge, without a reload."""

import asyncio
import shutil
import subprocess
import time

import pytest

from tests.support.client import DinerClient
from tests.support.servers import AsgiServer, free_port, plain_dish, prepare_database

pytestmark = [pytest.mark.multiprocess, pytest.mark.asyncio]


class PrivateRedis:
    """A redis-server of this test's own, so that killing it disturbs nobody else."""

    def __init__(self) -> None:
        assert shutil.which("redis-server"), "redis-server is needed (Debian: redis-server)"
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                                   capture_output=True, text=True)  # fmt: skip
            if probe.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)


@pytest.fixture
def redis():
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.kill()


def add(dish_id: int, note: str) -> dict:
    return {"type": "cart.add", "dish_id": dish_id, "qty": 1, "options": [], "note": note}


def has_note(note: str):
    return lambda client: any(line["note"] == note for line in client.cart.values())


@pytest.mark.parametrize("layer", ["redis", "pubsub"])
@pytest.mark.parametrize("down_seconds", [0, 3])
async def test_sockets_hear_again_after_redis_restarts(tmp_path, redis, down_seconds, layer):
    database_url = prepare_database(tmp_path)
    env = {"VAR_DIR": str(tmp_path), "CHANNEL_PREFIX": "rorestart", "CHANNEL_LAYER": layer}
    with AsgiServer(database_url=database_url, redis_url=redis.url, extra_env=env) as server:
        page = server.table_url(1)
        diners = [await DinerClient([page]).start() for _ in range(4)]
        dish = plain_dish(server)
        assert (await diners[0].op(add(dish, "before")))["type"] == "ack"
        for diner in diners:
            await diner.wait_for(has_note("before"))

        redis.kill()  # 0 s: back at once, before most sockets notice (the deaf case)
        await asyncio.sleep(down_seconds)
        redis.start()
        back = time.monotonic()

        # One op at once, while the server is still finding its way back to Redis: its event
        # is likely lost (no members in the new Redis, or no subscription yet). Nothing else
        # happens at the table, and still every diner must get it, by a resync.
        assert (await diners[0].op(add(dish, "after"), timeout=15))["type"] == "ack"
        await asyncio.gather(*(d.wait_for(has_note("after"), timeout=15) for d in diners))
        heard = time.monotonic() - back
        assert heard <= 15, f"the last diner heard after {heard:.1f} s"

        # Everyone converged on one cart (the database's, as each snapshot or event says).
        carts = [sorted(line["note"] for line in d.cart.values()) for d in diners]
        assert all(cart == carts[0] for cart in carts), carts
        for diner in diners:
            await diner.stop()


async def test_a_quiet_socket_stays_open(tmp_path, redis):
    """Nothing happens at the table for longer than the layer's blocking read (5 s): the
    socket must neither close nor go deaf."""
    database_url = prepare_database(tmp_path)
    env = {"VAR_DIR": str(tmp_path), "CHANNEL_PREFIX": "roquiet"}
    with AsgiServer(database_url=database_url, redis_url=redis.url, extra_env=env) as server:
        page = server.table_url(1)
        quiet, talker = DinerClient([page]), DinerClient([page])
        await quiet.start()
        await asyncio.sleep(12)
        await talker.start()
        assert (await talker.op(add(plain_dish(server), "after a quiet while")))["type"] == "ack"
        await quiet.wait_for(has_note("after a quiet while"))
        assert quiet.reconnects == 0, "the quiet socket was closed meanwhile"
        await quiet.stop()
        await talker.stop()
