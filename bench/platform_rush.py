"""W6's rush on the diners' sockets and the staff's: `PlatformLoad` is `LoadRun` over every
restaurant's tables (cart ops, measured as `LoadRun` measures them) plus each table's rounds,
the kitchens' status changes and the sold-out switches, and the bookkeeping that tells whether
each reached exactly its own restaurant (`bench.platform_load` describes the scenario).
"""

import asyncio
import random
from dataclasses import dataclass

import msgspec

from bench.loadgen import Dish, LoadRun, _fast, clock, percentiles
from bench.platform_staff import StaffSocket

_json = msgspec.json.Encoder()
_decode = msgspec.json.Decoder()
# Diner events the platform reads in full (the rest stay on LoadRun's lean path).
_WATCHED = frozenset({"order.submitted", "item.status", "order.status", "menu.dish"})


@dataclass
class PlatformSizes:
    restaurants: int = 100
    tables: int = 10
    diners: int = 4
    rate_per_diner: float = 0.05  # cart ops per second per diner
    warmup: float = 2.0
    window: float = 30.0
    round_every: tuple = (60.0, 90.0)  # s between a table's rounds (uniform)
    items_moved: int = 2  # dishes of each round the kitchen moves to cooking, then ready
    cook_seconds: tuple = (1.0, 4.0)  # cooking -> ready
    sold_out_every: float = 15.0  # s between sold-out switches, platform-wide
    sold_out_for: float = 5.0  # s before the dish is back on
    event_timeout: float = 5.0

    @classmethod
    def quick(cls) -> "PlatformSizes":
        # A kitchen socket may send 15 ops/s: 10 tables' rounds every ~3 s, an accept and
        # two moves each, stay under it.
        return cls(
            restaurants=3, warmup=0.5, window=3.0, round_every=(2.5, 4.0), items_moved=1,
            cook_seconds=(0.2, 0.6), sold_out_every=1.0, sold_out_for=0.5, event_timeout=3.0,
        )  # fmt: skip


class Place:
    """One restaurant of the platform, as seeded, with its staff sockets."""

    def __init__(self, spec: dict) -> None:
        self.slug = spec["slug"]
        self.dishes = spec["dishes"]
        self.specials = spec["specials"]
        self.dish_set = frozenset(self.dishes) | frozenset(self.specials)
        self.spec = spec
        self.kitchen: StaffSocket | None = None
        self.floor: StaffSocket | None = None

    def owns_label(self, label: str) -> bool:
        return label.rsplit(" ", 1)[0] == self.slug


class Fanout:
    """A change expected at ``need`` sockets: sent -> the last of them has it."""

    __slots__ = ("acked", "count", "done", "need", "sent")

    def __init__(self, sent: float, need: int) -> None:
        self.sent = sent
        self.need = need
        self.count = 0
        self.done: float | None = None
        self.acked = False

    def hit(self, t: float) -> None:
        self.count += 1
        if self.count >= self.need and self.done is None:
            self.done = t


class PlatformLoad(LoadRun):
    """`LoadRun` over every restaurant's tables, plus rounds, the kitchens' status changes
    and sold-outs, and the checks that nothing crosses between restaurants."""

    def __init__(self, *, places: list[Place], target, sizes: PlatformSizes, **kwargs) -> None:
        specs = [(t["number"], t["token"], t["cookies"]) for p in places for t in p.spec["tables"]]
        super().__init__(
            mode="app", targets=[target], tables=specs, diners=sizes.diners,
            event_timeout=sizes.event_timeout, **kwargs,
        )  # fmt: skip
        self.places = places
        self.sizes = sizes
        self.target = target
        self.place_of = {t["token"]: p for p in places for t in p.spec["tables"]}
        self.table_of = {t.token: t for t in self.tables}
        self.last_seq: dict[str, int] = {}  # token -> highest seq its diners heard
        self.side: dict[str, asyncio.Future] = {}  # op id of a round's op -> (reply, t)
        self.order_of_seq: dict[tuple[str, int], int] = {}  # (token, seq) -> order id
        self.owner_of: dict[int, str] = {}  # order id -> its restaurant's slug
        self.rounds: list[dict] = []  # {token, sent, seq | None, error}
        self.changes: dict[tuple, Fanout] = {}  # (kind, id, status) -> its fan-out
        self.diners_foreign = 0
        self.stale_retries = 0
        self.staff_errors: dict[str, int] = {}
        self.tasks: set[asyncio.Task] = set()
        self.rush_end = 0.0

    # --- diners -------------------------------------------------------------------------------
    def _send(self, diner, warm: bool) -> None:
        place = self.place_of[diner.table.token]
        self.dish = Dish(random.choice(place.dishes), [])
        diner.line_id, diner.qty = None, None  # always an add: LoadRun's first-op branch
        super()._send(diner, warm)

    def _on_app_fast(self, conn, payload: bytes, t: float) -> None:
        m = _fast.decode(payload)
        if m.id is not None and m.id in self.side:
            future = self.side.pop(m.id)
            if not future.done():
                future.set_result((m, t))
            return
        super()._on_app_fast(conn, payload, t)
        token = conn.user.table.token
        if m.seq is not None and m.seq > self.last_seq.get(token, 0):
            self.last_seq[token] = m.seq
        if m.type in _WATCHED:
            self._watched(conn.user, m.type, _decode.decode(payload), t)

    def _watched(self, diner, kind: str, message: dict, t: float) -> None:
        token = diner.table.token
        place = self.place_of[token]
        if kind == "order.submitted":
            order_id = message["order"]["order_id"]
            self.order_of_seq[(token, message["seq"])] = order_id
            self.owner_of[order_id] = place.slug
        elif kind == "item.status":
            change = self.changes.get(("item", message["item_id"], message["status"]))
            if change is not None:
                change.hit(t)
        elif kind == "order.status":
            change = self.changes.get(("order", message["order_id"], message["status"]))
            if change is not None:
                change.hit(t)
        elif kind == "menu.dish":
            if message["dish_id"] not in place.dish_set:
                self.diners_foreign += 1
            else:
                change = self.changes.get(("dish", message["dish_id"], message["sold_out"]))
                if change is not None:
                    change.hit(t)

    async def _side_op(self, diner, message: dict, timeout: float = 10):
        op_id = f"r{self.run_tag}-{next(self.ids)}"
        message["id"] = op_id
        future = asyncio.get_running_loop().create_future()
        self.side[op_id] = future
        diner.conn.send_bytes(_json.encode(message))
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self.side.pop(op_id, None)

    # --- rounds -------------------------------------------------------------------------------
    async def _round(self, diner) -> None:
        token = diner.table.token
        place = self.place_of[token]
        record = {"token": token, "sent": clock(), "seq": None, "error": None}
        self.rounds.append(record)
        try:
            add = {"type": "cart.add", "dish_id": random.choice(place.dishes), "options": []}
            reply, _ = await self._side_op(diner, add)
            seq = reply.seq
            for _attempt in range(4):
                if reply.type != "ack":
                    break
                record["sent"] = clock()
                reply, _ = await self._side_op(diner, {"type": "order.submit", "seq": seq})
                if reply.type == "error" and reply.code == "stale":
                    self.stale_retries += 1
                    await asyncio.sleep(0.05)
                    seq = self.last_seq.get(token, seq)
                    continue
                break
            if reply.type == "ack":
                record["seq"] = reply.seq
            else:
                record["error"] = reply.code or "?"
        except TimeoutError:
            record["error"] = "timeout"

    async def _table_rounds(self, table) -> None:
        low, high = self.sizes.round_every
        await asyncio.sleep(random.uniform(0, high))
        while clock() < self.rush_end and table.diners:
            diner = random.choice(table.diners)
            if not diner.conn.closed:
                await self._round(diner)
            await asyncio.sleep(random.uniform(low, high))

    # --- kitchens -----------------------------------------------------------------------------
    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _staff_error(self, code: str) -> None:
        self.staff_errors[code] = self.staff_errors.get(code, 0) + 1

    async def _staff_change(self, kitchen, key: tuple, need: int, message: dict) -> bool:
        """One staff op whose change every diner of a table (``need`` sockets) should get."""
        change = self.changes[key] = Fanout(clock(), need)
        try:
            reply, sent, _ = await kitchen.op(message)
        except TimeoutError:
            self._staff_error("timeout")
            return False
        change.sent = sent
        if reply.get("type") != "ack":
            self._staff_error(reply.get("code", "?"))
            del self.changes[key]
            return False
        change.acked = True
        return True

    def _on_order_new(self, kitchen: StaffSocket, message: dict) -> None:
        if clock() < self.rush_end:
            self._spawn(self._cook(kitchen, message))

    async def _cook(self, kitchen: StaffSocket, message: dict) -> None:
        order = message["order"]
        number = message["table"]["number"]
        token = next(t["token"] for t in kitchen.place.spec["tables"] if t["number"] == number)
        need = len(self.table_of[token].diners)
        if order.get("awaiting_confirmation"):
            accept = {"type": "order.set_status", "order_id": order["order_id"],
                      "status": "accepted"}  # fmt: skip
            if not await self._staff_change(
                kitchen, ("order", order["order_id"], "accepted"), need, accept
            ):
                return
        items = order["items"][: self.sizes.items_moved]
        for status in ("cooking", "ready"):
            if status == "ready":
                await asyncio.sleep(random.uniform(*self.sizes.cook_seconds))
            for item in items:
                move = {"type": "item.set_status", "item_id": item["item_id"], "status": status}
                await self._staff_change(kitchen, ("item", item["item_id"], status), need, move)

    async def _sold_outs(self) -> None:
        s = self.sizes
        while clock() + s.sold_out_every < self.rush_end:
            await asyncio.sleep(s.sold_out_every)
            self._spawn(self._switch(random.choice(self.places)))

    async def _switch(self, place: Place) -> None:
        dish_id = random.choice(place.specials)
        need = sum(len(self.table_of[t["token"]].diners) for t in place.spec["tables"]) + 1
        for sold_out in (True, False):
            if not sold_out:
                await asyncio.sleep(self.sizes.sold_out_for)
            switch = {"type": "dish.set_sold_out", "dish_id": dish_id, "sold_out": sold_out}
            if not await self._staff_change(
                place.kitchen, ("dish", dish_id, sold_out), need, switch
            ):
                return

    def _on_floor_dish(self, floor: StaffSocket, dish_id: int, sold_out, t: float) -> None:
        change = self.changes.get(("dish", dish_id, sold_out))
        if change is not None:
            change.hit(t)

    # --- the run ------------------------------------------------------------------------------
    async def open_staff(self) -> None:
        sem = asyncio.Semaphore(4)

        async def one(place: Place, role: str) -> None:
            sock = StaffSocket(
                place=place, role=role, target=self.target,
                session=place.spec[f"{role}_session"], tag=f"{self.run_tag}{role[0]}",
            )  # fmt: skip
            async with sem:
                await sock.connect()
            if role == "kitchen":
                place.kitchen = sock
                sock.on_order_new = self._on_order_new
            else:
                place.floor = sock
                sock.on_menu_dish = self._on_floor_dish

        await asyncio.gather(*(one(p, r) for p in self.places for r in ("kitchen", "floor")))

    async def rush(self, duration: float) -> None:
        """Rounds, status changes and sold-outs for ``duration`` s; then the kitchens' work
        under way is finished and the fan-outs drained (at most `event_timeout`)."""
        self.rush_end = clock() + duration
        loops = [self._table_rounds(t) for t in self.tables] + [self._sold_outs()]
        await asyncio.gather(*loops)
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=30)
        deadline = clock() + self.event_timeout
        while clock() < deadline and not self._settled():
            await asyncio.sleep(0.05)

    def _settled(self) -> bool:
        if any(c.acked and c.done is None for c in self.changes.values()):
            return False
        for r in self.rounds:
            order_id = self.order_of_seq.get((r["token"], r["seq"]))
            if r["seq"] is not None and order_id is None:
                return False
            place = self.place_of[r["token"]]
            if order_id is not None and not (
                order_id in place.kitchen.orders_seen and order_id in place.floor.orders_seen
            ):
                return False
        return True

    def figures(self) -> dict:
        timeout = self.event_timeout
        kitchen_ms, floor_ms = [], []
        kitchens_lost = floors_lost = unseen = 0
        for r in self.rounds:
            if r["seq"] is None:
                continue
            order_id = self.order_of_seq.get((r["token"], r["seq"]))
            if order_id is None:  # acked, but no diner of the table heard the round
                unseen += 1
                continue
            place = self.place_of[r["token"]]
            for sock, times, lost in (
                (place.kitchen, kitchen_ms, "k"), (place.floor, floor_ms, "f")
            ):  # fmt: skip
                at = sock.orders_seen.get(order_id)
                if at is None or at - r["sent"] > timeout:
                    if lost == "k":
                        kitchens_lost += 1
                    else:
                        floors_lost += 1
                else:
                    times.append(at - r["sent"])
        for place in self.places:
            for sock in (place.kitchen, place.floor):
                sock.check_owners(self.owner_of)
        by_kind: dict[str, list] = {"order": [], "item": [], "dish": []}
        changes_lost = {"order": 0, "item": 0, "dish": 0}
        for key, change in self.changes.items():
            if not change.acked:
                continue
            if change.done is None or change.done - change.sent > timeout:
                changes_lost[key[0]] += 1
            else:
                by_kind[key[0]].append(change.done - change.sent)
        errors: dict[str, int] = {}
        for r in self.rounds:
            if r["error"]:
                errors[r["error"]] = errors.get(r["error"], 0) + 1
        return {
            "restaurants": len(self.places),
            "rounds_sent": len(self.rounds),
            "rounds_acked": sum(1 for r in self.rounds if r["seq"] is not None),
            "round_errors": errors,
            "round_stale_retries": self.stale_retries,
            "rounds_unseen_by_diners": unseen,
            "kitchen_ms": percentiles(kitchen_ms),
            "floor_ms": percentiles(floor_ms),
            "kitchens_lost_orders": kitchens_lost,
            "floors_lost_orders": floors_lost,
            "kitchens_foreign_orders": sum(p.kitchen.foreign for p in self.places),
            "floors_foreign": sum(p.floor.foreign for p in self.places),
            "diners_foreign": self.diners_foreign,
            "foreign_examples": [
                e for p in self.places for s in (p.kitchen, p.floor) for e in s.foreign_examples
            ][:10],
            "accepts": len(by_kind["order"]),
            "accept_ms": percentiles(by_kind["order"]),
            "item_moves": len(by_kind["item"]),
            "item_status_ms": percentiles(by_kind["item"]),
            "sold_out_switches": len(by_kind["dish"]),
            "sold_out_ms": percentiles(by_kind["dish"]),
            "status_changes_lost": changes_lost,
            "staff_op_errors": dict(self.staff_errors),
        }

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for place in self.places:
            for sock in (place.kitchen, place.floor):
                if sock is not None:
                    sock.close()
        await super().close()
