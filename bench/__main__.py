"""`python -m bench [--quick] [--scenario W1,W2,...]`: where RestaurantOrder stands.

Brings up a fresh PostgreSQL database (migrated, demo menu) and a Redis key prefix of its own,
runs the scenarios (each starts and stops its own servers, pinned to core 0, while this
process generates load from core 1), prints a table and the ratios to the baselines, and
writes everything to bench/results/<timestamp>.json. Loopback only; every server it started is
stopped on the way out, on error and on Ctrl-C too.
"""

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import report, servers
from bench.harness import Bench, Sizes
from bench.runinfo import git_commit, raise_fd_limit, versions
from bench.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_SCENARIOS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "profile"]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="shrink sizes and durations (smoke run)")
    p.add_argument(
        "--scenario", "-s", default=",".join(DEFAULT_SCENARIOS),
        help=f"comma-separated, of {', '.join(SCENARIOS)} (default: "
        f"{','.join(DEFAULT_SCENARIOS)})",
    )  # fmt: skip
    p.add_argument(
        "--server", default=None,
        help="ASGI servers for the app and relay, comma-separated; the first is the main one "
        "(W5, profile). daphne is how production runs /ws. Default: daphne,uvicorn "
        "(--quick: daphne)",
    )  # fmt: skip
    p.add_argument("--systems", default="app,relay,raw", help="which of app,relay,raw to run")
    p.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    p.add_argument("--layer", choices=["redis", "memory"], default="redis")
    p.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL",
                                                         "redis://127.0.0.1:6379/0"))  # fmt: skip
    p.add_argument("--window", type=float, help="override the measured window (seconds)")
    p.add_argument("--w3-steps", help="W3 socket counts, comma-separated (e.g. 2000,10000)")
    p.add_argument("--w3-deadline", type=float, help="W3: seconds allowed to connect (420)")
    p.add_argument(
        "--rate-per-diner", type=float,
        help="W1/W4/profile ops per second per diner (default 1, the issue's dinner rush); "
        "lower to see W4 and the profile at a load the app sustains",
    )  # fmt: skip
    p.add_argument("--out", type=Path, help="JSON file to write (default bench/results/...)")
    p.add_argument(
        "--nice", type=int, default=0,
        help="niceness for the servers and the generator (e.g. -10 on a busy machine; root)",
    )  # fmt: skip
    p.add_argument(
        "--real-pages", action="store_true",
        help="W3 and W5 too: every diner opens its table page and joins (default: their diners "
        "are seated with minted cookies; their sockets connect for real)",
    )  # fmt: skip
    return p.parse_args(argv)


@contextlib.contextmanager
def database(kind: str, tmp: Path):
    from tests.support import servers as support

    if kind == "sqlite":
        yield support.prepare_database(tmp)
    else:
        with support.postgres_database() as url:
            yield url


def clean_redis(url: str, prefix: str) -> None:
    with contextlib.suppress(Exception):
        import redis

        client = redis.Redis.from_url(url, socket_timeout=5)
        for key in client.scan_iter(f"{prefix}*", count=1000):
            client.delete(key)


async def run_scenarios(bench: Bench, names: list[str], save) -> None:
    """Run the scenarios in turn into ``bench.results``, calling ``save()`` after each. The
    first Ctrl-C or SIGTERM cancels the run (servers are stopped on the way out, the figures so
    far are kept); a second one stops every server and exits at once."""
    servers.cancel_on_signals(bench)
    for name in names:
        print(f"== {name}: {SCENARIOS[name].__doc__.strip().splitlines()[0]}", flush=True)
        started = time.perf_counter()
        try:
            bench.results[name] = await SCENARIOS[name](bench)
        except asyncio.CancelledError:
            bench.notes.append(f"{name} interrupted; later scenarios not run")
            break
        except Exception as exc:  # one scenario failing must not lose the others' figures
            import traceback

            traceback.print_exc()
            bench.notes.append(f"{name} failed: {exc!r}")
            bench.results[name] = []
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
        save()


def main(argv=None) -> int:
    args = parse_args(argv)
    names = servers.scenario_names(args.scenario, SCENARIOS)
    if names is None:
        return 2
    fd_limit = raise_fd_limit()
    if args.nice:
        try:
            os.nice(args.nice)
            servers.NICE = args.nice
        except OSError as exc:
            print(f"--nice {args.nice} refused ({exc}); running at the default", file=sys.stderr)
    pinned, loop_kind = servers.prepare_generator()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out_path = args.out or RESULTS / f"{stamp}{'-quick' if args.quick else ''}.json"
    sizes = Sizes.quick() if args.quick else Sizes()
    if args.window:
        sizes.window = args.window
    if args.rate_per_diner:
        sizes.w1_rate_per_diner = args.rate_per_diner
    if args.w3_deadline:
        sizes.w3_deadline = args.w3_deadline
    if args.w3_steps:
        sizes.w3_steps = tuple(int(x) for x in args.w3_steps.split(","))
    prefix = f"robench-{uuid.uuid4().hex[:8]}"
    started = time.time()
    load0 = os.getloadavg()
    # The code under test as it was when the run began (others may commit meanwhile).
    git_at_start = git_commit()
    bench = None

    def document() -> dict:
        results = bench.results if bench else {}
        meta = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "seconds": round(time.time() - started, 1),
            "command": "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv),
            "quick": args.quick,
            "git": git_at_start,
            "cpus": os.cpu_count(),
            "pinned": {
                "server_core": servers.SERVER_CORE if pinned else None,
                "generator_core": servers.GENERATOR_CORE if pinned else None,
            },
            "loop": loop_kind,
            "nice": servers.NICE,
            "fd_limit": fd_limit,
            "loadavg_start": load0,
            "loadavg_end": os.getloadavg(),
            "database": args.database,
            "layer": args.layer,
            "channel_layer": servers.app_channel_layer(),
            "versions": versions(),
            "notes": bench.notes if bench else [],
        }
        return {"meta": meta, "results": results, "summary": report.summarize(results)}

    def save() -> dict:
        doc = document()
        out_path.write_text(json.dumps(doc, indent=1, default=str))
        return doc

    with tempfile.TemporaryDirectory(prefix="robench-") as tmp:
        tmp_path = Path(tmp)
        try:
            with database(args.database, tmp_path) as database_url:
                env = servers.Env(
                    database_url=database_url,
                    redis_url=args.redis_url if args.layer == "redis" else None,
                    channel_prefix=prefix,
                    var_dir=str(tmp_path / "var"),
                )
                bench = Bench(
                    env=env, sizes=sizes,
                    server_kinds=[
                        s.strip()
                        for s in (args.server or ("daphne" if args.quick else "daphne,uvicorn"))
                        .split(",")
                        if s.strip()
                    ],
                    log_dir=tmp_path / "logs", quick=args.quick,
                    systems=[s.strip() for s in args.systems.split(",") if s.strip()],
                )  # fmt: skip
                bench.results_prefix = out_path.with_suffix("")
                bench.real_pages = args.real_pages
                asyncio.run(run_scenarios(bench, names, save))
                servers.interrupt_on_term()
        except KeyboardInterrupt:
            print("interrupted: stopping every server", file=sys.stderr)
        finally:
            servers.Fleet.stop_all()
            if args.layer == "redis":
                clean_redis(args.redis_url, prefix)
    doc = save()
    print(report.render(doc))
    print(f"\nwritten: {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
