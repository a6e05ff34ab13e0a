"""A Redis primary, its replica and three Sentinels as processes of one run
(docs/redis-sentinel.md): for the Sentinel failover test and `bench.sentinel_failover`.

Every process listens on a free loopback port of its own and keeps its files in the directory
given (Sentinel rewrites its config file: one each); the machine's Redis is not touched.
`stop()` ends every process still running and waits for it.
"""

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from tests.support.servers import free_port

MASTER = "ro-sentinel"
DOWN_AFTER_MS = 1000  # the failover starts this long after the primary stops answering


def wait_until(predicate, timeout: float, what: str) -> None:
    """Poll ``predicate()`` every 0.1 s until it is true; a Redis error counts as false.
    Raises RuntimeError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what}: not within {timeout} s")


class SentinelGroup:
    """Primary, replica and three Sentinels (quorum 2) watching the primary as ``MASTER``."""

    def __init__(self, work: Path, master: str = MASTER) -> None:
        assert shutil.which("redis-server"), "redis-server is needed (Debian: redis-server)"
        self.work = work
        self.master = master
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs: list = []
        self.primary, self.replica = free_port(), free_port()
        self.sentinels = [free_port() for _ in range(3)]

    def env_value(self) -> str:
        """The Sentinels as REDIS_SENTINELS spells them: ``127.0.0.1:p1,127.0.0.1:p2,...``."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinels)

    def _start(self, name: str, conf: str, *extra: str) -> None:
        path = self.work / f"{name}.conf"
        path.write_text(conf)
        log = open(self.work / f"{name}.log", "w")  # noqa: SIM115 (closed by stop())
        self._logs.append(log)
        self.procs[name] = subprocess.Popen(
            ["redis-server", str(path), *extra],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.work,
            start_new_session=True,
        )

    def start(self) -> "SentinelGroup":
        base = f'bind 127.0.0.1\nprotected-mode no\nsave ""\nappendonly no\ndir {self.work}\n'
        self._start("primary", f"{base}port {self.primary}\ndbfilename primary.rdb\n")
        self._start(
            "replica",
            f"{base}port {self.replica}\ndbfilename replica.rdb\n"
            f"replicaof 127.0.0.1 {self.primary}\n",
        )
        for i, port in enumerate(self.sentinels):
            self._start(
                f"sentinel{i}",
                (
                    f"port {port}\nbind 127.0.0.1\nprotected-mode no\ndir {self.work}\n"
                    f"sentinel monitor {self.master} 127.0.0.1 {self.primary} 2\n"
                    f"sentinel down-after-milliseconds {self.master} {DOWN_AFTER_MS}\n"
                    f"sentinel failover-timeout {self.master} 5000\n"
                    f"sentinel parallel-syncs {self.master} 1\n"
                ),
                "--sentinel",
            )
        return self

    def _client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2, decode_responses=True)

    def wait_ready(self, timeout: float = 30) -> None:
        """Until the replica is in sync and every Sentinel knows the replica and the two other
        Sentinels (without that, a failover cannot be authorised)."""

        def replica_synced() -> bool:
            with self._client(self.replica) as client:
                return client.info("replication").get("master_link_status") == "up"

        def sentinels_agree() -> bool:
            for port in self.sentinels:
                with self._client(port) as client:
                    state = client.sentinel_master(self.master)
                if state["num-slaves"] < 1 or state["num-other-sentinels"] < 2:
                    return False
            return True

        wait_until(replica_synced, timeout, "the replica in sync")
        wait_until(sentinels_agree, timeout, "every Sentinel knows the replica and the others")

    def master_port(self, sentinel: int = 0) -> int | None:
        """The primary's port as Sentinel number ``sentinel`` names it now, None if none."""
        with self._client(self.sentinels[sentinel]) as client:
            address = client.sentinel_get_master_addr_by_name(self.master)
        return int(address[1]) if address else None

    def wait_promoted(self, timeout: float = 30) -> None:
        """Until every Sentinel names the replica as the primary and it answers as one."""

        def promoted() -> bool:
            if any(self.master_port(i) != self.replica for i in range(len(self.sentinels))):
                return False
            with self._client(self.replica) as client:
                return client.info("replication").get("role") == "master"

        wait_until(promoted, timeout, "the replica promoted")

    def kill(self, name: str) -> None:
        """SIGKILL to ``name`` ("primary", "replica", "sentinel0".."sentinel2")."""
        process = self.procs[name]
        process.send_signal(signal.SIGKILL)
        process.wait(5)

    def stop(self) -> None:
        for process in self.procs.values():
            if process.poll() is None:
                process.terminate()
        for process in self.procs.values():
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for log in self._logs:
            log.close()

    def __enter__(self) -> "SentinelGroup":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
