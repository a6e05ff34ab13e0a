"""What one diner (or one table) can do to the others: flood control per diner and per
table, not only per socket; a bounded number of open waiter calls however the reasons are
worded; no name that passes for someone else's."""

import asyncio
import time

import pytest
from channels.db import database_sync_to_async

from restaurant.kitchen.models import WaiterCall
from tests.dining.sockets import DinerSocket, table_page_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def flood(sockets: list[DinerSocket], per_socket: int) -> tuple[int, int, float]:
    """Every socket sends ``per_socket`` cheap messages (unknown type: no database) at once;
    returns (answered, rate_limited, seconds from the first send to the last reply)."""
    started = time.monotonic()

    async def one(socket: DinerSocket, n: int) -> list[dict]:
        for i in range(per_socket):
            await socket.send({"type": "nope", "id": f"f{n}-{i}"})
        return [await socket.recv() for _ in range(per_socket)]

    replies = [r for rs in await asyncio.gather(*(one(s, n) for n, s in enumerate(sockets)))
               for r in rs]  # fmt: skip
    elapsed = time.monotonic() - started
    limited = sum(1 for r in replies if r.get("code") == "rate_limited")
    return len(replies) - limited, limited, elapsed


async def another_socket(diner: DinerSocket) -> DinerSocket:
    """One more socket of the same browser (the diner is online already: no presence)."""
    socket = DinerSocket(diner.communicator.scope["path"].split("/")[3], diner.cookie)
    assert (await socket.communicator.connect())[0]
    socket.snapshot = await socket.recv()
    return socket


async def test_one_diners_sockets_share_one_allowance(menu, settings):
    settings.RESTAURANT = {**settings.RESTAURANT, "RATE_PER_SECOND": 5.0, "RATE_BURST": 20}
    first = await DinerSocket.join(menu.table.token)
    sockets = [first] + [await another_socket(first) for _ in range(4)]
    assert {s.snapshot["me"]["diner_id"] for s in sockets} == {first.diner_id}
    for socket in sockets:  # drain the others' presence noise
        while not await socket.silent(0.05):
            await socket.recv()
    answered, limited, elapsed = await flood(sockets, per_socket=19)  # each within its own burst
    assert limited > 0
    assert answered <= 20 + 5 * elapsed + 1, (answered, elapsed)  # one diner's bucket
    for socket in sockets:
        await socket.close()


async def test_a_table_of_invented_diners_shares_one_allowance(menu, settings):
    settings.RESTAURANT = {**settings.RESTAURANT, "TABLE_RATE_PER_SECOND": 5.0,
                           "TABLE_RATE_BURST": 30}  # fmt: skip
    sockets = [await DinerSocket.join(menu.table.token) for _ in range(4)]
    assert len({s.diner_id for s in sockets}) == 4
    for socket in sockets:
        while not await socket.silent(0.05):
            await socket.recv()
    answered, limited, elapsed = await flood(sockets, per_socket=25)  # each within its burst
    assert limited > 0
    assert answered <= 30 + 5 * elapsed + 1, (answered, elapsed)
    # another table is not affected
    elsewhere = await DinerSocket.join(menu.other_table.token)
    assert (await elsewhere.op({"type": "sync"}))["type"] == "ack"
    for socket in [*sockets, elsewhere]:
        await socket.close()


@database_sync_to_async
def open_calls(table) -> list[str]:
    calls = WaiterCall.objects.filter(table=table, status="open")
    return sorted(calls.values_list("reason", flat=True))


async def test_free_text_calls_open_one_call_however_worded(menu):
    diner = await DinerSocket.join(menu.table.token)
    for i in range(10):
        reply = await diner.op({"type": "waiter.call", "reason": f"please come {i}"})
        assert reply["type"] == "ack"
    for reason in ("water", "water", "bill"):
        assert (await diner.op({"type": "waiter.call", "reason": reason}))["type"] == "ack"
    assert await open_calls(menu.table) == ["bill", "please come 0", "water"]
    await diner.close()


@pytest.mark.parametrize(
    "name, code",
    [
        ("Alice", "conflict"),
        ("ALICE", "conflict"),
        ("Ａｌｉｃｅ", "conflict"),  # fullwidth letters: the same name to the eye
        (" alice ", "conflict"),
        ("\u202eecilA", "bad_request"),  # right-to-left override
        ("Al\u200bice", "bad_request"),  # zero-width space
        ("Bob\u2066", "bad_request"),  # bidi isolate
    ],
)
async def test_no_name_passes_for_another_diners(menu, name, code):
    alice = await DinerSocket.join(menu.table.token)
    bob = await DinerSocket.join(menu.table.token)
    assert (await alice.op({"type": "diner.rename", "name": "Alice"}))["type"] == "ack"
    reply = await bob.op({"type": "diner.rename", "name": name})
    assert reply["type"] == "error" and reply["code"] == code, reply
    await alice.close()
    await bob.close()


async def test_emoji_sequences_are_names(menu):
    diner = await DinerSocket.join(menu.table.token)
    for name in ("👨‍👩‍👧", "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Fiona", "小王 ❤️"):
        reply = await diner.op({"type": "diner.rename", "name": name})
        assert reply["type"] == "ack", (name, reply)
    await diner.close()


async def test_a_newcomer_never_gets_a_name_someone_took(menu):
    first = await DinerSocket.join(menu.table.token)
    assert (await first.op({"type": "diner.rename", "name": "guest 2"}))["type"] == "ack"
    cookie = await table_page_cookie(menu.table.token)
    second = await DinerSocket.join(menu.table.token, cookie)
    names = {d["name"] for d in second.snapshot["diners"]}
    assert names == {"guest 2", "Guest 3"}
    await first.close()
    await second.close()


@pytest.mark.parametrize("text", ["\u202eeciffo eht ta yaP", "two\u200bwords", "mark\u2066"])
async def test_notes_and_call_words_refuse_invisible_characters(menu, text):
    """What the floor and the kitchen read from a diner: no text that turns itself around."""
    diner = await DinerSocket.join(menu.table.token)
    add = {"type": "cart.add", "dish_id": menu.rice.pk, "note": text}
    for op in (add, {"type": "waiter.call", "reason": text}):
        reply = await diner.op(op)
        assert reply["type"] == "error" and reply["code"] == "bad_request", reply
    assert (await diner.op({**add, "note": "少放辣 🌶️"}))["type"] == "ack"
    assert await open_calls(menu.table) == []
    await diner.close()
