"""W7's failover (bench/multihost.py): a worker host cut off under W1's load, and what the
phones and the database say afterwards. Apart from the deployment so that neither module
passes the size the bench keeps its modules under."""

import asyncio
import time

from bench import procstats
from bench.harness import Bench
from bench.hosts import EDGE_ADDR, EDGE_PORT, WORKERS
from bench.loadgen import percentiles
from bench.wsclient import http_get

clock = time.perf_counter


def failover_sizes(bench: Bench) -> dict:
    """Seconds of load before the cut and after it: after it, long enough for every diner of
    the cut host to notice (REPLY_TIMEOUT), reconnect and resync, and then some."""
    if bench.quick:
        return {"before": 3.0, "after": 30.0, "drain": 20.0}
    return {"before": 10.0, "after": 40.0, "drain": 30.0}


async def settled(worker_pids: list[int], timeout: float = 180) -> None:
    """Until the workers are idle (under 10% of a core each over a second) and the deployment
    then answers through nginx ten times in a row: after W6 the workers are still closing
    4,200 sockets (each a database write), and page loads that time out meanwhile make nginx
    leave both workers out (every diner of the failover got 502). Raises after ``timeout``."""
    deadline = clock() + timeout
    while True:
        before = [procstats.cpu_seconds(pid) or 0.0 for pid in worker_pids]
        await asyncio.sleep(1.0)
        after = [procstats.cpu_seconds(pid) or 0.0 for pid in worker_pids]
        if all(b - a < 0.1 for a, b in zip(before, after, strict=True)):
            break
        if clock() > deadline:
            raise RuntimeError(f"the workers stayed busy for {timeout}s")
    in_a_row, last = 0, None
    while in_a_row < 10:
        if clock() > deadline:
            raise RuntimeError(f"the deployment did not settle in {timeout}s: {last}")
        try:
            last = (await http_get(EDGE_ADDR, EDGE_PORT, "/healthz", timeout=5))[0]
        except (OSError, TimeoutError) as exc:
            last = repr(exc)
        in_a_row = in_a_row + 1 if last == 200 else 0
        await asyncio.sleep(0.1 if last == 200 else 0.5)
    await asyncio.sleep(3)  # past nginx's fail_timeout (2 s) for any worker it left out


async def failover(bench: Bench, dep, dish, rate: float, victim: str = "w2") -> dict:
    """Diners at W1's tables through ``dep``'s nginx (a `multihost.Deployment`) at ``rate``
    ops/s; host ``victim`` cut off meanwhile; the figures (module docstring of multihost)."""
    from bench.chaos_checks import converge, db_state, ops_against_db
    from bench.chaos_client import REPLY_TIMEOUT, ChaosTable, Traffic, seat, start_all

    s = bench.sizes
    f = failover_sizes(bench)
    tables = [ChaosTable(n, token) for n, token in bench.take_tables(s.w1_tables)]
    diners = seat(tables, s.w1_diners, [dep.target])
    out: dict = {"victim": victim, "rate": rate, "reply_timeout_s": REPLY_TIMEOUT, **f}
    try:
        out["setup"] = await start_all(diners, concurrency=4)
        if out["setup"]["failed"]:
            raise RuntimeError(f"failover: diners could not sit down: {out['setup']}\n{dep.logs()}")
        traffic = Traffic(tables, dish)
        cut = {"t": None}
        back: dict[int, dict] = {}  # id(diner) -> its return after the cut

        def on_snapshot(diner, t, resent) -> None:
            if cut["t"] is None or t < cut["t"]:
                return
            # Back means: this snapshot, its resent ops answered, and every op acked at its
            # table before the snapshot held (through the snapshot or events after it).
            acked = [
                op.seq
                for op in traffic.ops
                if op.diner.table is diner.table and op.seq and op.reply_t <= t
            ]
            back[id(diner)] = {
                "diner": diner,
                "t_snapshot": t,
                "resent": resent,
                "target": max([diner.seq, *acked]),
                "t_done": None,
            }

        for d in diners:
            d.on_snapshot = on_snapshot

        async def watch() -> None:
            while True:
                now = clock()
                for r in back.values():
                    if r["t_done"] is None and all(op.reply is not None for op in r["resent"]):
                        goal = max([r["target"], *(op.seq or 0 for op in r["resent"])])
                        if r["diner"].seq is not None and r["diner"].seq >= goal:
                            r["t_done"] = now
                await asyncio.sleep(0.01)

        watcher = asyncio.create_task(watch())
        load = asyncio.create_task(traffic.run(rate, f["before"] + f["after"]))
        await asyncio.sleep(f["before"])
        out["sockets_per_worker_at_cut"] = {h: dep.sockets_to(h) for h in WORKERS}
        out["ops_acked_before_cut"] = sum(1 for op in traffic.ops if op.acked)
        t_cut = cut["t"] = dep.hosts.take_down(victim)
        out["ops_in_flight_at_cut"] = sum(1 for op in traffic.ops if op.sends and op.reply is None)
        await load
        out["ops_unanswered_after_drain"] = await traffic.drain(f["drain"])
        await asyncio.sleep(0.5)
        watcher.cancel()
        live = [d for d in diners if not d.stopped and d.closed_for_good is None]
        conv = await converge(live, bench.env.database_url, 10.0)
        if conv["clients_unequal"]:  # a tail op per table lets a diner that missed the last
            traffic.probe()  # events see the gap (as a real table's next event does)
            await traffic.drain(f["drain"])
            conv = await converge(live, bench.env.database_url, 10.0)
        state = await asyncio.to_thread(
            db_state, bench.env.database_url, {d.session_id for d in diners if d.session_id}
        )
        moved = [d for d in diners if any(t >= t_cut for t in d.lost_t)]
        returns = [back.get(id(d)) for d in moved]
        lost_after = [min(t for t in d.lost_t if t >= t_cut) - t_cut for d in moved]
        snap_after = [r["t_snapshot"] - t_cut for r in returns if r]
        done_after = [r["t_done"] - t_cut for r in returns if r and r["t_done"]]
        counts = traffic.counts()
        before = [op for op in traffic.ops if op.sent < t_cut]
        recovered_t = (
            t_cut + max(done_after) if done_after and len(done_after) == len(moved) else None
        )
        during = [
            op
            for op in traffic.ops
            if op.sent >= t_cut and (recovered_t is None or op.sent < recovered_t)
        ]
        after = [op for op in traffic.ops if recovered_t is not None and op.sent >= recovered_t]
        out.update(counts)
        out.update(ops_against_db(traffic.ops, state))
        out.update({k: v for k, v in conv.items() if not k.startswith("_")})
        out.update(
            {
                "diners": len(diners),
                "diners_moved": len(moved),
                "diners_moved_back": len(done_after),
                "cut_to_socket_lost_ms": percentiles(lost_after),
                "cut_to_snapshot_ms": percentiles(snap_after),
                "cut_to_converged_ms": percentiles(done_after),
                "all_moved_diners_back_seconds": round(max(done_after), 2) if done_after else None,
                "latency_ms_before_cut": percentiles(traffic.latencies(before)[0]),
                "latency_ms_during": percentiles(traffic.latencies(during)[0]),
                "latency_ms_after_recovery": percentiles(traffic.latencies(after)[0]),
                "ack_ms_before_cut": percentiles(
                    [op.reply_t - op.sent for op in before if op.reply_t is not None]
                ),
                "ack_ms_during": percentiles(
                    [op.reply_t - op.sent for op in during if op.reply_t is not None]
                ),
                "ack_ms_after_recovery": percentiles(
                    [op.reply_t - op.sent for op in after if op.reply_t is not None]
                ),
                "reply_timeouts": sum(d.reply_timeouts for d in diners),
                "handshake_failures": _sum_dicts(d.handshake_failures for d in diners),
                "close_codes": _sum_dicts(d.close_codes for d in diners),
            }
        )
        out["passed"] = (
            out["ops_lost"] + out["effects_missing"] == 0
            and out["ops_applied_twice"] == 0
            and out["clients_unequal"] == 0
            and len(done_after) == len(moved)
        )
        return out
    finally:
        await asyncio.gather(*(d.stop() for d in diners), return_exceptions=True)


def _sum_dicts(dicts) -> dict:
    total: dict = {}
    for d in dicts:
        for k, v in d.items():
            total[k] = total.get(k, 0) + v
    return total


# --- the scenario ----------------------------------------------------------------------------


def _say_failover(f: dict) -> None:
    print(
        f"  W7 failover of {f['victim']}: acked {f['ops_acked']} lost {f['ops_lost']} "
        f"missing {f['effects_missing']} twice {f['ops_applied_twice']} "
        f"clients equal {f['clients_equal_db']}/{f['clients']}; moved "
        f"{f['diners_moved_back']}/{f['diners_moved']} back, all in "
        f"{f['all_moved_diners_back_seconds']} s (lost p50 {f['cut_to_socket_lost_ms']['p50']}"
        f" ms, converged p50 {f['cut_to_converged_ms']['p50']} max "
        f"{f['cut_to_converged_ms']['max']} ms); p99 before "
        f"{f['latency_ms_before_cut']['p99']} during {f['latency_ms_during']['p99']} after "
        f"{f['latency_ms_after_recovery']['p99']} ms; passed {f['passed']}",
        flush=True,
    )
