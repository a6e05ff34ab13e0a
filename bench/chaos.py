"""`python -m bench.chaos [--quick] [-s kill9,storm,...]`: RestaurantOrder under fire (issue 5).

Faults, overload and abuse against real server processes on loopback: each scenario starts and
stops its own servers (and, for `redis_restart`, its own redis-server), runs for a bounded time,
checks the database against what every client holds, and prints its figures and PASS or FAIL
against the issue's pass mark. At the end: a summary table, `bench/results/chaos-<stamp>.json`,
and exit status 1 when any scenario failed. Every process started here dies on the way out,
on an error and on Ctrl-C too (a second Ctrl-C kills at once).
"""

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass, fields
from pathlib import Path

from bench import servers
from bench.__main__ import _git_commit, _versions, raise_fd_limit

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
    the log directory, the sizes, and table-making (bench.scenarios.Bench's)."""

    def __init__(self, *, database_url: str, redis_url: str, tmp: Path, sizes: Sizes,
                 quick: bool, rate: float | None, log_dir: Path | None = None) -> None:  # fmt: skip
        from bench.scenarios import Bench
        from bench.scenarios import Sizes as BenchSizes

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
        from bench.chaos_client import ChaosTable

        return [ChaosTable(number, token) for number, token in self.bench.take_tables(n)]

    def seated(self, n: int, diners: int):
        """``n`` fresh tables with ``diners`` diners seated (cookies minted by Django's session
        engine, bench/django_setup.py --seated)."""
        from bench.chaos_client import ChaosTable

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


def parse_args(argv=None) -> argparse.Namespace:
    from bench.chaos_scenarios import SCENARIOS

    p = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="shrink every scenario (~90 s in all)")
    p.add_argument(
        "--scenario", "-s", default=",".join(SCENARIOS),
        help=f"comma-separated, of {', '.join(SCENARIOS)} (default: all)",
    )  # fmt: skip
    p.add_argument(
        "--rate", type=float, help="overload: one worker's sustained ops/s (else measured)"
    )
    p.add_argument("--kill9-rate", type=float, help="kill9: ops/s in total (default 100)")
    p.add_argument("--churn-rate", type=float, help="churn: ops/s per table (default 10)")
    p.add_argument("--churn-seconds", type=float, help="churn: how long (default 300, quick 8)")
    p.add_argument(
        "--redis-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    p.add_argument("--logs", type=Path, help="keep the servers' logs in this directory")
    p.add_argument("--out", type=Path, help="JSON file to write (default bench/results/chaos-...)")
    return p.parse_args(argv)


def _cell(value, width: int) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def render(document: dict) -> str:
    meta = document["meta"]
    lines = [
        "",
        f"RestaurantOrder chaos — {meta['started']}, {meta['cpus']} cores, load avg "
        f"{meta['loadavg_start'][0]:.2f} -> {meta['loadavg_end'][0]:.2f}"
        f"{' (quick)' if meta['quick'] else ''}",
        "",
        f"{'scenario':<14}{'result':<7}{'seconds':>8}  failed checks / key figures",
    ]
    for name, result in document["results"].items():
        verdict = "PASS" if result.get("passed") else "FAIL"
        failed = [c for c in result.get("checks", []) if not c["passed"]]
        shown = failed or result.get("checks", [])[:2]
        detail = "; ".join(f"{c['check']}: {c['measured']} ({c['mark']})" for c in shown)
        if result.get("error"):
            detail = f"error: {result['error']}"
        lines.append(
            f"{name:<14}{verdict:<7}{result.get('seconds', 0):>8.0f}  {_cell(detail, 160)}"
        )
    passed = sum(1 for r in document["results"].values() if r.get("passed"))
    lines.append("")
    lines.append(f"{passed} of {len(document['results'])} scenarios passed")
    for note in meta["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def print_result(name: str, result: dict) -> None:
    for check in result.get("checks", []):
        mark = "ok  " if check["passed"] else "FAIL"
        print(f"   {mark} {check['check']}: {check['measured']}  [pass: {check['mark']}]")
    print(f"   => {name}: {'PASS' if result.get('passed') else 'FAIL'} "
          f"({result.get('seconds', 0):.0f} s)", flush=True)  # fmt: skip


async def run_scenarios(chaos: Chaos, names: list[str], save) -> None:
    from bench.chaos_scenarios import SCENARIOS

    servers.cancel_on_signals(chaos)
    for name in names:
        doc = (SCENARIOS[name].__doc__ or name).strip().splitlines()[0]
        print(f"== {name}: {doc}", flush=True)
        started = time.perf_counter()
        load0 = os.getloadavg()[0]
        try:
            result = await SCENARIOS[name](chaos)
            checks = result.pop("checks", [])
            result["checks"] = [c.as_dict() for c in checks]
            result["passed"] = bool(checks) and all(c.passed for c in checks)
        except asyncio.CancelledError:
            chaos.notes.append(f"{name} interrupted; later scenarios not run")
            chaos.results[name] = {"passed": False, "error": "interrupted", "checks": []}
            break
        except Exception as exc:  # one scenario failing must not lose the others' figures
            traceback.print_exc()
            result = {"passed": False, "error": repr(exc)[:500], "checks": []}
        finally:
            servers.Fleet.stop_all()  # whatever the scenario left running
        result["seconds"] = round(time.perf_counter() - started, 1)
        # The machine is shared: how busy it was (1-minute load average, 2 cores).
        result["loadavg"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
        chaos.results[name] = result
        print_result(name, result)
        save()


def main(argv=None) -> int:
    from bench.chaos_checks import clean_redis
    from bench.chaos_scenarios import SCENARIOS

    args = parse_args(argv)
    names = servers.scenario_names(args.scenario, SCENARIOS)
    if names is None:
        return 2
    fd_limit = raise_fd_limit()
    pinned, loop_kind = servers.prepare_generator()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out_path = args.out or RESULTS / f"chaos-{stamp}{'-quick' if args.quick else ''}.json"
    sizes = Sizes.quick() if args.quick else Sizes()
    if args.kill9_rate:
        sizes.kill9_rate = args.kill9_rate
    if args.churn_rate:
        sizes.churn_rate_per_table = args.churn_rate
    if args.churn_seconds:
        sizes.churn_seconds = args.churn_seconds
    started = time.time()
    load0 = os.getloadavg()
    git_at_start = _git_commit()
    chaos: Chaos | None = None

    def document() -> dict:
        return {
            "meta": {
                "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
                "seconds": round(time.time() - started, 1),
                "command": "python -m bench.chaos "
                + " ".join(sys.argv[1:] if argv is None else argv),
                "quick": args.quick,
                "git": git_at_start,
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "pinned": {
                    "server_core": servers.SERVER_CORE if pinned else None,
                    "generator_core": servers.GENERATOR_CORE if pinned else None,
                },
                "loop": loop_kind,
                "fd_limit": fd_limit,
                "loadavg_start": load0,
                "loadavg_end": os.getloadavg(),
                "sizes": {f.name: getattr(sizes, f.name) for f in fields(sizes)},
                "versions": _versions(),
                "notes": chaos.notes if chaos else [],
                "pids_started": chaos.pids if chaos else [],
            },
            "results": chaos.results if chaos else {},
        }

    def save() -> dict:
        doc = document()
        out_path.write_text(json.dumps(doc, indent=1, default=str))
        return doc

    from tests.support.servers import postgres_database

    interrupted = False
    with tempfile.TemporaryDirectory(prefix="rochaos-") as tmp:
        tmp_path = Path(tmp)
        try:
            with postgres_database() as database_url:
                chaos = Chaos(
                    database_url=database_url, redis_url=args.redis_url, tmp=tmp_path,
                    sizes=sizes, quick=args.quick, rate=args.rate, log_dir=args.logs,
                )  # fmt: skip
                asyncio.run(run_scenarios(chaos, names, save))
                servers.interrupt_on_term()
        except KeyboardInterrupt:
            interrupted = True
            print("interrupted: stopping every process", file=sys.stderr)
        finally:
            servers.Fleet.stop_all()
            if chaos is not None:
                for url, prefix in chaos.prefixes:
                    clean_redis(url, prefix)
    doc = save()
    print(render(doc))
    print(f"\nwritten: {out_path}")
    results = doc["results"]
    failed = interrupted or not results or any(not r.get("passed") for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
