"""`order.recall`: the kitchen takes back an order's last status move within the recall window;
the move is recorded and reaches the table and the kitchen like any status change. And the
history panel's list of the shift's served and cancelled orders."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone

from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_close, session_open
from restaurant.kitchen.models import Order, OrderMove
from restaurant.kitchen.services import order_recall, order_status_set
from restaurant.realtime.errors import OpError
from tests.dining.helpers import apply, arrive
from tests.kitchen.test_consumer import KitchenSocket, submit_order
from tests.support.people import staff_user


def sent_order(menu) -> Order:
    session_open(table=menu.table, by_staff=True)  # a round that flows (none held for staff)
    diner = arrive(menu.table)
    apply(diner, {"type": "cart.add", "id": "a", "dish_id": menu.rice.pk})
    apply(diner, {"type": "order.submit", "id": "s", "seq": DiningSession.objects.get().seq})
    return Order.objects.get()


def refused(menu, order_id: int) -> str:
    with pytest.raises(OpError) as refusal:
        order_recall(restaurant=menu.restaurant, order_id=order_id)
    return refusal.value.code


@pytest.mark.django_db
def test_the_last_move_is_taken_back_once_and_recorded(menu):
    cook = staff_user(menu.restaurant, "kitchen", username="cook")
    order = sent_order(menu)
    assert refused(menu, order.pk) == "conflict"  # nothing moved yet
    order_status_set(
        restaurant=menu.restaurant, order_id=order.pk, status="accepted", by_id=cook.pk
    )
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="ready", by_id=cook.pk)
    assert (
        order_recall(restaurant=menu.restaurant, order_id=order.pk, by_id=cook.pk).status
        == "accepted"
    )
    assert Order.objects.get().status == "accepted"
    assert refused(menu, order.pk) == "conflict"  # a recall is not recalled; the move before stays
    moves = [(m.from_status, m.to_status, m.recall, m.by_id) for m in OrderMove.objects.all()]
    assert moves == [
        ("submitted", "accepted", False, cook.pk),
        ("accepted", "ready", False, cook.pk),
        ("ready", "accepted", True, cook.pk),
    ]
    # Forward again, and that move may be taken back in its turn.
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="served")
    assert order_recall(restaurant=menu.restaurant, order_id=order.pk).status == "accepted"
    assert refused(menu, 999999) == "not_found"


@pytest.mark.django_db
def test_served_and_cancelled_come_back_within_the_window_only(menu, settings):
    order = sent_order(menu)
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="cancelled")
    assert order_recall(restaurant=menu.restaurant, order_id=order.pk).status == "submitted"
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="served")
    OrderMove.objects.filter(to_status="served").update(
        at=timezone.now() - timedelta(seconds=settings.RESTAURANT["RECALL_SECONDS"] + 1)
    )
    assert refused(menu, order.pk) == "conflict"
    assert Order.objects.get().status == "served"


@pytest.mark.django_db
def test_no_recall_once_the_meal_has_ended(menu):
    order = sent_order(menu)
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="served")
    session_close(table=menu.table)
    assert refused(menu, order.pk) == "conflict"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_recall_reaches_the_table_and_brings_a_served_order_back_to_the_board(menu):
    kitchen = await KitchenSocket.open()
    diner, order = await submit_order(menu)
    order_id = order["order_id"]
    await kitchen.op({"type": "order.set_status", "order_id": order_id, "status": "served"})
    await kitchen.recv_until("order.status")
    await diner.recv_until("order.status")
    reply = await kitchen.op({"type": "order.recall", "order_id": order_id})
    assert reply["type"] == "ack" and reply["seq"] is None
    event, _ = await diner.recv_until("order.status")
    assert (event["status"], event["recalled"]) == ("submitted", True) and event["seq"]
    seen, _ = await kitchen.recv_until("order.status")
    assert (seen["status"], seen["recalled"]) == ("submitted", True)
    assert seen["order"]["order_id"] == order_id and seen["order"]["table"]["number"] == 1
    assert seen["order"]["status"] == "submitted" and seen["order"]["items"]
    again = await kitchen.op({"type": "order.recall", "order_id": order_id})
    assert again["code"] == "conflict"
    fresh = await KitchenSocket.open()
    assert [o["order_id"] for o in fresh.snapshot["orders"]] == [order_id]
    mover = await database_sync_to_async(lambda: OrderMove.objects.last().by_id)()
    assert mover is not None
    for s in (kitchen, fresh, diner):
        await s.close()


@pytest.mark.django_db
def test_the_history_lists_the_shifts_finished_orders_for_staff_only(menu):
    order = sent_order(menu)
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="served")
    anonymous = Client().get("/kitchen/api/recent/")
    assert anonymous.status_code == 302
    staff = Client()
    staff.force_login(staff_user(menu.restaurant, "manager", username="s"))
    recent = staff.get("/kitchen/api/recent/").json()
    [served] = recent["orders"]
    assert (served["order_id"], served["status"]) == (order.pk, "served")
    assert served["table"]["number"] == 1 and served["recall_until"] and served["finished_at"]
    order_recall(restaurant=menu.restaurant, order_id=order.pk)
    assert staff.get("/kitchen/api/recent/").json()["orders"] == []
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="cancelled")
    OrderMove.objects.update(at=timezone.now() - timedelta(hours=1))
    [cancelled] = staff.get("/kitchen/api/recent/").json()["orders"]
    assert cancelled["status"] == "cancelled" and cancelled["recall_until"] is None
