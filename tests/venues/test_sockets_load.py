"""Two restaurants' kitchens under load: every diner at every table of both sends rounds and
calls at once, and each kitchen display receives exactly its own restaurant's orders (all of
them, none of the other's), each floor exactly its own calls. Leak stopped: one kitchen group
for the deployment (under load as when idle), and any cross-talk a busy layer might add."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from restaurant.dining.services import session_open
from restaurant.kitchen.models import Order, WaiterCall
from restaurant.tables.models import Table
from restaurant.tables.services import tables_add
from tests.dining.sockets import DinerSocket
from tests.factories import make_menu
from tests.kitchen.sockets import FloorSocket, KitchenSocket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

TABLES = 20  # per restaurant
ROUNDS = 2  # per table


def restaurants():
    menus = [make_menu("a", name="甲馆"), make_menu("b", name="乙馆")]
    for menu in menus:
        tables_add(restaurant=menu.restaurant, count=TABLES - 2)  # make_menu made 1 and 2
        for table in Table.objects.filter(restaurant=menu.restaurant):
            session_open(table=table, by_staff=True)  # rounds flow: none held for staff
        menu.tokens = list(
            Table.objects.filter(restaurant=menu.restaurant).values_list("token", flat=True)
        )
    return menus


async def dine(diner: DinerSocket, menu) -> None:
    """Rounds of two dishes, then a waiter call: 4 ops a round and one more."""
    for _ in range(ROUNDS):
        await diner.op({"type": "cart.add", "dish_id": menu.rice.pk})
        options = [menu.mild.pk]
        await diner.op({"type": "cart.add", "dish_id": menu.chicken.pk, "options": options})
        seq = (await diner.op({"type": "sync"}))["seq"]
        reply = await diner.op({"type": "order.submit", "seq": seq})
        assert reply["type"] == "ack", reply
    assert (await diner.op({"type": "waiter.call", "reason": "bill"}))["type"] == "ack"


async def collect(socket, kind: str, key: str, count: int) -> set[int]:
    """``count`` events of ``kind`` (by ``key``), waiting for each; other types skipped."""
    seen: set[int] = set()
    while len(seen) < count:
        event, _ = await socket.recv_until(kind, timeout=60)
        seen.add(event[key]["order_id"] if kind == "order.new" else event[key])
    return seen


async def test_two_kitchens_under_load_each_receive_exactly_their_own_orders():
    a, b = await database_sync_to_async(restaurants)()
    kitchens = {m.restaurant.pk: await KitchenSocket.open(m.restaurant) for m in (a, b)}
    floors = {m.restaurant.pk: await FloorSocket.open(m.restaurant) for m in (a, b)}
    diners = {
        m.restaurant.pk: [await DinerSocket.join(token) for token in m.tokens] for m in (a, b)
    }
    # Everyone at once: 2 × 20 tables, (4 × 2 + 1) ops each.
    await asyncio.gather(*(dine(diner, m) for m in (a, b) for diner in diners[m.restaurant.pk]))
    for menu in (a, b):
        rid = menu.restaurant.pk
        orders = await database_sync_to_async(
            lambda rid=rid: set(
                Order.objects.filter(restaurant_id=rid).values_list("pk", flat=True)
            )
        )()
        calls = await database_sync_to_async(
            lambda rid=rid: set(
                WaiterCall.objects.filter(restaurant_id=rid).values_list("pk", flat=True)
            )
        )()
        assert len(orders) == TABLES * ROUNDS and len(calls) == TABLES
        got = await collect(kitchens[rid], "order.new", "order", TABLES * ROUNDS)
        assert got == orders
        assert await collect(floors[rid], "waiter.call", "call_id", TABLES) == calls
    # And nothing after: no other restaurant's order or call came on top of its own.
    for socket in (*kitchens.values(), *floors.values()):
        while not await socket.silent(0.3):
            event = await socket.recv()
            assert event["type"] not in ("order.new", "waiter.call"), event
    for socket in (*kitchens.values(), *floors.values(), *diners[a.restaurant.pk],
                   *diners[b.restaurant.pk]):  # fmt: skip
        await socket.close()
