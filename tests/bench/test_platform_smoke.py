"""W6, the platform, shrunk against a real server: 3 restaurants x 10 tables x 4 diners with
their kitchens and floors, a few seconds of rush.

Asserts that nothing crossed between restaurants, nothing was lost and the row has the
shape of the other scenarios' rows; never how fast anything was.
"""

from pathlib import Path

import pytest

from bench import servers
from bench.harness import Bench, Sizes
from bench.platform_load import PlatformSizes, platform_run
from tests.support.servers import AsgiServer, prepare_database

pytestmark = [pytest.mark.multiprocess, pytest.mark.asyncio, pytest.mark.timeout(120)]

ROW_KEYS = {
    "scenario", "system", "server", "layer", "workers", "tables", "diners", "rate_target",
    "ops_per_second", "latency_ms", "events_lost", "ops_errors", "ops_unacked",
    "server_cpu_pct", "server_rss_kib", "platform",
}  # fmt: skip
PLATFORM_KEYS = {
    "restaurants", "rounds_sent", "rounds_acked", "kitchens_foreign_orders",
    "kitchens_lost_orders", "floors_foreign", "floors_lost_orders", "diners_foreign",
    "kitchen_ms", "item_moves", "sold_out_switches", "status_changes_lost",
    "cpu_ms_per_restaurant_per_s", "rss_kib_per_restaurant", "db_connections",
}  # fmt: skip


async def test_quick_platform_keeps_every_restaurant_to_itself(tmp_path: Path):
    database_url = prepare_database(tmp_path)
    env = servers.Env(database_url=database_url, var_dir=str(tmp_path))
    bench = Bench(
        env=env, sizes=Sizes.quick(), server_kinds=["daphne"], log_dir=tmp_path / "logs",
        quick=True, systems=["app"],
    )  # fmt: skip
    sizes = PlatformSizes.quick()
    server = AsgiServer(database_url=database_url, extra_env={"VAR_DIR": str(tmp_path)})
    with server:
        base = f"127.0.0.1:{server.port}"
        row = await platform_run(
            bench, http_base=f"http://{base}", ws_base=f"ws://{base}", origin=server.url,
            server_pids=[server.process.pid], sizes=sizes,
            label={"scenario": "W6", "system": "app", "server": "daphne",
                   "layer": "sqlite+memory", "workers": 1},
        )  # fmt: skip

    assert row.keys() >= ROW_KEYS
    assert row["latency_ms"].keys() >= {"p50", "p95", "p99", "max"}
    assert row["tables"] == sizes.restaurants * sizes.tables
    assert row["setup"]["sockets_open"] == sizes.restaurants * sizes.tables * sizes.diners
    assert row["sockets_failed"] == 0 and row["sockets_closed_by_server"] == 0
    assert row["ops_acked"] == row["ops_sent"] > 0
    assert row["ops_errors"] == 0 and row["ops_unacked"] == 0 and row["events_lost"] == 0
    platform = row["platform"]
    assert platform.keys() >= PLATFORM_KEYS
    assert platform["restaurants"] == sizes.restaurants
    assert platform["rounds_acked"] > 0
    # A round another diner's add overtook four times is refused `stale`: the protocol's
    # answer, not a failure; anything else is.
    assert set(platform["round_errors"]) <= {"stale"}
    assert platform["kitchen_ms"]["count"] == platform["rounds_acked"]
    assert platform["kitchens_foreign_orders"] == 0, platform["foreign_examples"]
    assert platform["floors_foreign"] == 0 and platform["diners_foreign"] == 0
    assert platform["kitchens_lost_orders"] == 0 and platform["floors_lost_orders"] == 0
    assert platform["rounds_unseen_by_diners"] == 0
    assert platform["item_moves"] > 0 and platform["sold_out_switches"] > 0
    assert platform["status_changes_lost"] == {"order": 0, "item": 0, "dish": 0}
    assert platform["staff_op_errors"] == {}
