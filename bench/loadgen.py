"""The load generator: diners at tables, real ops at a set rate, and for every op the time until
every diner at its table has the event.

Two traffic modes with one shape:

- ``app`` (RestaurantOrder): each diner opens `/t/<token>/` and joins as the page's script does
  (`POST /t/<token>/join/` makes the diner; the cookie is the page's), opens
  `/ws/table/<token>/` with `Origin` and the cookie, reads its snapshot, and adds one cart line.
  Measured ops alternate `cart.add` (raises its line to 2) and `cart.set_qty` (back to 1), each
  with a unique id, so every op changes the cart and makes one `cart.line` event. The op's `ack`
  carries its `seq`; the op is delivered when every socket of the table has the event with that
  `seq`.
- ``echo`` (relay and raw baselines): the same op message, which the server echoes to every
  socket of the table (the sender too); it is delivered when every socket has the echo of its
  id. The sender's own copy stands for the ack.

Sending is open-loop (a global clock at the target rate, round-robin over tables, then over
diners), so a slow server shows as latency, not as a politely slower client. An op acked whose
event some diner has not received within ``event_timeout`` counts as lost.
"""

import asyncio
import contextlib
import itertools
import json
import random
import re
import time
from dataclasses import dataclass, field

import msgspec

from bench import procstats
from bench.wsclient import HandshakeError, http_get, join_table, ws_connect

clock = time.perf_counter
_json = msgspec.json.Encoder()
_full = msgspec.json.Decoder()


class Line(msgspec.Struct):
    line_id: int
    added_by: int | None = None


class Msg(msgspec.Struct):
    """What the generator reads of every server message (the rest is skipped by msgspec)."""

    type: str = ""
    id: str | None = None
    seq: int | None = None
    code: str | None = None
    line: Line | None = None


_fast = msgspec.json.Decoder(Msg)


@dataclass(frozen=True)
class Target:
    host: str
    port: int

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"


class Op:
    __slots__ = ("ack_t", "count", "diner", "done_t", "id", "last_t", "sent", "warm")

    def __init__(self, op_id: str, diner: "Diner", sent: float, warm: bool) -> None:
        self.id = op_id
        self.diner = diner
        self.sent = sent
        self.warm = warm
        self.ack_t: float | None = None
        self.done_t: float | None = None
        self.count = 0
        self.last_t = 0.0


class Table:
    __slots__ = ("arrivals", "diners", "number", "owned", "pending", "token")

    def __init__(self, number: int, token: str) -> None:
        self.number = number
        self.token = token
        self.diners: list[Diner] = []
        self.arrivals: dict[int, list] = {}  # seq -> [sockets that have it, time of the last]
        self.pending: dict[int, Op] = {}  # seq -> acked op still waiting for deliveries
        self.owned: set[int] = set()  # seqs claimed by an ack


class Diner:
    __slots__ = (
        "conn", "cookie", "diner_id", "index", "line_id", "line_known", "qty", "table",
        "target", "waiters",
    )  # fmt: skip

    def __init__(self, table: Table, index: int, target: Target) -> None:
        self.table = table
        self.index = index
        self.target = target
        self.conn = None
        self.cookie: str | None = None
        self.diner_id: int | None = None
        self.line_id: int | None = None
        self.qty: int | None = None
        self.waiters: dict[str, asyncio.Future] = {}
        self.line_known: asyncio.Future | None = None


def percentiles(values: list[float]) -> dict:
    """Nearest-rank percentiles, in milliseconds (values are seconds)."""
    if not values:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(values)
    n = len(ordered)

    def rank(p: float) -> float:
        return round(1000 * ordered[min(n - 1, max(0, int(-(-p * n // 100)) - 1))], 3)

    return {
        "count": n,
        "p50": rank(50),
        "p95": rank(95),
        "p99": rank(99),
        "max": round(1000 * ordered[-1], 3),
        "mean": round(1000 * sum(ordered) / n, 3),
    }


@dataclass
class Dish:
    dish_id: int
    options: list[int] = field(default_factory=list)


async def menu_path(target: Target, token: str | None) -> str:
    """Where the menu of the table ``token``'s restaurant is: `/api/menu/` answers only while
    the deployment has one restaurant (a platform's, W6, has a hundred), so ask the table
    page, which names its restaurant's (`menuUrl`, without its `?lang=`: the whole menu)."""
    if token is None:
        return "/api/menu/"
    status, _, body = await http_get(target.host, target.port, f"/t/{token}/")
    found = re.search(rb'"menuUrl":\s*("[^"]*")', body) if status == 200 else None
    if found is None:
        raise RuntimeError(f"GET /t/{token}/ answered {status} without a menuUrl")
    return json.loads(found.group(1)).split("?")[0]


async def pick_dish(target: Target, token: str | None = None) -> Dish:
    """A dish on sale, with the fewest options that satisfy every group's minimum, from the
    menu of table ``token``'s restaurant (without a token: the deployment's only one)."""
    path = await menu_path(target, token)
    status, _, body = await http_get(target.host, target.port, path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    menu = _full.decode(body)
    best = None
    for category in menu["categories"]:
        for dish in category["dishes"]:
            if dish["sold_out"]:
                continue
            options = [o["id"] for g in dish["option_groups"] for o in g["options"][: g["min"]]]
            if best is None or len(options) < len(best.options):
                best = Dish(dish["id"], options)
    if best is None:
        raise RuntimeError("no dish on sale in the menu")
    return best


class LoadRun:
    """Diners of ``tables`` (each table ``diners`` sockets, spread over ``targets``)."""

    def __init__(
        self,
        *,
        mode: str,
        targets: list[Target],
        tables: list[tuple[int, str]],
        diners: int,
        event_timeout: float = 5.0,
        connect_concurrency: int | None = None,
        page_concurrency: int = 4,
        server_pids=(),
        extra_cpu: dict | None = None,
    ) -> None:
        assert mode in ("app", "echo")
        self.mode = mode
        self.targets = targets
        self.diners_per_table = diners
        self.event_timeout = event_timeout
        # The app serializes its database work: more handshakes in flight only queue (and
        # time out); the baselines take many at once.
        self.connect_sem = asyncio.Semaphore(connect_concurrency or (4 if mode == "app" else 32))
        self.page_sem = asyncio.Semaphore(page_concurrency)
        # A table is (number, token) or (number, token, cookies of diners already seated).
        self.tables = [Table(t[0], t[1]) for t in tables]
        for table, spec in zip(self.tables, tables, strict=True):
            table.diners = [Diner(table, i, targets[i % len(targets)]) for i in range(diners)]
            for diner, cookie in zip(table.diners, spec[2] if len(spec) > 2 else [], strict=False):
                diner.cookie = cookie
        self.all_diners = [d for t in self.tables for d in t.diners]
        # Round-robin over tables first, so each table's ops are spread evenly in time.
        self.send_order = [t.diners[i] for i in range(diners) for t in self.tables]
        self.dish: Dish | None = None
        self.ids = itertools.count(1)
        self.run_tag = f"{random.getrandbits(32):08x}"
        self.server_pids = list(server_pids)
        self.extra_cpu = extra_cpu or {}
        self.failed_sockets = 0
        self.connect_errors: dict[str, int] = {}
        self.closed_by_server = 0
        self._closing = False
        self._reset()

    # --- measurement state --------------------------------------------------------------------
    def _reset(self) -> None:
        self.measuring = False
        self.warm = True
        self.inflight: dict[str, Op] = {}
        self.ops: list[Op] = []
        self.latencies: list[float] = []
        self.ack_latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.nochange = 0
        self.completed = 0
        self.stray = 0
        for table in self.tables:
            table.arrivals.clear()
            table.pending.clear()

    def _complete(self, op: Op, t: float) -> None:
        op.done_t = t
        self.completed += 1
        if not op.warm:
            self.latencies.append(t - op.sent)
            if op.ack_t is not None:
                self.ack_latencies.append(op.ack_t - op.sent)

    # --- message handlers ---------------------------------------------------------------------
    def _on_app_fast(self, conn, payload: bytes, t: float) -> None:
        m = _fast.decode(payload)
        kind = m.type
        diner = conn.user
        table = diner.table
        if kind == "ack":
            op = self.inflight.pop(m.id, None)
            if op is None:
                return
            op.ack_t = t
            seq = m.seq
            if seq in table.owned:  # the op changed nothing: no event of its own
                self.nochange += 1
                op.count = -1
                op.done_t = t
                return
            table.owned.add(seq)
            arrival = table.arrivals.get(seq)
            if arrival is not None and arrival[0] >= len(table.diners):
                del table.arrivals[seq]
                self._complete(op, arrival[1])
            else:
                table.pending[seq] = op
        elif kind == "error":
            op = self.inflight.pop(m.id, None)
            self.errors[m.code or "?"] = self.errors.get(m.code or "?", 0) + 1
            if op is not None:
                op.done_t = -1.0
                op.diner.qty = None  # state unknown: the next op re-establishes it
        elif m.seq is not None:
            if m.line is not None and diner.line_id is None and m.line.added_by == diner.diner_id:
                diner.line_id = m.line.line_id  # the diner's own line, made by its first add
            seq = m.seq
            arrival = table.arrivals.get(seq)
            if arrival is None:
                arrival = table.arrivals[seq] = [1, t]
            else:
                arrival[0] += 1
                arrival[1] = t
            if arrival[0] >= len(table.diners):
                op = table.pending.pop(seq, None)
                if op is not None:
                    del table.arrivals[seq]
                    self._complete(op, t)

    def _on_echo(self, conn, payload: bytes, t: float) -> None:
        m = _fast.decode(payload)
        op = self.inflight.get(m.id)
        if op is None:
            self.stray += 1
            return
        op.count += 1
        op.last_t = t
        if conn.user is op.diner:
            op.ack_t = t
        if op.count >= len(op.diner.table.diners):
            del self.inflight[m.id]
            self._complete(op, t)

    def _on_slow(self, conn, payload: bytes, t: float) -> None:
        """Set-up path: decode everything, resolve waiters, learn the diner's line."""
        message = _full.decode(payload)
        diner = conn.user
        kind = message.get("type")
        if kind in ("ack", "error"):
            waiter = diner.waiters.pop(message.get("id"), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(message)
        elif kind == "snapshot":
            diner.diner_id = message["me"]["diner_id"]
            waiter = diner.waiters.pop("snapshot", None)
            if waiter is not None and not waiter.done():
                waiter.set_result(message)
        elif kind == "cart.line":
            line = message["line"]
            if line["added_by"] == diner.diner_id:
                diner.line_id = line["line_id"]
                diner.qty = line["qty"]
                if diner.line_known is not None and not diner.line_known.done():
                    diner.line_known.set_result(line)

    def _on_close(self, conn, closed_by_us: bool) -> None:
        if not self._closing and not closed_by_us:
            self.closed_by_server += 1

    # --- set-up ---------------------------------------------------------------------------------
    async def _cookie(self, diner: Diner) -> None:
        async with self.page_sem:
            diner.cookie = await join_table(diner.target.host, diner.target.port, diner.table.token)

    async def _connect(self, diner: Diner, timeout: float) -> None:
        handler = self._on_slow if self.mode == "app" else self._on_echo
        async with self.connect_sem:
            if self.mode == "app":
                waiter = asyncio.get_running_loop().create_future()
                diner.waiters["snapshot"] = waiter
            conn = await ws_connect(
                diner.target.host,
                diner.target.port,
                f"/ws/table/{diner.table.token}/",
                origin=diner.target.origin,
                cookie=f"sessionid={diner.cookie}" if diner.cookie else None,
                on_message=handler,
                timeout=timeout,
                user=diner,
                on_close=self._on_close,
            )
            diner.conn = conn
            if self.mode == "app":
                await asyncio.wait_for(waiter, timeout)

    async def _join(self, diner: Diner, timeout: float) -> bool:
        try:
            if self.mode == "app" and diner.cookie is None:
                await self._cookie(diner)
            await self._connect(diner, timeout)
            return True
        except (TimeoutError, OSError, HandshakeError, Exception) as exc:
            name = type(exc).__name__
            if isinstance(exc, HandshakeError):
                name = f"handshake {exc.status}"
            self.connect_errors[name] = self.connect_errors.get(name, 0) + 1
            self.failed_sockets += 1
            if diner.conn is not None:
                diner.conn.abort()
                diner.conn = None
            return False

    async def slow_op(self, diner: Diner, message: dict, timeout: float = 10) -> dict:
        op_id = f"s{self.run_tag}-{next(self.ids)}"
        message["id"] = op_id
        waiter = asyncio.get_running_loop().create_future()
        diner.waiters[op_id] = waiter
        diner.conn.send_bytes(_json.encode(message))
        try:
            return await asyncio.wait_for(waiter, timeout)
        finally:
            diner.waiters.pop(op_id, None)

    def _add_message(self) -> dict:
        return {"type": "cart.add", "dish_id": self.dish.dish_id, "options": self.dish.options}

    async def setup(
        self, timeout: float = 30, deadline: float = 900, *, fast: bool = True,
        dish: Dish | None = None,
    ) -> dict:  # fmt: skip
        """Open every socket (pages first for the app); ``fast`` switches the sockets to the
        measuring handler. A diner's first measured op makes its cart line. ``dish``: the
        dish to order, where `GET /api/menu/` cannot name one (a deployment of several
        restaurants answers it 404)."""
        started = clock()
        if dish is not None:
            self.dish = dish
        elif self.mode == "app":
            self.dish = await pick_dish(self.targets[0], self.tables[0].token)
        else:
            self.dish = Dish(1, [])

        tasks = [asyncio.create_task(self._join(d, timeout)) for d in self.all_diners]
        done, late = await asyncio.wait(tasks, timeout=deadline)
        for task in late:  # past the deadline: given up, counted as failed
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=10)
            self.connect_errors["not connected by the deadline"] = len(late)
            self.failed_sockets += len(late)
            for d, task in zip(self.all_diners, tasks, strict=True):
                if task in late and d.conn is not None:
                    d.conn.abort()
                    d.conn = None
        joined = [t.result() if t in done and not t.cancelled() else False for t in tasks]
        connected = clock() - started
        if self.mode == "app" and fast:
            for d in self.all_diners:
                if d.conn is not None:
                    d.conn.on_message = self._on_app_fast
        # A table with a missing diner would never see "every diner has it": drop its sockets
        # from the count of its table (the failure is reported as failed sockets).
        for table in self.tables:
            table.diners = [d for d in table.diners if d.conn is not None]
        self.send_order = [d for d in self.send_order if d.conn is not None]
        return {
            "sockets_wanted": len(self.all_diners),
            "sockets_open": sum(1 for ok in joined if ok),
            "connect_seconds": round(connected, 2),
            "setup_seconds": round(clock() - started, 2),
        }

    # --- measured load --------------------------------------------------------------------------
    def _send(self, diner: Diner, warm: bool) -> None:
        op_id = f"o{self.run_tag}-{next(self.ids)}"
        if self.mode == "echo":
            message = {"type": "cart.add", "id": op_id, "dish_id": 1, "options": []}
        elif diner.line_id is None:  # no line yet: the first add makes it (qty 1)
            message = {"type": "cart.add", "id": op_id, "dish_id": self.dish.dish_id,
                       "options": self.dish.options}  # fmt: skip
            diner.qty = (diner.qty or 0) + 1
        elif diner.qty == 1:
            message = {"type": "cart.add", "id": op_id, "dish_id": self.dish.dish_id,
                       "options": self.dish.options}  # fmt: skip
            diner.qty = 2
        else:
            message = {"type": "cart.set_qty", "id": op_id, "line_id": diner.line_id, "qty": 1}
            diner.qty = 1
        op = Op(op_id, diner, clock(), warm)
        self.inflight[op_id] = op
        self.ops.append(op)
        diner.conn.send_bytes(_json.encode(message))

    async def measure(
        self, *, rate: float, duration: float, warmup: float = 1.0, max_ops: int | None = None
    ) -> dict:
        """Send ``rate`` ops/s for ``warmup`` + ``duration`` seconds; figures of the window."""
        self._reset()
        handler = self._on_app_fast if self.mode == "app" else self._on_echo
        for d in self.send_order:
            d.conn.on_message = handler
        if not self.send_order:
            return {"error": "no socket open"}
        interval = 1.0 / rate
        max_ops = max_ops or int(rate * (warmup + duration) * 1.2) + 10
        meters = {"server": procstats.CpuMeter(self.server_pids)}
        for name, pids in self.extra_cpu.items():
            meters[name] = procstats.CpuMeter(pids)
        meters["machine"] = procstats.MachineMeter()
        start = clock()
        warm_end = start + warmup
        end = warm_end + duration
        next_t = start
        i = 0
        sent = 0
        max_lag = 0.0
        n = len(self.send_order)
        gen0 = None
        measured_start = None
        while sent < max_ops:
            now = clock()
            if now >= end:
                break
            if gen0 is None and now >= warm_end:
                self.warm = False
                measured_start = now
                gen0 = procstats.self_cpu_seconds()
                for meter in meters.values():
                    meter.start()
            while next_t <= now and sent < max_ops:
                max_lag = max(max_lag, now - next_t)
                diner = self.send_order[i % n]
                i += 1
                if diner.conn.closed:
                    next_t += interval
                    continue
                self._send(diner, warm=self.warm or next_t < warm_end)
                sent += 1
                next_t += interval
            await asyncio.sleep(max(0.0, min(next_t, end) - clock()))
        send_end = clock()
        if gen0 is None:  # no window at all (tiny durations)
            gen0 = procstats.self_cpu_seconds()
            measured_start = send_end
            for meter in meters.values():
                meter.start()
        cpu = {name: meter.stop() for name, meter in meters.items()}
        gen_cpu = procstats.self_cpu_seconds() - gen0
        window = max(1e-9, send_end - measured_start)
        # Drain: wait for the last deliveries, at most event_timeout.
        drain_deadline = send_end + self.event_timeout
        while clock() < drain_deadline and any(
            op.done_t is None and not op.warm for op in self.ops[-2000:]
        ):
            await asyncio.sleep(0.05)
        return self._figures(rate, window, cpu, gen_cpu, max_lag)

    def _figures(self, rate, window, cpu, gen_cpu, max_lag) -> dict:
        measured = [op for op in self.ops if not op.warm]
        acked = [op for op in measured if op.ack_t is not None and op.done_t != -1.0]
        errors = sum(1 for op in measured if op.done_t == -1.0)
        unacked = sum(1 for op in measured if op.ack_t is None and op.done_t != -1.0)
        timeout = self.event_timeout
        changing = [op for op in acked if op.count != -1]
        lost = sum(1 for op in changing if op.done_t is None or op.done_t - op.sent > timeout)
        delivered = [op for op in changing if op.done_t is not None]
        sockets = sum(len(t.diners) for t in self.tables)
        deliveries = len(delivered) * (sockets / max(1, len(self.tables)))
        server = cpu["server"]
        out = {
            "rate_target": rate,
            "window_seconds": round(window, 2),
            "ops_sent": len(measured),
            "ops_acked": len(acked),
            "ops_per_second": round(len(acked) / window, 1),
            "ops_errors": errors,
            "error_codes": dict(self.errors),
            "ops_unacked": unacked,
            "ops_nochange": self.nochange,
            "events_lost": lost,
            "latency_ms": percentiles([op.done_t - op.sent for op in delivered]),
            "ack_ms": percentiles([op.ack_t - op.sent for op in acked]),
            "sockets": sockets,
            "sockets_failed": self.failed_sockets,
            "sockets_closed_by_server": self.closed_by_server,
            "server_cpu_pct": round(server["cpu_pct"], 1),
            "server_cpu_us_per_op": round(1e6 * server["cpu_seconds"] / max(1, len(acked)), 1),
            "server_cpu_us_per_delivery": round(
                1e6 * server["cpu_seconds"] / max(1, deliveries), 1
            ),
            "server_rss_kib": [procstats.rss_kib(pid) for pid in self.server_pids],
            "generator_cpu_pct": round(100 * gen_cpu / window, 1),
            "generator_max_lag_ms": round(1000 * max_lag, 2),
        }
        # Everything else the machine did meanwhile (other engineers' tests): the noise.
        ours = sum(v["cpu_seconds"] for k, v in cpu.items() if k != "machine") + gen_cpu
        out["others_cpu_pct"] = round(100 * (cpu["machine"]["cpu_seconds"] - ours) / window, 1)
        for name, value in cpu.items():
            if name not in ("server", "machine"):
                out[f"{name}_cpu_pct"] = round(value["cpu_pct"], 1)
                out[f"{name}_cpu_us_per_op"] = round(
                    1e6 * value["cpu_seconds"] / max(1, len(acked)), 1
                )
        out["generator_bound"] = out["generator_cpu_pct"] > 85
        return out

    # --- idle sockets (W3) --------------------------------------------------------------------
    async def probe(self, *, tables: int = 20, rounds: int = 5, timeout: float = 5.0) -> dict:
        """One op at each of a few tables, ``rounds`` times over: are the idle sockets still
        served, and how fast (op sent -> every diner of its table has it, over all rounds)?"""
        handler = self._on_app_fast if self.mode == "app" else self._on_echo
        sample = [t for t in self.tables if t.diners][:tables]
        for t in sample:
            for d in t.diners:
                d.conn.on_message = handler
        sent = done = 0
        latencies = []
        for _ in range(rounds):
            self._reset()
            self.warm = False
            for t in sample:
                self._send(t.diners[0], warm=False)
            deadline = clock() + timeout
            while clock() < deadline and any(op.done_t is None for op in self.ops):
                await asyncio.sleep(0.01)
            delivered = [op for op in self.ops if op.done_t is not None and op.done_t > 0]
            sent += len(self.ops)
            done += len(delivered)
            latencies += [op.done_t - op.sent for op in delivered]
        return {
            "probe_ops": sent,
            "probe_delivered": done,
            "probe_latency_ms": percentiles(latencies),
        }

    async def close(self) -> None:
        self._closing = True
        for d in self.all_diners:
            if d.conn is not None:
                with contextlib.suppress(Exception):
                    d.conn.close()
        await asyncio.sleep(0.2)
        for d in self.all_diners:
            if d.conn is not None:
                d.conn.abort()


class Kitchen:
    """W4: a kitchen display socket, and tables that each send an order every few seconds;
    measures order.submit sent -> `order.new` on the kitchen socket."""

    def __init__(self, run: LoadRun, target: Target, staff_cookie: str, tables: list) -> None:
        self.run = run
        self.target = target
        self.staff_cookie = staff_cookie
        self.orderers = LoadRun(mode="app", targets=[target], tables=tables, diners=1)
        self.waiting: dict[int, tuple[float, asyncio.Future]] = {}
        self.latencies: list[float] = []
        self.lost = 0
        self.errors: dict[str, int] = {}
        self.conn = None

    def _on_kitchen(self, conn, payload: bytes, t: float) -> None:
        message = _full.decode(payload)
        if message.get("type") == "order.new":
            number = message["table"]["number"]
            entry = self.waiting.pop(number, None)
            if entry is not None:
                sent, future = entry
                if not future.done():
                    future.set_result(t - sent)

    async def setup(self) -> dict:
        status = await self.orderers.setup(fast=False)
        snapshot = asyncio.get_running_loop().create_future()

        def first(conn, payload, t):
            if not snapshot.done():
                snapshot.set_result(_full.decode(payload))
            conn.on_message = self._on_kitchen

        self.conn = await ws_connect(
            self.target.host, self.target.port, "/ws/kitchen/", origin=self.target.origin,
            cookie=f"sessionid={self.staff_cookie}", on_message=first,
        )  # fmt: skip
        kind = (await asyncio.wait_for(snapshot, 10)).get("type")
        if kind != "snapshot":
            raise RuntimeError(f"kitchen socket's first message was {kind}")
        return status

    async def _order_loop(self, diner: Diner, interval: float, end: float, phase: float):
        await asyncio.sleep(phase)
        run = self.orderers
        while clock() < end:
            cycle = clock()
            try:
                added = await run.slow_op(diner, run._add_message())
                if added["type"] != "ack":
                    self.errors[added["code"]] = self.errors.get(added["code"], 0) + 1
                else:
                    future = asyncio.get_running_loop().create_future()
                    self.waiting[diner.table.number] = (clock(), future)
                    reply = await run.slow_op(diner, {"type": "order.submit", "seq": added["seq"]})
                    if reply["type"] != "ack":
                        self.waiting.pop(diner.table.number, None)
                        self.errors[reply["code"]] = self.errors.get(reply["code"], 0) + 1
                    else:
                        try:
                            self.latencies.append(
                                await asyncio.wait_for(future, self.run.event_timeout)
                            )
                        except TimeoutError:
                            self.lost += 1
                            self.waiting.pop(diner.table.number, None)
            except TimeoutError:
                self.errors["timeout"] = self.errors.get("timeout", 0) + 1
            await asyncio.sleep(max(0.05, interval - (clock() - cycle)))

    async def orders(self, *, interval: float, duration: float) -> dict:
        end = clock() + duration
        diners = [d for t in self.orderers.tables for d in t.diners]
        tasks = [
            asyncio.create_task(self._order_loop(d, interval, end, random.uniform(0, interval)))
            for d in diners
        ]
        await asyncio.gather(*tasks)
        return {
            "orders": len(self.latencies),
            "kitchen_ms": percentiles(self.latencies),
            "orders_lost": self.lost,
            "order_errors": dict(self.errors),
        }

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        await self.orderers.close()
