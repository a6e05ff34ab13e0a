"""What every scenario shares: the sizes of a run (`Sizes`), its context (`Bench`: the servers'
environment, the table pool, the results) and the one-line progress report (`say`).

Scenario families live in modules of their own and import this one; it imports none of them.
"""

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import procstats, servers
from bench.loadgen import Kitchen, LoadRun, Target

ROOT = Path(__file__).resolve().parents[1]

# Servers the baselines and the app run under, and the channel layer (always Redis here,
# except in the smoke test): "same server and layer" for every comparison.
W2_P99_MS = 100.0


@dataclass
class Sizes:
    """Durations and sizes; `quick()` shrinks them for a smoke run."""

    warmup: float = 2.0
    window: float = 20.0
    w1_tables: int = 50
    w1_diners: int = 4
    w1_rate_per_diner: float = 1.0
    w2_window: float = 8.0
    w2_start: dict = field(default_factory=lambda: {"app": 5, "relay": 20, "raw": 500})
    w2_factor: float = 1.4
    w2_max_steps: int = 16
    w3_steps: tuple = (2000, 10000)
    w3_deadline: float = 420.0
    w3_hold: float = 5.0
    w4_order_tables: int = 10
    w4_order_interval: float = 2.0
    w5_window: float = 10.0
    w5_tables: tuple = (50, 200, 500)
    w5_tables_diners: int = 2
    w5_diners: tuple = (2, 6, 12, 20)
    w5_diners_tables: int = 10
    w5_workers: tuple = (1, 2)
    w5_default_capacity: float = 30.0  # ops/s, when W2 did not run in the same sitting
    event_timeout: float = 5.0

    @classmethod
    def quick(cls) -> "Sizes":
        return cls(
            warmup=0.5,
            window=2.0,
            w1_tables=5,
            w2_window=1.5,
            w2_start={"app": 10, "relay": 50, "raw": 500},
            w2_factor=3.0,
            w2_max_steps=2,
            w3_steps=(80,),
            w3_hold=0.5,
            w3_deadline=40.0,
            w4_order_tables=2,
            w4_order_interval=0.5,
            w5_window=1.0,
            w5_tables=(4, 12),
            w5_diners=(2, 6),
            w5_diners_tables=4,
            w5_workers=(1, 2),
            event_timeout=3.0,
        )


class Bench:
    """What every scenario shares: the servers' environment, the table pool, the results."""

    def __init__(
        self, *, env: servers.Env, sizes: Sizes, server_kinds: list[str], log_dir: Path,
        quick: bool, systems: list[str],
    ) -> None:  # fmt: skip
        self.env = env
        self.sizes = sizes
        self.server_kinds = server_kinds
        self.log_dir = log_dir
        self.quick = quick
        self.systems = systems
        self.tables: list[tuple[int, str]] = []
        self.staff_session: str | None = None
        self.capacity: dict[str, float] = {}  # W2's sustained rate per system/server
        self.notes: list[str] = []
        self.results: dict[str, list] = {}  # filled as scenarios go, kept on an interrupt
        self.real_pages = False  # True: every diner opens its page and joins, also in W3 and W5
        self.stopping = False

    # --- data -------------------------------------------------------------------------------
    def _setup(self, n: int, seated: int = 0) -> list[tuple]:
        out = subprocess.run(
            [sys.executable, "-m", "bench.django_setup", "--tables", str(n),
             "--seated", str(seated)],
            cwd=ROOT, env=self.env.for_app(8000), capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if out.returncode != 0:
            raise RuntimeError(f"bench.django_setup failed:\n{out.stderr[-3000:]}")
        data = json.loads(out.stdout.strip().splitlines()[-1])
        self.staff_session = data["staff_session"]
        if seated:
            return [(t["number"], t["token"], t["cookies"]) for t in data["tables"]]
        return [(t["number"], t["token"]) for t in data["tables"]]

    def _make_tables(self, n: int) -> None:
        self.tables.extend(self._setup(n))

    def seated_tables(self, n: int, diners: int) -> list[tuple]:
        """``n`` new tables with ``diners`` diners already seated (their cookies minted)."""
        if self.real_pages:
            return self.take_tables(n)
        return self._setup(n, seated=diners)

    def take_tables(self, n: int) -> list[tuple[int, str]]:
        """``n`` tables nobody sat at yet (more are made when the pool runs out)."""
        if len(self.tables) < n:
            self._make_tables(max(n - len(self.tables), 200))
        taken, self.tables = self.tables[:n], self.tables[n:]
        return taken

    def fake_tables(self, n: int) -> list[tuple[int, str]]:
        """Baselines have no database: any distinct token makes a table."""
        tag = f"{time.monotonic_ns():x}"
        return [(i + 1, f"relay{tag}t{i:05d}") for i in range(n)]

    def cpu_probes(self, system: str) -> dict:
        probes = {}
        if system in ("app", "relay") and self.env.redis_url:
            probes["redis"] = procstats.redis_pids
        if system == "app" and self.env.database_url and "postgres" in self.env.database_url:
            name = self.env.database_url.rsplit("/", 1)[1]
            probes["postgres"] = lambda: procstats.postgres_backend_pids(name)
        return probes

    # --- one measured run -------------------------------------------------------------------
    async def load(
        self,
        *,
        scenario: str,
        system: str,
        server: str,
        tables: int,
        diners: int,
        rate: float,
        window: float | None = None,
        workers: int = 1,
        kitchen: bool = False,
        extra: dict | None = None,
        procs: list | None = None,
        seated: bool = False,
    ) -> dict:
        """One measured run; its own server process(es) unless ``procs`` are given."""
        if procs is None:
            async with servers.running(system, server, self.env, self.log_dir, workers) as procs:
                return await self.load(
                    scenario=scenario, system=system, server=server, tables=tables,
                    diners=diners, rate=rate, window=window, workers=workers, kitchen=kitchen,
                    extra=extra, procs=procs, seated=seated,
                )  # fmt: skip
        s = self.sizes
        window = window or s.window
        if system != "app":
            table_list = self.fake_tables(tables)
        elif seated:
            table_list = self.seated_tables(tables, diners)
        else:
            table_list = self.take_tables(tables)
        row = {
            "scenario": scenario, "system": system,
            "server": "websockets" if system == "raw" else server,
            "layer": self._layer(system), "workers": workers, "tables": tables,
            "diners": diners, **(extra or {}),
        }  # fmt: skip
        targets = [Target("127.0.0.1", p.port) for p in procs]
        rss0 = [p.rss_kib() for p in procs]
        run = LoadRun(
            mode="app" if system == "app" else "echo",
            targets=targets,
            tables=table_list,
            diners=diners,
            event_timeout=s.event_timeout,
            server_pids=[p.pid for p in procs],
            extra_cpu=self.cpu_probes(system),
        )
        kit = None
        try:
            row["setup"] = await run.setup()
            if kitchen:
                kit = Kitchen(
                    run, targets[0], self.staff_session,
                    self.take_tables(s.w4_order_tables),
                )  # fmt: skip
                row["kitchen_setup"] = await kit.setup()
            if kit is not None:
                figures, orders = await asyncio.gather(
                    run.measure(rate=rate, duration=window, warmup=s.warmup),
                    kit.orders(interval=s.w4_order_interval, duration=s.warmup + window),
                )
                row.update(orders)
            else:
                figures = await run.measure(rate=rate, duration=window, warmup=s.warmup)
            row.update(figures)
            row["server_rss_start_kib"] = rss0
            problems = [line for p in procs for line in p.log_problems()]
            row["server_log_problems"] = len(problems)
            row["server_log_excerpt"] = problems[:12]
        finally:
            if kit is not None:
                await kit.close()
            await run.close()
        return row

    def _layer(self, system: str) -> str:
        if system == "raw":
            return "-"
        layer = "memory"
        if self.env.redis_url:  # the layer CHANNEL_LAYER picks, as the relay follows it
            layer = "pubsub" if servers.app_channel_layer() == "pubsub" else "redis"
            relay_layer = os.environ.get("BENCH_RELAY_LAYER", "app")
            if system == "relay" and relay_layer != "app":
                layer = relay_layer
        if system == "app":
            db = "postgres" if "postgres" in (self.env.database_url or "") else "sqlite"
            return f"{db}+{layer}"
        return layer

    def configs(self) -> list[tuple[str, str]]:
        """(system, server) pairs of a comparison: each server for app and relay, then raw."""
        out = []
        for server in self.server_kinds:
            for system in ("app", "relay"):
                if system in self.systems:
                    out.append((system, server))
        if "raw" in self.systems:
            out.append(("raw", "websockets"))
        return out


def _say(row: dict) -> None:
    lat = row.get("latency_ms", {})
    print(
        f"  {row['scenario']:<4} {row['system']:<5} {row['server']:<10} w{row['workers']} "
        f"{row['tables']:>4}x{row['diners']:<2} {row.get('rate_target', 0):>7.0f}/s -> "
        f"{row.get('ops_per_second', 0):>7.1f}/s p99 {lat.get('p99')} ms lost "
        f"{row.get('events_lost')} err {row.get('ops_errors')} cpu {row.get('server_cpu_pct')}% "
        f"gen {row.get('generator_cpu_pct')}%",
        flush=True,
    )
