"""The production stack, brought up from `manage.py deploy_config` in a temporary root.

supervisord (uwsgi + N daphne workers + nginx with the rendered self-contained nginx.conf) on
loopback ports, on PostgreSQL and Redis of this machine. Everything the processes know comes
from the rendered files: supervisord starts with an almost empty environment.
"""

import contextlib
import http.client
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.core.management import call_command

from tests.support.servers import (
    REDIS_TEST_URL,
    ROOT,
    free_port,
    free_port_limit,
    manage,
    redis_prefix,
)

NGINX = "/usr/sbin/nginx"
VENV_BIN = Path(sys.executable).parent
# Reaches every process only through the env file -> supervisord.conf: commas, equals signs,
# `%`, `$`, quotes and `#` must arrive byte for byte.
PROBE = "a,b=c %(here)s $HOME 'x'#y;z\\n"


def free_port_run(count: int) -> int:
    """The first of `count` consecutive free loopback ports."""
    for _ in range(50):
        base = free_port()
        if base + count > free_port_limit():
            continue
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError(f"no {count} consecutive free ports")


# The restaurant's manager (the one restaurant of the deployment): signs in through the admin
# and works the floor.
STAFF_AND_TABLES = """
import json
from django.urls import reverse
from restaurant.tables.models import Table
from restaurant.venues.models import Restaurant
from restaurant.venues.services import staff_member_create
restaurant = Restaurant.objects.get()
staff_member_create(restaurant=restaurant, role="manager", username="staff", password={password!r})
tables = Table.objects.filter(restaurant=restaurant)
print(json.dumps({{t.number: reverse("table", args=[t.token]) for t in tables}}))
"""


def staff_and_tables(database_url: str) -> tuple[str, dict[int, str]]:
    """A manager's login in the (demo) database, and table number -> the table page's path."""
    password = secrets.token_urlsafe(12)
    out = manage(
        "shell",
        "-v",
        "0",
        "-c",
        STAFF_AND_TABLES.format(password=password),
        database_url=database_url,
    )
    tables = json.loads(out.strip().splitlines()[-1])
    return password, {int(number): path for number, path in tables.items()}


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 5) -> None:
        super().__init__("127.0.0.1", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def get(url: str, *, timeout: float = 5, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """GET without raising on 4xx/5xx: status, headers, body."""
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def get_from(
    url: str, source: str, headers: dict | None = None, timeout: float = 5
) -> tuple[int, bytes]:
    """GET from another loopback address (``source``, e.g. 127.0.0.9): a client that is not
    the machine's own 127.0.0.1. Returns status and body."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=timeout, source_address=(source, 0)
    )
    try:
        connection.request("GET", parts.path or "/", headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Stack:
    def __init__(
        self,
        *,
        variant: str,
        database_url: str,
        workers: int = 2,
        name: str = "",
        asgi_server: str = "daphne",
        http_server: str = "uwsgi",
    ) -> None:
        self.variant, self.workers_count = variant, workers
        self.asgi_server, self.http_server = asgi_server, http_server
        self.database_url = database_url
        # Short: unix socket paths are limited to 107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix=f"rodeploy-{name or variant}-", dir="/tmp"))
        self.conf = self.root / "conf"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.prefix = redis_prefix()["CHANNEL_PREFIX"]
        self.layout: dict = {}
        self.process: subprocess.Popen | None = None

    # --- bring up ----------------------------------------------------------------------------
    def write_env(self) -> None:
        env = {
            "DJANGO_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": self.url,
            "SITE_URL": self.url,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": REDIS_TEST_URL,
            "CHANNEL_PREFIX": self.prefix,
            "STATIC_ROOT": f"{self.root}/static",
            "MEDIA_ROOT": f"{self.root}/media",
            "VAR_DIR": f"{self.root}/var",
            "DB_POOL_MAX": "5",
            # Plain HTTP on loopback: no TLS in front.
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "SECURE_HSTS_SECONDS": "0",
            "DEPLOY_PROBE": PROBE,
            # A restarted worker's diners resend every unanswered op at once on reconnect; the
            # restart test streams 10 ops/s, so allow that burst (rate limits have their own tests).
            "WS_RATE_PER_SECOND": "50",
            "WS_RATE_BURST": "200",
            # Few misses make a guesser, so the forged-address test needs few handshakes.
            "TOKEN_MISS_LIMIT": "5",
        }
        text = "# written by the deploy test\n" + "".join(f"{k}={v}\n" for k, v in env.items())
        (self.root / "env").write_text(text)
        (self.root / "env").chmod(0o600)

    def render(self) -> None:
        """`manage.py deploy_config`, as an operator runs it (in this process: same code)."""
        args = [
            "--root",
            str(self.root),
            "--variant",
            self.variant,
            "--workers",
            str(self.workers_count),
            "--listen",
            str(self.port),
            "--server-name",
            "127.0.0.1,localhost",
            "--supervise-nginx",
            "--nginx",
            NGINX,
            "--uwsgi-processes",
            "2",
            "--nginx-workers",
            "1",
            "--asgi-server",
            self.asgi_server,
            "--http-server",
            self.http_server,
            "--json",
        ]
        if self.variant == "tcp":
            args += ["--asgi-port", str(free_port_run(self.workers_count))]
        out = io.StringIO()
        call_command("deploy_config", *args, stdout=out)
        self.layout = json.loads(out.getvalue())

    def manage(self, *args: str, env: dict | None = None) -> str:
        """manage.py through the rendered manage.sh: the deployment's own environment."""
        return self.run(
            [str(self.conf / "manage.sh"), *args], env={**self.bare_env(), **(env or {})}
        )

    # Three stacks come up side by side (fifteen Python processes importing Django) beside
    # another test worker: 30 s on an idle 2-core machine, and CI's may be busy with other
    # work. The wait ends when the stack answers; the deadline only bounds a broken one.
    def start(self, timeout: float = 240) -> "Stack":
        self.write_env()
        self.render()
        # As the guide does it: static files in place before anything serves them.
        self.manage("collectstatic", "--no-input", "-v0")
        self.process = subprocess.Popen(
            [VENV_BIN / "supervisord", "--nodaemon", "-c", self.conf / "supervisord.conf"],
            env=self.bare_env(),
            cwd=self.root,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        problem = "not started"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"supervisord exited with {self.process.returncode}\n{self.logs()}"
                )
            problem = self.not_ready()
            if problem is None:
                return
            time.sleep(0.2)
        raise RuntimeError(
            f"the stack did not come up in {timeout}s: {problem}\n{self.cpu()}\n{self.logs()}"
        )

    def cpu(self) -> str:
        """Each program's state and CPU seconds so far: a slow start (seconds still growing)
        reads differently from a stuck one."""
        lines = []
        try:
            names = list(self.status())
        except Exception as exc:  # a diagnostic must not hide the real error
            return f"--- programs: {exc!r}"
        for name in names:
            try:
                pid = self.pid(name)
                fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
                ticks = int(fields[11]) + int(fields[12])
                seconds = ticks / os.sysconf("SC_CLK_TCK")
                lines.append(f"{name}: pid {pid} state {fields[0]} cpu {seconds:.1f}s")
            except (OSError, ValueError, RuntimeError) as exc:
                lines.append(f"{name}: {exc!r}")
        return "--- programs\n" + "\n".join(lines)

    def not_ready(self) -> str | None:
        status = self.status()
        if not status or any(state != "RUNNING" for state in status.values()):
            return f"supervisorctl status: {status}"
        for worker in self.workers:
            code = self.worker_get(worker, "/healthz")[0]
            if code != 200:
                return f"{worker['name']} /healthz: {code}"
        code = get(self.url + "/healthz")[0]
        return None if code == 200 else f"nginx /healthz: {code}"

    # --- looking at it -----------------------------------------------------------------------
    @property
    def workers(self) -> list[dict]:
        return self.layout["workers"]

    @property
    def program(self) -> str:
        return self.layout["program"]

    def worker_get(self, worker: dict, path: str) -> tuple[int | str, dict]:
        """GET straight from one ASGI worker, around nginx."""
        try:
            if "socket" in worker:
                connection = UnixHTTPConnection(worker["socket"])
            else:
                connection = http.client.HTTPConnection("127.0.0.1", worker["port"], timeout=5)
            connection.request("GET", path, headers={"Host": "127.0.0.1"})
            response = connection.getresponse()
            response.read()
            connection.close()
            return response.status, dict(response.headers)
        except OSError as exc:
            return repr(exc), {}

    def ctl(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            [str(VENV_BIN / "supervisorctl"), "-c", str(self.conf / "supervisord.conf"), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.bare_env(),
        )
        # supervisorctl status exits 3 when a program is not running: that is an answer too
        if check and result.returncode not in (0, 3):
            raise RuntimeError(f"supervisorctl {' '.join(args)}: {result.stdout}{result.stderr}")
        return result.stdout

    def status(self) -> dict[str, str]:
        out = self.ctl("status", check=False)
        return {parts[0]: parts[1] for line in out.splitlines() if len(parts := line.split()) > 1}

    def pid(self, name: str) -> int:
        return int(self.ctl("pid", name).strip())

    def log(self, name: str) -> str:
        path = self.root / "log" / name
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self, lines: int = 15) -> str:
        parts = []
        for path in sorted((self.root / "log").glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(parts)

    # --- tear down ---------------------------------------------------------------------------
    def leftovers(self) -> list[str]:
        """Processes whose command line or environment names the temporary root."""
        marker = str(self.root).encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if marker in cmdline or marker in environ:
                command = cmdline.replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{entry.name}: {command}")
        return found

    def stop(self) -> None:
        """supervisorctl shutdown, wait, then prove that nothing of the root still runs."""
        try:
            if self.process and self.process.poll() is None:
                with contextlib.suppress(Exception):
                    self.ctl("shutdown", check=False)
                try:
                    self.process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(10)
                    raise AssertionError("supervisord did not shut down in 30 s") from None
            deadline = time.monotonic() + 10
            while (left := self.leftovers()) and time.monotonic() < deadline:
                time.sleep(0.2)
            if left:
                for line in left:
                    with contextlib.suppress(OSError):
                        os.kill(int(line.split(":")[0]), signal.SIGKILL)
                raise AssertionError("processes left behind after shutdown:\n" + "\n".join(left))
        finally:
            self.flush_redis()
            if not os.environ.get("KEEP_DEPLOY_ROOT"):
                shutil.rmtree(self.root, ignore_errors=True)

    def flush_redis(self) -> None:
        import redis

        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(REDIS_TEST_URL, socket_timeout=3)
            for key in client.scan_iter(f"{self.prefix}*", count=1000):
                client.delete(key)

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def bare_env() -> dict:
        """Only what any login has: the deployment's settings must come from its files."""
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": os.environ.get("HOME", "/"),
            "LANG": "C.UTF-8",
        }

    @staticmethod
    def run(command: list[str], env: dict) -> str:
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:3])} failed:\n{result.stdout}{result.stderr}")
        return result.stdout
