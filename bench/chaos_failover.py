"""Chaos scenarios where a process dies under traffic: `kill9` (one of two workers, kill -9;
its clients fail over and resend) and `redis_restart` (the channel layer's redis-server killed,
kept down, started again). Nothing acked may be lost, nothing applied twice.
"""

import asyncio

from bench import servers
from bench.chaos_base import Chaos, Check
from bench.chaos_checks import PrivateRedis, db_state, group_members, ops_against_db
from bench.chaos_client import ChaosDiner, Traffic, percentiles, seat, start_all
from bench.chaos_figures import (
    ALL_CORES,
    ack_ms,
    clock,
    connection_figures,
    equal_check,
    finish,
    hub_memberships,
    log_problems,
    sockets_open,
    stop_all,
    stop_diners,
    targets_of,
)
from bench.loadgen import Target, pick_dish


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
