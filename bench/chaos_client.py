"""Diners for the chaos scenarios: the protocol's client (restaurant/static/js/socket.js,
tests/support/client.py) on the bench's lean socket (bench/wsclient.py), with clocks on it.

A `ChaosDiner` starts every connection from a snapshot, applies `seq` events strictly in order
(events ahead of a gap wait in a buffer and a `sync` is sent), keeps every op until it is
answered and resends it with the same id after the next connection's snapshot, gives up on a
socket that leaves an op unanswered for `REPLY_TIMEOUT` seconds, reconnects with full-jitter
backoff (0.5 s to 10 s) to the next of its servers, and stops after the final close codes.

What it records for the scenarios: when each event (`seq`) reached it, every snapshot, every
lost connection and failed handshake, and each op's send, resends and reply.

`Traffic` sends ops open-loop at a set rate over the diners of a set of tables: each op is a
`cart.add` of one dish with a note naming the diner's current line, so every op raises one
line's qty by one and makes exactly one `cart.line` event: an op applied twice shows as one
too many on its line, an acknowledged op lost as one too few (`bench/chaos_checks.py`).
"""

import asyncio
import base64
import itertools
import os
import random
import socket
import time
from collections.abc import Callable

import msgspec

from bench.loadgen import Dish, Target, percentiles
from bench.wsclient import HandshakeError, WsConnection, join_table

clock = time.perf_counter
FINAL_CLOSE_CODES = {4000, 4403, 4429, 1009}
REPLY_TIMEOUT = 12.0  # socket.js: a silent socket on a phone is often a dead one
SNAPSHOT_TIMEOUT = 10.0  # socket.js: an open socket with no snapshot by then is dead
RESEND_BURST = 20  # socket.js: unanswered ops after a reconnect, a burst then paced
RESEND_INTERVAL = 0.1
BACKOFF_MIN, BACKOFF_MAX = 0.5, 10.0
LINE_OPS = 40  # ops on one line before a diner starts the next (qty stays far below 99)

_decode = msgspec.json.Decoder()
_encode = msgspec.json.Encoder()


async def open_socket(
    target: Target,
    path: str,
    *,
    cookie: str | None,
    on_message: Callable | None = None,
    on_close: Callable | None = None,
    user=None,
    timeout: float = 10.0,
    local_host: str | None = None,
    rcvbuf: int | None = None,
    origin: str | None = "",
) -> WsConnection:
    """bench.wsclient.ws_connect, plus a source address (any 127.x works on loopback) and a
    receive buffer size (a small one makes a non-reading client's window close quickly).
    ``origin=""`` means the target's own origin; ``None`` sends no Origin."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {target.host}:{target.port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin or target.origin}")
    if cookie:
        lines.append(f"Cookie: sessionid={cookie}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    conn = WsConnection(request, on_message, user)
    conn.on_close = on_close
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if local_host:
            # Let connect() pick the port: many sockets from one address to one server.
            sock.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24), 1)
            sock.bind((local_host, 0))
        await asyncio.wait_for(loop.sock_connect(sock, (target.host, target.port)), timeout)
        await loop.create_connection(lambda: conn, sock=sock)
    except BaseException:
        sock.close()
        raise
    try:
        await asyncio.wait_for(asyncio.shield(conn.opened), timeout)
    except BaseException:
        conn.abort()
        raise
    return conn


async def fetch_cookie(target: Target, token: str, *, sem: asyncio.Semaphore | None = None) -> str:
    """Open the table page and join as its script does (`join_table`); its session cookie."""
    sem = sem or asyncio.Semaphore(1)
    async with sem:
        return await join_table(target.host, target.port, token)


def failure_name(exc: BaseException) -> str:
    """How a failed handshake is counted: the HTTP status, or the exception's kind."""
    if isinstance(exc, HandshakeError):
        return f"status {exc.status}" if exc.status else "no answer"
    return type(exc).__name__


class Op:
    """One op as the client keeps it until it is answered."""

    __slots__ = (
        "diner", "generation", "id", "kind", "line", "payload", "reply", "reply_t", "sends",
        "sent", "timer", "waiter",
    )  # fmt: skip

    def __init__(
        self, diner: "ChaosDiner", op_id: str, kind: str, payload: bytes, line: str | None
    ) -> None:
        self.diner = diner
        self.id = op_id
        self.kind = kind
        self.payload = payload
        self.line = line  # the note of the line a cart.add raises
        self.sent = clock()  # when it was handed to the client (queued or sent)
        self.sends = 0  # how many times it went out on a socket
        self.generation = 0
        self.reply: dict | None = None
        self.reply_t: float | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.waiter: asyncio.Future | None = None

    @property
    def acked(self) -> bool:
        return self.reply is not None and self.reply.get("type") == "ack"

    @property
    def seq(self) -> int | None:
        return self.reply.get("seq") if self.acked else None


class ChaosTable:
    def __init__(self, number: int, token: str, cookies: list[str] | None = None) -> None:
        self.number = number
        self.token = token
        self.cookies = list(cookies or [])
        self.diners: list[ChaosDiner] = []
        self.session_id: int | None = None


class ChaosDiner:
    """One phone at a table (see the module's doc)."""

    _tags = itertools.count(1)

    def __init__(
        self,
        table: ChaosTable,
        index: int,
        targets: list[Target],
        *,
        cookie: str | None = None,
        local_host: str | None = None,
        rcvbuf: int | None = None,
        reply_timeout: float = REPLY_TIMEOUT,
        handshake_timeout: float = 10.0,
    ) -> None:
        self.table = table
        self.index = index
        self.targets = targets  # tried in turn: a failed connection moves on to the next
        self.server = index % len(targets)
        self.cookie = cookie
        self.local_host = local_host
        self.rcvbuf = rcvbuf
        self.reply_timeout = reply_timeout
        self.handshake_timeout = handshake_timeout
        self.tag = f"c{next(self._tags)}x{random.getrandbits(24):06x}"
        self.ids = itertools.count(1)
        # state, as the page holds it
        self.seq: int | None = None
        self.me: int | None = None
        self.session_id: int | None = None
        self.cart: dict[int, dict] = {}
        self.buffer: dict[int, dict] = {}
        self.syncing = False
        self.fresh = False  # this connection's snapshot arrived
        self.conn: WsConnection | None = None
        self.generation = 0
        self.pending: dict[str, Op] = {}
        # what the scenarios read
        self.arrivals: dict[int, float] = {}  # seq -> when that event reached this diner
        self.snapshot_log: list[tuple[float, int]] = []  # (t, seq) of every snapshot
        self.max_snapshot_seq = -1
        self.snapshot_bytes = 0
        self.connected_t: list[float] = []  # each connection's first snapshot
        self.lost_t: list[float] = []  # each connection lost (not closed by us)
        self.close_codes: dict[str, int] = {}
        self.handshake_failures: dict[str, int] = {}
        self.gap_syncs = 0
        self.reply_timeouts = 0
        self.stray_replies = 0
        self.closed_for_good: int | None = None
        self.stopped = False
        self.attempt = 0
        self.line_ops = 0  # cart.adds so far (which line the next one raises)
        self.on_snapshot: Callable | None = None  # (diner, t, resent ops) after a connection's
        self._task: asyncio.Task | None = None
        self._first = asyncio.get_running_loop().create_future()
        self._drop_reason: str | None = None
        self._timed_out = 0  # the connection given up for a late reply
        self.retry_first = False

    # --- life -------------------------------------------------------------------------------
    @property
    def target(self) -> Target:
        """The server this diner connects to now (a failed connection moves it on)."""
        return self.targets[self.server % len(self.targets)]

    async def start(self, timeout: float = 30.0, *, retry: bool = False) -> "ChaosDiner":
        """Connect (open the page and join first when there is no cookie); returns once the first
        snapshot arrived. A failed first handshake raises, unless ``retry``: then the client
        keeps trying with its backoff, as a phone does, until ``timeout``."""
        self.retry_first = retry
        if self.cookie is None:
            self.cookie = await fetch_cookie(self.target, self.table.token)
        self._task = asyncio.create_task(self._run())
        try:
            await asyncio.wait_for(asyncio.shield(self._first), timeout)
        except BaseException:
            self.abort()
            raise
        return self

    @property
    def online(self) -> bool:
        return self.conn is not None and not self.conn.closed and self.fresh

    def path(self) -> str:
        return f"/ws/table/{self.table.token}/"

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.stopped and self.closed_for_good is None:
            target = self.target
            ended = loop.create_future()

            def on_close(conn, by_us, ended=ended):
                if not ended.done():
                    ended.set_result(by_us)

            conn = None
            try:
                conn = await open_socket(
                    target, self.path(), cookie=self.cookie, on_message=self._on_message,
                    on_close=on_close, user=self, timeout=self.handshake_timeout,
                    local_host=self.local_host, rcvbuf=self.rcvbuf,
                )  # fmt: skip
            except (HandshakeError, OSError, TimeoutError) as exc:
                name = failure_name(exc)
                self.handshake_failures[name] = self.handshake_failures.get(name, 0) + 1
                if not self._first.done() and not self.retry_first:
                    self._first.set_exception(exc)
                    return
            if conn is not None:
                self.generation += 1
                self.fresh = False
                self.buffer.clear()
                self.syncing = False
                self._drop_reason = None
                self.conn = conn
                generation = self.generation

                def no_snapshot(conn=conn, generation=generation) -> None:
                    # socket.js: open but no snapshot within SNAPSHOT_TIMEOUT: start over
                    if generation == self.generation and not self.fresh and not conn.closed:
                        self._drop_reason = "no snapshot"
                        conn.close()

                asyncio.get_running_loop().call_later(SNAPSHOT_TIMEOUT, no_snapshot)
                by_us = await ended
                code = conn.close_code
                self.conn = None
                self.fresh = False
                if self.stopped:
                    return
                reason = self._drop_reason
                # A close frame from the server sets close_code (the lean socket answers it and
                # marks itself closed, so `by_us` alone cannot tell).
                if code is not None or not by_us:
                    key = str(code) if code is not None else "dropped"
                    self.close_codes[key] = self.close_codes.get(key, 0) + 1
                if reason != "scenario":
                    self.lost_t.append(clock())
                if code in FINAL_CLOSE_CODES:
                    self.closed_for_good = code
                    for op in list(self.pending.values()):
                        self._answer(op, {"type": "error", "id": op.id, "code": "closed"}, clock())
                    if not self._first.done():
                        self._first.set_exception(HandshakeError(None, f"closed {code}"))
                    return
            self.server += 1
            ceiling = min(BACKOFF_MAX, BACKOFF_MIN * 2**self.attempt)
            self.attempt += 1
            await asyncio.sleep(ceiling / 2 + random.random() * ceiling / 2)

    def drop(self, *, abort: bool = False) -> None:
        """End the current connection as a phone would (the client reconnects by itself)."""
        conn = self.conn
        if conn is None:
            return
        self._drop_reason = "scenario"
        self.attempt = 0
        if abort:
            conn.abort()
        else:
            conn.close()

    async def stop(self) -> None:
        self.stopped = True
        if self.conn is not None:
            self.conn.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for op in self.pending.values():
            if op.timer is not None:
                op.timer.cancel()

    def abort(self) -> None:
        self.stopped = True
        if self.conn is not None:
            self.conn.abort()
        if self._task is not None:
            self._task.cancel()
        for op in self.pending.values():
            if op.timer is not None:
                op.timer.cancel()

    # --- ops --------------------------------------------------------------------------------
    def send(self, message: dict, *, line: str | None = None, waiter: bool = False) -> Op:
        """Queue an op (sent now when online, else after the next snapshot)."""
        op_id = message.get("id") or f"{self.tag}-{next(self.ids)}"
        message["id"] = op_id
        op = Op(self, op_id, message["type"], _encode.encode(message), line)
        if waiter:
            op.waiter = asyncio.get_running_loop().create_future()
        self.pending[op_id] = op
        if self.online:
            self._transmit(op)
        return op

    async def op(self, message: dict, timeout: float = 15.0) -> dict:
        op = self.send(message, waiter=True)
        return await asyncio.wait_for(op.waiter, timeout)

    def add_op(self, dish: Dish) -> Op:
        """A cart.add that raises this diner's current line by one."""
        line = f"{self.tag}/{self.line_ops // LINE_OPS}"
        self.line_ops += 1
        message = {"type": "cart.add", "dish_id": dish.dish_id, "options": dish.options,
                   "qty": 1, "note": line}  # fmt: skip
        return self.send(message, line=line)

    def _resend_paced(self, ops: list[Op], generation: int) -> None:
        """socket.js: a burst of RESEND_BURST, then one every RESEND_INTERVAL, so that a
        resend never meets the server's flood limit."""
        for op in ops[:RESEND_BURST]:
            self._transmit(op)
        rest = ops[RESEND_BURST:]
        loop = asyncio.get_running_loop()

        def next_one() -> None:
            if generation != self.generation or not rest:
                return
            op = rest.pop(0)
            if op.id in self.pending:
                self._transmit(op)
            loop.call_later(RESEND_INTERVAL, next_one)

        if rest:
            loop.call_later(RESEND_INTERVAL, next_one)

    def _transmit(self, op: Op) -> None:
        conn = self.conn
        if conn is None or conn.closed:
            return
        op.sends += 1
        op.generation = self.generation
        conn.send_bytes(op.payload)
        if op.timer is not None:
            op.timer.cancel()
        if self.reply_timeout:
            op.timer = asyncio.get_running_loop().call_later(
                self.reply_timeout, self._reply_late, op.id, self.generation
            )

    def _reply_late(self, op_id: str, generation: int) -> None:
        if (
            op_id in self.pending and generation == self.generation and self.conn is not None
            and self._timed_out != generation
        ):  # fmt: skip
            self._timed_out = generation
            self.reply_timeouts += 1
            self.attempt = 0
            self._drop_reason = "reply timeout"
            self.conn.abort()  # a half-dead socket: start over (ops are resent)

    def _answer(self, op: Op, message: dict, t: float) -> None:
        self.pending.pop(op.id, None)
        op.reply = message
        op.reply_t = t
        if op.timer is not None:
            op.timer.cancel()
            op.timer = None
        if op.waiter is not None and not op.waiter.done():
            op.waiter.set_result(message)

    # --- messages ---------------------------------------------------------------------------
    def _on_message(self, conn, payload: bytes, t: float) -> None:
        if conn is not self.conn:
            return
        try:
            message = _decode.decode(payload)
        except msgspec.DecodeError:
            return
        kind = message.get("type")
        if kind in ("ack", "error"):
            op = self.pending.get(message.get("id"))
            if op is None:
                self.stray_replies += 1
                return
            if op.kind == "sync":
                self.syncing = False
            self._answer(op, message, t)
            return
        if kind == "snapshot":
            self.snapshot_bytes = len(payload)
            self._snapshot(message, t)
            return
        if not self.fresh:
            return  # before this connection's snapshot: the snapshot includes it
        seq = message.get("seq")
        if seq is None:
            return  # presence, menu: no seq
        if seq not in self.arrivals:
            self.arrivals[seq] = t
        if self.seq is None or seq <= self.seq:
            return
        self.buffer[seq] = message
        self._drain()
        if self.buffer and not self.syncing:
            self.syncing = True
            self.gap_syncs += 1
            self.send({"type": "sync"})

    def _drain(self) -> None:
        while self.seq + 1 in self.buffer:
            event = self.buffer.pop(self.seq + 1)
            self.seq += 1
            self._apply(event)

    def _apply(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "cart.line":
            line = event["line"]
            self.cart[line["line_id"]] = line
        elif kind == "cart.line_removed":
            self.cart.pop(event["line_id"], None)
        elif kind == "order.submitted":
            self.cart.clear()

    def _snapshot(self, snapshot: dict, t: float) -> None:
        first = not self.fresh
        self.fresh = True
        self.seq = snapshot["seq"]
        self.me = snapshot["me"]["diner_id"]
        self.session_id = snapshot["session"]["id"]
        self.table.session_id = self.session_id
        self.cart = {line["line_id"]: line for line in snapshot["cart"]}
        for s in [s for s in self.buffer if s <= self.seq]:
            del self.buffer[s]
        self.snapshot_log.append((t, self.seq))
        self.max_snapshot_seq = max(self.max_snapshot_seq, self.seq)
        self._drain()
        if not first:
            return
        self.attempt = 0
        self.connected_t.append(t)
        if not self._first.done():
            self._first.set_result(self)
        resent = []
        for op in list(self.pending.values()):
            if op.kind == "sync":
                self._answer(op, {"type": "ack", "id": op.id, "seq": self.seq}, t)
            else:
                resent.append(op)
        self._resend_paced(resent, self.generation)
        if self.on_snapshot is not None:
            self.on_snapshot(self, t, resent)


def seat(tables: list[ChaosTable], diners: int, targets: list[Target], **kw) -> list[ChaosDiner]:
    """``diners`` diners at each table (with the table's minted cookies, when it has some);
    diner i starts on server i mod n, so a table's diners are spread over the workers."""
    out = []
    for table in tables:
        for i in range(diners):
            cookie = table.cookies[i] if i < len(table.cookies) else None
            diner = ChaosDiner(table, i, list(targets), cookie=cookie, **kw)
            table.diners.append(diner)
            out.append(diner)
    return out


async def start_all(
    diners: list[ChaosDiner], *, concurrency: int = 4, timeout: float = 30, retry: bool = False
) -> dict:
    """Start the diners, ``concurrency`` at a time (the app's connect path is serialized on
    its database thread: more in flight only queue). Returns counts of failures by kind."""
    sem = asyncio.Semaphore(concurrency)
    failures: dict[str, int] = {}
    started = clock()

    async def one(diner: ChaosDiner) -> None:
        async with sem:
            try:
                await diner.start(timeout, retry=retry)
            except Exception as exc:
                name = failure_name(exc)
                failures[name] = failures.get(name, 0) + 1

    await asyncio.gather(*(one(d) for d in diners))
    return {
        "sockets": len(diners),
        "failed": sum(failures.values()),
        "failures": failures,
        "seconds": round(clock() - started, 2),
    }


class Traffic:
    """Open-loop ops at ``rate`` per second, round-robin over tables, then over each table's
    diners (those with ``sender`` True). Every op is a `cart.add` (see the module's doc)."""

    def __init__(self, tables: list[ChaosTable], dish: Dish) -> None:
        self.tables = tables
        self.dish = dish
        self.ops: list[Op] = []
        self.running = False
        self.senders: set[int] = set()  # id() of diners that send; empty: all
        self.sent_by_table: dict[int, int] = {}

    def order(self) -> list[ChaosDiner]:
        width = max((len(t.diners) for t in self.tables), default=0)
        return [t.diners[i] for i in range(width) for t in self.tables if i < len(t.diners)]

    async def run(self, rate: float, duration: float, *, until: asyncio.Event | None = None):
        """Send for ``duration`` seconds (or until ``until`` is set)."""
        order = [d for d in self.order() if not self.senders or id(d) in self.senders]
        if not order or rate <= 0:
            await asyncio.sleep(duration)
            return
        interval = 1.0 / rate
        start = clock()
        end = start + duration
        next_t = start
        i = 0
        self.running = True
        try:
            while clock() < end and not (until is not None and until.is_set()):
                now = clock()
                while next_t <= now:
                    diner = order[i % len(order)]
                    i += 1
                    next_t += interval
                    if diner.stopped or diner.closed_for_good is not None:
                        continue
                    self.ops.append(diner.add_op(self.dish))
                await asyncio.sleep(max(0.0, min(next_t, end) - clock()))
        finally:
            self.running = False

    def probe(self, tables: list[ChaosTable] | None = None, k: int = 0) -> list[Op]:
        """One op at each table (from its k-th live diner, in turn)."""
        out = []
        for table in tables or self.tables:
            live = [d for d in table.diners if not d.stopped and d.closed_for_good is None]
            if live:
                op = live[k % len(live)].add_op(self.dish)
                self.ops.append(op)
                out.append(op)
        return out

    async def drain(self, timeout: float) -> int:
        """Wait until every op is answered (at most ``timeout``); how many are not."""
        deadline = clock() + timeout
        while clock() < deadline:
            if all(op.reply is not None for op in self.ops):
                return 0
            await asyncio.sleep(0.05)
        return sum(1 for op in self.ops if op.reply is None)

    # --- figures ----------------------------------------------------------------------------
    def counts(self, ops: list[Op] | None = None) -> dict:
        ops = self.ops if ops is None else ops
        codes: dict[str, int] = {}
        for op in ops:
            if op.reply is not None and op.reply.get("type") == "error":
                code = op.reply.get("code") or "?"
                codes[code] = codes.get(code, 0) + 1
        return {
            "ops_sent": len(ops),
            "ops_acked": sum(1 for op in ops if op.acked),
            "ops_errors": sum(codes.values()),
            "error_codes": codes,
            "ops_unanswered": sum(1 for op in ops if op.reply is None),
            "ops_resent": sum(1 for op in ops if op.sends > 1),
        }

    def latencies(
        self, ops: list[Op] | None = None, *, exclude: set[int] | None = None
    ) -> tuple[list[float], int]:
        """Op sent -> the last diner of its table has its event (diners in ``exclude``, by
        id(), left out); and how many acked ops some included diner never heard."""
        values = []
        unheard = 0
        for op in self.ops if ops is None else ops:
            seq = op.seq
            if seq is None:
                continue
            last = 0.0
            for diner in op.diner.table.diners:
                if exclude and id(diner) in exclude:
                    continue
                t = diner.arrivals.get(seq)
                if t is None:
                    last = None
                    break
                last = max(last, t)
            if last is None:
                unheard += 1
            else:
                values.append(max(0.0, last - op.sent))
        return values, unheard

    def silent_losses(self) -> dict:
        """Acked ops whose event some diner of the table neither received nor got through a
        later snapshot: lost without anyone knowing. Also how many were repaired by a
        snapshot (resync or reconnect)."""
        silent = repaired = 0
        for op in self.ops:
            seq = op.seq
            if seq is None:
                continue
            for diner in op.diner.table.diners:
                if seq in diner.arrivals:
                    continue
                if diner.max_snapshot_seq >= seq:
                    repaired += 1
                else:
                    silent += 1
        return {"events_missed_then_resynced": repaired, "events_lost_silently": silent}


def latency_figures(values: list[float]) -> dict:
    return percentiles(values)
