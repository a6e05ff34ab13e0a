"""The kitchen socket: staff only, the snapshot, status moves, sold out, waiter calls, and
that each change reaches the table."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model

from restaurant.dining.services import session_open
from restaurant.kitchen.models import Order
from tests.dining.sockets import DinerSocket
from tests.kitchen.sockets import FloorSocket, KitchenSocket, new_staff_cookie, signed_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

__all__ = ["FloorSocket", "KitchenSocket", "login_cookie", "submit_order"]


@database_sync_to_async
def login_cookie(*, staff: bool) -> str:
    """A signed-in person: with a role (a manager) at the only restaurant, or with none."""
    if staff:
        return new_staff_cookie()
    User = get_user_model()
    return signed_in(User.objects.create_user(f"u{User.objects.count()}", password="x" * 16))


async def refused(cookie, headers=None):
    assert await KitchenSocket(cookie, headers).refused()


async def test_anonymous_and_diners_and_people_without_a_role_are_refused(menu):
    await refused(None)
    await refused(await login_cookie(staff=False))
    diner = await DinerSocket.join(menu.table.token)
    await refused(diner.cookie)
    await diner.close()


@pytest.mark.parametrize("origin", [None, b"null", b"http://evil.example"])
async def test_foreign_origin_is_refused(menu, origin):
    cookie = await login_cookie(staff=True)
    headers = [] if origin is None else [(b"origin", origin)]
    await refused(cookie, headers)


async def submit_order(menu, *, held: bool = False) -> tuple[DinerSocket, dict]:
    """A diner sends a round. Unless ``held``, staff opened the table from the floor first, so
    the round flows as any; the first round of a meal a diner's scan opened waits for staff."""
    if not held:
        await database_sync_to_async(session_open)(table=menu.table, by_staff=True)
    diner = await DinerSocket.join(menu.table.token)
    await diner.op({"type": "cart.add", "dish_id": menu.chicken.pk, "options": [menu.mild.pk],
                    "note": "少油"})  # fmt: skip
    seq = (await diner.op({"type": "sync"}))["seq"]
    await diner.op({"type": "order.submit", "seq": seq})
    event, _ = await diner.recv_until("order.submitted")
    return diner, event["order"]


async def test_snapshot_and_new_orders(menu):
    kitchen = await KitchenSocket.open()
    snapshot = {
        key: kitchen.snapshot[key]
        for key in ("type", "orders", "calls", "dishes_sold_out", "stations", "my_station_id")
    }
    assert snapshot == {"type": "snapshot", "orders": [], "calls": [],
                        "dishes_sold_out": [menu.pork.pk], "stations": [],
                        "my_station_id": None}  # fmt: skip
    diner, order = await submit_order(menu)
    event, _ = await kitchen.recv_until("order.new")
    # The kitchen's copy is the table's, with the meal's guests and note (人数, 整单备注).
    meal = event["order"].pop("meal")
    assert meal == {"session_id": diner.snapshot["session"]["id"], "guests": None, "note": ""}
    assert event["order"] == order and event["table"] == {"number": 1, "label": "1号桌"}
    item = event["order"]["items"][0]
    assert (item["name"], item["note"], item["option_names"]) == ("宫保鸡丁", "少油", ["微辣"])
    again = await KitchenSocket.open()
    assert [o["order_id"] for o in again.snapshot["orders"]] == [order["order_id"]]
    assert again.snapshot["orders"][0]["table"]["number"] == 1
    for s in (kitchen, again, diner):
        await s.close()


async def test_status_moves_reach_the_table(menu):
    kitchen = await KitchenSocket.open()
    diner, order = await submit_order(menu)
    order_id = order["order_id"]
    reply = await kitchen.op({"type": "order.set_status", "order_id": order_id, "status": "ready"})
    assert reply["type"] == "ack" and reply["seq"] is None
    event, _ = await diner.recv_until("order.status")
    assert (event["order_id"], event["status"]) == (order_id, "ready") and event["seq"]
    seen, _ = await kitchen.recv_until("order.status")
    (item,) = seen.pop("items")  # its one dish moved with it
    assert (item["item_id"], item["status"]) == (order["items"][0]["item_id"], "ready")
    assert seen == {"type": "order.status", "order_id": order_id, "status": "ready",
                    "awaiting_confirmation": False}  # fmt: skip
    back = await kitchen.op({"type": "order.set_status", "order_id": order_id,
                             "status": "accepted"})  # fmt: skip
    assert back["code"] == "conflict"
    bad = await kitchen.op({"type": "order.set_status", "order_id": order_id, "status": "eaten"})
    assert bad["code"] == "bad_request"
    missing = await kitchen.op({"type": "order.set_status", "order_id": 999999,
                                "status": "ready"})  # fmt: skip
    assert missing["code"] == "not_found"
    assert await diner.silent()
    assert (await database_sync_to_async(Order.objects.get)()).status == "ready"
    await kitchen.close()
    await diner.close()


async def test_a_held_first_round_waits_for_staff_to_accept_it(menu):
    kitchen = await KitchenSocket.open()
    diner, order = await submit_order(menu, held=True)
    assert (order["status"], order["awaiting_confirmation"]) == ("submitted", True)
    new, _ = await kitchen.recv_until("order.new")
    assert new["order"]["awaiting_confirmation"] is True
    again = await KitchenSocket.open()
    assert again.snapshot["orders"][0]["awaiting_confirmation"] is True
    order_id = order["order_id"]
    for status in ("preparing", "ready", "served"):
        refused = await kitchen.op({"type": "order.set_status", "order_id": order_id,
                                    "status": status})  # fmt: skip
        assert refused["code"] == "conflict"
    assert await diner.silent()
    reply = await kitchen.op({"type": "order.set_status", "order_id": order_id,
                              "status": "accepted"})  # fmt: skip
    assert reply["type"] == "ack"
    for socket in (diner, kitchen):
        event, _ = await socket.recv_until("order.status")
        assert (event["status"], event["awaiting_confirmation"]) == ("accepted", False)
    for s in (kitchen, again, diner):
        await s.close()


async def test_a_resent_staff_op_is_applied_once(menu):
    kitchen = await KitchenSocket.open()
    diner, order = await submit_order(menu)
    message = {"type": "order.set_status", "id": "k1", "order_id": order["order_id"],
               "status": "accepted"}  # fmt: skip
    first = await kitchen.op(dict(message))
    again = await kitchen.op(dict(message, status="ready"))
    assert first == again == {"type": "ack", "id": "k1", "seq": None}
    assert (await database_sync_to_async(Order.objects.get)()).status == "accepted"
    await kitchen.close()
    await diner.close()


async def test_diners_cannot_move_orders(menu):
    diner, order = await submit_order(menu)
    reply = await diner.op({"type": "order.set_status", "order_id": order["order_id"],
                            "status": "served"})  # fmt: skip
    assert reply["code"] == "unknown_type"
    await diner.close()


async def test_sold_out_from_the_kitchen_reaches_every_table(menu):
    kitchen = await KitchenSocket.open()
    a = await DinerSocket.join(menu.table.token)
    b = await DinerSocket.join(menu.other_table.token)
    reply = await kitchen.op({"type": "dish.set_sold_out", "dish_id": menu.rice.pk,
                              "sold_out": True})  # fmt: skip
    assert reply["type"] == "ack"
    for socket in (a, b, kitchen):
        event, _ = await socket.recv_until("menu.dish")
        assert (event["dish_id"], event["sold_out"]) == (menu.rice.pk, True)
    refused_add = await a.op({"type": "cart.add", "dish_id": menu.rice.pk})
    assert refused_add["code"] == "sold_out"
    for socket in (kitchen, a, b):
        await socket.close()


async def test_waiter_calls(menu):
    kitchen = await FloorSocket.open()
    diner = await DinerSocket.join(menu.table.token)
    await diner.op({"type": "waiter.call", "reason": "water"})
    call, _ = await kitchen.recv_until("waiter.call")
    assert call["table"]["number"] == 1 and call["reason"] == "water" and call["at"]
    await diner.op({"type": "waiter.call", "reason": "water"})  # still open: nothing new
    reply = await kitchen.op({"type": "waiter.done", "call_id": call["call_id"]})
    assert reply["type"] == "ack"
    done, skipped = await kitchen.recv_until("waiter.done")
    assert done["call_id"] == call["call_id"]
    assert not [m for m in skipped if m["type"] == "waiter.call"]
    fresh = await FloorSocket.open()
    assert fresh.snapshot["calls"] == []
    for socket in (kitchen, fresh, diner):
        await socket.close()
