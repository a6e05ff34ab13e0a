"""The waiter's socket (代客下单): a waiter orders for a table on its shared cart, as a staff
diner, with the diners' ops, idempotency and seq; who may connect, and to which table."""

import pytest
from channels.db import database_sync_to_async

from restaurant.dining.models import AppliedOp, CartLine, Diner, DiningSession
from restaurant.kitchen.models import Order
from restaurant.venues.models import StaffMember
from tests.dining.sockets import DinerSocket
from tests.factories import make_menu
from tests.floor.sockets import WaiterSocket
from tests.kitchen.sockets import staff_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

WAITER = StaffMember.Role.WAITER
CLOSED_4403 = {"type": "websocket.close", "code": 4403}


def _count(model, **filters) -> int:
    return model.objects.filter(**filters).count()


count = database_sync_to_async(_count)


async def waiter(menu, role=WAITER, *, number: int = 1) -> WaiterSocket:
    return await WaiterSocket.at(await staff_cookie(menu.restaurant, role), number=number)


async def test_a_phone_and_the_waiter_share_the_cart(menu):
    phone = await DinerSocket.join(menu.table.token)
    socket = await waiter(menu)
    me = next(d for d in socket.snapshot["diners"] if d["diner_id"] == socket.diner_id)
    assert me["staff"] is True and me["online"] is False
    assert all("staff" not in d for d in socket.snapshot["diners"] if d is not me)
    # The phone sees the waiter arrive, marked as staff, with its seq.
    arrived, _ = await phone.recv_until("diner")
    assert arrived["diner"] == me and arrived["seq"] == socket.snapshot["seq"]

    reply, _ = await socket.reply(
        await socket.send({"type": "cart.add", "dish_id": menu.rice.pk, "qty": 2, "note": "快"})
    )
    assert reply["type"] == "ack" and reply["seq"] == arrived["seq"] + 1
    line, _ = await phone.recv_until("cart.line")
    assert line["seq"] == reply["seq"] and line["by"] == socket.diner_id
    assert line["line"]["added_by"] == socket.diner_id and line["line"]["qty"] == 2
    own, _ = await socket.recv_until("cart.line")  # the waiter hears its own change too
    assert own == line

    # The phone's own line reaches the waiter, in seq order.
    mine = await phone.op({"type": "cart.add", "dish_id": menu.chicken.pk,
                           "options": [menu.mild.pk]})  # fmt: skip
    heard, _ = await socket.recv_until("cart.line")
    assert heard["by"] == phone.diner_id and heard["seq"] == mine["seq"] == reply["seq"] + 1
    # Presence is the phones': the waiter never comes online.
    assert await count(Diner, pk=socket.diner_id, connections__isnull=False) == 0
    await socket.close()
    await phone.close()


async def test_a_resent_op_is_acknowledged_again_and_applied_once(menu):
    socket = await waiter(menu)
    add = {"id": "same-op", "type": "cart.add", "dish_id": menu.rice.pk}
    first = await socket.op(dict(add))
    await socket.recv_until("cart.line")
    again = await socket.op(dict(add))
    assert again == first
    assert await socket.silent()
    assert await count(CartLine, added_by_id=socket.diner_id) == 1
    # A new socket of the same person is the same staff diner: the resend is known there too.
    other = await WaiterSocket.at(socket.cookie)
    assert other.diner_id == socket.diner_id
    assert await other.op(dict(add)) == first
    assert await count(CartLine, added_by_id=socket.diner_id) == 1
    await other.close()
    await socket.close()


async def test_the_waiters_first_round_is_not_held(menu):
    phone = await DinerSocket.join(menu.table.token)  # the phone's scan opened the meal
    socket = await waiter(menu)
    await socket.op({"type": "cart.add", "dish_id": menu.chicken.pk, "options": [menu.hot.pk]})
    reply, before = await socket.reply(await socket.send({"type": "sync"}))
    seq = reply["seq"]
    snapshot = before[-1]  # the snapshot comes before the ack
    assert snapshot["type"] == "snapshot" and snapshot["seq"] == seq and len(snapshot["cart"]) == 1
    sent = await socket.op({"type": "order.submit", "seq": seq})
    event, _ = await phone.recv_until("order.submitted")
    assert event["seq"] == sent["seq"] and event["by"] == socket.diner_id
    assert event["order"]["awaiting_confirmation"] is False

    def rounds():
        return list(Order.objects.values_list("submitted_by_id", "awaiting_confirmation"))

    assert await database_sync_to_async(rounds)() == [(socket.diner_id, False)]
    await socket.close()
    await phone.close()


async def test_a_table_with_no_phones_is_opened_by_the_socket(menu):
    assert await count(DiningSession, table=menu.table) == 0
    socket = await waiter(menu)
    session = await database_sync_to_async(DiningSession.objects.get)(table=menu.table)
    assert session.status == "open" and session.opened_by_staff
    assert socket.snapshot["session"] == {"id": session.pk, "status": "open"}
    assert [d["diner_id"] for d in socket.snapshot["diners"]] == [socket.diner_id]
    await socket.op({"type": "cart.add", "dish_id": menu.rice.pk})
    seq = (await socket.op({"type": "sync"}))["seq"]
    assert (await socket.op({"type": "order.submit", "seq": seq}))["type"] == "ack"
    assert await count(Order, session=session, awaiting_confirmation=False) == 1
    await socket.close()


async def test_staff_ops_go_through_the_staff_socket_rules(menu):
    socket = await waiter(menu)
    reply = await socket.op({"type": "dish.set_sold_out", "dish_id": menu.rice.pk,
                             "sold_out": True})  # fmt: skip
    assert reply["type"] == "ack"
    event, _ = await socket.recv_until("menu.dish")
    assert event["dish_id"] == menu.rice.pk and event["sold_out"] is True
    await socket.close()


async def test_a_kitchen_role_is_refused_at_the_handshake(menu):
    cook = await staff_cookie(menu.restaurant, StaffMember.Role.KITCHEN)
    assert await WaiterSocket(cook).refused()
    assert await WaiterSocket(None).refused()
    assert await count(DiningSession) == 0


async def test_another_restaurants_waiter_is_refused(menu):
    other = await database_sync_to_async(make_menu)("other", "别家")
    theirs = await staff_cookie(other.restaurant, WAITER)
    assert await WaiterSocket(theirs, slug=menu.restaurant.slug).refused()
    # Their own restaurant has table 1 too: it is that one they get, never ours.
    socket = await WaiterSocket.at(theirs, slug="other")
    assert socket.snapshot["session"]["id"] != 0
    assert await count(DiningSession, table=menu.table) == 0
    await socket.close()
    # A table number the restaurant does not have: refused too.
    ours = await staff_cookie(menu.restaurant, WAITER)
    assert await WaiterSocket(ours, number=99).refused()


async def test_a_bad_op_changes_nothing(menu):
    socket = await waiter(menu)
    seq = socket.snapshot["seq"]
    missing = await socket.op({"type": "cart.add", "dish_id": 987654})
    assert missing["type"] == "error" and missing["code"] in ("not_found", "bad_request")
    price = await socket.op({"type": "cart.add", "dish_id": menu.rice.pk, "price": 1})
    assert price["code"] == "bad_request"
    unknown = await socket.op({"type": "diner.rename", "name": "Boss"})
    assert unknown["code"] == "unknown_type"
    assert (await socket.op({"type": "sync"}))["seq"] == seq
    assert await count(CartLine) == 0
    await socket.close()


async def test_a_role_taken_down_while_connected_is_forbidden_and_closed(menu):
    socket = await waiter(menu)

    def make_cook():  # an update, no signal: only the next op finds out
        StaffMember.objects.update(role=StaffMember.Role.KITCHEN)

    await database_sync_to_async(make_cook)()
    reply = await socket.op({"type": "cart.add", "dish_id": menu.rice.pk})
    assert reply["code"] == "forbidden"
    assert await socket.communicator.receive_output(3) == CLOSED_4403
    assert await count(CartLine) == 0
    assert await count(AppliedOp) == 0
    await socket.close()


async def test_the_meal_closing_closes_the_socket_with_4000(menu):
    socket = await waiter(menu)

    def close():
        from restaurant.dining.services import session_close

        session_close(table=menu.table)

    await database_sync_to_async(close)()
    closed, _ = await socket.recv_until("session.closed")
    assert closed["type"] == "session.closed"
    assert await socket.communicator.receive_output(3) == {"type": "websocket.close", "code": 4000}


async def test_a_full_table_still_takes_its_waiter(menu, settings):
    settings.RESTAURANT = {**settings.RESTAURANT, "MAX_DINERS_PER_MEAL": 1}
    phone = await DinerSocket.join(menu.table.token)
    socket = await waiter(menu)
    assert len(socket.snapshot["diners"]) == 2
    await socket.close()
    await phone.close()


async def test_two_people_of_one_name_are_told_apart(menu):
    def two_lis():
        from restaurant.dining.staff_diners import staff_diner_for
        from tests.support.people import staff_user

        first = staff_user(menu.restaurant, WAITER, first_name="Li")
        second = staff_user(menu.restaurant, WAITER, first_name="li")
        return [staff_diner_for(table=menu.table, user=u) for u in (first, second, first)]

    first, second, again = await database_sync_to_async(two_lis)()
    assert (first.name, second.name) == ("服务员 Li", "服务员 li 2")
    assert again.pk == first.pk and first.color == second.color
    session = await database_sync_to_async(DiningSession.objects.get)(table=menu.table)
    assert session.diners_joined == 0  # no "Guest N" number taken


async def test_the_waiter_follows_a_moved_meal_with_the_phones(menu):
    from restaurant.floor.moves import meal_move

    phone = await DinerSocket.join(menu.table.token)
    socket = await waiter(menu)
    await phone.recv_until("diner")
    await database_sync_to_async(meal_move)(
        restaurant=menu.restaurant, table_number=1, to_number=2, by_id=None
    )
    moved, _ = await socket.recv_until("session.moved")
    assert moved["table"]["number"] == 2
    snapshot, _ = await socket.recv_until("snapshot")
    assert snapshot["table"]["number"] == 2 and snapshot["me"]["diner_id"] == socket.diner_id
    await phone.recv_until("session.moved")
    # Both now hear the meal at table 2: the waiter's line reaches the phone.
    reply, _ = await socket.reply(await socket.send({"type": "cart.add", "dish_id": menu.rice.pk}))
    line, _ = await phone.recv_until("cart.line")
    assert line["seq"] == reply["seq"] and line["by"] == socket.diner_id
    await socket.close()
    await phone.close()


async def test_the_waiter_sets_the_meals_guests_and_note_for_phones_and_kitchen(menu):
    from tests.kitchen.sockets import StaffSocket

    phone = await DinerSocket.join(menu.table.token)
    kitchen = await StaffSocket.connect_with(await staff_cookie(menu.restaurant, "kitchen"))
    socket = await waiter(menu)
    reply, _ = await socket.reply(await socket.send({"type": "meal.set", "guests": 4,
                                                      "note": "一位小朋友"}))  # fmt: skip
    assert reply["type"] == "ack"
    meal, _ = await phone.recv_until("meal")
    assert (meal["seq"], meal["guests"], meal["note"]) == (reply["seq"], 4, "一位小朋友")
    changed, _ = await kitchen.recv_until("meal.changed")
    assert changed["table"]["number"] == 1 and changed["guests"] == 4
    for s in (socket, kitchen, phone):
        await s.close()
