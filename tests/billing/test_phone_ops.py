"""The phone's split ops on the table socket (the real routing: Origin, session cookie, URL
router): `item.claim` and `item.share`, with every phone of the table told `check.changed`,
a claim race decided once, and a paid share's dishes locked."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from restaurant.billing.models import ItemOwner
from restaurant.dining.models import Diner
from restaurant.dining.services import session_open
from restaurant.kitchen.models import OrderItem
from tests.billing.phone import pay, send
from tests.dining.sockets import DinerSocket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@database_sync_to_async
def _open(table) -> None:
    session_open(table=table, by_staff=True)


@database_sync_to_async
def _send(menu, diner_id: int, *dishes) -> list[int]:
    """The diner sends a round of ``dishes``; the new items' ids."""
    before = set(OrderItem.objects.values_list("pk", flat=True))
    send(menu, Diner.objects.get(pk=diner_id), *dishes)
    return sorted(set(OrderItem.objects.values_list("pk", flat=True)) - before)


@database_sync_to_async
def _owners(item_id: int) -> list[int]:
    return sorted(ItemOwner.objects.filter(item_id=item_id).values_list("diner_id", flat=True))


async def _table(menu, n: int) -> list[DinerSocket]:
    await _open(menu.table)
    return [await DinerSocket.join(menu.table.token) for _ in range(n)]


async def _close(*sockets) -> None:
    for s in sockets:
        await s.close()


async def _changed(socket: DinerSocket) -> dict:
    event, _ = await socket.recv_until("check.changed")
    return event


async def test_a_claim_moves_the_dish_and_every_phone_hears_it(menu):
    a, b = await _table(menu, 2)
    elsewhere = await DinerSocket.join(menu.other_table.token)
    [item] = await _send(menu, a.diner_id, menu.chicken)
    reply = await b.op({"type": "item.claim", "item_id": item, "mine": True})
    assert reply["type"] == "ack"
    assert await _owners(item) == [b.diner_id]
    event = await _changed(a)
    assert event == {"type": "check.changed", "session_id": a.snapshot["session"]["id"]}
    await _changed(b)
    # not another table's business
    while not await elsewhere.silent(0.3):
        assert (await elsewhere.recv())["type"] != "check.changed"
    await _close(a, b, elsewhere)


async def test_two_phones_claim_one_dish_at_once_one_wins(menu):
    a, b, c = await _table(menu, 3)
    [item] = await _send(menu, a.diner_id, menu.chicken)
    ids = [await s.send({"type": "item.claim", "item_id": item, "mine": True}) for s in (b, c)]
    replies = await asyncio.gather(b.reply(ids[0]), c.reply(ids[1]))
    kinds = sorted(r["type"] for r, _ in replies)
    assert kinds == ["ack", "error"]
    (won, _), (lost, _) = sorted(replies, key=lambda r: r[0]["type"])
    winner = b if won is replies[0][0] else c
    assert lost["code"] == "conflict" and lost["detail"] == "claimed"
    assert lost["diner_id"] == winner.diner_id
    assert await _owners(item) == [winner.diner_id]
    await _changed(a)
    await _close(a, b, c)


async def test_letting_go_and_sharing(menu):
    a, b = await _table(menu, 2)
    [item] = await _send(menu, a.diner_id, menu.chicken)
    shared = {"type": "item.share", "item_id": item, "diner_ids": [a.diner_id, b.diner_id]}
    assert (await a.op(shared))["type"] == "ack"
    assert await _owners(item) == sorted([a.diner_id, b.diner_id])
    await _changed(b)
    # b lets go of their half: back to who added it, a (no claim left)
    assert (await b.op({"type": "item.claim", "item_id": item, "mine": False}))["type"] == "ack"
    assert await _owners(item) == []
    await _changed(a)
    # b claims it; a may not take it back until b lets go
    assert (await b.op({"type": "item.claim", "item_id": item, "mine": True}))["type"] == "ack"
    refused = await a.op({"type": "item.claim", "item_id": item, "mine": True})
    assert (refused["code"], refused["detail"], refused["diner_id"]) == (
        "conflict", "claimed", b.diner_id)  # fmt: skip
    assert (await b.op({"type": "item.claim", "item_id": item, "mine": False}))["type"] == "ack"
    assert (await a.op({"type": "item.claim", "item_id": item, "mine": True}))["type"] == "ack"
    assert await _owners(item) == []
    await _close(a, b)


async def test_a_paid_share_locks_its_dishes(menu):
    a, b = await _table(menu, 2)
    [item] = await _send(menu, a.diner_id, menu.chicken)
    await _send(menu, b.diner_id, menu.rice)
    await database_sync_to_async(pay)(menu, a.snapshot["session"]["id"], f"diner:{a.diner_id}")
    await _changed(b)  # the payment is news to the phones too
    refused = await b.op({"type": "item.claim", "item_id": item, "mine": True})
    assert (refused["type"], refused["code"], refused["detail"]) == ("error", "conflict", "paid")
    share = {"type": "item.share", "item_id": item, "diner_ids": [a.diner_id, b.diner_id]}
    refused = await a.op(share)
    assert (refused["code"], refused["detail"]) == ("conflict", "paid")
    assert await _owners(item) == []
    await _close(a, b)


async def test_a_resent_claim_is_applied_once(menu):
    a, b = await _table(menu, 2)
    [item] = await _send(menu, a.diner_id, menu.chicken)
    claim = {"type": "item.claim", "id": "claim-1", "item_id": item, "mine": True}
    first = await b.op(dict(claim))
    await _changed(a)
    assert await b.op(dict(claim)) == first
    while not await a.silent(0.3):
        assert (await a.recv())["type"] != "check.changed"
    await _close(a, b)
