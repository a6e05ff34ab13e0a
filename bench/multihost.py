"""W7, past one machine: the rendered deployment across hosts made with network namespaces.

```
.venv/bin/python -m bench.multihost [--quick] [--delay-ms 0.5] [--rate-per-diner 0.25]
    [--skip-loopback] [--skip-w6] [--w6-restaurants 25] [--skip-failover] [--env DB_THREADS=8]
```

Needs root (namespaces, veth pairs; see `bench/hosts.py` for the hosts, the links and what is
delayed). The hosts: `edge` runs nginx with the config `manage.py deploy_config` renders
(tcp variant, HTTP by the ASGI workers) whose two upstreams are rewritten to the two worker
hosts' addresses (`--nginx-worker-connections N` replaces the rendered 16384, which W7 raised
from 4096: that held 2,048 proxied sockets per nginx worker, too few for W6); `w1` and `w2`
each run the deployment's supervisord (rendered for that host:
one daphne worker and the print worker); the data host (the root namespace) has PostgreSQL
and Redis. The generator (this process, root namespace) reaches everything through nginx.

The scenario, in one deployment:

1. W1 through nginx: `w1_tables` x `w1_diners` at `w1_rate_per_diner` (the bench's `LoadRun`),
   and first, for the ratio, the same load on loopback against two daphne processes without
   namespaces, nginx or delays (`Bench.load`, two workers);
2. W6 (the platform load of `bench/platform_load.py`) through nginx, when that module exists;
3. failover: reconnecting diners (`bench.chaos_client.ChaosDiner`, the protocol's client)
   under W1's load; then host `w2` is cut off (its links down, then SIGKILL to everything in
   it, like a power cut). Its diners notice only when an op goes unanswered (the client gives
   a silent socket `REPLY_TIMEOUT`, 12 s, as socket.js does), reconnect through nginx to w1,
   resend their unanswered ops with the same ids and resync from a snapshot. Figures: acked
   ops lost (checked against the database: must be 0), clients equal to the database at the
   end, per diner of w2 the time from the cut to losing the socket, to the new snapshot and to
   holding everything acked at its table, and latencies before, during and after.

Every run also records what each hop's forwarder really held (`link_holds`) and the CPU of
the workers, nginx, the forwarders, PostgreSQL and Redis. Written to
`bench/results/<stamp>-w7.json`.

`w7(bench)` returns the rows (scenario "W7"; the failover row carries a `failover` dict).
"""

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import hosts, servers
from bench.harness import Bench, Sizes
from bench.host_failover import _say_failover, failover, settled
from bench.hosts import DATA_ADDR, EDGE_ADDR, EDGE_PORT, NGINX_PORT, WORKER_PORT, WORKERS, Hosts
from bench.loadgen import LoadRun, Target, pick_dish
from bench.wsclient import http_get

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
NGINX = "/usr/sbin/nginx"
VENV_BIN = Path(sys.executable).parent
clock = time.perf_counter


def on_data_host(url: str) -> str:
    """A 127.0.0.1/localhost URL as the worker hosts reach it: the data host's address."""
    parts = urlsplit(url)
    netloc = parts.netloc.replace(parts.hostname or "", DATA_ADDR, 1)
    return urlunsplit(parts._replace(netloc=netloc))


def bare_env() -> dict:
    """What a login has: the deployment's settings come from its rendered files only."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/"),
        "LANG": "C.UTF-8",
    }


class Deployment:
    """The stack on the namespace hosts; `start()` brings it up, `stop()` takes all of it down
    (also after a failed start)."""

    def __init__(self, bench: Bench, *, delay_ms: float, worker_connections: int = 0) -> None:
        self.bench = bench
        self.worker_connections = worker_connections
        self.root = Path(tempfile.mkdtemp(prefix="ro7-", dir="/tmp"))
        self.hosts = Hosts(self.root / "hostlogs", delay_ms=delay_ms)
        self.target = Target(EDGE_ADDR, EDGE_PORT)
        self.origin = f"http://{EDGE_ADDR}:{EDGE_PORT}"
        self.started_seconds: float | None = None

    # --- rendering -----------------------------------------------------------------------------
    def env_file(self, host: str) -> dict:
        env = self.bench.env
        values = {
            "DJANGO_ENV": "production",
            "SECRET_KEY": self.secret,
            "ALLOWED_HOSTS": f"{EDGE_ADDR},127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": self.origin,
            "SITE_URL": self.origin,
            "DATABASE_URL": on_data_host(env.database_url),
            "REDIS_URL": on_data_host(env.redis_url),
            "CHANNEL_PREFIX": env.channel_prefix,
            "CHANNEL_LAYER": servers.app_channel_layer(),
            "STATIC_ROOT": f"{self.root}/static",
            "MEDIA_ROOT": f"{self.root}/media",
            "VAR_DIR": f"{self.root}/{host}/var",
            "LOG_LEVEL": "WARNING",
            # Plain HTTP inside the test network: no TLS in front.
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "SECURE_HSTS_SECONDS": "0",
            # Every generated socket comes from one address (as in every bench run).
            "WS_SOCKETS_PER_ADDRESS": "1000000",
            "WS_CONNECT_BURST": "1000000",
            # The cut worker's diners resend their unanswered ops at once on reconnect.
            "WS_RATE_PER_SECOND": "50",
            "WS_RATE_BURST": "200",
            **env.extra,
        }
        return values

    def render(self, host: str, workers: int) -> Path:
        root = self.root / host
        root.mkdir(parents=True, exist_ok=True)
        text = "".join(f"{k}={v}\n" for k, v in self.env_file(host).items())
        (root / "env").write_text(text)
        (root / "env").chmod(0o600)
        argv = [
            sys.executable,
            "manage.py",
            "deploy_config",
            "--root",
            str(root),
            "--variant",
            "tcp",
            "--workers",
            str(workers),
            "--asgi-port",
            str(WORKER_PORT),
            "--http-server",
            "asgi",
            "--listen",
            str(NGINX_PORT),
            "--server-name",
            EDGE_ADDR,
            "--nginx-workers",
            "1",
            "--json",
        ]
        out = subprocess.run(
            argv,
            cwd=ROOT,
            env=self.bench.env.for_app(EDGE_PORT),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if out.returncode != 0:
            raise RuntimeError(f"deploy_config for {host} failed:\n{out.stderr[-2000:]}")
        return root / "conf"

    def edge_nginx_conf(self) -> Path:
        """The edge's rendered nginx.conf with its upstreams on the worker hosts: the rendering
        names the two tcp workers 127.0.0.1:8001 and :8002; here they are w1's and w2's."""
        conf = self.render("edge", len(WORKERS)) / "nginx.conf"
        text = conf.read_text()
        for i, host in enumerate(WORKERS):
            old = f"server 127.0.0.1:{WORKER_PORT + i} "
            if text.count(old) != 1:
                raise RuntimeError(f"rendered nginx.conf has no single upstream {old!r}")
            text = text.replace(old, f"server {hosts.worker_addr(host)}:{WORKER_PORT} ")
        # The rendering's connections per nginx worker (16384 since W7 found 4096 too few for
        # W6's 4,000 sockets: each proxied socket is two). `--nginx-worker-connections N`
        # tries another figure, and the rows say so (`nginx_changed`).
        if self.worker_connections:
            text, count = re.subn(
                r"worker_connections \d+;", f"worker_connections {self.worker_connections};", text
            )
            if count != 1:
                raise RuntimeError("rendered nginx.conf has no single worker_connections")
            # nginx inherits this process's limit; asking for more than its hard limit fails
            files = min(2 * self.worker_connections, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
            text = re.sub(r"worker_rlimit_nofile \d+;", f"worker_rlimit_nofile {files};", text)
        conf.write_text(text)
        return conf

    # --- bring up ------------------------------------------------------------------------------
    async def start(self) -> "Deployment":
        started = clock()
        # The bench's own processes (table set-up, the platform's seed) mint sessions for the
        # diners and staff: signed with the deployment's key, or the workers refuse them.
        self.extra_before = dict(self.bench.env.extra)
        self.secret = self.bench.env.extra.get("SECRET_KEY") or secrets.token_urlsafe(50)
        self.bench.env.extra["SECRET_KEY"] = self.secret
        h = self.hosts.up()
        h.forwarder(
            "data",
            [
                (
                    DATA_ADDR,
                    urlsplit(self.bench.env.database_url).port or 5432,
                    "127.0.0.1",
                    urlsplit(self.bench.env.database_url).port or 5432,
                ),
                (
                    DATA_ADDR,
                    urlsplit(self.bench.env.redis_url).port or 6379,
                    "127.0.0.1",
                    urlsplit(self.bench.env.redis_url).port or 6379,
                ),
            ],
        )
        nginx_conf = self.edge_nginx_conf()
        edge_conf = nginx_conf.parent
        # Static files in place before anything serves them (one collectstatic for the site).
        subprocess.run(
            [str(edge_conf / "manage.sh"), "collectstatic", "--no-input", "-v0"],
            cwd=ROOT,
            env=bare_env(),
            check=True,
            capture_output=True,
            timeout=300,
        )
        for host in WORKERS:
            conf = self.render(host, 1) / "supervisord.conf"
            h.spawn(
                host,
                "supervisord",
                [str(VENV_BIN / "supervisord"), "--nodaemon", "-c", str(conf)],
                bare_env(),
            )
            h.forwarder(host, [(hosts.worker_addr(host), WORKER_PORT, "127.0.0.1", WORKER_PORT)])
        h.spawn(
            "edge",
            "nginx",
            [NGINX, "-c", str(nginx_conf), "-p", f"{self.root}/edge/", "-g", "daemon off;"],
            bare_env(),
        )
        h.forwarder("edge", [(EDGE_ADDR, EDGE_PORT, "127.0.0.1", NGINX_PORT)])
        await self.wait_ready()
        self.started_seconds = round(clock() - started, 1)
        return self

    async def wait_ready(self, timeout: float = 240) -> None:
        """Both workers listening on their hosts, and /healthz through nginx."""
        deadline = clock() + timeout
        problem = "not started"
        while clock() < deadline:
            for proc in self.hosts.procs:
                if proc.process.poll() is not None:
                    raise RuntimeError(f"{proc.host}/{proc.name} exited: {proc.log.read_text()}")
            listening = [self.listening(host) for host in WORKERS]
            if all(listening):
                try:
                    status = (await http_get(EDGE_ADDR, EDGE_PORT, "/healthz", timeout=5))[0]
                    if status == 200:
                        return
                    problem = f"/healthz {status}"
                except (OSError, TimeoutError) as exc:
                    problem = repr(exc)
            else:
                problem = f"workers listening: {dict(zip(WORKERS, listening, strict=True))}"
            await asyncio.sleep(0.3)
        raise RuntimeError(
            f"the deployment did not come up in {timeout}s: {problem}\n" + self.logs()
        )

    def listening(self, host: str) -> bool:
        out = subprocess.run(
            ["ip", "netns", "exec", hosts.ns_name(host), "ss", "-Hltn", f"sport = :{WORKER_PORT}"],
            capture_output=True,
            text=True,
        )
        return "127.0.0.1" in out.stdout

    def logs(self, lines: int = 12) -> str:
        parts = []
        for path in sorted(self.root.glob("*/log/*.log")) + sorted(self.root.glob("hostlogs/*")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.relative_to(self.root)}\n" + "\n".join(tail))
        return "\n".join(parts)

    def sockets_to(self, host: str) -> int:
        """WebSocket/HTTP connections nginx holds to a worker host (seen in edge)."""
        out = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                hosts.ns_name("edge"),
                "ss",
                "-Htn",
                "state",
                "established",
                "dst",
                hosts.worker_addr(host),
            ],
            capture_output=True,
            text=True,
        )
        return len(out.stdout.splitlines())

    def worker_pids(self) -> list[int]:
        return [
            p
            for host in WORKERS
            if host not in self.hosts.down
            for p in self.hosts.pids(host, "asgi_server")
        ]

    def cpu_probes(self) -> dict:
        probes = self.bench.cpu_probes("app")
        probes["nginx"] = lambda: self.hosts.pids("edge", "nginx")
        probes["forwarders"] = lambda: [
            p.process.pid
            for p in self.hosts.procs
            if p.name == "forward" and p.process.poll() is None
        ]
        return probes

    def problems(self) -> list[str]:
        bad = []
        for path in sorted(self.root.glob("w*/log/*.log")):
            for line in path.read_text(errors="replace").splitlines():
                if any(w in line for w in ("ERROR", "Traceback", "CRITICAL")):
                    bad.append(f"{path.parent.parent.name}: {line[:240]}")
        return bad

    def stop(self) -> dict:
        """Everything down; returns the forwarders' measured holds."""
        try:
            self.hosts.close()
            return self.hosts.forward_reports()
        finally:
            if hasattr(self, "extra_before"):
                self.bench.env.extra.clear()
                self.bench.env.extra.update(self.extra_before)
            if not os.environ.get("KEEP_W7_ROOT"):
                shutil.rmtree(self.root, ignore_errors=True)


# --- 1. W1 through nginx ---------------------------------------------------------------------
def row_base(bench: Bench, path: str, extra: dict | None = None) -> dict:
    s = bench.sizes
    return {
        "scenario": "W7",
        "system": "app",
        "server": "daphne",
        "layer": bench._layer("app"),
        "workers": 2,
        "tables": s.w1_tables,
        "diners": s.w1_diners,
        "path": path,
        **(extra or {}),
    }


def w1_rate(bench: Bench) -> float:
    s = bench.sizes
    return s.w1_tables * s.w1_diners * s.w1_rate_per_diner


async def w1_through_nginx(bench: Bench, dep: Deployment) -> dict:
    s = bench.sizes
    row = row_base(bench, "nginx+namespaces", {"delay_ms": dep.hosts.delay_ms})
    run = LoadRun(
        mode="app",
        targets=[dep.target],
        tables=bench.take_tables(s.w1_tables),
        diners=s.w1_diners,
        event_timeout=s.event_timeout,
        server_pids=dep.worker_pids(),
        extra_cpu=dep.cpu_probes(),
    )
    try:
        row["setup"] = await run.setup()
        row["sockets_per_worker"] = {h: dep.sockets_to(h) for h in WORKERS}
        row.update(await run.measure(rate=w1_rate(bench), duration=s.window, warmup=s.warmup))
    finally:
        await run.close()
    return row


async def w1_loopback(bench: Bench) -> dict:
    """The same load straight at two daphne processes on loopback: no nginx, no hosts."""
    s = bench.sizes
    return await bench.load(
        scenario="W7",
        system="app",
        server="daphne",
        tables=s.w1_tables,
        diners=s.w1_diners,
        rate=w1_rate(bench),
        workers=2,
        extra={"path": "loopback"},
    )


# --- 2. W6 through nginx ---------------------------------------------------------------------
async def w6_through_nginx(
    bench: Bench, dep: Deployment, restaurants: int | None = None
) -> dict | None:
    """W6's platform load (bench/platform_load.py) through the edge; ``restaurants`` shrinks
    it (W6's own sizes otherwise)."""
    try:
        from bench.platform_load import PlatformSizes, platform_run
    except ImportError as exc:
        bench.notes.append(f"W7: W6 not run through nginx ({exc})")
        return None
    sizes = PlatformSizes.quick() if bench.quick else PlatformSizes()
    if restaurants:
        sizes = dataclasses.replace(sizes, restaurants=restaurants)
    label = row_base(bench, "nginx+namespaces", {"delay_ms": dep.hosts.delay_ms, "load": "W6"})
    return await platform_run(
        bench,
        http_base=dep.origin,
        ws_base=f"ws://{EDGE_ADDR}:{EDGE_PORT}",
        origin=dep.origin,
        label=label,
        server_pids=dep.worker_pids(),
        sizes=sizes,
    )


# --- 3. failover: bench/host_failover.py ----------------------------------------------------
async def w7(
    bench: Bench,
    *,
    delay_ms: float = 0.5,
    loopback: bool = True,
    w6: bool = True,
    w6_restaurants: int | None = None,
    worker_connections: int = 0,
    failover_on: bool = True,
) -> list[dict]:
    """W1 on loopback (for the ratio), then on the namespace hosts through nginx: W1, W6 when
    `bench.platform_load` exists, and the failover of host w2 under W1's load. Rows as the
    other scenarios' (scenario "W7", `path` says which), the last with a `failover` dict."""
    env = bench.env
    if not (env.database_url or "").startswith("postgres") or not env.redis_url:
        raise RuntimeError("W7 runs the production deployment: it needs PostgreSQL and Redis")
    if os.geteuid() != 0:
        raise RuntimeError("W7 needs root (network namespaces, veth pairs)")
    rows = []
    if loopback:
        rows.append(await w1_loopback(bench))
        _say(rows[-1])
    dep = Deployment(bench, delay_ms=delay_ms, worker_connections=worker_connections)
    holds = {}
    try:
        await dep.start()
        print(f"  W7 deployment up in {dep.started_seconds}s (root {dep.root})", flush=True)
        # The bench restaurant's dish (asked through a table of it: with W6's restaurants
        # seeded, by this scenario or by W6 before it, `/api/menu/` names none).
        (probe_table,) = bench.take_tables(1)
        dish = await pick_dish(dep.target, probe_table[1])
        row = await w1_through_nginx(bench, dep)
        row["deployment_start_seconds"] = dep.started_seconds
        rows.append(row)
        _say(row)
        try:
            w6 = await w6_through_nginx(bench, dep, w6_restaurants) if w6 else None
        except Exception as exc:  # W6's own failure must not cost the failover's figures
            w6 = None
            rows.append(
                {
                    **row_base(bench, "nginx+namespaces", {"load": "W6"}),
                    "error": f"{type(exc).__name__}: {exc}",
                }
            )
            print(f"  W7 W6 through nginx failed: {exc}", flush=True)
        if w6 is not None:
            rows.append(w6)
            print(f"  W7 W6 through nginx: {json.dumps(w6, default=str)[:400]}", flush=True)
        if failover_on:
            await dep.wait_ready(120)  # W6 may have left a worker busy: start from a sound stack
            await settled(dep.worker_pids())
            fail = await failover(bench, dep, dish, w1_rate(bench))
            rows.append(
                {
                    **row_base(bench, "nginx+namespaces", {"load": "failover"}),
                    "failover": fail,
                    "server_log_problems": len(dep.problems()),
                    "server_log_excerpt": dep.problems()[:10],
                }
            )
            _say_failover(fail)
    finally:
        holds = dep.stop()
    for row in rows:
        if row.get("path") == "nginx+namespaces":
            row["link_holds"] = holds
            row["nginx_changed"] = (
                {"worker_connections": worker_connections} if worker_connections else {}
            )
    if loopback and len(rows) > 1:
        base, far = rows[0], rows[1]
        rows[1]["ratio_to_loopback"] = {
            k: _ratio(far["latency_ms"].get(k), base["latency_ms"].get(k)) for k in ("p50", "p99")
        }
    return rows


def _ratio(a, b):
    return round(a / b, 2) if a and b else None


def _say(row: dict) -> None:
    lat = row.get("latency_ms", {})
    print(
        f"  W7 {row.get('path'):<17} {row['tables']}x{row['diners']} "
        f"{row.get('rate_target', 0):.0f}/s -> {row.get('ops_per_second', 0)}/s "
        f"p50 {lat.get('p50')} p99 {lat.get('p99')} ms lost {row.get('events_lost')} "
        f"err {row.get('ops_errors')} unacked {row.get('ops_unacked')} "
        f"sockets failed {row.get('sockets_failed')}",
        flush=True,
    )


# --- alone: python -m bench.multihost ------------------------------------------------------------
def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.multihost", description=__doc__.split("\n")[0]
    )
    p.add_argument("--quick", action="store_true", help="5 tables x 4, short windows")
    p.add_argument("--delay-ms", type=float, default=0.5, help="hold per hop and direction")
    p.add_argument("--skip-loopback", action="store_true", help="no loopback run for the ratio")
    p.add_argument("--skip-w6", action="store_true", help="no W6 through nginx")
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one more line of the deployment's env file (e.g. DB_THREADS=8); repeatable",
    )
    p.add_argument("--w6-restaurants", type=int, help="W6 with this many restaurants")
    p.add_argument("--skip-failover", action="store_true", help="no failover of host w2")
    p.add_argument(
        "--nginx-worker-connections",
        type=int,
        default=0,
        help="replaces the rendered worker_connections (0, the default: keep it)",
    )
    p.add_argument(
        "--rate-per-diner",
        type=float,
        help="ops/s per diner of W1 and the failover (default 1: 200 ops/s)",
    )
    p.add_argument(
        "--redis-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        print("W7 needs root (network namespaces)", file=sys.stderr)
        return 2
    from bench.runinfo import raise_fd_limit
    from tests.support.servers import postgres_database

    raise_fd_limit()
    servers.prepare_generator()
    prefix = f"robench-{uuid.uuid4().hex[:8]}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out_path = args.out or RESULTS / f"{stamp}-w7{'-quick' if args.quick else ''}.json"
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="robench-") as tmp:
        try:
            with postgres_database() as database_url:
                extra = dict(item.split("=", 1) for item in args.env)
                env = servers.Env(
                    database_url=database_url,
                    redis_url=args.redis_url,
                    channel_prefix=prefix,
                    var_dir=f"{tmp}/var",
                    extra=extra,
                )
                sizes = Sizes.quick() if args.quick else Sizes()
                if args.rate_per_diner:
                    sizes.w1_rate_per_diner = args.rate_per_diner
                bench = Bench(
                    env=env,
                    sizes=sizes,
                    server_kinds=["daphne"],
                    log_dir=Path(tmp) / "logs",
                    quick=args.quick,
                    systems=["app"],
                )

                async def go() -> None:
                    servers.cancel_on_signals(bench)
                    rows.extend(
                        await w7(
                            bench,
                            delay_ms=args.delay_ms,
                            loopback=not args.skip_loopback,
                            w6=not args.skip_w6,
                            w6_restaurants=args.w6_restaurants,
                            failover_on=not args.skip_failover,
                            worker_connections=args.nginx_worker_connections,
                        )
                    )

                asyncio.run(go())
                servers.interrupt_on_term()
        except (KeyboardInterrupt, asyncio.CancelledError):
            print("interrupted: everything stopped", file=sys.stderr)
        finally:
            servers.Fleet.stop_all()
            hosts.clean()
            with contextlib.suppress(Exception):
                import redis

                client = redis.Redis.from_url(args.redis_url, socket_timeout=5)
                for key in client.scan_iter(f"{prefix}*", count=1000):
                    client.delete(key)
    out_path.write_text(json.dumps({"results": {"W7": rows}}, indent=1, default=str))
    print(f"written: {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
