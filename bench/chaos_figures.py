"""What the chaos scenarios share beyond the runner's `Chaos`: stopping what they started,
sampling a server's memory, the figures of a set of diners, and `finish` (after the load: every
reply, every client equal to the database, lost and doubled ops counted).

Imports no scenario family; the families import it.
"""

import asyncio
import os
import time

from bench import procstats, servers
from bench.chaos_base import Chaos, Check
from bench.chaos_checks import converge, db_state, ops_against_db
from bench.chaos_client import ChaosDiner, Traffic, percentiles
from bench.loadgen import Target

clock = time.perf_counter
# Scenarios with several workers let them use every core, as a deployment does (the generator
# stays on its own core; on this 2-core machine the workers share it).
ALL_CORES = ",".join(str(i) for i in range(os.cpu_count() or 1))


def targets_of(workers) -> list[Target]:
    return [Target("127.0.0.1", w.port) for w in workers]


def stop_all(workers) -> None:
    for w in workers:
        servers.stop_server(w)


async def stop_diners(diners: list[ChaosDiner]) -> None:
    await asyncio.gather(*(d.stop() for d in diners), return_exceptions=True)


class RssSampler:
    """Peak VmRSS of some processes, sampled every ``interval`` seconds."""

    def __init__(self, pids, interval: float = 0.1) -> None:
        self.pids = pids if callable(pids) else (lambda: list(pids))
        self.interval = interval
        self.peak: dict[int, int] = {}
        self._task: asyncio.Task | None = None

    def read(self) -> dict[int, int]:
        return {pid: v for pid in self.pids() if (v := procstats.rss_kib(pid)) is not None}

    def _sample(self) -> None:
        for pid, v in self.read().items():
            self.peak[pid] = max(self.peak.get(pid, 0), v)

    async def _loop(self) -> None:
        while True:
            self._sample()
            await asyncio.sleep(self.interval)

    def __enter__(self) -> "RssSampler":
        self._sample()
        self._task = asyncio.get_running_loop().create_task(self._loop())
        return self

    def __exit__(self, *exc) -> None:
        if self._task is not None:
            self._task.cancel()
        self._sample()

    def reset(self) -> None:
        self.peak = {}
        self._sample()


def ack_ms(ops) -> dict:
    """Op handed to the client -> its reply (across reconnects and resends)."""
    return percentiles([op.reply_t - op.sent for op in ops if op.reply_t is not None])


def mib(kib: int | None) -> float | None:
    return None if kib is None else round(kib / 1024, 1)


def log_problems(workers) -> list[str]:
    return [line for w in workers for line in w.log_problems()]


def connection_figures(diners: list[ChaosDiner]) -> dict:
    closes: dict[str, int] = {}
    failures: dict[str, int] = {}
    for d in diners:
        for k, v in d.close_codes.items():
            closes[k] = closes.get(k, 0) + v
        for k, v in d.handshake_failures.items():
            failures[k] = failures.get(k, 0) + v
    return {
        "connections_lost": sum(len(d.lost_t) for d in diners),
        "closes_by_server": closes,
        "handshake_failures": failures,
        "reconnects": sum(max(0, len(d.connected_t) - 1) for d in diners),
        "reply_timeouts": sum(d.reply_timeouts for d in diners),
        "gap_syncs": sum(d.gap_syncs for d in diners),
        "closed_for_good": sum(1 for d in diners if d.closed_for_good is not None),
    }


def sockets_open(diners: list[ChaosDiner]) -> int:
    """Sockets open on the server's side: past the handshake (their snapshot may still be on
    its way; a socket joins its groups before it is accepted)."""
    return sum(1 for d in diners if d.conn is not None and not d.conn.closed)


def hub_memberships(diners: list[ChaosDiner]) -> int:
    """The table-group members the open sockets make: one per worker and table (each worker
    process joins a group once, through its hub, for all its sockets of that table)."""
    return len(
        {(d.target.port, d.table.token) for d in diners if d.conn is not None and not d.conn.closed}
    )


def strip(result: dict) -> dict:
    """Drop the private entries (the database state) before a result is kept."""
    return {k: v for k, v in result.items() if not k.startswith("_")}


async def finish(
    traffic: Traffic,
    diners: list[ChaosDiner],
    chaos: Chaos,
    *,
    drain: float = 30.0,
    converge_timeout: float = 10.0,
    tail: bool = True,
) -> dict:
    """After the load: wait for every reply; then, when asked, one more op per table (the
    next event a real table would make, which lets a client that missed the last events see
    the gap); wait for every client to equal the database; count lost and doubled ops."""
    out = {"ops_unanswered_after_drain": await traffic.drain(drain)}
    live = [d for d in diners if not d.stopped and d.closed_for_good is None]
    after = before = await converge(live, chaos.database_url, 3.0)
    out["clients_equal_db_before_tail"] = before["clients_equal_db"]
    out["tail_op_sent"] = False
    if tail and before["clients_unequal"]:
        out["tail_op_sent"] = True
        traffic.probe()
        await traffic.drain(drain)
        after = await converge(live, chaos.database_url, converge_timeout)
    state = await asyncio.to_thread(
        db_state, chaos.database_url, {d.session_id for d in diners if d.session_id}
    )
    out.update(strip(after))
    out.update(ops_against_db(traffic.ops, state))
    out["connection_rows"] = state["connections"]
    return out


def equal_check(figures: dict) -> Check:
    return Check(
        "clients equal the database",
        f"{figures['clients_equal_db']}/{figures['clients']}",
        "all",
        figures["clients_unequal"] == 0,
    )
