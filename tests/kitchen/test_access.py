"""A kitchen socket lives only as long as its staff access: logout, deactivation, the role at
its restaurant taken away or changed to one that may not see the kitchen, a password change,
or the session deleted or expired close it with 4403, and it hears nothing more."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from restaurant.kitchen.services import order_status_set
from restaurant.realtime import liveness
from restaurant.venues.models import Restaurant, StaffMember
from tests.kitchen.test_consumer import KitchenSocket, submit_order
from tests.support import people

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

CLOSED_4403 = {"type": "websocket.close", "code": 4403}


@database_sync_to_async
def staff_user(role: str = StaffMember.Role.KITCHEN, **fields):
    """A cook (by default) at the only restaurant."""
    return people.staff_user(Restaurant.sole(), role, **fields)


@database_sync_to_async
def logged_in(user) -> Client:
    """A browser (its own Django session) of ``user``."""
    client = Client()
    client.force_login(user)
    return client


async def kitchen_of(client: Client) -> KitchenSocket:
    socket = KitchenSocket(client.cookies["sessionid"].value)
    connected, _ = await socket.communicator.connect()
    assert connected
    socket.snapshot = await socket.recv()
    assert socket.snapshot["type"] == "snapshot"
    return socket


async def closed_with_4403(socket: KitchenSocket) -> None:
    assert await socket.communicator.receive_output(3) == CLOSED_4403


async def test_logout_closes_that_sessions_socket_only(menu):
    user = await staff_user(StaffMember.Role.MANAGER)  # signs out of the admin
    tablet, office = await logged_in(user), await logged_in(user)
    first, second = await kitchen_of(tablet), await kitchen_of(office)
    response = await database_sync_to_async(tablet.post)("/admin/logout/")
    assert response.status_code == 200
    await closed_with_4403(first)
    # The logged-out socket hears no more orders; the same user's other session does.
    diner, order = await submit_order(menu)
    event, _ = await second.recv_until("order.new")
    assert event["order"]["order_id"] == order["order_id"]
    assert await first.communicator.receive_nothing(0.3)
    reply = await second.op({"type": "dish.set_sold_out", "dish_id": menu.rice.pk,
                             "sold_out": True})  # fmt: skip
    assert reply["type"] == "ack"
    # A new handshake with the logged-out cookie is refused, as before.
    again = KitchenSocket(tablet.cookies["sessionid"].value)
    assert not (await again.communicator.connect())[0]
    for socket in (first, second, diner):
        await socket.close()


def _deactivate(user):
    user.is_active = False
    user.save()


def _role_taken(user):
    StaffMember.objects.filter(user=user).delete()


def _role_without_the_kitchen(user):
    StaffMember.objects.filter(user=user).update(role=StaffMember.Role.CASHIER)  # no signal
    StaffMember.objects.get(user=user).save()  # the admin's save: the signal


def _new_password(user):
    user.set_password("y" * 16)
    user.save()


@pytest.mark.parametrize(
    "change", [_deactivate, _role_taken, _role_without_the_kitchen, _new_password]
)
async def test_losing_staff_access_closes_every_session(menu, change):
    user = await staff_user()
    sockets = [await kitchen_of(await logged_in(user)) for _ in range(2)]
    bystander = await kitchen_of(await logged_in(await staff_user()))
    await database_sync_to_async(change)(user)
    for socket in sockets:
        await closed_with_4403(socket)
    diner, _ = await submit_order(menu)
    await bystander.recv_until("order.new")
    for socket in sockets:
        assert await socket.communicator.receive_nothing(0.2)
    for socket in (*sockets, bystander, diner):
        await socket.close()


async def test_saving_the_user_without_an_access_change_closes_nothing(menu):
    user = await staff_user()
    socket = await kitchen_of(await logged_in(user))

    def rename(user):
        user.first_name = "Li"
        user.save()

    await database_sync_to_async(rename)(user)
    assert await socket.silent(0.3)
    reply = await socket.op({"type": "sync"})
    assert reply["type"] == "ack"
    await socket.close()


async def test_an_op_is_asked_of_the_role_held_now_not_at_the_handshake(menu):
    """Leak stopped: a cook made waiter kept moving orders through the kitchen socket opened
    as a cook. The socket stays (a waiter may see the kitchen); the move is refused."""
    user = await staff_user(StaffMember.Role.KITCHEN)
    socket = await kitchen_of(await logged_in(user))
    diner, order = await submit_order(menu)
    await socket.recv_until("order.new")
    move = {"type": "order.set_status", "order_id": order["order_id"], "status": "preparing"}

    def make_waiter():
        member = StaffMember.objects.get(user=user)
        member.role = StaffMember.Role.WAITER
        member.save()

    await database_sync_to_async(make_waiter)()
    reply = await socket.op(dict(move))
    assert reply["code"] == "forbidden"
    assert await socket.silent(0.3) and await diner.silent(0.1)  # still open, nothing moved
    skipped = await socket.op(dict(move, status="served"))  # not past the kitchen...
    assert skipped["code"] == "forbidden"

    def kitchen_makes_it_ready():
        for status in ("accepted", "ready"):
            order_status_set(restaurant=menu.restaurant, order_id=order["order_id"], status=status)

    await database_sync_to_async(kitchen_makes_it_ready)()
    served = await socket.op(dict(move, status="served"))  # ...but what it made ready
    assert served["type"] == "ack"
    await socket.close()
    await diner.close()


async def test_an_op_after_the_session_was_deleted_is_forbidden_and_closes(menu):
    client = await logged_in(await staff_user())
    socket = await kitchen_of(client)
    key = client.cookies["sessionid"].value
    await database_sync_to_async(Session.objects.filter(session_key=key).delete)()  # no signal
    reply = await socket.op({"type": "dish.set_sold_out", "dish_id": menu.rice.pk,
                             "sold_out": True})  # fmt: skip
    assert reply["code"] == "forbidden"
    await closed_with_4403(socket)
    rice = await database_sync_to_async(type(menu.rice).objects.get)(pk=menu.rice.pk)
    assert not rice.sold_out
    await socket.close()


async def test_the_sweep_closes_sockets_whose_session_ended_unannounced(menu):
    deleted, expired, fine = [await logged_in(await staff_user()) for _ in range(3)]
    sockets = [await kitchen_of(c) for c in (deleted, expired, fine)]

    def end_sessions():
        Session.objects.filter(session_key=deleted.cookies["sessionid"].value).delete()
        Session.objects.filter(session_key=expired.cookies["sessionid"].value).update(
            expire_date=timezone.now() - timedelta(seconds=1)
        )

    await database_sync_to_async(end_sessions)()
    assert await liveness.access_sweep() == 2
    await closed_with_4403(sockets[0])
    await closed_with_4403(sockets[1])
    assert await sockets[2].silent()
    assert await liveness.access_sweep() == 0
    for socket in sockets:
        await socket.close()


async def test_the_sweep_checks_every_socket_in_one_batch(menu):
    """However many kitchen sockets a process has, a beat costs the same few queries."""
    from restaurant.venues.access import StaffAccess, staff_accesses_holding

    users = [await staff_user() for _ in range(4)]
    clients = [await logged_in(u) for u in users]
    view = "kitchen.view"

    def check():
        accesses = []
        for user, client in zip(users, clients, strict=True):
            key = client.cookies["sessionid"].value
            session = Session.objects.get(session_key=key).get_decoded()
            accesses.append(
                StaffAccess(user.pk, key, session["_auth_user_hash"], menu.restaurant.pk, view)
            )
        accesses.append(StaffAccess(users[0].pk, "no-such-session", "x", menu.restaurant.pk, view))
        with CaptureQueriesContext(connection) as captured:
            holding = staff_accesses_holding(accesses)
        return holding, accesses, len(captured.captured_queries)

    holding, accesses, queries = await database_sync_to_async(check)()
    assert holding == set(accesses[:4])
    assert queries == 3  # the sessions, the users, their roles (with their restaurants)
