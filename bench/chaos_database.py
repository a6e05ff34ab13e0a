"""The chaos scenario of the database's connections: `db_connections` (1,000 open sockets on one
worker, then ops cancelled mid-flight: the pool's bound holds, nothing is left in a transaction,
every cancelled op applied whole or not at all).
"""

import asyncio
import contextlib

import msgspec

from bench.chaos_base import Chaos, Check
from bench.chaos_checks import db_state, pg_connections
from bench.chaos_client import open_socket
from bench.chaos_crowd import CROWD, PRODUCT_ADDRESS_LIMITS, open_many, specs_of
from bench.chaos_figures import clock, log_problems, stop_all, targets_of
from bench.loadgen import pick_dish


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
