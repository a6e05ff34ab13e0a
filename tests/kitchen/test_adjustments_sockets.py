"""Taking a dish back or giving it free on the staff sockets (`item.adjust`, `adjust.decide`):
every board and phone sees the round's new dishes at once (`order.items`, with `seq` at the
table), the bill follows, managers see what waits for them, a resent op is applied once."""

import pytest
from channels.db import database_sync_to_async

from restaurant.kitchen.models import AdjustReason, ItemAdjustment, OrderItem
from restaurant.venues.models import Restaurant
from tests.kitchen.sockets import FloorSocket, KitchenSocket
from tests.kitchen.test_consumer import submit_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@database_sync_to_async
def reasons_and_three(menu, item_id: int, *, approval: bool = False):
    """The restaurant's reasons; the sent dish ``item_id`` made 3 (as a cart of 3 sends it)."""
    Restaurant.objects.filter(pk=menu.restaurant.pk).update(adjust_needs_approval=approval)
    wrong = AdjustReason.objects.create(restaurant=menu.restaurant, name="上错菜",
                                        name_en="Wrong dish")  # fmt: skip
    regular = AdjustReason.objects.create(restaurant=menu.restaurant, name="老顾客",
                                          for_void=False, for_comp=True)  # fmt: skip
    OrderItem.objects.filter(pk=item_id).update(qty=3)
    return wrong, regular


async def until_after(socket, op_id: str, kind: str) -> dict:
    """The first ``kind`` event, whether it came before the op's ack or after."""
    reply, before = await socket.reply(op_id)
    assert reply["type"] == "ack", reply
    for event in before:
        if event["type"] == kind:
            return event
    event, _ = await socket.recv_until(kind)
    return event


async def test_a_part_taken_back_reaches_every_phone_and_board_with_the_bill(menu):
    floor = await FloorSocket.open()
    diner, order = await submit_order(menu)
    (item,) = order["items"]
    wrong, _ = await reasons_and_three(menu, item["item_id"])
    kitchen = await KitchenSocket.open()
    assert kitchen.snapshot["adjust_reasons"] == [
        {"id": wrong.pk, "name": "上错菜", "name_en": "Wrong dish", "for_void": True,
         "for_comp": False},
        {"id": wrong.pk + 1, "name": "老顾客", "name_en": "", "for_void": False,
         "for_comp": True},
    ]  # fmt: skip
    assert kitchen.snapshot["adjustments_pending"] == []
    op = {"type": "item.adjust", "id": "adj-1", "item_id": item["item_id"], "kind": "void",
          "qty": 2, "reason_id": wrong.pk}  # fmt: skip
    event = await until_after(kitchen, await kitchen.send(dict(op)), "order.items")
    items = event["order"]["items"]
    assert [(i["qty"], i["status"], i["split_from"]) for i in items] == [
        (1, "queued", None),
        (2, "voided", item["item_id"]),
    ]
    assert event["table"] == {"number": 1, "label": "1号桌"}
    price = item["price"]
    assert event["order"]["total"] == price
    seen, _ = await diner.recv_until("order.items")
    assert seen["seq"] and seen["order"]["items"] == items
    assert seen["order"]["total"] == price
    applied, _ = await floor.recv_until("adjust.applied")
    assert applied["adjustment"]["qty"] == 2 and applied["adjustment"]["reason"] == (
        "上错菜 Wrong dish"
    )
    # The same op sent again (a reconnect): acknowledged, applied once.
    again = await kitchen.op(dict(op))
    assert again["type"] == "ack"
    assert await database_sync_to_async(ItemAdjustment.objects.count)() == 1
    # More than is left: refused, nothing changed.
    refused = await kitchen.op({**op, "id": "adj-2", "qty": 2})
    assert refused["type"] == "error" and refused["code"] == "bad_request"
    zero = await kitchen.op({**op, "id": "adj-3", "qty": 0})
    assert zero["type"] == "error" and zero["code"] == "bad_request"
    for socket in (kitchen, floor, diner):
        await socket.close()


async def test_a_waiters_comp_waits_for_the_manager(menu):
    diner, order = await submit_order(menu)
    (item,) = order["items"]
    _, regular = await reasons_and_three(menu, item["item_id"], approval=True)
    manager = await FloorSocket.open()
    waiter = await FloorSocket.open(role="waiter")
    cook = await KitchenSocket.open(role="kitchen")
    refused = await cook.op({"type": "item.adjust", "item_id": item["item_id"], "kind": "comp",
                             "qty": 1, "reason_id": regular.pk})  # fmt: skip
    assert refused["type"] == "error" and refused["code"] == "forbidden"
    sent = await waiter.send({"type": "item.adjust", "item_id": item["item_id"], "kind": "comp",
                              "qty": 1, "reason_id": regular.pk})  # fmt: skip
    reply, _ = await waiter.reply(sent)
    assert reply["type"] == "ack"
    pending, _ = await manager.recv_until("adjust.pending")
    adjustment = pending["adjustment"]
    assert (adjustment["kind"], adjustment["qty"], adjustment["state"]) == ("comp", 1, "pending")
    later = await FloorSocket.open()
    assert [a["adjustment_id"] for a in later.snapshot["adjustments_pending"]] == [
        adjustment["adjustment_id"]
    ]
    # Nothing changed for the table meanwhile; a waiter may not decide.
    no = await waiter.op({"type": "adjust.decide", "adjustment_id": adjustment["adjustment_id"],
                          "approve": True})  # fmt: skip
    assert no["type"] == "error" and no["code"] == "forbidden"
    decide = await manager.send({"type": "adjust.decide",
                                 "adjustment_id": adjustment["adjustment_id"],
                                 "approve": True})  # fmt: skip
    decided = await until_after(manager, decide, "adjust.decided")
    assert decided["adjustment"]["state"] == "applied"
    seen, _ = await diner.recv_until("order.items")
    comped = [i for i in seen["order"]["items"] if i["comped"]]
    assert [(i["qty"], i["split_from"]) for i in comped] == [(1, item["item_id"])]
    assert seen["order"]["total"] == 2 * item["price"]
    for socket in (manager, waiter, cook, later, diner):
        await socket.close()
