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
from dataclasses import fields
from pathlib import Path

from bench import servers
from bench.chaos_base import RESULTS, Chaos, Sizes
from bench.chaos_checks import clean_redis
from bench.chaos_scenarios import SCENARIOS
from bench.runinfo import git_commit, raise_fd_limit, versions


def parse_args(argv=None) -> argparse.Namespace:
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
    git_at_start = git_commit()
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
                "versions": versions(),
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
