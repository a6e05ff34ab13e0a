"""The servers under test, each a real process on a free loopback port, pinned with taskset.

- ``app``: RestaurantOrder itself (`config.asgi:application`), under daphne (as production runs
  it: `python -m restaurant.core.asgi_server`) or uvicorn;
- ``relay``: the original design's consumer (bench/relay/), same server and channel layer, no DB;
- ``raw``: a plain `websockets` broadcast server (bench/raw_server.py), the floor.

Every process started here is recorded in ``Fleet`` and ended by `Fleet.stop_all()` (called from
a `finally` and from the signal handlers of `bench.__main__`).
"""

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import procstats
from bench.wsclient import http_get, ws_connect

ROOT = Path(__file__).resolve().parents[1]
SERVER_CORE = "0"
GENERATOR_CORE = 1
# Niceness of the servers and the generator (`--nice`): on a machine busy with other people's
# work, a negative value lets the measured processes run first (Redis and PostgreSQL are shared
# services and keep theirs). 0 leaves the scheduler alone.
NICE = 0


def app_channel_layer() -> str:
    """The channel layer the app's servers run (`CHANNEL_LAYER`, as config/settings.py reads
    it): "pubsub" or "redis"; the relay follows it."""
    return os.environ.get("CHANNEL_LAYER", "pubsub")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def can_pin() -> bool:
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


def pin_self_to_generator_core() -> bool:
    """The load generator (this process) runs on core 1; servers on core 0."""
    if not can_pin():
        return False
    try:
        os.sched_setaffinity(0, {GENERATOR_CORE})
        return True
    except OSError:
        return False


def scenario_names(option: str, known) -> list[str] | None:
    """The comma-separated scenarios of ``option``; None (said on stderr) if one is unknown."""
    names = [n.strip() for n in option.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"unknown scenario(s) {unknown}; choose from {list(known)}", file=sys.stderr)
        return None
    return names


def prepare_generator() -> tuple[bool, str]:
    """This process as the load generator: pinned to its core, on uvloop where installed, and
    ended by SIGTERM as by Ctrl-C (so that every server it started is stopped). Returns
    (pinned, the event loop's kind)."""
    pinned = pin_self_to_generator_core()
    try:
        import uvloop

        uvloop.install()
        loop_kind = "uvloop"
    except ImportError:
        loop_kind = "asyncio"

    interrupt_on_term()
    return pinned, loop_kind


def cancel_on_signals(run) -> None:
    """Inside the running loop: the first Ctrl-C or SIGTERM cancels the current task (the
    servers are stopped on the way out, the figures so far kept); a second one stops every
    server and exits at once. ``run`` has a ``stopping`` flag."""
    main_task = asyncio.current_task()

    def on_signal() -> None:
        if run.stopping:
            Fleet.stop_all()
            os._exit(130)
        run.stopping = True
        print("\ninterrupted: stopping (again to force)", file=sys.stderr, flush=True)
        main_task.cancel()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def interrupt_on_term() -> None:
    """SIGTERM raises KeyboardInterrupt (again after `asyncio.run`, which resets handlers)."""
    signal.signal(signal.SIGTERM, _raise_interrupt)


class Fleet:
    """Every server process this run started, so that all of them die with it."""

    processes: list[subprocess.Popen] = []

    @classmethod
    def add(cls, process: subprocess.Popen) -> None:
        cls.processes.append(process)

    @classmethod
    def stop_all(cls) -> None:
        for process in cls.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 8
        for process in cls.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                process.wait(5)
        cls.processes = [p for p in cls.processes if p.poll() is None]


@dataclass
class Env:
    """Where the servers find their database and channel layer."""

    database_url: str | None = None  # None: the app is not used (baselines only)
    redis_url: str | None = None  # None: the in-memory layer
    channel_prefix: str = "robench"
    var_dir: str = "/tmp/robench"
    extra: dict = field(default_factory=dict)

    def for_app(self, port: int) -> dict:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "VAR_DIR": self.var_dir,
                "SITE_URL": f"http://127.0.0.1:{port}",
                "CHANNEL_PREFIX": self.channel_prefix,
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
                # Every generated socket comes from 127.0.0.1: the per-address limits (sized
                # for one restaurant's Wi-Fi) would measure themselves, not the server.
                "WS_SOCKETS_PER_ADDRESS": "1000000",
                "WS_CONNECT_BURST": "1000000",
            }
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        env.update(self.extra)
        return env

    def for_relay(self, port: int) -> dict:
        env = self.for_app(port)
        env["DJANGO_SETTINGS_MODULE"] = "bench.relay.settings"
        env.pop("DATABASE_URL", None)
        return env


@dataclass
class Server:
    system: str  # app | relay | raw
    server: str  # daphne | uvicorn | websockets
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float | None:
        return procstats.cpu_seconds(self.pid)

    def rss_kib(self) -> int | None:
        return procstats.rss_kib(self.pid)

    def log_problems(self) -> list[str]:
        """Lines of the server's log that say something went wrong (first few)."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        bad = []
        for i, line in enumerate(lines):
            if any(w in line for w in ("ERROR", "Traceback", "Error:", "CRITICAL")):
                bad.append(line[:300])
            elif line.startswith(("redis.", "psycopg", "django.", "channels")) and i:
                bad.append(line[:300])  # the exception line that ends a traceback
        return bad


def _command(system: str, server: str, port: int) -> list[str]:
    py = sys.executable
    if system == "raw":
        return [py, "-m", "bench.raw_server", "--host", "127.0.0.1", "--port", str(port)]
    app = "config.asgi:application" if system == "app" else "bench.relay.asgi:application"
    if server == "daphne":
        # The production runner: daphne with the 16 KiB limit answered by a 1009 close.
        return [py, "-m", "restaurant.core.asgi_server", "-b", "127.0.0.1", "-p", str(port), app]
    if server == "uvicorn":
        return [
            py, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
            "--ws-max-size", "16384", "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
    raise ValueError(f"unknown server {server!r}")


def start_server(system: str, server: str, env: Env, log_dir: Path) -> Server:
    port = free_port()
    if system == "app":
        environ = env.for_app(port)
    elif system == "relay":
        environ = env.for_relay(port)
    else:
        environ = {**os.environ, "PYTHONUNBUFFERED": "1"}
        server = "websockets"
    argv = _command(system, server, port)
    if can_pin():
        argv = ["taskset", "-c", SERVER_CORE, *argv]
    if NICE:
        argv = ["nice", "-n", str(NICE), *argv]
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{system}-{server}-{port}.log"
    with open(log_path, "w") as log:
        # taskset execs the server: the pid is the server's own.
        process = subprocess.Popen(
            argv, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    Fleet.add(process)
    return Server(system, server, port, process, log_path)


async def wait_ready(server: Server, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.system}/{server.server} exited with {server.process.returncode}: "
                + server.log_path.read_text(errors="replace")[-2000:]
            )
        try:
            if server.system == "raw":
                conn = await ws_connect(
                    "127.0.0.1", server.port, "/ws/table/ready/", origin=None, timeout=2
                )
                conn.close()
                return
            status, _, _ = await http_get("127.0.0.1", server.port, "/healthz", timeout=3)
            if status == 200:
                return
            last = f"status {status}"
        except (TimeoutError, OSError, Exception) as exc:
            last = repr(exc)
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{server.system}/{server.server} not ready in {timeout}s: {last}")


def stop_server(server: Server) -> None:
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(8)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    if process in Fleet.processes:
        Fleet.processes.remove(process)


@contextlib.asynccontextmanager
async def running(system: str, server: str, env: Env, log_dir: Path, workers: int = 1):
    """`workers` server processes of one kind (several daphne processes behind one
    balancer, as the deployment runs them); all stopped on the way out."""
    servers = []
    try:
        for _ in range(workers):
            servers.append(start_server(system, server, env, log_dir))
        await asyncio.gather(*(wait_ready(s) for s in servers))
        yield servers
    finally:
        for s in servers:
            stop_server(s)
