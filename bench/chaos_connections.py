"""Chaos scenarios where sockets come and go: `churn` (a quarter of the diners reconnect in a
loop under traffic) and `storm` (thousands connect at once, then all leave at once). The group
members and presence rows they leave behind must be reaped.
"""

import asyncio
import contextlib
import random

from bench import procstats
from bench.chaos_base import Chaos, Check
from bench.chaos_checks import _connect, db_state, group_members
from bench.chaos_client import ChaosDiner, Traffic, seat, start_all
from bench.chaos_crowd import CROWD, PRODUCT_ADDRESS_LIMITS, open_many, specs_of
from bench.chaos_figures import (
    ALL_CORES,
    ack_ms,
    clock,
    connection_figures,
    equal_check,
    finish,
    hub_memberships,
    log_problems,
    mib,
    sockets_open,
    stop_all,
    stop_diners,
    targets_of,
)
from bench.loadgen import pick_dish


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
