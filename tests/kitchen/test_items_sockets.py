"""Dishes on the sockets: a station's cook moves a dish and every phone at the table sees it
(with `seq`), a diner's nudge reaches the kitchen and floor, a cook kept to a station is
told so in the snapshot and refused another station's dish."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from restaurant.kitchen.models import OrderItem
from restaurant.venues.models import StaffMember, Station
from tests.kitchen.sockets import FloorSocket, KitchenSocket, signed_in
from tests.kitchen.test_consumer import submit_order
from tests.support.people import staff_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@database_sync_to_async
def stations_and_cold_cook(menu) -> tuple[Station, Station, str]:
    hot = Station.objects.create(restaurant=menu.restaurant, code="hot", name="热菜")
    cold = Station.objects.create(restaurant=menu.restaurant, code="cold", name="凉菜")
    menu.chicken.category.station = hot
    menu.chicken.category.save()
    cook = staff_user(menu.restaurant, "kitchen", username="cold-cook")
    StaffMember.objects.filter(user=cook).update(station=cold)
    return hot, cold, signed_in(cook)


async def test_a_dish_moved_on_a_board_reaches_every_phone_and_board(menu):
    hot, cold, cold_cook = await stations_and_cold_cook(menu)
    kitchen = await KitchenSocket.open()
    assert [s["code"] for s in kitchen.snapshot["stations"]] == ["hot", "cold"]
    assert kitchen.snapshot["my_station_id"] is None
    cook = await KitchenSocket.connect_with(cold_cook)
    assert cook.snapshot["my_station_id"] == cold.pk
    diner, order = await submit_order(menu)
    (item,) = order["items"]
    assert (item["station_id"], item["status"]) == (hot.pk, "queued")
    # The cold station's cook may not touch the hot wok's dish; nothing moves.
    refused = await cook.op({"type": "item.set_status", "item_id": item["item_id"],
                             "status": "cooking"})  # fmt: skip
    assert refused["type"] == "error" and refused["code"] == "forbidden"
    reply = await kitchen.op({"type": "item.set_status", "item_id": item["item_id"],
                              "status": "cooking"})  # fmt: skip
    assert reply["type"] == "ack"
    event, _ = await diner.recv_until("item.status")
    assert event["seq"] and (event["item_id"], event["status"]) == (item["item_id"], "cooking")
    assert event["order_status"] == "preparing"
    status, _ = await diner.recv_until("order.status")
    assert status["status"] == "preparing"
    seen, _ = await kitchen.recv_until("item.status")
    assert seen["table"] == {"number": 1, "label": "1号桌"} and seen["station_id"] == hot.pk
    assert event["order_total"] == order["total"]
    # Taken back: the phone follows.
    await kitchen.op({"type": "item.recall", "item_id": item["item_id"]})
    event, _ = await diner.recv_until("item.status")
    assert (event["status"], event.get("recalled")) == ("queued", True)
    for socket in (kitchen, cook, diner):
        await socket.close()


async def test_a_nudge_reaches_the_kitchen_and_the_floor_naming_the_dish(menu):
    floor = await FloorSocket.open()
    kitchen = await KitchenSocket.open()
    diner, order = await submit_order(menu)
    (item,) = order["items"]
    early = await diner.op({"type": "item.nudge", "item_id": item["item_id"]})
    assert early["type"] == "error" and early["code"] == "too_early" and early["seconds"] > 0
    await database_sync_to_async(OrderItem.objects.filter(pk=item["item_id"]).update)(
        target_at=timezone.now() - timedelta(minutes=10)
    )
    reply = await diner.op({"type": "item.nudge", "item_id": item["item_id"]})
    assert reply["type"] == "ack"
    nudged, _ = await diner.recv_until("item.nudged")
    assert nudged["item_id"] == item["item_id"] and nudged["nudges"] == 1
    for staff in (kitchen, floor):
        event, _ = await staff.recv_until("item.nudge")
        assert (event["name"], event["qty"], event["table"]["number"]) == ("宫保鸡丁", 1, 1)
        assert event["dish_id"] == menu.chicken.pk  # its name in the page's language
        assert 600 <= event["late_seconds"] < 700
    again = await diner.op({"type": "item.nudge", "item_id": item["item_id"]})
    assert again["type"] == "error" and again["code"] == "cooldown"
    for socket in (kitchen, floor, diner):
        await socket.close()
