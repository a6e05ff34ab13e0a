"""Several hosts on one machine: network namespaces joined by veth pairs, each hop delayed.

W7 (`bench/multihost.py`) runs the deployment across hosts without a second machine:

```
 generator (root ns) ──▶ edge (nginx) ──▶ w1 (daphne) ──▶ data = root ns (PostgreSQL, Redis)
                                     └──▶ w2 (daphne) ──┘
```

Each arrow is a veth pair of its own (no routing, no ip_forward: every host talks only to
its neighbours, as on a switched network). The data host is the root namespace, where
PostgreSQL and Redis listen on 127.0.0.1 only; the worker hosts reach them at `DATA_ADDR`,
an address the root namespace holds on both of its links to the workers.

Why the delay is in user space: the kernel here has no `sch_netem`, so `tc qdisc ... netem
delay` is not available. Every hop instead ends in a `Forwarder` on the receiving host (a
small asyncio TCP relay listening on that host's link address, connecting to the service on
the host's loopback) that holds every chunk it reads for the link delay before writing it on,
in both directions and in order. So each request and each reply crosses each hop at least
`delay` later than it would; asyncio's timers wait whole milliseconds (epoll), so a 0.5 ms
hold lands near 1.15 ms (p50 of the runs so far; p1 0.52 ms, p99 4-5 ms on the busy 2-core
machine): every forwarder measures the holds it applied and reports them (`holds_ms`), and
those are the delays a run had. What is delayed:

- generator -> nginx: the forwarder in `edge` (EDGE_ADDR:8080 -> nginx on 127.0.0.1:8081);
- nginx -> each worker: the forwarder in `w1`/`w2` (its edge-link address:8001 -> daphne on
  127.0.0.1:8001, the port the rendered tcp variant binds);
- each worker -> PostgreSQL and Redis: the forwarder in the root namespace (DATA_ADDR:5432 and
  DATA_ADDR:6379 -> 127.0.0.1).

A side effect: the services see their clients as 127.0.0.1 (the local forwarder), which is
the address the rendered deployment already trusts as its proxy.

Everything `Hosts` makes is named with `PREFIX` and undone by `Hosts.close()` (called from a
`finally`, so on errors and Ctrl-C too); `Hosts.up()` first removes what a crashed run left.

`python -m bench.hosts forward ...` is the forwarder process; `python -m bench.hosts clean`
removes leftovers by hand.
"""

import argparse
import asyncio
import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "ro7"  # every namespace and root-side interface of W7 starts with it
FORWARD_TAG = f"--tag={PREFIX}-forward"  # in a forwarder's command line: finds a crashed run's
DATA_ADDR = "10.77.200.1"
EDGE_ADDR = "10.77.10.2"
EDGE_PORT = 8080  # the generator's entry (the edge forwarder); nginx itself listens on 8081
NGINX_PORT = 8081
WORKER_PORT = 8001
WORKERS = ("w1", "w2")
# (host a, host b, a's address, b's address); "data" is the root namespace.
LINKS = [
    ("data", "edge", "10.77.10.1", EDGE_ADDR),
    ("edge", "w1", "10.77.11.1", "10.77.11.2"),
    ("edge", "w2", "10.77.12.1", "10.77.12.2"),
    ("data", "w1", "10.77.21.1", "10.77.21.2"),
    ("data", "w2", "10.77.22.1", "10.77.22.2"),
]


def ns_name(host: str) -> str | None:
    """The namespace of a host; None for the data host (the root namespace)."""
    return None if host == "data" else f"{PREFIX}-{host}"


def worker_addr(host: str) -> str:
    """A worker host's address on its link to the edge (nginx's upstream)."""
    return next(b_addr for a, b, _, b_addr in LINKS if a == "edge" and b == host)


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip() or result.stdout.strip()}")
    return result


def ip(*args: str, ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    return run("ip", *(("-n", ns) if ns else ()), *args, check=check)


def netns_pids(ns: str) -> list[int]:
    out = run("ip", "netns", "pids", ns, check=False).stdout.split()
    return [int(p) for p in out if p.isdigit()]


def our_namespaces() -> list[str]:
    out = run("ip", "netns", "list", check=False).stdout.splitlines()
    return [line.split()[0] for line in out if line.startswith(f"{PREFIX}-")]


def kill_pids(pids: list[int], sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def forwarder_leftovers() -> list[int]:
    """Forwarders of an earlier run in the root namespace (their command line has the tag)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if FORWARD_TAG.encode() in cmdline:
            found.append(int(entry.name))
    return found


def clean() -> list[str]:
    """Remove every namespace, root-side interface and forwarder a run of W7 left behind.
    Returns what was removed."""
    removed = []
    for ns in our_namespaces():
        kill_pids(netns_pids(ns))
        ip("netns", "del", ns, check=False)
        removed.append(f"netns {ns}")
    leftovers = forwarder_leftovers()
    kill_pids(leftovers)
    removed += [f"forwarder {pid}" for pid in leftovers]
    for line in ip("-o", "link", "show", check=False).stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(f"{PREFIX}-"):
            ip("link", "del", name, check=False)
            removed.append(f"link {name}")
    return removed


@dataclass
class Proc:
    host: str
    name: str
    process: subprocess.Popen
    log: Path


@dataclass
class Hosts:
    """The namespaces, links and forwarders of W7, and every process started in them."""

    work: Path  # logs and forwarder reports go here
    delay_ms: float = 0.5
    procs: list[Proc] = field(default_factory=list)
    removed_at_start: list[str] = field(default_factory=list)
    down: set[str] = field(default_factory=set)

    # --- bring up ----------------------------------------------------------------------------
    def up(self) -> "Hosts":
        self.removed_at_start = clean()
        self.work.mkdir(parents=True, exist_ok=True)
        for host in ("edge", *WORKERS):
            ns = ns_name(host)
            run("ip", "netns", "add", ns)
            ip("link", "set", "lo", "up", ns=ns)
        for a, b, a_addr, b_addr in LINKS:
            self._link(a, b, a_addr, b_addr)
        for host in WORKERS:  # the data host, as the workers see it
            data_side = next(a_addr for a, b, a_addr, _ in LINKS if a == "data" and b == host)
            ip("addr", "add", f"{DATA_ADDR}/32", "dev", f"{PREFIX}-{host}")
            ip("route", "add", f"{DATA_ADDR}/32", "via", data_side, ns=ns_name(host))
        return self

    def _link(self, a: str, b: str, a_addr: str, b_addr: str) -> None:
        """A veth pair: in namespace a named `to-<b>` (root side: `ro7-<b>`), and the other way
        round in b."""
        a_if = f"{PREFIX}-{b}" if a == "data" else f"to-{b}"
        b_if = f"to-{a}"
        temp = f"{PREFIX}-t{a[:2]}{b[:2]}"
        ip("link", "add", temp, "type", "veth", "peer", "name", f"{temp}p")
        ip("link", "set", f"{temp}p", "netns", ns_name(b), "name", b_if)
        if a == "data":
            ip("link", "set", temp, "name", a_if)
        else:
            ip("link", "set", temp, "netns", ns_name(a), "name", a_if)
        ip("addr", "add", f"{a_addr}/24", "dev", a_if, ns=ns_name(a))
        ip("addr", "add", f"{b_addr}/24", "dev", b_if, ns=ns_name(b))
        ip("link", "set", a_if, "up", ns=ns_name(a))
        ip("link", "set", b_if, "up", ns=ns_name(b))

    # --- processes ---------------------------------------------------------------------------
    def spawn(self, host: str, name: str, argv: list[str], env: dict, cwd: Path = ROOT) -> Proc:
        """A process on a host (``ip netns exec``), in a session of its own, logging to a file."""
        ns = ns_name(host)
        full = ["ip", "netns", "exec", ns, *argv] if ns else list(argv)
        log = self.work / f"{host}-{name}.log"
        with open(log, "w") as out:
            process = subprocess.Popen(
                full,
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Proc(host, name, process, log)
        self.procs.append(proc)
        return proc

    def forwarder(self, host: str, routes: list[tuple[str, int, str, int]]) -> Proc:
        """A delaying forwarder on ``host``: (listen address, port, target address, port)."""
        report = self.work / f"{host}-forward.json"
        ready = self.work / f"{host}-forward.ready"
        for path in (report, ready):
            path.unlink(missing_ok=True)
        argv = [
            sys.executable,
            "-m",
            "bench.hosts",
            "forward",
            FORWARD_TAG,
            "--delay-ms",
            str(self.delay_ms),
            "--report",
            str(report),
            "--ready",
            str(ready),
        ]
        argv += [f"{la}:{lp}={ta}:{tp}" for la, lp, ta, tp in routes]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)}
        proc = self.spawn(host, "forward", argv, env)
        deadline = time.monotonic() + 20
        while not ready.exists():
            if proc.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"forwarder on {host} did not start: {proc.log.read_text()}")
            time.sleep(0.05)
        return proc

    def pids(self, host: str, needle: str) -> list[int]:
        """Processes of a host whose command line contains ``needle``."""
        out = []
        for pid in netns_pids(ns_name(host)) if host != "data" else []:
            with contextlib.suppress(OSError):
                if needle.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    out.append(pid)
        return out

    def take_down(self, host: str) -> float:
        """The host leaves the network and dies, as a machine whose power is cut: its links go
        down first (nothing it sends afterwards, not even a FIN or RST, leaves it), then every
        process in its namespace gets SIGKILL. Returns the moment (perf_counter) of the cut."""
        ns = ns_name(host)
        t = time.perf_counter()
        for line in ip("-o", "link", "show", ns=ns).stdout.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            if name != "lo":
                ip("link", "set", name, "down", ns=ns)
        kill_pids(netns_pids(ns))
        self.down.add(host)
        return t

    def forward_reports(self) -> dict:
        """Each forwarder's holds (written when it stops): {host: {"holds_ms": ..., ...}}."""
        out = {}
        for host in ("data", "edge", *WORKERS):
            path = self.work / f"{host}-forward.json"
            if path.exists():
                out[host] = json.loads(path.read_text())
        return out

    # --- tear down ---------------------------------------------------------------------------
    def close(self) -> None:
        """Stop every process (SIGTERM to its session, then SIGKILL), then remove the
        namespaces and links."""
        for proc in self.procs:
            if proc.process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs:
            try:
                proc.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.process.pid, signal.SIGKILL)
                proc.process.wait(5)
        clean()
        self.procs = []


# --- the forwarder -------------------------------------------------------------------------------
class Holds:
    """Every hold this forwarder applied (seconds), sampled: the delay a run really had."""

    def __init__(self, keep: int = 200_000) -> None:
        self.values: collections.deque = collections.deque(maxlen=keep)
        self.chunks = 0
        self.bytes = 0

    def summary(self) -> dict:
        ordered = sorted(self.values)
        n = len(ordered)

        def rank(p: float) -> float | None:
            return round(1000 * ordered[min(n - 1, int(p * n / 100))], 3) if n else None

        return {
            "chunks": self.chunks,
            "bytes": self.bytes,
            "holds_ms": {
                "p1": rank(1),
                "p50": rank(50),
                "p99": rank(99),
                "max": round(1000 * ordered[-1], 3) if n else None,
            },
        }


class Pipe(asyncio.Protocol):
    """One direction's reader, writing to the peer's transport ``delay`` seconds later: chunks
    wait in a queue in arrival order behind a single timer, so order is kept."""

    def __init__(self, delay: float, holds: Holds) -> None:
        self.delay = delay
        self.holds = holds
        self.peer: Pipe | None = None
        self.transport: asyncio.Transport | None = None
        self.queue: collections.deque = collections.deque()
        self.timer: asyncio.TimerHandle | None = None
        self.eof_pending = False
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.queue.append((self.loop.time(), data))
        self.holds.chunks += 1
        self.holds.bytes += len(data)
        if self.timer is None:
            self.timer = self.loop.call_at(self.queue[0][0] + self.delay, self._flush)

    def _flush(self) -> None:
        self.timer = None
        now = self.loop.time()
        peer = self.peer
        while self.queue and self.queue[0][0] + self.delay <= now:
            arrived, data = self.queue.popleft()
            self.holds.values.append(now - arrived)
            if peer is not None and peer.transport is not None and not peer.transport.is_closing():
                peer.transport.write(data)
        if self.queue:
            self.timer = self.loop.call_at(self.queue[0][0] + self.delay, self._flush)
        elif self.eof_pending and peer is not None and peer.transport is not None:
            with contextlib.suppress(OSError, RuntimeError):
                peer.transport.write_eof()

    def eof_received(self) -> bool:
        self.eof_pending = True
        if not self.queue and self.peer is not None and self.peer.transport is not None:
            with contextlib.suppress(OSError, RuntimeError):
                self.peer.transport.write_eof()
        return True  # half-close: the other direction may still carry data

    def connection_lost(self, exc) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None:
            # What is still held goes out first, then the close.
            delay = (
                max(0.0, (self.queue[-1][0] + self.delay - self.loop.time())) if self.queue else 0
            )
            self.loop.call_later(delay + 0.001, peer.transport.close)

    # flow control: a slow receiver stops the reading on the other side
    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.resume_reading()


async def _serve(routes: list[str], delay: float, holds: Holds, ready: Path) -> None:
    loop = asyncio.get_running_loop()
    servers = []
    for route in routes:
        listen, target = route.split("=")
        l_host, l_port = listen.rsplit(":", 1)
        t_host, t_port = target.rsplit(":", 1)

        def factory(t_host=t_host, t_port=int(t_port)):
            inbound = Pipe(delay, holds)

            async def connect() -> None:
                outbound = Pipe(delay, holds)
                inbound.peer, outbound.peer = outbound, inbound
                try:
                    await loop.create_connection(lambda: outbound, t_host, t_port)
                except OSError:
                    if inbound.transport is not None:
                        inbound.transport.abort()

            original = inbound.connection_made

            def made(transport) -> None:
                original(transport)
                transport.pause_reading()  # until the outbound side is connected
                task = loop.create_task(connect())
                task.add_done_callback(lambda _t: transport.resume_reading())

            inbound.connection_made = made
            return inbound

        servers.append(await loop.create_server(factory, l_host, int(l_port), backlog=4096))
    ready.write_text("ready\n")
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


def forward_main(args) -> None:
    holds = Holds()
    try:
        asyncio.run(_serve(args.routes, args.delay_ms / 1000, holds, Path(args.ready)))
    finally:
        Path(args.report).write_text(json.dumps({"delay_ms": args.delay_ms, **holds.summary()}))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hosts")
    sub = parser.add_subparsers(dest="command", required=True)
    fwd = sub.add_parser("forward", help="a delaying TCP forwarder (see the module's doc)")
    fwd.add_argument("--tag", default="")
    fwd.add_argument("--delay-ms", type=float, default=0.5)
    fwd.add_argument("--report", required=True)
    fwd.add_argument("--ready", required=True)
    fwd.add_argument("routes", nargs="+", help="LISTEN_HOST:PORT=TARGET_HOST:PORT")
    sub.add_parser("clean", help="remove what a crashed run of W7 left behind")
    args = parser.parse_args()
    if args.command == "forward":
        forward_main(args)
    else:
        for line in clean():
            print(line)


if __name__ == "__main__":
    main()
