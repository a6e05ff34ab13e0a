"""The chaos scenarios of issue 5, one function each (`SCENARIOS`), all driven by one `Chaos`.

Each returns a dict of figures with a list of `Check`s (the issue's pass marks) under "checks".
Servers are started here and stopped in a `finally` (and by `servers.Fleet.stop_all()` after
every scenario, whatever happened).
"""

import asyncio
import contextlib
import json
import os
import random
import statistics
import time
import zlib

import msgspec

from bench import procstats, servers
from bench.chaos import RESULTS, Chaos, Check
from bench.chaos_checks import (
    PrivateRedis,
    converge,
    db_state,
    group_members,
    ops_against_db,
    pg_connections,
)
from bench.chaos_client import (
    ChaosDiner,
    Traffic,
    failure_name,
    fetch_cookie,
    open_socket,
    percentiles,
    seat,
    start_all,
)
from bench.loadgen import Target, pick_dish
from bench.wsclient import HandshakeError, text_frame

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


# --- 1. kill9 ----------------------------------------------------------------------------------
async def kill9(chaos: Chaos) -> dict:
    """kill -9 one of two daphne workers during traffic; its clients fail over and resend."""
    s = chaos.sizes
    env = chaos.env("kill9")
    workers = await chaos.workers(env, 2, cores=ALL_CORES)
    diners: list[ChaosDiner] = []
    try:
        targets = targets_of(workers)
        tables = chaos.tables(s.kill9_tables)
        diners = seat(tables, s.kill9_diners, targets)
        setup = await start_all(diners, concurrency=4)
        dish = await pick_dish(targets[0])
        traffic = Traffic(tables, dish)
        victim = workers[0]
        reconnections: list[dict] = []
        kill_t = None

        def on_snapshot(diner, t, resent):
            if kill_t is None or t < kill_t:
                return
            # What it must catch up with: its snapshot, its resent ops' acks, and everything
            # acked to anyone at its table before it came back.
            table_ops = [op for op in traffic.ops if op.diner.table is diner.table]
            acked_before = [op.seq for op in table_ops if op.seq and op.reply_t and op.reply_t <= t]
            reconnections.append({
                "diner": diner, "t_snapshot": t, "t_lost": diner.lost_t[-1] if diner.lost_t else t,
                "resent": resent, "target": max([diner.seq, *acked_before]), "t_done": None,
            })  # fmt: skip

        for d in diners:
            d.on_snapshot = on_snapshot

        async def watch():
            while True:
                now = clock()
                for r in reconnections:
                    if r["t_done"] is not None:
                        continue
                    if any(op.reply is None for op in r["resent"]):
                        continue
                    target = max([r["target"], *(op.seq or 0 for op in r["resent"])])
                    if r["diner"].seq is not None and r["diner"].seq >= target:
                        r["t_done"] = now
                await asyncio.sleep(0.01)

        watcher = asyncio.create_task(watch())
        load = asyncio.create_task(traffic.run(s.kill9_rate, s.kill9_before + s.kill9_after))
        await asyncio.sleep(s.kill9_before)
        on_victim = [
            d
            for d in diners
            if d.online and d.conn.transport.get_extra_info("peername")[1] == victim.port
        ]
        kill_t = clock()
        victim.process.kill()
        victim.process.wait(10)
        servers.stop_server(victim)  # forget it (already dead)
        acked_at_kill = sum(1 for op in traffic.ops if op.acked)
        in_flight = sum(1 for op in traffic.ops if op.sends and op.reply is None)
        replacement = chaos.start_worker(env, cores=ALL_CORES)
        workers.append(replacement)
        await servers.wait_ready(replacement)
        replaced_t = clock()
        new = Target("127.0.0.1", replacement.port)
        for d in diners:  # later reconnects may land on the replacement
            d.targets[:] = [new if t.port == victim.port else t for t in d.targets]
        await load
        finished = await finish(traffic, diners, chaos)
        await asyncio.sleep(0.2)
        watcher.cancel()
        members = await asyncio.to_thread(group_members, env.redis_url, env.channel_prefix)
        live_sockets = sockets_open(diners)
        before_ops = [op for op in traffic.ops if op.sent < kill_t]
        after_ops = [op for op in traffic.ops if op.sent >= kill_t]
        conv = [r["t_done"] - r["t_snapshot"] for r in reconnections if r["t_done"]]
        conv_lost = [r["t_done"] - r["t_lost"] for r in reconnections if r["t_done"]]
        unconverged = sum(1 for r in reconnections if r["t_done"] is None)
        counts = traffic.counts()
        back = sum(1 for d in on_victim if d.connected_t and d.connected_t[-1] > kill_t)
        figures = {
            "workers": 2, "tables": s.kill9_tables, "diners": len(diners),
            "rate_offered": s.kill9_rate, "setup": setup,
            "diners_on_killed_worker": len(on_victim),
            "ops_acked_before_kill": acked_at_kill,
            "ops_in_flight_at_kill": in_flight,
            "replacement_ready_seconds": round(replaced_t - kill_t, 2),
            **counts,
            "ops_per_second_acked": round(
                counts["ops_acked"] / (s.kill9_before + s.kill9_after), 1
            ),
            "ack_ms_before_kill": ack_ms(before_ops),
            "ack_ms_after_kill": ack_ms(after_ops),
            "latency_ms_before_kill": percentiles(traffic.latencies(before_ops)[0]),
            "reconnections": len(reconnections),
            "reconnections_not_converged": unconverged,
            "convergence_after_reconnect_ms": percentiles(conv),
            "convergence_after_loss_ms": percentiles(conv_lost),
            **connection_figures(diners),
            **finished,
            "group_members_after": members, "sockets_open_after": live_sockets,
            # The killed process never left its groups: its hub stays a member (and takes a
            # copy of every event, up to the layer's capacity) until the heartbeat reaper of a
            # live worker takes it out.
            "stale_members_of_the_killed_worker": members["table_members"]
            - hub_memberships(diners),
            "server_log_problems": log_problems(workers)[:10],
        }  # fmt: skip
        p95 = figures["convergence_after_reconnect_ms"]["p95"]
        figures["checks"] = [
            Check("acked ops lost", figures["ops_lost"] + figures["effects_missing"], "0",
                  figures["ops_lost"] + figures["effects_missing"] == 0),
            Check("ops applied twice", figures["ops_applied_twice"], "0",
                  figures["ops_applied_twice"] == 0),
            Check("clients of the killed worker back", f"{back}/{len(on_victim)}", "all",
                  back == len(on_victim) and not unconverged),
            Check("convergence after reconnect p95", f"{p95} ms", "<= 3000 ms",
                  p95 is not None and p95 <= 3000),
            equal_check(figures),
            Check("ops unanswered", figures["ops_unanswered_after_drain"], "0",
                  figures["ops_unanswered_after_drain"] == 0),
        ]  # fmt: skip
        return figures
    finally:
        await stop_diners(diners)
        stop_all(workers)


# --- 2. redis_restart ---------------------------------------------------------------------------
def hear_again(diners: list[ChaosDiner], ops, since: float) -> dict:
    """For each diner, the first event it received of an op sent after ``since`` (seconds
    after ``since``); None for a diner that heard none."""
    seqs_by_table: dict[int, list[tuple[float, int]]] = {}
    for op in ops:
        if op.sent >= since and op.seq is not None:
            seqs_by_table.setdefault(op.diner.table.number, []).append((op.sent, op.seq))
    out = {}
    for d in diners:
        times = [d.arrivals[seq] for _, seq in seqs_by_table.get(d.table.number, [])
                 if seq in d.arrivals]  # fmt: skip
        out[d] = round(min(times) - since, 2) if times else None
    return out


async def redis_restart(chaos: Chaos) -> dict:
    """Kill the channel layer's redis-server during traffic, keep it down, start it again."""
    s = chaos.sizes
    redis = PrivateRedis(chaos.log_dir)
    redis.start()
    chaos.pids.append(redis.pid())
    env = chaos.env("redis_restart", redis_url=redis.url)
    workers = await chaos.workers(env, 2, cores=ALL_CORES)
    diners: list[ChaosDiner] = []
    try:
        targets = targets_of(workers)
        tables = chaos.tables(s.redis_tables)
        diners = seat(tables, s.redis_diners, targets)
        setup = await start_all(diners, concurrency=4)
        traffic = Traffic(tables, await pick_dish(targets[0]))
        # The last diner of each table only watches (most phones at a table send nothing for
        # minutes): it hears again only if the server makes it, not by a reply timeout of its own.
        watchers = [t.diners[-1] for t in tables]
        traffic.senders = {id(d) for d in diners if d not in watchers}
        enough = asyncio.Event()
        load = asyncio.create_task(
            traffic.run(s.redis_rate, s.redis_before + s.redis_down + s.redis_after, until=enough)
        )
        await asyncio.sleep(s.redis_before)
        t_down = clock()
        redis.kill()
        await asyncio.sleep(s.redis_down)
        await asyncio.to_thread(redis.start)
        t_back = clock()
        chaos.pids.append(redis.pid())
        # Listen until every socket heard an event again (then 2 s more), or the window ends.
        while not load.done():
            heard = hear_again(diners, traffic.ops, t_back)
            if all(v is not None for v in heard.values()):
                await asyncio.sleep(2)
                enough.set()
                break
            await asyncio.sleep(0.25)
        await load
        listened = round(clock() - t_back, 1)
        heard = hear_again(diners, traffic.ops, t_back)
        hear_times = [v for v in heard.values() if v is not None]
        deaf = [d for d, v in heard.items() if v is None]
        deaf_at_15 = sum(1 for v in heard.values() if v is None or v > 15)
        down_ops = [op for op in traffic.ops if op.reply_t and t_down <= op.reply_t <= t_back]
        finished = await finish(traffic, diners, chaos)
        down_acked = [op for op in down_ops if op.acked]
        state = await asyncio.to_thread(
            db_state, chaos.database_url, {d.session_id for d in diners if d.session_id}
        )
        lost_down = ops_against_db(down_acked, state)["ops_lost"]
        counts = traffic.counts()
        figures = {
            "workers": 2, "tables": s.redis_tables, "diners": len(diners), "setup": setup,
            "rate_offered": s.redis_rate, "redis_down_seconds": round(t_back - t_down, 2),
            **counts,
            "ops_answered_while_down": len(down_ops),
            "ops_acked_while_down": len(down_acked),
            "errors_while_down": traffic.counts(down_ops)["error_codes"],
            "acked_while_down_lost": lost_down,
            "hear_again_ms": percentiles(hear_times),
            "sockets_heard_again": len(hear_times),
            "watchers_heard_again": sum(1 for d in watchers if heard[d] is not None),
            "watchers": len(watchers),
            "sockets_deaf_to_the_end": len(deaf),
            "deaf_diners_reconnected_after_restart": sum(
                1 for d in deaf if d.connected_t and d.connected_t[-1] > t_back
            ),
            "listened_seconds": listened, "listen_window_seconds": s.redis_after,
            **connection_figures(diners),
            **finished,
            "group_members_after": await asyncio.to_thread(
                group_members, env.redis_url, env.channel_prefix
            ),
            "server_log_problems": log_problems(workers)[:10],
        }  # fmt: skip
        worst = max(hear_times) if hear_times and not deaf else None
        figures["checks"] = [
            Check("sockets hearing events again within 15 s",
                  f"{len(diners) - deaf_at_15}/{len(diners)} (last after "
                  f"{worst if worst is not None else 'never'} s)", "all", deaf_at_15 == 0),
            Check("acked ops lost (while Redis was down)",
                  f"{figures['ops_lost']} ({lost_down})", "0",
                  figures["ops_lost"] == 0 and figures["effects_missing"] == 0),
            Check("ops applied twice", figures["ops_applied_twice"], "0",
                  figures["ops_applied_twice"] == 0),
            equal_check(figures),
        ]  # fmt: skip
        return figures
    finally:
        await stop_diners(diners)
        stop_all(workers)
        redis.kill()


# --- 3. overload ---------------------------------------------------------------------------------
async def step(traffic: Traffic, rate: float, seconds: float, drain: float = 5.0) -> dict:
    """``rate`` ops/s for ``seconds``; the figures of those ops once answered (or ``drain``)."""
    first = len(traffic.ops)
    started = clock()
    await traffic.run(rate, seconds)
    ops = traffic.ops[first:]
    deadline = clock() + drain
    while clock() < deadline and any(op.reply is None for op in ops):
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # the last events after their acks
    lat, unheard = traffic.latencies(ops)
    counts = traffic.counts(ops)
    out = {
        "rate": round(rate, 1), "seconds": round(clock() - started, 1), **counts,
        "latency_ms": percentiles(lat), "ack_ms": ack_ms(ops), "events_unheard": unheard,
    }  # fmt: skip
    p99 = out["latency_ms"]["p99"]
    out["sustained"] = (
        p99 is not None and p99 <= 100 and unheard == 0 and counts["ops_errors"] == 0
        and counts["ops_unanswered"] == 0 and counts["ops_acked"] >= 0.9 * counts["ops_sent"]
    )  # fmt: skip
    return out


async def capacity(traffic: Traffic, chaos: Chaos) -> tuple[float, list[dict]]:
    """bench W2's rule on these sockets: the highest rate with p99 <= 100 ms, nothing lost, no
    error; steps x1.3 up from ``capacity_start`` (down while the first fails), a failed step
    tried once more."""
    s = chaos.sizes
    rate, best, steps, retried = s.capacity_start, None, [], False
    for _ in range(s.capacity_max_steps):
        row = await step(traffic, rate, s.capacity_step_seconds)
        steps.append(row)
        print(f"   capacity step {rate:.0f} ops/s: p99 {row['latency_ms']['p99']} ms, "
              f"{'ok' if row['sustained'] else 'no'}", flush=True)  # fmt: skip
        if row["sustained"]:
            best, retried = rate, False
            rate *= 1.3
        elif not retried:
            retried = True
            await asyncio.sleep(2)
        elif best is None and rate > 5:
            retried = False
            rate /= 1.3
        else:
            break
        await asyncio.sleep(1)
    return (best or rate), steps


def benchmark_capacity(newest: int = 10) -> tuple[float, str] | None:
    """What the benchmark says one daphne worker sustains: the best W2 figure among the newest
    full runs in bench/results (a --quick run's W2 takes too few steps to say, and a run made
    while the shared machine was busy says less than the worker can do)."""
    files = sorted(
        (p for p in RESULTS.glob("*.json") if not p.name.startswith("chaos-")),
        key=lambda p: p.stat().st_mtime, reverse=True,
    )  # fmt: skip
    best = None
    for path in files[:newest]:
        with contextlib.suppress(Exception):
            document = json.loads(path.read_text())
            if document["meta"].get("quick"):
                continue
            for row in document["results"].get("W2", []):
                app = row.get("summary") and (row["system"], row["server"]) == ("app", "daphne")
                rate = row.get("sustained_ops_per_second") if app else None
                if rate and (best is None or rate > best[0]):
                    best = (float(rate), f"bench W2, best of the newest full runs ({path.name})")
    return best


async def overload(chaos: Chaos) -> dict:
    """3x one worker's sustained rate for a while: shed or answered, never silently dropped."""
    s = chaos.sizes
    env = chaos.env("overload")
    workers = await chaos.workers(env, 1)
    worker = workers[0]
    diners: list[ChaosDiner] = []
    try:
        targets = targets_of(workers)
        tables = chaos.tables(s.overload_tables)
        diners = seat(tables, s.overload_diners, targets)
        setup = await start_all(diners, concurrency=4)
        traffic = Traffic(tables, await pick_dish(targets[0]))
        steps = []
        if chaos.rate:
            sustained, source = chaos.rate, "--rate"
        elif known := benchmark_capacity():
            sustained, source = known
        else:
            sustained, steps = await capacity(traffic, chaos)
            source = "measured here (capacity steps: no bench W2 result in bench/results)"
        await asyncio.sleep(2)
        before_n = len(traffic.ops)
        rss_start = procstats.rss_kib(worker.pid)
        offered = 3 * sustained
        with RssSampler([worker.pid]) as rss:
            started = clock()
            await traffic.run(offered, s.overload_window)
            window = clock() - started
            ops = traffic.ops[before_n:]
            at_end = traffic.counts(ops)
            finished = await finish(traffic, diners, chaos, drain=60.0, converge_timeout=15.0)
            await asyncio.sleep(3)
        rss_after = procstats.rss_kib(worker.pid)
        peak = rss.peak.get(worker.pid)
        bound = 2 * (rss_start or 0) + 100 * 1024
        lat, unheard = traffic.latencies(ops)
        silent = traffic.silent_losses()
        counts = traffic.counts(ops)
        figures = {
            "workers": 1, "tables": s.overload_tables, "diners": len(diners), "setup": setup,
            "sustained_ops_per_second": round(sustained, 1), "sustained_from": source,
            "capacity_steps": steps, "rate_offered": round(offered, 1),
            "window_seconds": round(window, 1),
            "ops_acked_in_window": sum(
                1 for op in ops if op.acked and op.reply_t <= started + window
            ),
            "unanswered_at_window_end": at_end["ops_unanswered"],
            **counts,
            "rate_limited": counts["error_codes"].get("rate_limited", 0),
            "ack_ms": ack_ms(ops), "latency_ms": percentiles(lat),
            "events_unheard_by_some_diner": unheard,
            **silent,
            **connection_figures(diners),
            **finished,
            "server_rss_mib": {"start": mib(rss_start), "peak": mib(peak), "after": mib(rss_after),
                               "bound": mib(bound)},
            "server_log_problems": log_problems(workers)[:10],
        }  # fmt: skip
        answered = figures["ops_unanswered_after_drain"] == 0
        figures["checks"] = [
            Check("events lost silently", silent["events_lost_silently"], "0",
                  silent["events_lost_silently"] == 0),
            Check("every op answered (ack, error or resent after a reconnect)",
                  f"{figures['ops_unanswered_after_drain']} unanswered", "0", answered),
            Check("acked ops lost", figures["ops_lost"] + figures["effects_missing"], "0",
                  figures["ops_lost"] + figures["effects_missing"] == 0),
            equal_check(figures),
            Check("server RSS peak", f"{mib(peak)} MiB (start {mib(rss_start)})",
                  f"< 2 x start + 100 MiB = {mib(bound)} MiB", peak is not None and peak < bound),
        ]  # fmt: skip
        return figures
    finally:
        await stop_diners(diners)
        stop_all(workers)


# --- 4. churn ------------------------------------------------------------------------------------
async def members_settle(env, expected: int, timeout: float) -> tuple[dict, float]:
    """Poll the groups of ``env``'s prefix until the table members, and the menu group's,
    number ``expected`` each (or ``timeout``); the last count and how long it took."""
    started = clock()
    while True:
        count = await asyncio.to_thread(group_members, env.redis_url, env.channel_prefix)
        settled = max(count["table_members"], count["menu_members"]) <= expected
        if settled or clock() - started > timeout:
            return count, round(clock() - started, 1)
        await asyncio.sleep(0.5)


async def db_connection_rows(chaos: Chaos, diners: list[ChaosDiner]) -> int:
    state = await asyncio.to_thread(
        db_state, chaos.database_url, {d.session_id for d in diners if d.session_id}
    )
    return state["connections"]


REAP_WAIT = 25.0  # disconnect handlers, then two heartbeats (10 s) of the app's own reaping


async def churn(chaos: Chaos) -> dict:
    """A quarter of the diners reconnect in a loop while every table sends 10 ops/s."""
    s = chaos.sizes
    env = chaos.env("churn")
    workers = await chaos.workers(env, 2, cores=ALL_CORES)
    diners: list[ChaosDiner] = []
    try:
        targets = targets_of(workers)
        tables = chaos.tables(s.churn_tables)
        diners = seat(tables, s.churn_diners, targets)
        setup = await start_all(diners, concurrency=4)
        traffic = Traffic(tables, await pick_dish(targets[0]))
        rng = random.Random(5)
        churners = [d for t in tables for d in t.diners[: max(1, len(t.diners) // 4)]]
        # a quarter of all diners: the first quarter of each table, topped up from the next
        extra = [d for t in tables for d in t.diners if d not in churners]
        churners += extra[: max(0, len(diners) // 4 - len(churners))]
        stop = asyncio.Event()
        drops = {"close": 0, "abort": 0}

        async def loop(diner: ChaosDiner) -> None:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), rng.uniform(0.5, 3.0))
                if stop.is_set():
                    return
                if diner.online:
                    kind = "abort" if rng.random() < 0.5 else "close"
                    drops[kind] += 1
                    diner.drop(abort=kind == "abort")
                while not diner.online and not stop.is_set():
                    await asyncio.sleep(0.05)

        loops = [asyncio.create_task(loop(d)) for d in churners]
        rate = s.churn_rate_per_table * len(tables)
        await traffic.run(rate, s.churn_seconds)
        stop.set()
        await asyncio.gather(*loops)
        deadline = clock() + 20
        while clock() < deadline and not all(d.online for d in diners):
            await asyncio.sleep(0.1)
        finished = await finish(traffic, diners, chaos)
        open_sockets = sockets_open(diners)
        await asyncio.sleep(3)  # the last disconnect handlers of the loop
        expected = hub_memberships(diners)
        while_open, _ = await members_settle(env, expected, 10.0)
        rows_open = await db_connection_rows(chaos, diners)
        await stop_diners(diners)
        after, settle = await members_settle(env, 0, REAP_WAIT)
        rows_after = await db_connection_rows(chaos, diners)
        counts = traffic.counts()
        orphans_open = max(0, while_open["table_members"] - expected)
        figures = {
            "workers": 2, "tables": len(tables), "diners": len(diners), "setup": setup,
            "churning_diners": len(churners), "rate_offered": rate,
            "churn_seconds": s.churn_seconds, **counts,
            "ack_ms": ack_ms(traffic.ops),
            "drops_by_the_client": drops,
            **connection_figures(diners),
            **finished,
            "sockets_open_at_end": open_sockets,
            "hub_memberships_expected": expected,
            "group_members_while_open": while_open,
            "orphaned_members_while_open": orphans_open,
            "connection_rows_while_open": rows_open,
            "group_members_after_close": after,
            "members_settle_seconds": settle,
            "connection_rows_after_close": rows_after,
            "reap_wait_seconds": REAP_WAIT,
            "server_log_problems": log_problems(workers)[:10],
        }  # fmt: skip
        orphans = after["table_members"] + after["menu_members"]
        figures["checks"] = [
            equal_check(figures),
            Check("acked ops lost / applied twice",
                  f"{figures['ops_lost'] + figures['effects_missing']} / "
                  f"{figures['ops_applied_twice']}", "0 / 0",
                  figures["ops_lost"] + figures["effects_missing"] == 0
                  and figures["ops_applied_twice"] == 0),
            Check("orphaned group members while open", orphans_open, "0", orphans_open == 0),
            Check("group members left after every socket closed",
                  f"{orphans} (after {settle} s)", f"0 within {REAP_WAIT:.0f} s", orphans == 0),
        ]  # fmt: skip
        return figures
    finally:
        await stop_diners(diners)
        stop_all(workers)


# --- 5. slow_reader ------------------------------------------------------------------------------
class NonReader:
    """A diner's socket that stops reading right after its handshake (a small receive buffer,
    so that what the server sends piles up on the server's side quickly)."""

    def __init__(self, target: Target, token: str, cookie: str) -> None:
        self.target, self.token, self.cookie = target, token, cookie
        self.conn = None
        self.lost_t: float | None = None
        self.sent = 0

    async def open(self) -> None:
        def on_close(conn, by_us):
            if self.lost_t is None:
                self.lost_t = clock()

        self.conn = await open_socket(
            self.target, f"/ws/table/{self.token}/", cookie=self.cookie, on_close=on_close,
            rcvbuf=4096,
        )  # fmt: skip
        self.conn.transport.pause_reading()

    def send_sync(self) -> bool:
        """Ask for a snapshot (which the server must send to this socket); False once the
        socket is gone."""
        if self.conn is None or self.conn.closed or self.lost_t is not None:
            return False
        self.sent += 1
        try:
            self.conn.send_bytes(b'{"type":"sync","id":"s%d"}' % self.sent)
        except Exception:
            return False
        return self.lost_t is None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.abort()

    def server_send_queue(self) -> int | None:
        """Bytes the server's kernel holds for this socket (tx_queue in /proc/net/tcp)."""
        if self.conn is None or self.conn.transport is None:
            return None
        sockname = self.conn.transport.get_extra_info("sockname")
        if not sockname:
            return None
        return tcp_send_queue(self.target.port, sockname[1])


def tcp_send_queue(local_port: int, remote_port: int) -> int | None:
    with contextlib.suppress(OSError), open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if (int(local.split(":")[1], 16) == local_port
                    and int(remote.split(":")[1], 16) == remote_port):  # fmt: skip
                return int(fields[4].split(":")[0], 16)
    return None


async def fill_cart(diners: list[ChaosDiner], dish, lines: int) -> None:
    """``lines`` cart lines with long notes at the diners' table (a big snapshot), at 8 ops/s
    per diner (under the flood limit)."""

    async def one(diner: ChaosDiner, k: int) -> None:
        for i in range(k):
            note = f"fill {diner.tag} {i} " + "x" * 110
            reply = await diner.op({"type": "cart.add", "dish_id": dish.dish_id,
                                    "options": dish.options, "note": note})  # fmt: skip
            if reply["type"] != "ack":
                raise RuntimeError(f"filling the cart: {reply}")
            await asyncio.sleep(0.125)

    per = -(-lines // len(diners))
    await asyncio.gather(*(one(d, per) for d in diners))


SETTLE = 1.0  # seconds between the non-reader's arrival or departure and a measured phase


async def slow_reader(chaos: Chaos) -> dict:
    """A diner that stops reading: the others' p99 with and without it, then its drop."""
    s = chaos.sizes
    env = chaos.env("slow_reader")
    workers = await chaos.workers(env, 1)
    worker = workers[0]
    diners: list[ChaosDiner] = []
    slow = None
    try:
        targets = targets_of(workers)
        tables = chaos.tables(s.slow_tables)
        diners = seat(tables, s.slow_diners, targets)
        setup = await start_all(diners, concurrency=4)
        dish = await pick_dish(targets[0])
        slow_table = tables[0]
        await fill_cart(slow_table.diners, dish, s.slow_snapshot_lines)
        slow_cookie = await fetch_cookie(targets[0], slow_table.token)
        traffic = Traffic(tables, dish)
        load = asyncio.create_task(
            traffic.run(s.slow_rate, 2 * s.slow_rounds * (s.slow_phase + SETTLE) + 1.0)
        )
        await asyncio.sleep(1.0)  # warm-up
        phases = []
        with RssSampler([worker.pid]) as rss:
            for r in range(s.slow_rounds):
                for with_slow in (False, True):
                    # The non-reader's arrival (its handshake, a snapshot of a big cart) and
                    # its departure cost what any diner's do: each phase is measured from a
                    # second after them, so that it compares reading with not reading.
                    if with_slow:
                        slow = NonReader(targets[0], slow_table.token, slow_cookie)
                        await slow.open()
                    elif slow is not None:
                        slow.close()
                        slow = None
                    await asyncio.sleep(SETTLE)
                    rss.reset()
                    rss0 = procstats.rss_kib(worker.pid)
                    first = len(traffic.ops)
                    machine, server = procstats.MachineMeter(), procstats.CpuMeter([worker.pid])
                    machine.start()
                    server.start()
                    gen0 = procstats.self_cpu_seconds()
                    await asyncio.sleep(s.slow_phase)
                    busy, srv = machine.stop(), server.stop()
                    gen = procstats.self_cpu_seconds() - gen0
                    others = busy["cpu_seconds"] - srv["cpu_seconds"] - gen
                    phases.append({"round": r, "slow_reader": with_slow,
                                   "ops": traffic.ops[first:], "rss0": rss0,
                                   "rss_peak": rss.peak.get(worker.pid),
                                   "server_cpu_pct": round(srv["cpu_pct"], 1),
                                   "others_cpu_pct": round(100 * others / busy["wall_seconds"], 1),
                                   })  # fmt: skip
        if slow is not None:
            slow.close()
            slow = None
        await load
        await traffic.drain(10)
        await asyncio.sleep(0.5)
        rows = []
        for ph in phases:
            lat, unheard = traffic.latencies(ph["ops"])
            rows.append({
                "round": ph["round"], "slow_reader": ph["slow_reader"], "ops": len(ph["ops"]),
                "latency_ms": percentiles(lat), "unheard": unheard,
                "rss_growth_mib": mib((ph["rss_peak"] or 0) - (ph["rss0"] or 0)),
                "server_cpu_pct": ph["server_cpu_pct"], "others_cpu_pct": ph["others_cpu_pct"],
            })  # fmt: skip
        pooled = {}
        for with_slow in (False, True):
            ops = [op for ph in phases if ph["slow_reader"] == with_slow for op in ph["ops"]]
            pooled[with_slow] = percentiles(traffic.latencies(ops)[0])
        a_p99 = [r["latency_ms"]["p99"] for r in rows if not r["slow_reader"]]
        b_p99 = [r["latency_ms"]["p99"] for r in rows if r["slow_reader"]]
        # Compared: the median over the rounds of each phase's p99 (one burst of someone
        # else's work on the shared machine moves a pooled p99 by itself; all are reported).
        p99_a = statistics.median(a_p99) if None not in a_p99 else None
        p99_b = statistics.median(b_p99) if None not in b_p99 else None

        # The drop: the non-reader asks for snapshots (14 a second, under the flood limit of
        # 15) that the server must hold for it, while the tables go on.
        drop_load = asyncio.create_task(traffic.run(s.slow_rate, s.slow_drop_deadline))
        slow = NonReader(targets[0], slow_table.token, slow_cookie)
        rss_before_drop = procstats.rss_kib(worker.pid)
        with RssSampler([worker.pid]) as rss:
            await slow.open()
            opened = clock()
            kernel_peak = 0
            while clock() - opened < s.slow_drop_deadline and slow.send_sync():
                kernel_peak = max(kernel_peak, slow.server_send_queue() or 0)
                await asyncio.sleep(1 / 14)
            dropped = slow.lost_t is not None
            syncs_sent = slow.sent
            drop_seconds = round(slow.lost_t - opened, 1) if dropped else None
            slow.close()
            slow = None
        drop_load.cancel()
        await asyncio.gather(drop_load, return_exceptions=True)
        await asyncio.sleep(1.0)
        rss_after_drop = procstats.rss_kib(worker.pid)
        # It reads again: reconnects with the same cookie, resyncs from the snapshot.
        back = ChaosDiner(slow_table, 99, targets, cookie=slow_cookie)
        await back.start()
        finished = await finish(traffic, [*diners, back], chaos)
        await back.stop()
        snapshot_bytes = back.snapshot_bytes
        figures = {
            "workers": 1, "tables": len(tables), "diners": len(diners), "setup": setup,
            "rate": s.slow_rate, "phase_seconds": s.slow_phase, "rounds": s.slow_rounds,
            "snapshot_lines_at_slow_table": s.slow_snapshot_lines,
            "phases": rows,
            "p99_without_ms": p99_a, "p99_with_ms": p99_b, "compared": "median of phase p99s",
            "pooled_p99_without_ms": pooled[False]["p99"],
            "pooled_p99_with_ms": pooled[True]["p99"],
            "p99_change_pct": round(100 * (p99_b - p99_a) / p99_a, 1) if p99_a and p99_b else None,
            "p99_noise_without_ms": [min(a_p99), max(a_p99)] if a_p99 else None,
            "p99_noise_with_ms": [min(b_p99), max(b_p99)] if b_p99 else None,
            "latency_without_ms": pooled[False], "latency_with_ms": pooled[True],
            "rss_growth_with_slow_mib": [r["rss_growth_mib"] for r in rows if r["slow_reader"]],
            "drop_syncs_sent": syncs_sent, "dropped": dropped, "drop_seconds": drop_seconds,
            "rss_mib_drop_phase": {"before": mib(rss_before_drop),
                                   "peak": mib(rss.peak.get(worker.pid)),
                                   "after": mib(rss_after_drop)},
            "snapshot_bytes": snapshot_bytes,
            "server_kernel_send_queue_peak_kib": round(kernel_peak / 1024),
            **finished,
            "server_log_problems": log_problems(workers)[:10],
        }  # fmt: skip
        figures["checks"] = [
            Check("others' p99 with a non-reading diner (median of phases)",
                  f"{p99_b} ms vs {p99_a} ms without ({figures['p99_change_pct']}%; phases "
                  f"without {a_p99}, with {b_p99})", "<= +10%",
                  p99_a is not None and p99_b is not None and p99_b <= 1.10 * p99_a),
            Check("the non-reader is dropped by the server",
                  f"after {drop_seconds} s" if dropped else
                  f"not within {s.slow_drop_deadline:.0f} s", "dropped", dropped),
            Check("it reconnects and resyncs", "equal" if finished["clients_unequal"] == 0
                  else f"{finished['clients_unequal']} unequal", "equals the database",
                  finished["clients_unequal"] == 0),
        ]  # fmt: skip
        return figures
    finally:
        if slow is not None:
            slow.close()
        await stop_diners(diners)
        stop_all(workers)


# --- 6. storm ------------------------------------------------------------------------------------
async def open_many(
    target: Target,
    specs: list[tuple[str, str]],
    inflight: int,
    *,
    timeout: float = 30.0,
    local_host: str | list[str] | None = None,
    retry_until: float | None = None,
) -> tuple[list, dict, float]:
    """Open a socket per (token, cookie), ``inflight`` handshakes at a time, each waiting for
    its snapshot, from ``local_host`` (a list: in turn). Returns the open connections, the
    failures by kind, and the seconds taken. With ``retry_until`` (a clock time) a refused
    socket tries again with the page's backoff."""
    hosts = local_host if isinstance(local_host, list) else [local_host]
    sem = asyncio.Semaphore(inflight)
    failures: dict[str, int] = {}
    conns = []
    started = clock()

    async def one(token: str, cookie: str, host: str | None) -> None:
        attempt = 0
        while True:
            snapshot = asyncio.get_running_loop().create_future()

            def first(conn, payload, t, snapshot=snapshot):
                if not snapshot.done():
                    snapshot.set_result(payload)
                conn.on_message = lambda *a: None

            try:
                async with sem:
                    conn = await open_socket(
                        target, f"/ws/table/{token}/", cookie=cookie, on_message=first,
                        timeout=timeout, local_host=host, user=(token, cookie),
                    )  # fmt: skip
                    try:
                        await asyncio.wait_for(snapshot, timeout)
                    except BaseException:
                        conn.abort()
                        raise
                conns.append(conn)
                return
            except (OSError, TimeoutError, HandshakeError) as exc:
                name = failure_name(exc)
                failures[name] = failures.get(name, 0) + 1
            if retry_until is None or clock() > retry_until:
                return
            ceiling = min(10.0, 0.5 * 2**attempt)
            attempt += 1
            await asyncio.sleep(ceiling / 2 + random.random() * ceiling / 2)

    await asyncio.gather(
        *(one(token, cookie, hosts[i % len(hosts)]) for i, (token, cookie) in enumerate(specs))
    )
    return conns, failures, round(clock() - started, 2)


# The product's per-address limits (config/settings.py). bench/servers.py lifts them for the
# benchmark (all its sockets come from 127.0.0.1); the scenarios about many sockets run with
# them, and spread their clients over several loopback addresses as a crowd would come.
PRODUCT_ADDRESS_LIMITS = {
    "WS_SOCKETS_PER_ADDRESS": 500, "WS_CONNECT_BURST": 300, "WS_CONNECTS_PER_SECOND": 20,
}  # fmt: skip
CROWD = [f"127.0.1.{i}" for i in range(1, 21)]  # 20 addresses (any 127.x is loopback)


def specs_of(tables) -> list[tuple[str, str]]:
    return [(t.token, cookie) for t in tables for cookie in t.cookies]


async def storm(chaos: Chaos) -> dict:
    """Thousands of sockets connect at once on one worker, then all leave at once."""
    s = chaos.sizes
    env = chaos.env("storm", **PRODUCT_ADDRESS_LIMITS)
    tables = chaos.seated(-(-s.storm_sockets // 4), 4)
    workers = await chaos.workers(env, 1)
    worker = workers[0]
    conns = []
    try:
        target = targets_of(workers)[0]
        specs = specs_of(tables)[: s.storm_sockets]
        rss0 = procstats.rss_kib(worker.pid)
        conns, failures, seconds = await open_many(
            target, specs, s.storm_inflight, local_host=CROWD
        )
        # The sockets refused or dropped try again, as the page does (backoff 0.5-10 s).
        missing = len(specs) - len(conns)
        retried_ok = 0
        if missing:
            done_tokens: dict[tuple[str, str], int] = {}
            for c in conns:
                done_tokens[c.user] = done_tokens.get(c.user, 0) + 1
            todo = []
            for spec in specs:
                if done_tokens.get(spec, 0):
                    done_tokens[spec] -= 1
                else:
                    todo.append(spec)
            more, _, _ = await open_many(target, todo, s.storm_inflight, local_host=CROWD,
                                         retry_until=clock() + 60)  # fmt: skip
            retried_ok = len(more)
            conns += more
        rss_open = procstats.rss_kib(worker.pid)
        open_count = len(conns)
        members_open = await asyncio.to_thread(group_members, env.redis_url, env.channel_prefix)
        # All leave at once: half with a close frame, half by dropping the connection.
        for i, conn in enumerate(conns):
            conn.abort() if i % 2 else conn.close()
        left_t = clock()
        after, settle = await members_settle(env, 0, 60.0)
        rows = await db_connection_rows_of_tables(chaos, tables)
        while rows and clock() - left_t < 60:
            await asyncio.sleep(1)
            rows = await db_connection_rows_of_tables(chaos, tables)
        rows_settle = round(clock() - left_t, 1)
        problems = log_problems(workers)
        figures = {
            "workers": 1, "sockets": len(specs), "inflight": s.storm_inflight,
            "sockets_opened_first_try": open_count - retried_ok,
            "handshake_failures": failures,
            "opened_on_retry": retried_ok, "never_opened": len(specs) - open_count,
            "connect_seconds": seconds,
            "connects_per_second": round(open_count / seconds, 1) if seconds else None,
            "group_members_when_open": members_open,
            "group_members_after_leaving": after, "members_settle_seconds": settle,
            "connection_rows_after": rows, "connection_rows_settle_seconds": rows_settle,
            "server_rss_mib": {"start": mib(rss0), "open": mib(rss_open),
                               "after": mib(procstats.rss_kib(worker.pid))},
            "server_log_problems": len(problems), "server_log_excerpt": problems[:12],
        }  # fmt: skip
        stale = after["table_members"] + after["menu_members"]
        figures["checks"] = [
            Check("handshake errors", f"{sum(failures.values())} of {len(specs)} {failures or ''}"
                  f"; {len(specs) - open_count} never opened", "0", not failures),
            Check("server errors in its log", len(problems), "0", not problems),
            Check("stale group members after all left", f"{stale} (after {settle} s)",
                  "0 within 60 s", stale == 0),
        ]  # fmt: skip
        return figures
    finally:
        for conn in conns:
            conn.abort()
        stop_all(workers)


async def db_connection_rows_of_tables(chaos: Chaos, tables) -> int:
    """Connection rows (presence) of the diners seated at ``tables``."""
    from bench.chaos_checks import _connect

    numbers = [t.number for t in tables]

    def count() -> int:
        with _connect(chaos.database_url) as conn:
            return conn.execute(
                "SELECT count(*) FROM dining_connection c JOIN dining_diner d ON d.id = c.diner_id"
                " JOIN dining_diningsession s ON s.id = d.session_id"
                " JOIN tables_table t ON t.id = s.table_id WHERE t.number = ANY(%s)",
                (numbers,),
            ).fetchone()[0]

    return await asyncio.to_thread(count)


# --- 7. db_connections ---------------------------------------------------------------------------
class PgSampler:
    """Peak of the bench database's connections (pg_stat_activity), sampled every 0.25 s."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.peak = 0
        self.peak_by_state: dict = {}
        self.idle_in_transaction_peak = 0
        self._task: asyncio.Task | None = None

    async def read(self) -> dict:
        now = await asyncio.to_thread(pg_connections, self.database_url)
        if now["total"] > self.peak:
            self.peak, self.peak_by_state = now["total"], now["by_state"]
        self.idle_in_transaction_peak = max(
            self.idle_in_transaction_peak, now["by_state"].get("idle in transaction", 0)
        )
        return now

    async def _loop(self) -> None:
        while True:
            await self.read()
            await asyncio.sleep(0.25)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


DB_POOL_MAX_DEFAULT = 20  # config/settings.py: DB_POOL_MAX


async def db_connections(chaos: Chaos) -> dict:
    """1,000 open sockets on one worker, then ops cancelled mid-flight: database connections."""
    s = chaos.sizes
    env = chaos.env("db_connections", **PRODUCT_ADDRESS_LIMITS)
    pool_max = int(env.for_app(0).get("DB_POOL_MAX", DB_POOL_MAX_DEFAULT))
    tables = chaos.seated(-(-s.db_sockets // 4), 4)
    cancel_tables = chaos.seated(-(-s.db_cancel_sockets // 4), 4)
    workers = await chaos.workers(env, 1)
    conns = []
    sampler = PgSampler(chaos.database_url)
    try:
        target = targets_of(workers)[0]
        await asyncio.sleep(1)
        baseline = await sampler.read()
        sampler.peak = 0
        sampler.start()
        conns, failures, seconds = await open_many(
            target, specs_of(tables)[: s.db_sockets], 50, local_host=CROWD
        )
        await asyncio.sleep(2)
        steady = await sampler.read()
        peak_open = sampler.peak
        # Cancelled ops: a socket sends ops and is gone before their replies.
        dish = await pick_dish(target)
        sent = []

        async def cancel_one(token: str, cookie: str, k: int) -> None:
            got = asyncio.get_running_loop().create_future()

            def first(conn, payload, t):
                if not got.done():
                    got.set_result(payload)

            conn = await open_socket(
                target, f"/ws/table/{token}/", cookie=cookie, on_message=first,
                local_host=CROWD[k % len(CROWD)],
            )  # fmt: skip
            try:
                snapshot = msgspec.json.decode(await asyncio.wait_for(got, 15))
                me = snapshot["me"]["diner_id"]
                for i in range(3):
                    op_id = f"cancel-{k}-{i}"
                    note = f"cancelled {k} {i}"
                    conn.send_bytes(msgspec.json.encode({
                        "type": "cart.add", "id": op_id, "dish_id": dish.dish_id,
                        "options": dish.options, "note": note,
                    }))  # fmt: skip
                    sent.append((me, op_id, note, snapshot["session"]["id"]))
            finally:
                conn.abort()

        cancel_specs = specs_of(cancel_tables)[: s.db_cancel_sockets]
        sem = asyncio.Semaphore(20)

        async def guarded(i, spec):
            async with sem:
                with contextlib.suppress(Exception):
                    await cancel_one(*spec, i)

        sampler.peak = 0
        await asyncio.gather(*(guarded(i, spec) for i, spec in enumerate(cancel_specs)))
        peak_cancel = sampler.peak
        # Back to quiet: nothing left in a transaction, nothing active, within the pool.
        settle_started = clock()
        after = await sampler.read()
        while clock() - settle_started < 15 and (
            after["by_state"].get("idle in transaction", 0) or after["by_state"].get("active", 0)
        ):
            await asyncio.sleep(0.5)
            after = await sampler.read()
        settle = round(clock() - settle_started, 1)
        sampler.stop()
        # Every cancelled op applied whole or not at all.
        state = await asyncio.to_thread(db_state, chaos.database_url, {x[3] for x in sent})
        notes = {}
        for session in state["sessions"].values():
            for _dish, qty, _options, note, by in session["lines"].values():
                notes[(by, note)] = qty
        applied = sum(1 for me, op_id, _, _ in sent if (f"d{me}", op_id) in state["applied"])
        partial = sum(
            1 for me, op_id, note, _ in sent
            if ((f"d{me}", op_id) in state["applied"]) != (notes.get((me, note)) == 1)
        )  # fmt: skip
        figures = {
            "workers": 1, "db_pool_max": pool_max, "sockets": s.db_sockets,
            "sockets_opened": len(conns), "handshake_failures": failures,
            "connect_seconds": seconds,
            "connections_baseline": baseline, "connections_peak_while_opening": peak_open,
            "connections_with_sockets_open": steady,
            "cancel_sockets": len(cancel_specs), "cancelled_ops_sent": len(sent),
            "cancelled_ops_applied": applied, "cancelled_ops_partial": partial,
            "connections_peak_while_cancelling": peak_cancel,
            "connections_after": after, "settle_seconds": settle,
            "idle_in_transaction_peak": sampler.idle_in_transaction_peak,
            "server_log_problems": log_problems(workers)[:10],
        }  # fmt: skip
        peak = max(peak_open, peak_cancel)
        stuck = after["by_state"].get("idle in transaction", 0)
        figures["checks"] = [
            Check("connections with 1,000 sockets open (peak)",
                  f"{peak_open} ({len(conns)} sockets; {steady['total']} once open)",
                  f"<= DB_POOL_MAX {pool_max}", peak_open <= pool_max),
            Check("connections while ops are cancelled (peak)", peak_cancel,
                  f"<= {pool_max}", peak_cancel <= pool_max),
            Check("after the cancelled ops", f"{after['total']} ({after['by_state']}), "
                  f"idle in transaction {stuck}", f"none in a transaction, <= {pool_max}",
                  not stuck and after["total"] <= pool_max and peak <= pool_max),
            Check("cancelled ops applied partly", partial, "0", partial == 0),
        ]  # fmt: skip
        return figures
    finally:
        sampler.stop()
        for conn in conns:
            conn.abort()
        stop_all(workers)


# --- 8. same_address -----------------------------------------------------------------------------
async def same_address(chaos: Chaos) -> dict:
    """One address: a restaurant's shared Wi-Fi connects; an abuser's thousands are capped."""
    s = chaos.sizes
    extra = dict(PRODUCT_ADDRESS_LIMITS)
    if s.per_address_limit:
        extra["WS_SOCKETS_PER_ADDRESS"] = s.per_address_limit
    env = chaos.env("same_address", **extra)
    limit = extra["WS_SOCKETS_PER_ADDRESS"]
    wifi_tables = chaos.seated(-(-s.wifi_diners // 4), 4)
    abuser_tables = chaos.seated(10, 4)
    workers = await chaos.workers(env, 1)
    wifi, abuser = [], []
    try:
        target = targets_of(workers)[0]
        # The dining room: every phone from 127.0.0.1, all at once, retrying as the page does.
        first_try, wifi_failures, _ = await open_many(
            target, specs_of(wifi_tables)[: s.wifi_diners], 50, local_host="127.0.0.1"
        )
        wifi = list(first_try)
        todo = s.wifi_diners - len(wifi)
        if todo:
            # (the refused ones: which spec does not matter for counting)
            more, _, _ = await open_many(
                target, specs_of(wifi_tables)[:todo], 50, local_host="127.0.0.1",
                retry_until=clock() + 60,
            )  # fmt: skip
            wifi += more
        # The abuser: another address (127.0.0.2), thousands of sockets, no retry.
        cookies = specs_of(abuser_tables)
        specs = [cookies[i % len(cookies)] for i in range(s.abuser_sockets)]
        abuser, abuser_failures, abuser_seconds = await open_many(
            target, specs, 100, local_host="127.0.0.2", timeout=30
        )
        refused = abuser_failures.get("status 403", 0)
        # The restaurant is still served: one op at a few of its tables reaches the table.
        still_open = sum(1 for c in wifi if not c.closed)
        figures = {
            "workers": 1, "per_address_limit": limit,
            "connect_burst": extra["WS_CONNECT_BURST"],
            "connects_per_second_limit": extra["WS_CONNECTS_PER_SECOND"],
            "wifi_diners": s.wifi_diners, "wifi_connected_first_try": len(first_try),
            "wifi_refusals_first_try": wifi_failures, "wifi_connected": len(wifi),
            "wifi_still_open_after_abuse": still_open,
            "abuser_sockets": s.abuser_sockets, "abuser_accepted": len(abuser),
            "abuser_refused_403": refused, "abuser_failures": abuser_failures,
            "abuser_seconds": abuser_seconds,
            "server_log_problems": log_problems(workers)[:10],
        }  # fmt: skip
        figures["checks"] = [
            Check("shared Wi-Fi diners connected (one address)",
                  f"{len(wifi)}/{s.wifi_diners} ({len(first_try)} at the first try)", "all",
                  len(wifi) == s.wifi_diners and still_open == s.wifi_diners),
            Check("one address opening many sockets is capped",
                  f"{len(abuser)} accepted, {refused} refused of {s.abuser_sockets}",
                  f"<= {limit} accepted", len(abuser) <= limit and refused > 0),
        ]  # fmt: skip
        return figures
    finally:
        for conn in [*wifi, *abuser]:
            conn.abort()
        stop_all(workers)


# --- 9. big_frames -------------------------------------------------------------------------------
MAX_MESSAGE_BYTES = 16 * 1024
BOMB_BYTES = 8 << 20  # inflates from about 8 KiB on the wire: well under the limit compressed


async def _one_frame(target: Target, token: str, cookie: str, frame: bytes, pid: int) -> dict:
    """Send one raw frame after the snapshot; the close code the client gets, and the
    server's RSS growth while it deals with it (sampled every 5 ms)."""
    got = asyncio.get_running_loop().create_future()

    def first(conn, payload, t):
        if not got.done():
            got.set_result(payload)

    closed = asyncio.get_running_loop().create_future()

    def on_close(conn, by_us):
        if not closed.done():
            closed.set_result(conn.close_code)

    conn = await open_socket(target, f"/ws/table/{token}/", cookie=cookie, on_message=first,
                             on_close=on_close)  # fmt: skip
    try:
        await asyncio.wait_for(got, 10)
        await asyncio.sleep(0.3)
        before = procstats.rss_kib(pid)
        with RssSampler([pid], interval=0.005) as rss:
            conn.transport.write(frame)
            try:
                code = await asyncio.wait_for(closed, 10)
            except TimeoutError:
                code = "open after 10 s"
            await asyncio.sleep(0.3)
        return {"close_code": code if code is not None else "dropped (no close frame)",
                "rss_growth_kib": (rss.peak.get(pid) or 0) - (before or 0)}  # fmt: skip
    finally:
        conn.abort()


def _big_text_frame(size: int) -> bytes:
    pad = size - len(b'{"type":"sync","id":"big","pad":""}')
    return text_frame(b'{"type":"sync","id":"big","pad":"' + b"x" * pad + b'"}')


async def _deflate_bomb(target: Target, token: str, cookie: str, size: int, pid: int) -> dict:
    """permessage-deflate, through the `websockets` client: ``size`` bytes of JSON that
    compress to a few KiB. Returns whether it was negotiated, the close code, RSS growth."""
    import websockets

    url = f"ws://{target.host}:{target.port}/ws/table/{token}/"
    async with websockets.connect(
        url, origin=target.origin, additional_headers={"Cookie": f"sessionid={cookie}"},
        compression="deflate", max_size=None, open_timeout=10,
    ) as socket:  # fmt: skip
        extensions = socket.response.headers.get("Sec-WebSocket-Extensions")
        await socket.recv()
        await asyncio.sleep(0.3)
        body = '{"type":"sync","id":"bomb","pad":"' + " " * (size - 40) + '"}'
        compressed = len(zlib.compress(body.encode(), 9))
        before = procstats.rss_kib(pid)
        code = None
        with RssSampler([pid], interval=0.005) as rss:
            try:
                await socket.send(body)
                while True:
                    await asyncio.wait_for(socket.recv(), 10)
            except websockets.ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else "dropped (no close frame)"
            except TimeoutError:
                code = "open after 10 s"
            await asyncio.sleep(0.3)
    return {"negotiated": extensions, "decompressed_bytes": size,
            "compressed_bytes_about": compressed, "close_code": code,
            "rss_growth_kib": (rss.peak.get(pid) or 0) - (before or 0)}  # fmt: skip


async def big_frames(chaos: Chaos) -> dict:
    """Frames of 1 MiB and 16 MiB, and a compressed bomb: closed with 1009, memory bounded."""
    s = chaos.sizes
    env = chaos.env("big_frames")
    tables = chaos.seated(4, 4)
    specs = specs_of(tables)
    results, checks = {}, []
    for server in ("daphne", "uvicorn"):
        workers = await chaos.workers(env, 1, server=server)
        try:
            worker = workers[0]
            target = targets_of(workers)[0]
            rows = []
            # One round first, unmeasured: the first socket's imports and caches.
            await _one_frame(target, *specs[0], _big_text_frame(64 * 1024), worker.pid)
            for i, size in enumerate(s.frame_sizes):
                row = await _one_frame(target, *specs[1 + i], _big_text_frame(size), worker.pid)
                rows.append({"frame_bytes": size, **row})
                checks.append(Check(
                    f"{server}: a {size >> 20} MiB frame", f"close {row['close_code']}, RSS "
                    f"+{row['rss_growth_kib']} KiB", "1009, RSS <= +32 KiB (2 x 16 KiB)",
                    row["close_code"] == 1009 and row["rss_growth_kib"] <= 2 * 16,
                ))  # fmt: skip
            bomb = await _deflate_bomb(target, *specs[5], BOMB_BYTES, worker.pid)
            if server == "daphne":
                ok = bomb["negotiated"] is None
                measured = f"not negotiated (close {bomb['close_code']} for it uncompressed)"
                mark = "no compression offered"
            else:
                ok = bomb["close_code"] == 1009 and bomb["rss_growth_kib"] <= 2 * 16
                measured = (f"negotiated, close {bomb['close_code']}, RSS "
                            f"+{bomb['rss_growth_kib']} KiB")  # fmt: skip
                mark = "1009, RSS <= +32 KiB"
            wire = bomb["compressed_bytes_about"] >> 10
            checks.append(Check(f"{server}: an 8 MiB deflate bomb (~{wire} KiB on the wire)",
                                measured, mark, ok))  # fmt: skip
            results[server] = {"frames": rows, "deflate_bomb": bomb,
                               "server_log_problems": log_problems(workers)[:10]}  # fmt: skip
        finally:
            stop_all(workers)
    return {"limit_bytes": MAX_MESSAGE_BYTES, **results, "checks": checks}


SCENARIOS = {
    "kill9": kill9,
    "redis_restart": redis_restart,
    "overload": overload,
    "churn": churn,
    "slow_reader": slow_reader,
    "storm": storm,
    "db_connections": db_connections,
    "same_address": same_address,
    "big_frames": big_frames,
}
