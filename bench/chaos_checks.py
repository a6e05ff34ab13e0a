"""What the chaos scenarios check against: the database (the truth), Redis' group memberships,
PostgreSQL's connections, and a private redis-server that a scenario may kill.

The database is read with plain SQL on the bench database's tables (restaurant/dining/models.py):
`dining_diningsession` (seq), `dining_cartline` (the cart), `dining_appliedop` (one row per op an
actor had applied: the idempotency record), `dining_connection` (open sockets, presence).
"""

import asyncio
import contextlib
import subprocess
import time
from urllib.parse import urlsplit

from bench import servers
from bench.chaos_client import ChaosDiner, Op

CHECK_APP = "robench-chaos-check"  # application_name of our own connections (not counted)


def _connect(database_url: str):
    import psycopg

    return psycopg.connect(
        database_url, autocommit=True, connect_timeout=10, application_name=CHECK_APP
    )


def database_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


# --- the database's view of the tables ------------------------------------------------------


def db_state(database_url: str, session_ids: set[int]) -> dict:
    """{session_id: {"seq", "lines": {line_id: (dish, qty, options, note, added_by)}}} and the
    applied op ids as {(actor, op_id)}."""
    ids = sorted(i for i in session_ids if i is not None)
    with _connect(database_url) as conn:
        sessions = {
            sid: {"seq": seq, "lines": {}}
            for sid, seq in conn.execute(
                "SELECT id, seq FROM dining_diningsession WHERE id = ANY(%s)", (ids,)
            )
        }
        for lid, sid, dish, qty, options, note, by in conn.execute(
            "SELECT id, session_id, dish_id, qty, options, note, added_by_id FROM dining_cartline"
            " WHERE session_id = ANY(%s)",
            (ids,),
        ):
            sessions[sid]["lines"][lid] = (dish, qty, tuple(sorted(options or [])), note, by)
        applied = {
            (actor, op_id)
            for actor, op_id in conn.execute(
                "SELECT actor, op_id FROM dining_appliedop WHERE session_id = ANY(%s)", (ids,)
            )
        }
        connections = conn.execute(
            "SELECT count(*) FROM dining_connection c JOIN dining_diner d ON d.id = c.diner_id"
            " WHERE d.session_id = ANY(%s)",
            (ids,),
        ).fetchone()[0]
    return {"sessions": sessions, "applied": applied, "connections": connections}


def line_key(line: dict) -> tuple:
    return (line["dish_id"], line["qty"], tuple(sorted(line["options"])), line["note"],
            line["added_by"])  # fmt: skip


def client_cart(diner: ChaosDiner) -> dict:
    return {lid: line_key(line) for lid, line in diner.cart.items()}


def equals_db(diner: ChaosDiner, state: dict) -> bool:
    session = state["sessions"].get(diner.session_id)
    if session is None:
        return False
    return diner.seq == session["seq"] and client_cart(diner) == session["lines"]


def ops_against_db(ops: list[Op], state: dict) -> dict:
    """Acked ops missing from the database (lost), and effects counted against op ids: each
    op raised its line by one, so a line holding more than its applied ops is an op applied
    twice, fewer is an applied op whose effect is missing."""
    applied = state["applied"]
    lost = []
    expected: dict[tuple[int, str], int] = {}
    applied_unanswered = 0
    for op in ops:
        me = op.diner.me
        if me is None:
            continue
        done = (f"d{me}", op.id) in applied
        if op.acked and not done:
            lost.append(op.id)
        if op.reply is None and done:
            applied_unanswered += 1
        if op.kind == "cart.add" and op.line is not None and done:
            key = (me, op.line)
            expected[key] = expected.get(key, 0) + 1
    qty: dict[tuple[int, str], int] = {}
    for session in state["sessions"].values():
        for _dish, q, _options, note, by in session["lines"].values():
            qty[(by, note)] = qty.get((by, note), 0) + q
    doubled = missing = 0
    for key, n in expected.items():
        have = qty.get(key, 0)
        doubled += max(0, have - n)
        missing += max(0, n - have)
    return {
        "ops_lost": len(lost),
        "ops_lost_ids": lost[:10],
        "ops_applied_twice": doubled,
        "effects_missing": missing,
        "ops_applied_unanswered": applied_unanswered,
    }


async def converge(
    diners: list[ChaosDiner], database_url: str, timeout: float, *, state: dict | None = None
) -> dict:
    """Wait (at most ``timeout``) until every diner's cart and seq equal the database's; the
    database is read once (call this when no op is in flight)."""
    diners = [d for d in diners if not d.stopped and d.closed_for_good is None]
    if state is None:
        state = await asyncio.to_thread(db_state, database_url, {d.session_id for d in diners})
    started = time.perf_counter()
    while True:
        unequal = [d for d in diners if not equals_db(d, state)]
        if not unequal or time.perf_counter() - started > timeout:
            break
        await asyncio.sleep(0.05)
    examples = []
    for d in unequal[:5]:
        session = state["sessions"].get(d.session_id) or {}
        examples.append(
            f"table {d.table.number} diner {d.me}: seq {d.seq} vs {session.get('seq')}, "
            f"{len(d.cart)} lines vs {len(session.get('lines', {}))}, online {d.online}"
        )
    return {
        "clients": len(diners),
        "clients_equal_db": len(diners) - len(unequal),
        "clients_unequal": len(unequal),
        "converge_seconds": round(time.perf_counter() - started, 2),
        "unequal_examples": examples,
        "_state": state,
    }


# --- Redis: group memberships ---------------------------------------------------------------


def group_members(redis_url: str, prefix: str) -> dict:
    """Members of the layer's groups for ``prefix``, whichever layer the servers run: the Redis
    layer keeps a group as the sorted set `<prefix>:group:<name>` (its members: the hubs'
    channels); the PubSub layer subscribes each process's connection to the channel
    `<prefix>__group__<name>` (its members: the subscribed connections, one per process)."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    counts = {"tables": 0, "menu": 0, "other": 0}
    groups = 0

    def count(name: str, n: int) -> None:
        kind = "tables" if name.startswith("table.") else "menu" if name == "menu" else "other"
        counts[kind] += n

    try:
        for key in client.scan_iter(f"{prefix}:group:*", count=1000):
            groups += 1
            count(key.decode().split(":group:", 1)[1], client.zcard(key))
        channels = client.pubsub_channels(f"{prefix}__group__*")
        for channel, n in client.pubsub_numsub(*channels) if channels else []:
            groups += 1
            count(channel.decode().split("__group__", 1)[1], n)
        return {"groups": groups, "table_members": counts["tables"],
                "menu_members": counts["menu"], "other_members": counts["other"]}  # fmt: skip
    finally:
        client.close()


def clean_redis(redis_url: str, prefix: str) -> None:
    with contextlib.suppress(Exception):
        import redis

        client = redis.Redis.from_url(redis_url, socket_timeout=5)
        for key in client.scan_iter(f"{prefix}*", count=1000):
            client.delete(key)
        client.close()


# --- PostgreSQL connections -----------------------------------------------------------------


def pg_connections(database_url: str) -> dict:
    """Backends connected to the bench database (ours left out), by state."""
    name = database_name(database_url)
    with _connect(database_url) as conn:
        rows = conn.execute(
            "SELECT coalesce(state, '?'), count(*) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name <> %s AND backend_type = 'client backend'"
            " GROUP BY 1",
            (name, CHECK_APP),
        ).fetchall()
    by_state = {state: n for state, n in rows}
    return {"total": sum(by_state.values()), "by_state": by_state}


# --- a private redis-server -----------------------------------------------------------------


class PrivateRedis:
    """A redis-server of our own on a free loopback port, without persistence, that can be
    killed and started again on the same port. Recorded in `servers.Fleet`."""

    def __init__(self, log_dir) -> None:
        self.port = servers.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 10) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        log = open(self.log_dir / f"redis-{self.port}-{self.starts}.log", "w")  # noqa: SIM115
        with log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--protected-mode", "no"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        servers.Fleet.add(self.process)
        deadline = time.monotonic() + timeout
        import redis

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server on {self.port} exited ({self.process.returncode})"
                )
            with contextlib.suppress(redis.RedisError):
                client = redis.Redis.from_url(self.url, socket_timeout=1)
                try:
                    if client.ping():
                        return
                finally:
                    client.close()
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} did not answer in {timeout}s")

    def kill(self) -> None:
        """SIGKILL: gone with everything it held in memory."""
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(10)
        if process in servers.Fleet.processes:
            servers.Fleet.processes.remove(process)

    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.poll() is None else None
