"""A round staff cancel says why, when they say: the table gets the reason with the status
change and finds it on the order afterwards; a recall back from cancelled forgets it."""

import pytest

from tests.dining.sockets import DinerSocket
from tests.kitchen.test_consumer import KitchenSocket, submit_order

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_table_hears_why_its_round_was_cancelled(menu):
    kitchen = await KitchenSocket.open()
    diner, order = await submit_order(menu)
    assert order["cancel_reason"] == ""
    reply = await kitchen.op({"type": "order.set_status", "order_id": order["order_id"],
                              "status": "cancelled", "reason": "  Out of  chicken "})  # fmt: skip
    assert reply["type"] == "ack"
    event, _ = await diner.recv_until("order.status")
    assert (event["status"], event["reason"]) == ("cancelled", "Out of chicken")
    later = await DinerSocket.join(menu.table.token)
    assert later.snapshot["orders"][0]["cancel_reason"] == "Out of chicken"

    await kitchen.op({"type": "order.recall", "order_id": order["order_id"]})
    event, _ = await diner.recv_until("order.status")
    assert event["status"] == "submitted" and "reason" not in event
    op_id = await later.send({"type": "sync"})
    snapshot, _ = await later.recv_until("snapshot")
    await later.reply(op_id)
    assert snapshot["orders"][0]["cancel_reason"] == ""

    # Without a reason, the event has none; a reason on another move is not kept.
    await kitchen.op({"type": "order.set_status", "order_id": order["order_id"],
                      "status": "ready", "reason": "why not"})  # fmt: skip
    event, _ = await diner.recv_until("order.status")
    assert event["status"] == "ready" and "reason" not in event
    await kitchen.op({"type": "order.set_status", "order_id": order["order_id"],
                      "status": "cancelled"})  # fmt: skip
    event, _ = await diner.recv_until("order.status")
    assert event["status"] == "cancelled" and "reason" not in event
    for socket in (kitchen, diner, later):
        await socket.close()
