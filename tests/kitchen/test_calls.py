"""A waiter call's state (sent, seen, done) belongs to the whole table: every phone there sees
it change live and finds it in its snapshot. Staff mark it seen and done from the floor (its
socket always hears calls) or the kitchen socket; the kitchen socket hears calls only where
the restaurant shows them on the kitchen display."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from restaurant.venues.models import Restaurant
from tests.dining.sockets import DinerSocket
from tests.kitchen.sockets import staff_cookie
from tests.kitchen.test_consumer import FloorSocket, KitchenSocket, login_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def calls_on_kitchen(on: bool) -> None:
    Restaurant.objects.update(calls_on_kitchen=on)


async def heard(socket) -> list[str]:
    """The types of what ``socket`` got until it went quiet."""
    types = []
    while not await socket.silent():
        types.append((await socket.recv())["type"])
    return types


async def two_diners(menu):
    a = await DinerSocket.join(menu.table.token)
    b = await DinerSocket.join(menu.table.token)
    await a.recv_until("presence")
    return a, b


async def test_the_whole_table_follows_a_call_from_sent_to_seen_to_done(menu):
    a, b = await two_diners(menu)
    floor = await FloorSocket.open()
    reply = await a.op({"type": "waiter.call", "reason": "water"})
    assert reply["type"] == "ack"
    for socket in (a, b):
        event, _ = await socket.recv_until("waiter.call")
        assert event["seq"] == reply["seq"] and event["by"] == a.diner_id
        call = event["call"]
        assert (call["reason"], call["state"], call["by"]) == ("water", "sent", a.diner_id)
        assert call["seen_at"] is None and call["done_at"] is None
    staff_call, _ = await floor.recv_until("waiter.call")
    assert staff_call["call_id"] == call["call_id"] and staff_call["seen_at"] is None

    # Calling again while it is open adds nothing: no event for anyone.
    assert (await b.op({"type": "waiter.call", "reason": "water"}))["type"] == "ack"
    assert await a.silent()

    # A newcomer (or a phone back from a reconnect) finds the call in its snapshot.
    c = await DinerSocket.join(menu.table.token)
    assert [x["state"] for x in c.snapshot["calls"]] == ["sent"]

    assert (await floor.op({"type": "waiter.seen", "call_id": call["call_id"]}))["type"] == "ack"
    seen, _ = await floor.recv_until("waiter.seen")
    assert seen["call_id"] == call["call_id"] and seen["at"]
    for socket in (a, b, c):
        event, _ = await socket.recv_until("waiter.seen")
        assert event["call"]["state"] == "seen" and event["call"]["seen_at"]
    # Seen twice is once.
    assert (await floor.op({"type": "waiter.seen", "call_id": call["call_id"]}))["type"] == "ack"
    assert await b.silent()

    assert (await floor.op({"type": "waiter.done", "call_id": call["call_id"]}))["type"] == "ack"
    for socket in (a, b, c):
        event, _ = await socket.recv_until("waiter.done")
        assert event["call"]["state"] == "done" and event["call"]["done_at"]
    op_id = await b.send({"type": "sync"})
    snapshot, _ = await b.recv_until("snapshot")
    assert [x["state"] for x in snapshot["calls"]] == ["done"]
    await b.reply(op_id)
    for socket in (a, b, c, floor):
        await socket.close()


async def test_calls_stay_off_the_kitchen_display_unless_the_restaurant_shows_them(menu):
    kitchen = await KitchenSocket.open()
    floor = await FloorSocket.open()
    diner = await DinerSocket.join(menu.table.token)
    await diner.op({"type": "waiter.call", "reason": "bill"})
    call, _ = await floor.recv_until("waiter.call")
    assert not [kind for kind in await heard(kitchen) if kind.startswith("waiter.")]
    fresh = await KitchenSocket.open()
    assert fresh.snapshot["calls"] == []  # the field stays; the kitchen's list is empty
    await floor.op({"type": "waiter.seen", "call_id": call["call_id"]})
    await floor.recv_until("waiter.seen")
    assert not [kind for kind in await heard(kitchen) if kind.startswith("waiter.")]
    for socket in (kitchen, fresh):
        await socket.close()

    await calls_on_kitchen(True)
    shown = await KitchenSocket.open()
    assert [c["call_id"] for c in shown.snapshot["calls"]] == [call["call_id"]]
    assert shown.snapshot["calls"][0]["seen_at"]
    # The kitchen answers it with its own op, as before.
    assert (await shown.op({"type": "waiter.done", "call_id": call["call_id"]}))["type"] == "ack"
    done, _ = await shown.recv_until("waiter.done")
    assert done == {"type": "waiter.done", "call_id": call["call_id"]}
    await floor.recv_until("waiter.done")
    await diner.recv_until("waiter.done")
    for socket in (shown, floor, diner):
        await socket.close()


async def test_the_kitchen_sync_follows_the_setting_too(menu):
    diner = await DinerSocket.join(menu.table.token)
    await diner.op({"type": "waiter.call", "reason": "service"})
    kitchen = await KitchenSocket.open()
    op_id = await kitchen.send({"type": "sync"})
    snapshot, _ = await kitchen.recv_until("snapshot")
    assert snapshot["calls"] == []
    reply, _ = await kitchen.reply(op_id)
    assert reply["type"] == "ack"
    floor = await FloorSocket.open()
    op_id = await floor.send({"type": "sync"})
    snapshot, _ = await floor.recv_until("snapshot")
    assert [c["reason"] for c in snapshot["calls"]] == ["service"]
    for socket in (diner, kitchen, floor):
        await socket.close()


async def test_the_floor_socket_is_for_staff_with_a_role_that_sees_the_floor(menu):
    socket = FloorSocket(await login_cookie(staff=False))
    connected, _ = await socket.communicator.connect()
    assert not connected
    socket = FloorSocket(None)
    connected, _ = await socket.communicator.connect()
    assert not connected
    # A cook works here, but the floor is not the kitchen's (restaurant/venues/roles.py).
    assert await FloorSocket(await staff_cookie(menu.restaurant, "kitchen")).refused()


async def test_an_unknown_call_is_not_found_and_names_no_id(menu):
    floor = await FloorSocket.open()
    reply = await floor.op({"type": "waiter.seen", "call_id": 987654})
    assert reply["code"] == "not_found" and "987654" not in reply["message"]
    await floor.close()


def test_the_kitchen_page_says_whether_it_shows_calls(menu):
    from tests.support.people import staff_user

    user = staff_user(menu.restaurant, "manager", username="boss")
    client = Client()
    client.force_login(user)
    for on in (False, True):
        Restaurant.objects.update(calls_on_kitchen=on)
        page = client.get("/kitchen/")
        assert page.status_code == 200
        config = page.content.decode().split('id="kitchen-config">', 1)[1].split("</script>")[0]
        assert f'"calls_on_kitchen": {"true" if on else "false"}' in config
