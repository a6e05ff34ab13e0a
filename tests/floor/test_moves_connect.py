"""A socket that connects while staff move its meal (the move commits after the socket found
its table, before it joined that table's group: the move's `table.moved` goes by unheard)
listens where the meal is, as a fresh connect would, and its snapshot names the new table."""

import threading

import pytest
from channels.db import database_sync_to_async
from django.db import connections

from restaurant.dining import consumers
from restaurant.floor import moves
from restaurant.floor import waiter as waiter_socket
from restaurant.tables.models import Table
from tests.dining.sockets import DinerSocket, table_page_cookie
from tests.floor.sockets import WaiterSocket
from tests.kitchen.sockets import staff_cookie

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def elsewhere(call) -> None:
    """``call`` on its own thread and connection, as a staff socket in another process."""

    def run():
        try:
            call()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(20)


def moved_right_after(module, name: str, menu, monkeypatch) -> None:
    """The meal of table 1 moves to table 3 right after ``module.name`` (the socket's lookup
    of its meal) answers, once."""
    real, done = getattr(module, name), []

    def then_move(**kwargs):
        found = real(**kwargs)
        if not done:
            done.append(True)
            elsewhere(lambda: moves.meal_move(restaurant=menu.restaurant, table_number=1,
                                              to_number=3, by_id=None))  # fmt: skip
        return found

    monkeypatch.setattr(module, name, then_move)


async def test_a_phone_connecting_while_its_meal_moves_listens_at_the_new_table(menu, monkeypatch):
    third = await database_sync_to_async(Table.objects.create)(
        restaurant=menu.restaurant, number=3, label="3号桌"
    )
    cookie = await table_page_cookie(menu.table.token)
    bob = await DinerSocket.join(menu.table.token)
    moved_right_after(consumers, "diner_for_socket", menu, monkeypatch)
    ann = DinerSocket(menu.table.token, cookie)
    connected, _ = await ann.communicator.connect()
    assert connected
    snapshot = await ann.recv()
    assert snapshot["table"]["number"] == 3 and snapshot["token"] == third.token
    await bob.recv_until("snapshot")  # bob followed the move
    await bob.op({"type": "cart.add", "dish_id": menu.rice.pk})
    heard, _ = await ann.recv_until("cart.line")
    assert heard["by"] == bob.diner_id
    await ann.close()
    await bob.close()


async def test_a_waiter_connecting_while_the_meal_moves_listens_at_the_new_table(menu, monkeypatch):
    await database_sync_to_async(Table.objects.create)(
        restaurant=menu.restaurant, number=3, label="3号桌"
    )
    phone = await DinerSocket.join(menu.table.token)
    cookie = await staff_cookie(menu.restaurant, "waiter")
    moved_right_after(waiter_socket, "staff_diner_for", menu, monkeypatch)
    waiter = await WaiterSocket.at(cookie, number=1)
    assert waiter.snapshot["table"]["number"] == 3
    await phone.recv_until("snapshot")
    await phone.op({"type": "cart.add", "dish_id": menu.rice.pk})
    heard, _ = await waiter.recv_until("cart.line")
    assert heard["by"] == phone.diner_id
    await waiter.close()
    await phone.close()


async def test_a_move_message_that_arrives_after_the_socket_followed_the_meal_changes_nothing(
    menu, monkeypatch
):
    """The move's `table.moved` crosses the layer to the old table's group, and can reach a
    socket that joined that group after the move committed and has already followed its meal
    to the new table from its snapshot: the late message must not take it out of its table's
    group (it did: it joined the group it was in, then left it)."""
    from channels.layers import get_channel_layer

    from restaurant.realtime import broadcast, groups

    third = await database_sync_to_async(Table.objects.create)(
        restaurant=menu.restaurant, number=3, label="3号桌"
    )
    ann = await DinerSocket.join(menu.table.token)
    bob = await DinerSocket.join(menu.table.token)
    moved = []
    real_send = broadcast.send_now

    def keep(group, message):
        if message["type"] == "table.moved":
            moved.append(message)
        real_send(group, message)

    monkeypatch.setattr(broadcast, "send_now", keep)
    await database_sync_to_async(moves.meal_move)(
        restaurant=menu.restaurant, table_number=1, to_number=3, by_id=None
    )
    for socket in (ann, bob):
        snapshot, _ = await socket.recv_until("snapshot")
        assert snapshot["table"]["number"] == 3
    # The same message again, as it would reach a socket that already followed the meal.
    (message,) = moved
    group = groups.table_group(third.pk)
    await get_channel_layer().group_send(group, {**message, "group": group})
    await ann.recv_until("snapshot")  # it handled the late message
    await bob.op({"type": "cart.add", "dish_id": menu.rice.pk})
    heard, _ = await ann.recv_until("cart.line")
    assert heard["by"] == bob.diner_id
    await ann.close()
    await bob.close()
