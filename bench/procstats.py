"""CPU and memory of processes, read from /proc (no dependency): the server's own figures."""

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of the process (all its threads), in seconds; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def pids_matching(predicate) -> list[int]:
    """Pids whose command line (a list of arguments) satisfies ``predicate``."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            argv = Path(entry.path, "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in argv if a]
        if args and predicate(args):
            found.append(int(entry.name))
    return found


def redis_pids() -> list[int]:
    return pids_matching(lambda args: os.path.basename(args[0]).startswith("redis-server"))


def postgres_backend_pids(database: str) -> list[int]:
    """PostgreSQL backends serving ``database`` (their titles read `postgres: user db ...`)."""
    return pids_matching(
        lambda args: args[0].startswith("postgres:") and f" {database} " in " ".join(args) + " "
    )


class CpuMeter:
    """CPU used by a set of processes between `start()` and `stop()`, as a share of one core.
    The set is re-read at every reading (PostgreSQL backends come and go with the pool)."""

    def __init__(self, pids) -> None:
        self._pids = pids if callable(pids) else (lambda: list(pids))
        self.base: dict[int, float] = {}
        self.t0 = 0.0

    def _read(self) -> dict[int, float]:
        out = {}
        for pid in self._pids():
            value = cpu_seconds(pid)
            if value is not None:
                out[pid] = value
        return out

    def start(self) -> None:
        self.base = self._read()
        self.t0 = time.perf_counter()

    def stop(self) -> dict:
        now = self._read()
        elapsed = time.perf_counter() - self.t0
        used = sum(v - self.base.get(pid, 0.0) for pid, v in now.items())
        return {"cpu_seconds": used, "wall_seconds": elapsed, "cpu_pct": 100 * used / elapsed}


def self_cpu_seconds() -> float:
    return time.process_time()


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (the first line of /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICKS


class MachineMeter:
    """How busy the whole machine was (all processes, ours and others) during a window."""

    def start(self) -> None:
        self.b0 = machine_busy_seconds()
        self.t0 = time.perf_counter()

    def stop(self) -> dict:
        used = machine_busy_seconds() - self.b0
        elapsed = time.perf_counter() - self.t0
        return {"cpu_seconds": used, "wall_seconds": elapsed, "cpu_pct": 100 * used / elapsed}
