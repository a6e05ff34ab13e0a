"""The profile scenario: W1's traffic while py-spy samples the server, and the classification
of its stacks (CPU by library, each thread's wall time by what it waits for or runs).
"""

import asyncio
import sys
from pathlib import Path

from bench import servers
from bench.harness import Bench
from bench.loadgen import LoadRun, Target

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
