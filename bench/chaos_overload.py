"""Chaos scenarios with more than the server can take: `overload` (3x one worker's sustained
rate: shed or answered, never silently dropped) and `slow_reader` (a diner that stops reading:
the others' latency with and without it, then its drop).
"""

import asyncio
import contextlib
import json
import statistics

from bench import procstats
from bench.chaos_base import RESULTS, Chaos, Check
from bench.chaos_client import (
    ChaosDiner,
    Traffic,
    fetch_cookie,
    open_socket,
    percentiles,
    seat,
    start_all,
)
from bench.chaos_figures import (
    RssSampler,
    ack_ms,
    clock,
    connection_figures,
    equal_check,
    finish,
    log_problems,
    mib,
    stop_all,
    stop_diners,
    targets_of,
)
from bench.loadgen import Target, pick_dish


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
