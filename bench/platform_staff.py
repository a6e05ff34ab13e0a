"""W6's staff sockets: one kitchen display and one floor per restaurant, each on its
restaurant's own route (`/ws/r/<slug>/kitchen/`, `/ws/r/<slug>/floor/`) with the minted
session of a person of that role there.

Every event a staff socket hears is checked against its restaurant: an `order.new` or
`item.status` whose `table.label` (seeded as `<slug> <number>`) names another restaurant, a
`menu.dish` of a dish that is not on its menu, or (checked once the run is over, when every
round's owner is known) any order id of another restaurant's round counts as **foreign**. The
kitchen also sends the rush's staff ops (accept, a dish cooking then ready, sold out and back)
and waits for each one's `ack`.
"""

import asyncio
import contextlib
import itertools

import msgspec

from bench.loadgen import clock
from bench.wsclient import ws_connect

_json = msgspec.json.Encoder()
_decode = msgspec.json.Decoder()


class StaffSocket:
    """One staff socket of one restaurant (``role``: "kitchen" or "floor")."""

    def __init__(self, *, place, role: str, target, session: str, tag: str) -> None:
        self.place = place
        self.role = role
        self.target = target
        self.session = session
        self.tag = tag
        self.ids = itertools.count(1)
        self.conn = None
        self.snapshot: asyncio.Future | None = None
        self.replies: dict[str, asyncio.Future] = {}
        self.orders_seen: dict[int, float] = {}  # order id -> when its order.new arrived
        self.order_ids_heard: set[int] = set()  # every order id any event named
        self.foreign = 0
        self.foreign_examples: list[str] = []
        self.on_order_new = None  # the kitchen's reaction to a new round (set by the run)
        self.on_menu_dish = None  # (socket, dish_id, sold_out, t): a sold-out switch arrived

    async def connect(self, timeout: float = 15) -> None:
        self.snapshot = asyncio.get_running_loop().create_future()
        self.conn = await ws_connect(
            self.target.host, self.target.port, f"/ws/r/{self.place.slug}/{self.role}/",
            origin=self.target.origin, cookie=f"sessionid={self.session}",
            on_message=self._on_message, timeout=timeout,
        )  # fmt: skip
        first = await asyncio.wait_for(self.snapshot, timeout)
        if first.get("type") != "snapshot":
            raise RuntimeError(f"{self.role} socket of {self.place.slug} began with {first}")

    def _foreign(self, what: str) -> None:
        self.foreign += 1
        if len(self.foreign_examples) < 5:
            self.foreign_examples.append(what)

    def _on_message(self, conn, payload: bytes, t: float) -> None:
        message = _decode.decode(payload)
        kind = message.get("type")
        if self.snapshot is not None and not self.snapshot.done():
            self.snapshot.set_result(message)
            return
        if kind in ("ack", "error"):
            future = self.replies.pop(message.get("id"), None)
            if future is not None and not future.done():
                future.set_result((message, t))
            return
        table = message.get("table")
        if isinstance(table, dict) and not self.place.owns_label(table.get("label", "")):
            self._foreign(f"{kind} of table {table.get('label')!r}")
            return
        order = message.get("order")
        order_id = order.get("order_id") if isinstance(order, dict) else message.get("order_id")
        if order_id is not None:
            self.order_ids_heard.add(order_id)
        if kind == "order.new":
            self.orders_seen.setdefault(order_id, t)
            if self.on_order_new is not None:
                self.on_order_new(self, message)
        elif kind == "menu.dish":
            dish_id = message.get("dish_id")
            if dish_id not in self.place.dish_set:
                self._foreign(f"menu.dish of dish {dish_id}")
            elif self.on_menu_dish is not None:
                self.on_menu_dish(self, dish_id, message.get("sold_out"), t)

    async def op(self, message: dict, timeout: float = 10) -> tuple[dict, float, float]:
        """Send one staff op; (its reply, sent, replied) with times on `clock()`.
        TimeoutError when no reply comes in ``timeout`` s."""
        op_id = f"k{self.tag}-{next(self.ids)}"
        message["id"] = op_id
        future = asyncio.get_running_loop().create_future()
        self.replies[op_id] = future
        sent = clock()
        self.conn.send_bytes(_json.encode(message))
        try:
            reply, t = await asyncio.wait_for(future, timeout)
        finally:
            self.replies.pop(op_id, None)
        return reply, sent, t

    def check_owners(self, owner_of: dict[int, str]) -> None:
        """Once every round's restaurant is known: an order id of another's is foreign."""
        for order_id in self.order_ids_heard:
            owner = owner_of.get(order_id)
            if owner is not None and owner != self.place.slug:
                self._foreign(f"order {order_id} of {owner}")

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
