"""What the chaos runner (`bench/chaos.py`) and every chaos scenario family share: the sizes of
a run (`Sizes`), one pass mark (`Check`), the run's context (`Chaos`: the database, Redis,
per-scenario key prefixes, the servers it starts) and where results go (`RESULTS`).

Imports no scenario family (they import it), so the runner and the families make no circle.
"""

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench import servers
from bench.chaos_client import ChaosTable
from bench.harness import Bench
from bench.harness import Sizes as BenchSizes

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


@dataclass
class Sizes:
    """Sizes and durations of every scenario; `quick()` shrinks them (the whole quick run in
    about 90 s on the 2-core machine)."""

    # kill9: 2 workers, tables x diners, ops/s in total, seconds before and after the kill
    kill9_tables: int = 20
    kill9_diners: int = 3
    kill9_rate: float = 100.0
    kill9_before: float = 10.0
    kill9_after: float = 20.0
    # redis_restart
    redis_tables: int = 10
    redis_diners: int = 3
    redis_rate: float = 20.0
    redis_before: float = 5.0
    redis_down: float = 5.0
    redis_after: float = 20.0  # traffic after Redis is back (the deadline to hear again: 15 s)
    # overload: capacity steps (when --rate is not given), then 3x for `overload_window`
    overload_tables: int = 20
    overload_diners: int = 4
    overload_window: float = 20.0
    capacity_start: float = 20.0
    capacity_step_seconds: float = 4.0
    capacity_max_steps: int = 8
    # churn
    churn_tables: int = 8
    churn_diners: int = 6
    churn_rate_per_table: float = 10.0
    churn_seconds: float = 300.0
    # slow_reader: phases without / with the non-reading diner, each `slow_phase` seconds
    slow_tables: int = 10
    slow_diners: int = 4
    slow_rate: float = 20.0
    slow_phase: float = 8.0
    slow_rounds: int = 5
    slow_drop_deadline: float = 60.0
    slow_snapshot_lines: int = 150
    # storm
    storm_sockets: int = 2000
    storm_inflight: int = 200
    # db_connections
    db_sockets: int = 1000
    db_cancel_sockets: int = 200
    # same_address
    wifi_diners: int = 300
    abuser_sockets: int = 2000
    per_address_limit: int | None = None  # None: the app's default (WS_SOCKETS_PER_ADDRESS)
    # big_frames
    frame_sizes: tuple = (1 << 20, 16 << 20)

    @classmethod
    def quick(cls) -> "Sizes":
        return cls(
            kill9_tables=6, kill9_diners=3, kill9_rate=30.0, kill9_before=2.0, kill9_after=4.0,
            redis_tables=4, redis_diners=3, redis_rate=10.0, redis_before=1.5, redis_down=2.0,
            redis_after=15.0,
            overload_tables=6, overload_diners=3, overload_window=4.0, capacity_start=15.0,
            capacity_step_seconds=1.5, capacity_max_steps=2,
            churn_tables=3, churn_diners=4, churn_rate_per_table=3.0, churn_seconds=8.0,
            slow_tables=3, slow_diners=3, slow_rate=9.0, slow_phase=1.5, slow_rounds=1,
            slow_drop_deadline=30.0, slow_snapshot_lines=90,
            storm_sockets=120, storm_inflight=40,
            db_sockets=80, db_cancel_sockets=30,
            wifi_diners=40, abuser_sockets=120, per_address_limit=60,
            frame_sizes=(1 << 20,),
        )  # fmt: skip


class Check:
    """One pass mark: what was measured against what the issue asks."""

    def __init__(self, name: str, measured, mark: str, passed: bool) -> None:
        self.name = name
        self.measured = measured
        self.mark = mark
        self.passed = bool(passed)

    def as_dict(self) -> dict:
        return {"check": self.name, "measured": self.measured, "mark": self.mark,
                "passed": self.passed}  # fmt: skip


class Chaos:
    """What every scenario shares: the database, the shared Redis, per-scenario key prefixes,
    the log directory, the sizes, and table-making (bench.harness.Bench's)."""

    def __init__(self, *, database_url: str, redis_url: str, tmp: Path, sizes: Sizes,
                 quick: bool, rate: float | None, log_dir: Path | None = None) -> None:  # fmt: skip
        self.database_url = database_url
        self.redis_url = redis_url
        self.run_tag = uuid.uuid4().hex[:8]
        self.tmp = tmp
        self.log_dir = log_dir or tmp / "logs"
        self.sizes = sizes
        self.quick = quick
        self.rate = rate
        self.prefixes: list[tuple[str, str]] = []  # (redis url, prefix) to clean at the end
        self.results: dict[str, dict] = {}
        self.notes: list[str] = []
        self.stopping = False
        self.pids: list[int] = []  # every process started (servers, redis-server)
        self.bench = Bench(
            env=servers.Env(database_url=database_url, var_dir=str(tmp / "var")),
            sizes=BenchSizes(), server_kinds=["daphne"], log_dir=self.log_dir, quick=quick,
            systems=["app"],
        )  # fmt: skip

    def env(self, scenario: str, *, redis_url: str | None = None, **extra) -> servers.Env:
        """The servers' environment for one scenario: its own channel-layer key prefix."""
        prefix = f"rochaos-{self.run_tag}-{scenario}"
        url = redis_url or self.redis_url
        self.prefixes.append((url, prefix))
        return servers.Env(
            database_url=self.database_url, redis_url=url, channel_prefix=prefix,
            var_dir=str(self.tmp / "var"), extra={k: str(v) for k, v in extra.items()},
        )  # fmt: skip

    def tables(self, n: int):
        """``n`` fresh tables (diners come through the table page)."""
        return [ChaosTable(number, token) for number, token in self.bench.take_tables(n)]

    def seated(self, n: int, diners: int):
        """``n`` fresh tables with ``diners`` diners seated (cookies minted by Django's session
        engine, bench/django_setup.py --seated)."""
        return [ChaosTable(t[0], t[1], t[2]) for t in self.bench._setup(n, seated=diners)]

    def start_worker(self, env: servers.Env, server: str = "daphne", *, cores: str | None = None):
        """One server process; pinned to the bench's server core, or to ``cores`` (e.g. "0,1":
        several workers share the machine, as a deployment runs them)."""
        pinned = servers.SERVER_CORE
        if cores is not None:
            servers.SERVER_CORE = cores
        try:
            started = servers.start_server("app", server, env, self.log_dir)
        finally:
            servers.SERVER_CORE = pinned
        self.pids.append(started.pid)
        return started

    async def workers(
        self, env: servers.Env, n: int = 1, server: str = "daphne", *, cores: str | None = None
    ) -> list:
        started = []
        try:
            for _ in range(n):
                started.append(self.start_worker(env, server, cores=cores))
            await asyncio.gather(*(servers.wait_ready(s) for s in started))
        except BaseException:
            for s in started:
                servers.stop_server(s)
            raise
        return started
