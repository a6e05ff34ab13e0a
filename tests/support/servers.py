"""Real ASGI server processes for the tests that need a real socket (browser, multi-process).

Each server is `python -m restaurant.core.asgi_server` (daphne with our size limit) in its own
process, on a free loopback port, with its environment given here; `stop()` ends it and waits.
"""

import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _listen_ports() -> range:
    """Ports for test servers: below the kernel's ephemeral range. A port the kernel hands
    out (bind to port 0) is in that range, and between our check and the server's own bind
    any outgoing connection of the machine (to PostgreSQL, Redis, another test's server) may
    take it as its source port: daphne then died with "Address already in use" on a busy
    machine. Below the range only another listener can take it, and that is rare."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return range(max(1024, low - 12000), low)


_ports = random.SystemRandom()


def free_port_limit() -> int:
    """The first port past those `free_port` hands out (a run of ports stays below it)."""
    return _listen_ports().stop


def free_port() -> int:
    """A loopback port no one listens on now, outside the ephemeral range (`_listen_ports`)."""
    ports = _listen_ports()
    for _ in range(200):
        port = _ports.choice(ports)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port below the ephemeral range")


def _env(database_url: str, redis_url: str | None, extra: dict | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update({"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings"})
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra or {})
    return env


def manage(*args: str, database_url: str, extra_env: dict | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(database_url, None, extra_env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


# The servers of these tests are a deployment with one restaurant (the contract's unprefixed
# forms serve it: `/api/menu/`, `/kitchen/`): the first demo restaurant only. A test of
# several restaurants loads the others itself (`demo_load` with no --only).
DEMO_ONLY = ("demo_load", "--only", "shuxiang")


def prepare_database(tmp_path: Path, *, demo: tuple[str, ...] = DEMO_ONLY) -> str:
    """A fresh SQLite database, migrated, with the demo restaurant (``demo``: the demo_load
    command to run); returns its DATABASE_URL."""
    database_url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    manage("migrate", "--no-input", database_url=database_url)
    manage(*demo, database_url=database_url)
    return database_url


class AsgiServer:
    def __init__(
        self,
        *,
        database_url: str,
        redis_url: str | None = None,
        port: int | None = None,
        extra_env: dict | None = None,
    ) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = {"SITE_URL": self.url, **(extra_env or {})}
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None

    def start(self, timeout: float = 30) -> "AsgiServer":
        env = _env(self.database_url, self.redis_url, self.extra_env)
        self.log_file = open(  # noqa: SIM115 (kept open for the life of the process)
            Path(env.get("VAR_DIR", "/tmp")) / f"asgi-{self.port}.log", "w"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "restaurant.core.asgi_server", "-b", "127.0.0.1",
             "-p", str(self.port), "config.asgi:application"],
            cwd=ROOT, env=env, stdout=self.log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ASGI server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"ASGI server on port {self.port} did not answer in {timeout}s")

    def log_path_text(self) -> str:
        self.log_file.flush()
        return Path(self.log_file.name).read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the process dies with whatever it had in flight."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "log_file", None):
            self.log_file.close()

    def __enter__(self) -> "AsgiServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def table_links(self) -> list[dict]:
        out = manage("table_links", "--json", database_url=self.database_url,
                     extra_env=self.extra_env)  # fmt: skip
        return json.loads(out)

    def table_url(self, number: int) -> str:
        return next(link["url"] for link in self.table_links() if link["number"] == number)


PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextlib.contextmanager
def postgres_database():
    """A fresh PostgreSQL database, migrated, with the demo restaurant; dropped afterwards."""
    import psycopg

    name = f"ro_live_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise RuntimeError(f"PostgreSQL at {PG_ADMIN_URL} does not answer: {exc}") from exc
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        database_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        try:
            manage("migrate", "--no-input", database_url=database_url)
            manage(*DEMO_ONLY, database_url=database_url)
            yield database_url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_prefix() -> dict:
    """Environment giving server processes their own key prefix on the shared Redis."""
    return {"CHANNEL_PREFIX": f"rolive-{uuid.uuid4().hex[:8]}"}


def plain_dish(server) -> int:
    """A dish that can be added with no options: available, no required choice. ``server``
    is anything with a base ``url`` (an AsgiServer, a deployed stack)."""
    with urllib.request.urlopen(server.url + "/api/menu/", timeout=5) as response:
        menu = json.load(response)
    return next(
        dish["id"]
        for category in menu["categories"]
        for dish in category["dishes"]
        if not dish["sold_out"] and all(g["min"] == 0 for g in dish["option_groups"])
    )
