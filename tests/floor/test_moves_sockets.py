"""Phones follow their meal over their sockets when staff move, join or split tables, and end
where a fresh connect would; staff screens start again from a snapshot."""

import pytest
from channels.db import database_sync_to_async

from restaurant.dining.models import DiningSession
from restaurant.tables.models import Table
from tests.dining.sockets import DinerSocket
from tests.kitchen.sockets import FloorSocket, KitchenSocket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def add_table(restaurant, number: int) -> Table:
    return Table.objects.create(restaurant=restaurant, number=number, label=f"{number}号桌")


@database_sync_to_async
def meal_at(table: Table) -> DiningSession | None:
    return DiningSession.objects.filter(table=table, status="open").first()


@database_sync_to_async
def last_join_id() -> int:
    from restaurant.dining.models import MealTransfer

    return MealTransfer.objects.filter(kind="join").latest("pk").pk


async def synced(socket: DinerSocket) -> dict:
    """The socket's own snapshot now (`sync`)."""
    await socket.send({"type": "sync"})
    snapshot, _ = await socket.recv_until("snapshot")
    return snapshot


async def fresh(token: str, cookie: str) -> tuple[DinerSocket, dict]:
    """A new socket of the same browser on ``token``: what a reload shows."""
    socket = DinerSocket(token, cookie)
    connected, code = await socket.communicator.connect()
    assert connected, code
    snapshot = await socket.recv()
    assert snapshot["type"] == "snapshot"
    return socket, snapshot


def same_state(a: dict, b: dict) -> None:
    """Two snapshots show the same meal (``me`` and presence aside: whose phone it is)."""
    for snap in (a, b):
        snap.pop("me")
        for diner in snap["diners"]:
            diner.pop("online")
    assert a == b


async def test_phones_follow_a_move_and_converge(menu):
    third = await add_table(menu.restaurant, 3)
    ann = await DiningSocketPair.at(menu.table.token)
    staff = await FloorSocket.open(menu.restaurant, "waiter")
    kitchen = await KitchenSocket.open(menu.restaurant, "kitchen")
    await ann.one.send({"type": "cart.add", "dish_id": menu.rice.pk, "qty": 2})
    await ann.one.recv_until("ack")
    seq = (await synced(ann.two))["seq"]

    reply = await staff.op({"type": "table.move", "table": 1, "to": 3})
    assert reply["type"] == "ack", reply
    for phone in (ann.one, ann.two):
        moved, _ = await phone.recv_until("session.moved")
        assert moved["seq"] == seq + 1
        assert moved["table"] == {"number": 3, "label": "3号桌"}
        assert moved["token"] == third.token
        snapshot, _ = await phone.recv_until("snapshot")
        assert snapshot["table"]["number"] == 3 and snapshot["seq"] == seq + 1
        assert [line["qty"] for line in snapshot["cart"]] == [2]  # the cart came along
        # A page that missed the event (a gap) learns the new address from its snapshot.
        assert snapshot["token"] == third.token
    resync, _ = await staff.recv_until("snapshot")  # unasked: orders show their table
    assert resync["type"] == "snapshot"
    await kitchen.recv_until("snapshot")

    # A reload with the new table's token is the same meal; the old one's is refused.
    reloaded, snapshot = await fresh(third.token, ann.one.cookie)
    same_state(await synced(ann.one), snapshot)
    old = DinerSocket(menu.table.token, ann.one.cookie)
    connected, _ = await old.communicator.connect()
    assert not connected
    # The followers hear the new table's events: an op of the reloaded socket reaches them.
    await reloaded.send({"type": "cart.add", "dish_id": menu.rice.pk})
    line, _ = await ann.two.recv_until("cart.line")
    assert line["line"]["qty"] == 3
    assert (await meal_at(third)).seq == line["seq"]


class DiningSocketPair:
    """Two phones of two people at one table."""

    @classmethod
    async def at(cls, token: str) -> "DiningSocketPair":
        pair = cls()
        pair.one = await DinerSocket.join(token)
        pair.two = await DinerSocket.join(token)
        await pair.one.recv_until("presence")  # the second one coming online
        return pair


async def test_phones_of_both_tables_converge_after_a_join_and_a_split(menu):
    ann = await DinerSocket.join(menu.table.token)
    bob = await DinerSocket.join(menu.other_table.token)
    staff = await FloorSocket.open(menu.restaurant, "manager")
    await ann.send({"type": "cart.add", "dish_id": menu.rice.pk})
    await ann.recv_until("ack")
    bob_seq = (await synced(bob))["seq"]
    ann_seq = (await synced(ann))["seq"]

    assert (await staff.op({"type": "table.join", "table": 1, "into": 2}))["type"] == "ack"
    moved, _ = await ann.recv_until("session.moved")
    assert moved["joined"] is True and moved["seq"] == ann_seq + 1
    assert moved["token"] == menu.other_table.token and moved["table"]["number"] == 2
    joined, _ = await bob.recv_until("session.joined")
    assert joined["seq"] == bob_seq + 1 and joined["from"]["number"] == 1
    ann_snap, _ = await ann.recv_until("snapshot")
    bob_snap, _ = await bob.recv_until("snapshot")
    assert {d["diner_id"] for d in ann_snap["diners"]} == {ann.diner_id, bob.diner_id}
    same_state(ann_snap, bob_snap)
    # One table now: a change of either reaches both, in seq order.
    await bob.send({"type": "cart.add", "dish_id": menu.rice.pk, "note": "bob"})
    seen, _ = await ann.recv_until("cart.line")
    assert seen["by"] == bob.diner_id and seen["seq"] == bob_snap["seq"] + 1
    reloaded, snapshot = await fresh(menu.other_table.token, ann.cookie)
    same_state(await synced(bob), snapshot)
    await reloaded.close()

    # Split back: Ann's phone returns to table 1 with her line, Bob's stays.
    reply = await staff.op({"type": "table.split", "transfer_id": await last_join_id()})
    assert reply["type"] == "ack", reply
    back, _ = await ann.recv_until("session.moved")
    assert back["split"] is True and back["token"] == menu.table.token
    ann_snap, _ = await ann.recv_until("snapshot")
    assert ann_snap["table"]["number"] == 1
    assert [d["diner_id"] for d in ann_snap["diners"]] == [ann.diner_id]
    assert [line["added_by"] for line in ann_snap["cart"]] == [ann.diner_id]
    split, _ = await bob.recv_until("session.split")
    assert split["to"]["number"] == 1
    bob_snap, _ = await bob.recv_until("snapshot")
    assert [d["diner_id"] for d in bob_snap["diners"]] == [bob.diner_id]
    _, snapshot = await fresh(menu.table.token, ann.cookie)
    same_state(await synced(ann), snapshot)


async def test_a_refused_move_changes_nothing_on_the_phones(menu):
    ann = await DinerSocket.join(menu.table.token)
    await DinerSocket.join(menu.other_table.token)
    staff = await FloorSocket.open(menu.restaurant, "waiter")
    reply = await staff.op({"type": "table.move", "table": 1, "to": 2})
    assert (reply["type"], reply["code"], reply.get("detail")) == ("error", "conflict", "occupied")
    assert await ann.silent()
    cook = await KitchenSocket.open(menu.restaurant, "kitchen")
    reply = await cook.op({"type": "table.move", "table": 1, "to": 3})
    assert (reply["type"], reply["code"]) == ("error", "forbidden")


async def test_a_resent_move_is_acknowledged_again_and_moves_once(menu):
    third = await add_table(menu.restaurant, 3)
    ann = await DinerSocket.join(menu.table.token)
    staff = await FloorSocket.open(menu.restaurant, "waiter")
    message = {"type": "table.move", "id": "move-1", "table": 1, "to": 3}
    assert (await staff.op(dict(message)))["type"] == "ack"
    moved, _ = await ann.recv_until("session.moved")
    await ann.recv_until("snapshot")
    again = await staff.op(dict(message))  # a reconnect resends it: the same ack, nothing else
    assert again["type"] == "ack", again
    assert await ann.silent()
    assert (await meal_at(menu.table)) is None
    assert (await meal_at(third)).seq == moved["seq"]  # moved once
