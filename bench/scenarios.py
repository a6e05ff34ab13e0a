"""The scenarios, one function each (`SCENARIOS`), all driven by one `Bench` context.

Every run starts its own server process(es) on a free loopback port, pinned to core 0, opens
fresh tables, measures, and stops the servers again; the generator runs in this process on
core 1. Each scenario returns a list of result rows (dicts) for the report.
"""

import asyncio
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from bench import servers
from bench.harness import ROOT, W2_P99_MS, Bench, Sizes, _say  # noqa: F401
from bench.loadgen import LoadRun, Target


# --- W1 ----------------------------------------------------------------------------------------
async def w1(bench: Bench) -> list[dict]:
    """Dinner rush: 50 tables x 4 diners, 1 op/s per diner, on each (system, server)."""
    s = bench.sizes
    rows = []
    for system, server in bench.configs():
        row = await bench.load(
            scenario="W1", system=system, server=server, tables=s.w1_tables,
            diners=s.w1_diners, rate=s.w1_tables * s.w1_diners * s.w1_rate_per_diner,
        )  # fmt: skip
        _say(row)
        rows.append(row)
    return rows


# --- W2 ----------------------------------------------------------------------------------------
def _passes(row: dict) -> bool:
    p99 = row.get("latency_ms", {}).get("p99")
    return (
        p99 is not None
        and p99 <= W2_P99_MS
        and row["events_lost"] == 0
        and row["ops_unacked"] == 0
        and row["ops_errors"] == 0
        and row["sockets_closed_by_server"] == 0
        and row["ops_per_second"] >= 0.9 * row["rate_target"]
    )


async def _w2_one(bench: Bench, system: str, server: str) -> list[dict]:
    """Step the rate up on one set of open sockets until p99 > 100 ms or anything is lost (or
    the generator is the limit), then bisect once between the last pass and the first fail."""
    s = bench.sizes
    tables = s.w1_tables
    table_list = bench.take_tables(tables) if system == "app" else bench.fake_tables(tables)
    rows = []
    async with servers.running(system, server, bench.env, bench.log_dir) as procs:
        targets = [Target("127.0.0.1", p.port) for p in procs]
        run = LoadRun(
            mode="app" if system == "app" else "echo", targets=targets, tables=table_list,
            diners=s.w1_diners, event_timeout=s.event_timeout,
            server_pids=[p.pid for p in procs], extra_cpu=bench.cpu_probes(system),
        )  # fmt: skip
        try:
            setup = await run.setup()

            async def step(rate: float) -> dict:
                row = {
                    "scenario": "W2", "system": system, "server": procs[0].server,
                    "layer": bench._layer(system), "workers": 1, "tables": tables,
                    "diners": s.w1_diners, "setup": setup,
                }  # fmt: skip
                row.update(await run.measure(rate=rate, duration=s.w2_window, warmup=0.5))
                row["passed"] = _passes(row)
                _say(row)
                rows.append(row)
                return row

            rate = float(s.w2_start[system])
            best, first_fail = None, None
            retried = False
            for _step in range(s.w2_max_steps):
                row = await step(rate)
                if row["generator_bound"] and row["passed"]:
                    best = rate
                    bench.notes.append(
                        f"W2 {system}/{procs[0].server}: the generator reached its limit at "
                        f"{rate:.0f} ops/s; the server's capacity is higher than measured"
                    )
                    break
                if not row["passed"] and not retried:
                    # One failed step on a shared machine may be someone else's burst: the
                    # same rate once more (after a pause to drain) before it counts.
                    retried = True
                    row["retried"] = True
                    await asyncio.sleep(3)
                    continue
                if not row["passed"]:
                    first_fail = rate
                    break
                retried = False
                best = rate
                rate = round(rate * s.w2_factor)
                await asyncio.sleep(0.5)
            if best is not None and first_fail is not None and not bench.quick:
                mid = round(math.sqrt(best * first_fail))
                if best < mid < first_fail:
                    await asyncio.sleep(2)  # let the failed step's backlog drain
                    row = await step(mid)
                    if row["passed"]:
                        best = mid
            summary = {
                "scenario": "W2", "system": system, "server": procs[0].server,
                "layer": bench._layer(system), "workers": 1, "tables": tables,
                "diners": s.w1_diners, "summary": True, "sustained_ops_per_second": best,
                "first_failing_rate": first_fail,
                "generator_bound": bool(rows and rows[-1]["generator_bound"]),
            }  # fmt: skip
            passed = [r for r in rows if r.get("passed") and r["rate_target"] == best]
            if passed:
                summary["at_sustained"] = {
                    k: passed[-1][k]
                    for k in ("latency_ms", "ops_per_second", "server_cpu_pct",
                              "server_cpu_us_per_op", "generator_cpu_pct")
                }  # fmt: skip
            bench.capacity[f"{system}/{procs[0].server}"] = best or 0
            rows.append(summary)
        finally:
            await run.close()
    return rows


async def w2(bench: Bench) -> list[dict]:
    """The highest op rate with p99 <= 100 ms and nothing lost, per (system, server)."""
    rows = []
    for system, server in bench.configs():
        rows.extend(await _w2_one(bench, system, server))
    return rows


# --- W3 ----------------------------------------------------------------------------------------
async def _w3_one(bench: Bench, system: str, server: str, sockets: int) -> dict:
    s = bench.sizes
    diners = 4
    tables = max(1, sockets // diners)
    if system == "app":
        table_list = bench.seated_tables(tables, diners)
    else:
        table_list = bench.fake_tables(tables)
    row = {
        "scenario": "W3", "system": system, "pages": bench.real_pages or system != "app",
        "server": "websockets" if system == "raw" else server, "layer": bench._layer(system),
        "workers": 1, "tables": tables, "diners": diners,
    }  # fmt: skip
    async with servers.running(system, server, bench.env, bench.log_dir) as procs:
        proc = procs[0]
        target = Target("127.0.0.1", proc.port)
        run = LoadRun(
            mode="app" if system == "app" else "echo", targets=[target], tables=table_list,
            diners=diners, event_timeout=s.event_timeout, server_pids=[proc.pid],
        )  # fmt: skip
        try:
            # A first table warms the server up (imports, pools), then the baseline RSS.
            warm = LoadRun(
                mode=run.mode, targets=[target],
                tables=bench.take_tables(1) if system == "app" else bench.fake_tables(1),
                diners=2,
            )  # fmt: skip
            await warm.setup()
            await warm.probe(tables=1)
            await asyncio.sleep(1.0)
            rss0 = proc.rss_kib()
            cpu0 = proc.cpu_seconds()
            t0 = time.perf_counter()
            setup = await run.setup(deadline=s.w3_deadline)
            connect_s = time.perf_counter() - t0
            cpu1 = proc.cpu_seconds()
            await asyncio.sleep(s.w3_hold)
            rss1 = proc.rss_kib()
            probe = await run.probe()
            opened = setup["sockets_open"]
            row.update(
                {
                    "sockets_wanted": sockets,
                    "sockets_open": opened,
                    "connect_errors": run.failed_sockets,
                    "connect_error_kinds": run.connect_errors,
                    "sockets_closed_by_server": run.closed_by_server,
                    "connect_seconds": round(connect_s, 1),
                    "connects_per_second": round(opened / connect_s, 1) if connect_s else None,
                    "server_cpu_ms_per_connect": round(1000 * (cpu1 - cpu0) / max(1, opened), 2),
                    "rss_base_kib": rss0,
                    "rss_kib": rss1,
                    "rss_kib_per_socket": round((rss1 - rss0) / max(1, opened), 2),
                    **probe,
                    "server_log_problems": len(proc.log_problems()),
                    "server_log_excerpt": proc.log_problems()[:12],
                }
            )
            await warm.close()
        finally:
            await run.close()
    print(
        f"  W3   {system:<5} {row['server']:<10} {opened}/{sockets} sockets, "
        f"{row['connect_errors']} errors, {row['rss_kib_per_socket']} KiB/socket, "
        f"{row['connects_per_second']} connects/s, probe {probe['probe_delivered']}/"
        f"{probe['probe_ops']}",
        flush=True,
    )
    return row


async def w3(bench: Bench) -> list[dict]:
    """Idle capacity: sockets on one worker, connect errors and RSS per socket."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    rows = []
    limit = hard if hard != resource.RLIM_INFINITY else 1 << 20
    main = bench.server_kinds[0]  # sockets cost the same whatever the load: one server
    for system, server in [(sy, se) for sy, se in bench.configs() if se in (main, "websockets")]:
        for sockets in bench.sizes.w3_steps:
            if sockets + 200 > limit:
                bench.notes.append(
                    f"W3 {system}: {sockets} sockets skipped: the file-descriptor limit is {limit}"
                )
                break
            if rows and rows[-1]["system"] == system:
                rate = rows[-1].get("connects_per_second") or 0
                projected = sockets / rate if rate else float("inf")
                if projected > bench.sizes.w3_deadline:
                    bench.notes.append(
                        f"W3 {system}/{server}: {sockets} sockets not tried: at "
                        f"{rate} connects/s they would take {projected:.0f} s "
                        f"(> the {bench.sizes.w3_deadline:.0f} s bound)"
                    )
                    break
            row = await _w3_one(bench, system, server, sockets)
            row["fd_limit"] = [soft, hard]
            rows.append(row)
            if row["connect_errors"] or row["sockets_closed_by_server"]:
                break  # more would only fail more
    return rows


# --- W4 ----------------------------------------------------------------------------------------
async def w4(bench: Bench) -> list[dict]:
    """Order -> kitchen display latency while W1's traffic runs (app only)."""
    s = bench.sizes
    rows = []
    for server in bench.server_kinds:
        row = await bench.load(
            scenario="W4", system="app", server=server, tables=s.w1_tables,
            diners=s.w1_diners, rate=s.w1_tables * s.w1_diners * s.w1_rate_per_diner,
            kitchen=True,
            extra={"order_tables": s.w4_order_tables,
                   "order_interval_s": s.w4_order_interval},
        )  # fmt: skip
        _say(row)
        k = row.get("kitchen_ms", {})
        print(
            f"       kitchen: {row.get('orders')} orders, p50 {k.get('p50')} p99 {k.get('p99')} "
            f"max {k.get('max')} ms, lost {row.get('orders_lost')}, "
            f"errors {row.get('order_errors')}",
            flush=True,
        )
        rows.append(row)
    return rows


# --- W5 ----------------------------------------------------------------------------------------
async def w5(bench: Bench) -> list[dict]:
    """How cost grows: tables at a fixed load per table, diners per table, workers (app)."""
    s = bench.sizes
    server = bench.server_kinds[0]
    rows = []
    # Loads are fixed per axis and chosen from the capacity W2 found for the app on this
    # server (when W2 ran first): the largest restaurant at 60% of it, the diners axis at 50%,
    # the workers axis at 80% (so that one worker is near its limit), at most 1 op/s a table.
    capacity = bench.capacity.get(f"app/{server}") or s.w5_default_capacity
    per_table = round(min(1.0, 0.6 * capacity / max(s.w5_tables)), 4)
    per_table_diners = round(min(1.0, 0.5 * capacity / s.w5_diners_tables), 4)
    workers_rate = round(min(s.w1_tables * s.w1_diners * s.w1_rate_per_diner, 0.8 * capacity), 1)
    # The tables and diners axes share one server process (each point on fresh tables, the
    # earlier points' sockets closed): what grows is the restaurant, not the uptime.
    async with servers.running("app", server, bench.env, bench.log_dir) as procs:
        for tables in s.w5_tables:
            row = await bench.load(
                scenario="W5", system="app", server=server, tables=tables,
                diners=s.w5_tables_diners,
                rate=tables * per_table, window=s.w5_window, procs=procs, seated=True,
                extra={"axis": "tables", "rate_per_table": per_table},
            )  # fmt: skip
            _say(row)
            rows.append(row)
        for diners in s.w5_diners:
            row = await bench.load(
                scenario="W5", system="app", server=server, tables=s.w5_diners_tables,
                diners=diners, rate=s.w5_diners_tables * per_table_diners, window=s.w5_window,
                procs=procs, seated=True,
                extra={"axis": "diners", "rate_per_table": per_table_diners},
            )  # fmt: skip
            _say(row)
            rows.append(row)
    for workers in s.w5_workers:
        if workers > 1 and not bench.env.redis_url:
            bench.notes.append("W5 workers: >1 worker needs the Redis layer; skipped")
            continue
        row = await bench.load(
            scenario="W5", system="app", server=server, tables=s.w1_tables,
            diners=s.w1_diners, rate=workers_rate, window=s.w5_window, workers=workers,
            seated=True, extra={"axis": "workers"},
        )  # fmt: skip
        _say(row)
        rows.append(row)
    return rows


# --- profile -----------------------------------------------------------------------------------
# py-spy frames read `function (path/relative/to/site-packages.py:line)`.
CPU_BUCKETS = [
    ("database: Django ORM + psycopg", ("django/db/", "psycopg")),
    ("channel layer: channels_redis + redis-py + msgpack",
     ("channels_redis/", "redis/", "msgpack")),
    ("JSON", ("msgspec", "json/")),
    ("ASGI server + WebSocket protocol", ("daphne/", "twisted/", "autobahn/", "txaio/",
                                          "uvicorn/", "websockets/", "httptools", "zope/")),
    ("sync<->async bridge (asgiref)", ("asgiref/",)),
    ("Channels consumer framework", ("channels/",)),
    ("Django other (sessions, auth, signals, settings)", ("django/",)),
    ("app code (restaurant/)", ("restaurant/", "config/")),
    ("prometheus metrics", ("prometheus_client/",)),
]  # fmt: skip
# Scanning a stack from its leaf, these frames end the search: what is above them is the
# loop's or the thread pool's own dispatch, not the work.
_STOPS = ("Handle._run (asyncio/events.py", "_WorkItem.run (concurrent/futures/thread.py")


def _path(frame: str) -> str:
    return frame[frame.rfind("(") + 1 :]


def _cpu_bucket(frames: list[str]) -> str:
    for frame in reversed(frames):
        if frame.startswith(_STOPS):
            break
        path = _path(frame)
        for name, prefixes in CPU_BUCKETS:
            if path.startswith(prefixes):
                return name
    return "event loop / thread dispatch (asyncio, concurrent.futures)"


def _db_thread_bucket(frames: list[str]) -> str:
    """Wall-clock of the thread that runs every `database_sync_to_async` call."""
    text = ";".join(frames)
    if "_WorkItem.run (concurrent/futures/thread.py" not in text:
        return "idle: no DB work queued"
    if "send_now (restaurant/realtime/broadcast.py" in text:
        return "blocked in on_commit broadcast (async_to_sync(group_send) waits for the loop)"
    leaf = _path(frames[-1]) if frames else ""
    if leaf.startswith("psycopg") or "socket" in leaf or "selectors" in leaf:
        return "waiting for PostgreSQL (round trips)"
    if "psycopg_pool" in text and "getconn" in text:
        return "getting a pooled connection"
    bucket = _cpu_bucket(frames)
    return f"CPU: {bucket}"


# Leaf frames of a thread that waits (the loop in epoll, a pool thread for work, a driver for
# its socket): such samples are not CPU.
_IDLE_LEAVES = ("select (selectors.py", "EpollSelector.select", "Runner.run (asyncio/",
                "run_until_complete (asyncio/", "run_forever (asyncio/", "wait (threading.py",
                "_wait_for_tstate_lock", "get (queue.py", "wait (psycopg", "_worker (concurrent",
                "sleep", "recv", "poll (")  # fmt: skip


def _cpu_by_library(raw_path: Path) -> dict[str, float]:
    """Where the process's CPU goes, all threads together: the samples that were not waiting,
    each counted for the innermost library it ran in (the share of the process's busy
    time, not of a core)."""
    counts: dict[str, int] = {}
    for line in raw_path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not frames or any(k in frames[-1] for k in _IDLE_LEAVES):
            continue
        bucket = "other (stdlib: asyncio, threading, selectors)"
        for frame in reversed(frames):
            names = [name for name, prefixes in CPU_BUCKETS if _path(frame).startswith(prefixes)]
            if names:
                bucket = names[0]
                break
        counts[bucket] = counts.get(bucket, 0) + int(count)
    busy = sum(counts.values()) or 1
    return {k: round(100 * v / busy, 1) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])}


def classify_profile(raw_path: Path) -> dict:
    """py-spy `--idle --threads -f raw` stacks, per thread role: the event loop's busy time by
    library (its idle time apart), and the DB thread's wall time (it is one thread for the
    whole process: asgiref runs thread-sensitive calls on a single executor)."""
    roles: dict[str, dict[str, int]] = {}
    leafs: dict[str, int] = {}
    total = 0
    for line in raw_path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        text = ";".join(frames)
        if "concurrent/futures/thread.py" in text:
            role, bucket = "db thread (wall time)", _db_thread_bucket(frames)
        elif "psycopg_pool" in text:
            role, bucket = "psycopg pool's own threads (wall time)", _cpu_bucket(frames)
        elif "threading.py" in text:
            role, bucket = "other threads (wall time)", _cpu_bucket(frames)
        else:
            leaf = frames[-1] if frames else ""
            # Idle: epoll under asyncio; under uvloop the wait is in C, so the leaf is the
            # Python frame that started the loop.
            idle_leaf = ("select (selectors.py", "EpollSelector.select", "Runner.run (asyncio/",
                         "run_until_complete (asyncio/", "run_forever (asyncio/")  # fmt: skip
            if not frames or any(k in leaf for k in idle_leaf):
                role, bucket = "event loop (wall time)", "idle: waiting in epoll"
            else:
                role, bucket = "event loop (wall time)", "busy: " + _cpu_bucket(frames)
                leafs[leaf] = leafs.get(leaf, 0) + n
        roles.setdefault(role, {})
        roles[role][bucket] = roles[role].get(bucket, 0) + n
    out = {"samples": total, "cpu_by_library_pct": _cpu_by_library(raw_path), "threads": {}}
    for role, buckets in roles.items():
        count = sum(buckets.values())
        out["threads"][role] = {
            "samples": count,
            "share_pct": {
                k: round(100 * v / count, 1)
                for k, v in sorted(buckets.items(), key=lambda kv: -kv[1])
            },
        }
    busy = sum(leafs.values())
    out["event_loop_busy_top_frames"] = [
        (f, round(100 * n / max(1, busy), 1))
        for f, n in sorted(leafs.items(), key=lambda kv: -kv[1])[:20]
    ]
    return out


async def profile(bench: Bench) -> list[dict]:
    """W1 traffic on the app (and on the relay, when asked for) while py-spy samples the
    server; the stacks go to bench/results/<stamp>-profile-<system>-<server>.txt (collapsed:
    flamegraph.pl or speedscope)."""
    import shutil

    pyspy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(pyspy).exists():
        bench.notes.append("profile: py-spy is not installed (.venv/bin/pip install py-spy)")
        return []
    s = bench.sizes
    rows = []
    systems = [system for system in ("app", "relay") if system in bench.systems]
    for system, server in [(system, server) for system in systems for server in bench.server_kinds]:
        tables = bench.take_tables(s.w1_tables)
        async with servers.running(system, server, bench.env, bench.log_dir) as procs:
            proc = procs[0]
            target = Target("127.0.0.1", proc.port)
            run = LoadRun(
                mode="app" if system == "app" else "echo", targets=[target], tables=tables,
                diners=s.w1_diners, event_timeout=s.event_timeout, server_pids=[proc.pid],
                extra_cpu=bench.cpu_probes(system),
            )  # fmt: skip
            try:
                await run.setup()
                out = bench.results_prefix.with_name(
                    bench.results_prefix.name + f"-profile-{system}-{server}.txt"
                )
                seconds = max(2, int(s.window))
                spy = await asyncio.create_subprocess_exec(
                    pyspy, "record", "-p", str(proc.pid), "-d", str(seconds), "-r", "100",
                    "-f", "raw", "-o", str(out), "--idle", "--threads",
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
                )  # fmt: skip
                figures = await run.measure(
                    rate=s.w1_tables * s.w1_diners * s.w1_rate_per_diner,
                    duration=seconds,
                    warmup=0.5,
                )
                try:
                    _, err = await asyncio.wait_for(spy.communicate(), 30)
                except TimeoutError:
                    spy.kill()
                    await spy.wait()
                    err = b"timed out"
                row = {
                    "scenario": "profile", "system": system, "server": server,
                    "layer": bench._layer(system), "workers": 1, "tables": s.w1_tables,
                    "diners": s.w1_diners, **figures, "profile_file": str(out),
                }  # fmt: skip
                if out.exists():
                    row["profile"] = classify_profile(out)
                    for role, data in row["profile"]["threads"].items():
                        print(
                            f"  profile {system} {server} {role}: {data['share_pct']}", flush=True
                        )
                else:
                    row["profile_error"] = err.decode(errors="replace")[-500:]
                    print(f"  profile {system} {server} failed: {row['profile_error']}", flush=True)
                rows.append(row)
            finally:
                await run.close()
    return rows


SCENARIOS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "profile": profile}


# --- W6 ----------------------------------------------------------------------------------------
# Issue 15's figure: order submitted -> the ticket's bytes at the station's printer, under W1,
# in a restaurant with four stations. Tables send rounds over their sockets as in W4; each
# station of the bench's restaurant (the demo's: hot, cold, dim sum, bar) points at a fake
# printer in this process (restaurant/printing/fake.py); `manage.py print_worker` runs as a
# process of its own on the server's database, pinned beside the server. The counting of lost
# and doubled tickets is bench/printing.py's (`tally`).
W6_ORDER_TABLES = 10
W6_ORDER_INTERVAL = 2.0  # s between a table's rounds (10 tables: 5 rounds/s, as W4)
W6_QUICK_ORDER_TABLES = 2
W6_QUICK_ORDER_INTERVAL = 0.5
W6_DRAIN_SECONDS = 30.0  # after the load: every ticket has this long to reach its printer


def _w6_restaurant():
    """The restaurant the bench's tables are made in (bench.django_setup's default)."""
    from restaurant.venues.models import Restaurant

    return Restaurant.objects.order_by("pk").first()


def w6_prepare() -> None:
    """In a subprocess with Django set up: point the restaurant's stations at the printers of
    ``BENCH_W6_PRINTERS`` (JSON, in station order), print every round at once (no first round
    held for staff: their accepting is not the system's latency), and print (JSON) the stations
    with their dishes on sale and what to restore."""
    from django.db import transaction

    from restaurant.menu.models import Dish
    from restaurant.printing.services import printer_set

    urls = json.loads(os.environ["BENCH_W6_PRINTERS"])
    with transaction.atomic():
        restaurant = _w6_restaurant()
        stations = list(restaurant.stations.order_by("sort_order", "pk")[: len(urls)])
        held = restaurant.hold_first_round
        restaurant.hold_first_round = False
        restaurant.save(update_fields=["hold_first_round"])
        out = []
        for station, url in zip(stations, urls, strict=False):
            printer_set(station=station, url=url)
            dishes = [
                d.pk
                for d in Dish.objects.filter(category__restaurant=restaurant, sold_out=False)
                .select_related("category")
                if (d.station_id or d.category.station_id) == station.pk
            ]  # fmt: skip
            out.append({"code": station.code, "url": url, "dishes": dishes})
    print(json.dumps({"restaurant": restaurant.slug, "hold_first_round": held, "stations": out}))


def w6_restore() -> None:
    """Take the printers off again (their queued jobs are cancelled) and put back the
    restaurant's hold of first rounds (``BENCH_W6_HOLD``)."""
    from django.db import transaction

    from restaurant.printing.services import printer_set

    with transaction.atomic():
        restaurant = _w6_restaurant()
        for station in restaurant.stations.all():
            printer_set(station=station, url=None)
        restaurant.hold_first_round = os.environ.get("BENCH_W6_HOLD") == "1"
        restaurant.save(update_fields=["hold_first_round"])
    print(json.dumps({"ok": True}))


def w6_jobs() -> None:
    """The print jobs of the rounds of the tables numbered in ``BENCH_W6_TABLES`` (JSON), each
    with its round's table number and round, as JSON."""
    from restaurant.printing.models import PrintJob

    numbers = json.loads(os.environ["BENCH_W6_TABLES"])
    jobs = PrintJob.objects.filter(
        order__session__table__restaurant=_w6_restaurant(),
        order__session__table__number__in=numbers,
    ).values("pk", "order_id", "state", "order__round", "order__session__table__number")
    print(json.dumps([
        {"pk": j["pk"], "order_id": j["order_id"], "state": j["state"],
         "round": j["order__round"], "table": j["order__session__table__number"]}
        for j in jobs
    ]))  # fmt: skip


async def _w6_django(bench: Bench, function: str, **env) -> object:
    """Run one of the w6_* functions above in a subprocess on the bench's database."""
    code = f"import django; django.setup(); from bench.scenarios import {function}; {function}()"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, cwd=ROOT, env={**bench.env.for_app(8000), **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    if proc.returncode != 0:
        raise RuntimeError(f"{function} failed:\n{err.decode(errors='replace')[-3000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])


def _w6_pick(menu: dict, dish_ids: list[int]) -> dict | None:
    """Of ``dish_ids``, the dish on the menu with the fewest options its groups require."""
    best = None
    wanted = set(dish_ids)
    for category in menu["categories"]:
        for dish in category["dishes"]:
            if dish["id"] not in wanted or dish["sold_out"]:
                continue
            options = [o["id"] for g in dish["option_groups"] for o in g["options"][: g["min"]]]
            if best is None or len(options) < len(best["options"]):
                best = {"dish_id": dish["id"], "options": options}
    return best


async def _w6_worker(bench: Bench, port: int) -> subprocess.Popen:
    """`manage.py print_worker` on the server's database and layer, pinned to the server's
    core (it is the server side's work), stopped with the rest on the way out; returns once
    its log says it started."""
    argv = [sys.executable, "manage.py", "print_worker"]
    if servers.can_pin():
        argv = ["taskset", "-c", servers.SERVER_CORE, *argv]
    if servers.NICE:
        argv = ["nice", "-n", str(servers.NICE), *argv]
    bench.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = bench.log_dir / f"print_worker-{port}.log"
    env = {**bench.env.for_app(port), "LOG_LEVEL": "INFO"}  # its "started" line
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    servers.Fleet.add(process)
    process.log_path = log_path
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if "print worker" in text and "started" in text:
            return process
        if process.poll() is not None:
            raise RuntimeError(f"print_worker exited with {process.returncode}:\n{text[-2000:]}")
        await asyncio.sleep(0.1)
    raise RuntimeError("print_worker did not start in 60 s")


class W6Rounds:
    """Tables (one diner each, joined through their pages) that each send a round every
    ``interval`` s over their sockets: one `cart.add` per dish (one to four dishes, each of
    another station), then `order.submit`. Keeps, per (table number, round), when its submit
    was sent (``time.monotonic``, the fake printers' clock) and how many stations it went to.
    Rounds are counted by their acks (a table's events may lag far behind them under W1), so
    a table whose submit went unanswered is left out of the latency from then on."""

    def __init__(self, target: Target, tables: list, station_dishes: list[dict],
                 event_timeout: float) -> None:  # fmt: skip
        self.run = LoadRun(mode="app", targets=[target], tables=tables, diners=1,
                           event_timeout=event_timeout)  # fmt: skip
        self.numbers = [t[0] for t in tables]
        self.station_dishes = station_dishes
        self.sent: dict[tuple[int, int], tuple[float, int]] = {}  # (table, round) -> (t, stations)
        self.acked: dict[int, int] = {}  # table number -> rounds acked
        self.unsure: set[int] = set()  # tables with a submit of unknown outcome
        self.errors: dict[str, int] = {}
        self.submits = 0
        self.tickets = 0  # of the acked rounds: one per station of each

    async def setup(self) -> dict:
        return await self.run.setup(fast=False)

    def _error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    async def _loop(self, diner, interval: float, end: float, phase: float) -> None:
        import random

        await asyncio.sleep(phase)
        run = self.run
        number = diner.table.number
        while time.monotonic() < end:
            cycle = time.monotonic()
            chosen = random.sample(self.station_dishes, random.randint(1, len(self.station_dishes)))
            seq = None
            try:
                for dish in chosen:
                    reply = await run.slow_op(diner, {"type": "cart.add", **dish})
                    if reply["type"] != "ack":
                        self._error(reply.get("code", "?"))
                        break
                    seq = reply["seq"]
                else:
                    sent = time.monotonic()
                    self.submits += 1
                    try:
                        reply = await run.slow_op(diner, {"type": "order.submit", "seq": seq})
                    except TimeoutError:
                        self.unsure.add(number)
                        raise
                    if reply["type"] != "ack":
                        self._error(reply.get("code", "?"))
                    else:
                        self.acked[number] = self.acked.get(number, 0) + 1
                        self.tickets += len(chosen)
                        if number not in self.unsure:
                            self.sent[(number, self.acked[number])] = (sent, len(chosen))
            except TimeoutError:
                self._error("timeout")
            await asyncio.sleep(max(0.05, interval - (time.monotonic() - cycle)))

    async def rounds(self, *, interval: float, duration: float) -> None:
        import random

        end = time.monotonic() + duration
        await asyncio.gather(*(
            self._loop(d, interval, end, random.uniform(0, interval))
            for d in self.run.all_diners if d.conn is not None
        ))  # fmt: skip

    async def close(self) -> None:
        await self.run.close()


async def w6(bench: Bench) -> list[dict]:
    """Order -> ticket bytes at the printer, four stations, print_worker, under W1 (app)."""
    from bench import printing
    from bench.loadgen import _full
    from bench.wsclient import http_get
    from restaurant.printing.fake import FakePrinter

    s = bench.sizes
    order_tables = W6_QUICK_ORDER_TABLES if bench.quick else W6_ORDER_TABLES
    interval = W6_QUICK_ORDER_INTERVAL if bench.quick else W6_ORDER_INTERVAL
    rows = []
    for server in bench.server_kinds:
        arrivals = printing.Arrivals()
        fakes = [FakePrinter(on_ticket=arrivals.printed).start() for _ in printing.STATION_CODES]
        prepared = None
        try:
            prepared = await _w6_django(
                bench, "w6_prepare", BENCH_W6_PRINTERS=json.dumps([f.url for f in fakes])
            )
            stations = prepared["stations"]
            if len(stations) != len(fakes):
                bench.notes.append(
                    f"W6: the restaurant {prepared['restaurant']} has {len(stations)} stations, "
                    f"not {len(fakes)}"
                )
            table_list = bench.take_tables(s.w1_tables)
            async with servers.running("app", server, bench.env, bench.log_dir) as procs:
                target = Target("127.0.0.1", procs[0].port)
                status, _, body = await http_get(target.host, target.port, "/api/menu/")
                if status != 200:
                    raise RuntimeError(f"GET /api/menu/ answered {status}")
                menu = _full.decode(body)
                dishes = [_w6_pick(menu, st["dishes"]) for st in stations]
                station_dishes = [d for d in dishes if d is not None]
                if len(station_dishes) != len(stations):
                    bench.notes.append("W6: a station has no dish on sale; it prints nothing")
                worker = await _w6_worker(bench, target.port)
                run = LoadRun(
                    mode="app", targets=[target], tables=table_list, diners=s.w1_diners,
                    event_timeout=s.event_timeout, server_pids=[procs[0].pid],
                    extra_cpu={**bench.cpu_probes("app"), "print_worker": [worker.pid]},
                )  # fmt: skip
                rounds = W6Rounds(target, bench.take_tables(order_tables), station_dishes,
                                  s.event_timeout)  # fmt: skip
                row = {
                    "scenario": "W6", "system": "app", "server": server,
                    "layer": bench._layer("app"), "workers": 1, "tables": s.w1_tables,
                    "diners": s.w1_diners, "order_tables": order_tables,
                    "order_interval_s": interval, "stations": len(station_dishes),
                }  # fmt: skip
                try:
                    row["setup"] = await run.setup()
                    row["rounds_setup"] = await rounds.setup()
                    figures, _ = await asyncio.gather(
                        run.measure(rate=s.w1_tables * s.w1_diners * s.w1_rate_per_diner,
                                    duration=s.window, warmup=s.warmup),
                        rounds.rounds(interval=interval, duration=s.warmup + s.window),
                    )  # fmt: skip
                    row.update(figures)
                    # The queue drains: every ticket a round made has its time to arrive.
                    expected = rounds.tickets
                    deadline = time.monotonic() + W6_DRAIN_SECONDS
                    while len(arrivals.times) < expected and time.monotonic() < deadline:
                        await asyncio.sleep(0.1)
                    jobs = await _w6_django(
                        bench, "w6_jobs", BENCH_W6_TABLES=json.dumps(rounds.numbers)
                    )
                    started = {
                        j["order_id"]: rounds.sent[(j["table"], j["round"])][0]
                        for j in jobs if (j["table"], j["round"]) in rounds.sent
                    }  # fmt: skip
                    counted = printing.tally(jobs, arrivals, started)
                    for key in ("p50_ms", "p99_ms", "max_ms"):
                        if counted[key] is not None:
                            counted[key] = round(counted[key], 1)
                    row["print"] = {
                        "rounds": len(rounds.sent), "submits": rounds.submits,
                        "rounds_acked": sum(rounds.acked.values()),
                        "tables_unsure": len(rounds.unsure),
                        "round_errors": dict(rounds.errors), "tickets_expected": expected,
                        "jobs": len(jobs), **counted,
                        "worker_log_problems": [
                            line[:300]
                            for line in worker.log_path.read_text(errors="replace").splitlines()
                            if "Traceback" in line or "ERROR" in line
                        ][:12],
                    }  # fmt: skip
                    problems = [line for p in procs for line in p.log_problems()]
                    row["server_log_problems"] = len(problems)
                    row["server_log_excerpt"] = problems[:12]
                finally:
                    await rounds.close()
                    await run.close()
                    servers.stop_server(servers.Server("print_worker", "-", 0, worker,
                                                       worker.log_path))  # fmt: skip
        finally:
            for fake in fakes:
                fake.stop()
            if prepared is not None:
                await _w6_django(
                    bench, "w6_restore", BENCH_W6_HOLD="1" if prepared["hold_first_round"] else "0"
                )
        _say(row)
        p = row["print"]
        print(
            f"       tickets: {p['rounds']} rounds -> {p['jobs']} jobs (expected "
            f"{p['tickets_expected']}), p50 {p['p50_ms']} p99 {p['p99_ms']} max {p['max_ms']} ms"
            f", printed {p['printed']}, lost {p['lost']}, doubled {p['doubled']}, uncertain "
            f"{p['uncertain']}, torn {p['torn']}, errors {p['round_errors']}",
            flush=True,
        )
        rows.append(row)
    return rows


SCENARIOS["W6"] = w6
