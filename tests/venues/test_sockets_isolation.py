"""Two restaurants on one deployment: nothing one does reaches the other's sockets, and no staff
socket of one can touch the other's orders, calls or dishes by id. Each test names the leak it
stops. They run on whichever channel layer the run has (the in-memory layer, and Redis in CI's
second pass), through the real routing."""

import pytest
from channels.db import database_sync_to_async

from restaurant.dining.services import session_open
from restaurant.kitchen.models import Order, WaiterCall
from restaurant.menu.models import Dish
from restaurant.venues.models import Restaurant, StaffMember
from tests.dining.sockets import DinerSocket
from tests.factories import make_menu
from tests.kitchen.sockets import FloorSocket, KitchenSocket, signed_in
from tests.support.people import staff_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def two(db):
    """Restaurants A and B, each with its menu and its tables 1 and 2."""
    return make_menu("a", name="甲馆"), make_menu("b", name="乙馆")


async def submit(menu, *, held: bool = False, table=None) -> tuple[DinerSocket, dict]:
    """A diner at ``menu``'s table 1 (or ``table``) sends a round (held for staff if
    ``held``: the meal was opened by the diner's scan)."""
    table = table or menu.table
    if not held:
        await database_sync_to_async(session_open)(table=table, by_staff=True)
    diner = await DinerSocket.join(table.token)
    await diner.op({"type": "cart.add", "dish_id": menu.rice.pk})
    seq = (await diner.op({"type": "sync"}))["seq"]
    await diner.op({"type": "order.submit", "seq": seq})
    event, _ = await diner.recv_until("order.submitted")
    return diner, event["order"]


async def staff_of(menu) -> tuple[KitchenSocket, FloorSocket]:
    return await KitchenSocket.open(menu.restaurant), await FloorSocket.open(menu.restaurant)


async def drain(*sockets) -> None:
    """Read what the set-up itself sent (a diner arriving nudges its own floor) until each
    socket is quiet, so that what comes after is what the test did."""
    for socket in sockets:
        while not await socket.silent(0.2):
            await socket.recv()


async def quiet(*sockets) -> bool:
    """Nothing at all reached any of ``sockets``."""
    return all([await socket.silent(0.3) for socket in sockets])


async def close(*sockets) -> None:
    for socket in sockets:
        await socket.close()


@database_sync_to_async
def menu_version(menu) -> int:
    return Restaurant.objects.get(pk=menu.restaurant.pk).menu_version


async def test_an_order_and_its_moves_reach_only_their_restaurants_staff(two):
    """Leak stopped: every kitchen and floor of the deployment heard every order (one global
    kitchen group)."""
    a, b = two
    a_kitchen, a_floor = await staff_of(a)
    b_kitchen, b_floor = await staff_of(b)
    b_diner = await DinerSocket.join(b.table.token)
    await drain(b_kitchen, b_floor, b_diner)
    diner, order = await submit(a)
    for socket in (a_kitchen, a_floor):
        event, _ = await socket.recv_until("order.new")
        assert event["order"]["order_id"] == order["order_id"]
    move = {"type": "order.set_status", "order_id": order["order_id"], "status": "ready"}
    assert (await a_kitchen.op(move))["type"] == "ack"
    for socket in (a_kitchen, a_floor, diner):
        await socket.recv_until("order.status")
    assert await quiet(b_kitchen, b_floor, b_diner)
    # Nor does B's snapshot show it.
    fresh = await KitchenSocket.open(b.restaurant)
    assert fresh.snapshot["orders"] == []
    await close(a_kitchen, a_floor, b_kitchen, b_floor, b_diner, diner, fresh)


async def test_a_waiter_call_and_its_answer_reach_only_their_restaurants_staff(two):
    """Leak stopped: every floor (and every kitchen showing calls) heard every table's
    waiter calls."""
    a, b = two
    await database_sync_to_async(Restaurant.objects.update)(calls_on_kitchen=True)
    a_kitchen, a_floor = await staff_of(a)
    b_kitchen, b_floor = await staff_of(b)
    diner = await DinerSocket.join(a.table.token)
    assert (await diner.op({"type": "waiter.call", "reason": "water"}))["type"] == "ack"
    for socket in (a_kitchen, a_floor):
        call, _ = await socket.recv_until("waiter.call")
    assert (await a_floor.op({"type": "waiter.done", "call_id": call["call_id"]}))["type"] == "ack"
    await a_kitchen.recv_until("waiter.done")
    assert await quiet(b_kitchen, b_floor)
    fresh = await FloorSocket.open(b.restaurant)
    assert fresh.snapshot["calls"] == []
    await close(a_kitchen, a_floor, b_kitchen, b_floor, diner, fresh)


async def test_a_cart_and_a_diner_arriving_stay_at_their_restaurant(two):
    """Leak stopped: the floor nudge of a table's change (a diner arriving, online) went to
    every restaurant's floor; a cart change must stay at its table."""
    a, b = two
    b_kitchen, b_floor = await staff_of(b)
    b_diner = await DinerSocket.join(b.table.token)
    await drain(b_kitchen, b_floor, b_diner)
    a_floor = await FloorSocket.open(a.restaurant)
    diner = await DinerSocket.join(a.table.token)
    nudge, _ = await a_floor.recv_until("floor.table")
    assert nudge["table_id"] == a.table.pk
    assert (await diner.op({"type": "cart.add", "dish_id": a.rice.pk}))["type"] == "ack"
    assert await quiet(b_kitchen, b_floor, b_diner)
    await close(b_kitchen, b_floor, b_diner, a_floor, diner)


async def test_a_diner_cannot_order_another_restaurants_dish(two):
    """Leak stopped: the menu catalog held every restaurant's dishes, so a diner at A could
    put B's dish (at B's price) in A's cart by its id."""
    a, b = two
    diner = await DinerSocket.join(a.table.token)
    reply = await diner.op({"type": "cart.add", "dish_id": b.rice.pk})
    assert (reply["code"], reply.get("detail")) == ("not_found", "dish")
    options = {"type": "cart.add", "dish_id": a.chicken.pk, "options": [b.mild.pk]}
    assert (await diner.op(options))["code"] == "bad_request"
    await diner.close()


async def test_a_sold_out_reaches_only_its_restaurants_menus(two):
    """Leak stopped: a dish marked sold out at one restaurant was announced to every open
    menu (one global menu group), and bumped every restaurant's menu version."""
    a, b = two
    a_kitchen, a_floor = await staff_of(a)
    b_kitchen, b_floor = await staff_of(b)
    a_diner, b_diner = await DinerSocket.join(a.table.token), await DinerSocket.join(b.table.token)
    b_version = await menu_version(b)
    await drain(b_kitchen, b_floor, b_diner)
    op = {"type": "dish.set_sold_out", "dish_id": a.rice.pk, "sold_out": True}
    assert (await a_kitchen.op(op))["type"] == "ack"
    for socket in (a_kitchen, a_floor, a_diner):
        event, _ = await socket.recv_until("menu.dish")
        assert (event["dish_id"], event["sold_out"]) == (a.rice.pk, True)
        assert event["version"] == await menu_version(a)
    assert await quiet(b_kitchen, b_floor, b_diner)
    assert await menu_version(b) == b_version
    await close(a_kitchen, a_floor, b_kitchen, b_floor, a_diner, b_diner)


async def test_a_menu_change_reaches_only_its_restaurants_menus(two):
    """Leak stopped: a dish added in one restaurant's admin made every restaurant's phones
    refetch (and every restaurant's catalog rebuild)."""
    a, b = two
    a_diner, b_diner = await DinerSocket.join(a.table.token), await DinerSocket.join(b.table.token)
    b_kitchen = await KitchenSocket.open(b.restaurant)
    await drain(b_diner, b_kitchen)
    a_version, b_version = await menu_version(a), await menu_version(b)

    def add_dish():
        Dish.objects.create(category=a.rice.category, name="炒饭", price=1800)

    await database_sync_to_async(add_dish)()
    event, _ = await a_diner.recv_until("menu.changed")
    assert event["version"] == a_version + 1 == await menu_version(a)
    assert await quiet(b_diner, b_kitchen)
    assert await menu_version(b) == b_version
    await close(a_diner, b_diner, b_kitchen)


@database_sync_to_async
def states(a) -> dict:
    return {
        "orders": list(Order.objects.order_by("pk").values_list("pk", "status")),
        "calls": list(WaiterCall.objects.values_list("pk", "status", "seen_at")),
        "sold_out": sorted(Dish.objects.filter(sold_out=True).values_list("pk", flat=True)),
    }


async def test_another_restaurants_staff_cannot_touch_orders_calls_or_dishes_by_id(two):
    """Leak stopped: the staff services found an order, a call or a dish by its id alone, so
    B's kitchen could move, recall, cancel or accept A's orders, answer A's calls and mark A's
    dishes sold out. Now another restaurant's id is unknown there: `not_found`, nothing
    changes, nobody hears anything."""
    a, b = two
    diner, held = await submit(a, held=True)  # a round held for staff: `accept` applies
    await diner.op({"type": "waiter.call", "reason": "bill"})
    other, moved = await submit(a, table=a.other_table)
    a_kitchen, a_floor = await staff_of(a)
    accept = {"type": "order.set_status", "order_id": moved["order_id"], "status": "accepted"}
    assert (await a_kitchen.op(accept))["type"] == "ack"  # a move to recall
    for socket in (a_kitchen, a_floor, other):
        await socket.recv_until("order.status")
    b_kitchen, b_floor = await staff_of(b)
    call_id = await database_sync_to_async(lambda: WaiterCall.objects.get().pk)()
    await drain(a_kitchen, a_floor, diner, other, b_kitchen, b_floor)
    before = await states(a)
    attempts = [
        (
            b_kitchen,
            {"type": "order.set_status", "order_id": moved["order_id"], "status": "preparing"},
        ),
        (
            b_kitchen,
            {"type": "order.set_status", "order_id": moved["order_id"], "status": "cancelled"},
        ),
        (b_floor, {"type": "order.set_status", "order_id": held["order_id"], "status": "accepted"}),
        (b_kitchen, {"type": "order.recall", "order_id": moved["order_id"]}),
        (b_kitchen, {"type": "dish.set_sold_out", "dish_id": a.rice.pk, "sold_out": True}),
        (b_floor, {"type": "waiter.seen", "call_id": call_id}),
        (b_floor, {"type": "waiter.done", "call_id": call_id}),
    ]
    for socket, op in attempts:
        reply = await socket.op(op)
        assert reply["code"] == "not_found", (op, reply)
    assert await states(a) == before
    assert await quiet(a_kitchen, a_floor, diner, other, b_kitchen, b_floor)
    # The same ops from A's own staff do apply (the refusal is the restaurant, not the op).
    ok = {"type": "order.set_status", "order_id": held["order_id"], "status": "accepted"}
    assert (await a_floor.op(ok))["type"] == "ack"
    assert (await a_kitchen.op({"type": "order.recall", "order_id": moved["order_id"]}))[
        "type"
    ] == "ack"
    await close(a_kitchen, a_floor, b_kitchen, b_floor, diner, other)


async def test_the_unprefixed_socket_of_a_person_of_several_restaurants_needs_a_pick(two):
    """Leak stopped: `/ws/kitchen/` served a person of two restaurants the first one by
    default, or (before restaurants) everything. Without a pick it is refused; with one it
    serves the picked restaurant only."""
    a, b = two

    def person():
        user = staff_user(a.restaurant, StaffMember.Role.KITCHEN, username="both")
        StaffMember.objects.create(user=user, restaurant=b.restaurant, role="kitchen")
        return user

    user = await database_sync_to_async(person)()
    no_pick = await database_sync_to_async(signed_in)(user)
    assert await KitchenSocket(no_pick).refused()
    picked_b = await database_sync_to_async(lambda: signed_in(user, picked=b.restaurant))()
    kitchen = await KitchenSocket.connect_with(picked_b)
    assert kitchen.snapshot["dishes_sold_out"] == [b.pork.pk]
    diner, _ = await submit(a)
    assert await kitchen.silent(0.3)  # A's order: not the picked restaurant's
    _, order = await submit(b)
    event, _ = await kitchen.recv_until("order.new")
    assert event["order"]["order_id"] == order["order_id"]
    # The per-restaurant form serves the one it names, whatever was picked.
    named = await KitchenSocket.connect_with(picked_b, slug="a")
    assert named.snapshot["dishes_sold_out"] == [a.pork.pk]
    await close(kitchen, named, diner)


async def test_a_restaurant_without_a_role_there_is_refused_by_name(two):
    """Leak stopped: `/ws/r/<slug>/kitchen/` must not open another restaurant's kitchen to
    staff of one (nor say whether the slug exists)."""
    a, _ = two
    cookie = await database_sync_to_async(
        lambda: signed_in(staff_user(a.restaurant, StaffMember.Role.MANAGER))
    )()
    for slug in ("b", "no-such-place"):
        assert await KitchenSocket(cookie, slug=slug).refused()
        assert await FloorSocket(cookie, slug=slug).refused()
    mine = await KitchenSocket.connect_with(cookie, slug="a")
    assert mine.snapshot["dishes_sold_out"] == [a.pork.pk]
    await mine.close()


async def test_a_socket_closes_when_its_restaurants_role_goes_and_not_for_anothers(two):
    """Leak stopped: a person removed from A kept A's kitchen open. Their role at B going
    changes nothing at A."""
    a, b = two

    def person() -> tuple[str, int]:
        user = staff_user(a.restaurant, StaffMember.Role.KITCHEN, username="cook")
        StaffMember.objects.create(user=user, restaurant=b.restaurant, role="kitchen")
        return signed_in(user), user.pk

    cookie, user_id = await database_sync_to_async(person)()
    at_a = await KitchenSocket.connect_with(cookie, slug="a")
    at_b = await KitchenSocket.connect_with(cookie, slug="b")
    await database_sync_to_async(
        lambda: StaffMember.objects.get(user_id=user_id, restaurant=b.restaurant).delete()
    )()
    assert await at_b.communicator.receive_output(3) == {"type": "websocket.close", "code": 4403}
    assert await at_a.silent(0.3)
    assert (await at_a.op({"type": "sync"}))["type"] == "ack"
    await close(at_a, at_b)
