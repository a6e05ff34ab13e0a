"""The load generator against a real server: 2 tables x 2 diners for a couple of seconds.

Asserts what the bench reports and that nothing was lost; never how fast anything was.
"""

from urllib.parse import urlsplit

import pytest

from bench.loadgen import LoadRun, Target
from tests.support.servers import AsgiServer, prepare_database

pytestmark = [pytest.mark.multiprocess, pytest.mark.asyncio, pytest.mark.timeout(60)]

REPORT_KEYS = {
    "ops_sent", "ops_acked", "ops_per_second", "ops_errors", "ops_unacked", "events_lost",
    "latency_ms", "ack_ms", "sockets", "sockets_failed", "sockets_closed_by_server",
    "server_cpu_pct", "server_cpu_us_per_op", "server_rss_kib", "generator_cpu_pct",
}  # fmt: skip


async def test_load_generator_measures_every_op_to_every_diner(tmp_path):
    database_url = prepare_database(tmp_path)
    server = AsgiServer(database_url=database_url, extra_env={"VAR_DIR": str(tmp_path)})
    with server:
        links = {link["number"]: link["url"] for link in server.table_links()}
        tables = [(n, urlsplit(links[n]).path.strip("/").split("/")[-1]) for n in (1, 2)]
        run = LoadRun(
            mode="app", targets=[Target("127.0.0.1", server.port)], tables=tables, diners=2,
            event_timeout=5, server_pids=[server.process.pid],
        )  # fmt: skip
        try:
            setup = await run.setup(timeout=15, deadline=30)
            report = await run.measure(rate=6, duration=2.0, warmup=0.5)
        finally:
            await run.close()

    assert setup["sockets_open"] == 4
    assert report.keys() >= REPORT_KEYS
    assert report["latency_ms"].keys() >= {"count", "p50", "p95", "p99", "max"}
    assert report["ops_sent"] > 0
    assert report["ops_acked"] == report["ops_sent"]
    assert report["ops_errors"] == 0 and report["ops_unacked"] == 0
    assert report["events_lost"] == 0
    assert report["latency_ms"]["count"] == report["ops_acked"]  # every op reached every diner
    assert report["sockets_failed"] == 0 and report["sockets_closed_by_server"] == 0
