"""After a database outage every process's last beat is old: none may take another for dead
on the strength of it, and a process that was taken for dead anyway heals itself (its
sockets resync) instead of staying deaf and invisible."""

from datetime import timedelta

import pytest
from django.utils import timezone

from restaurant.dining.models import Connection
from restaurant.dining.services import connection_open, server_beat, server_was_reaped
from restaurant.realtime import liveness
from restaurant.realtime.models import ServerHeartbeat
from tests.dining.helpers import arrive
from tests.dining.sockets import DinerSocket


def a_dead_looking_process(menu) -> None:
    diner = arrive(menu.table)
    connection_open(diner_id=diner.pk, channel_name="hub.other!x#1", server_id="other")
    ServerHeartbeat.objects.filter(server_id="other").update(
        seen_at=timezone.now() - timedelta(seconds=60)
    )


@pytest.mark.django_db(transaction=True)
def test_a_beat_after_a_gap_reaps_no_other_process(menu):
    a_dead_looking_process(menu)
    # The first beat of this process, and a beat long after its previous one (it waited for
    # its connection through the outage), judge nobody: the others were silent for the same
    # reason.
    assert server_beat(server_id="first", stale_after=30, max_gap=1) == 0
    ServerHeartbeat.objects.filter(server_id="first").update(seen_at=timezone.now())
    from restaurant.dining import services

    services._beats["first"] -= 5
    assert server_beat(server_id="first", stale_after=30, max_gap=1) == 0
    assert server_beat(server_id="first", stale_after=30, reap_others=False) == 0
    assert Connection.objects.filter(server_id="other").count() == 1
    # Beating steadily, it does judge them.
    assert server_beat(server_id="first", stale_after=30, max_gap=1) == 1
    assert not Connection.objects.filter(server_id="other").exists()


@pytest.mark.django_db(transaction=True)
def test_a_process_finds_out_it_was_reaped(menu):
    server_beat(server_id="me-reaped")
    assert not server_was_reaped("me-reaped")
    ServerHeartbeat.objects.filter(server_id="me-reaped").delete()  # another process did it
    server_beat(server_id="me-reaped")
    assert server_was_reaped("me-reaped")
    assert not server_was_reaped("me-reaped")  # told once


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_reaped_process_makes_its_sockets_resync(menu):
    diner = await DinerSocket.join(menu.table.token)
    assert await liveness.resync_all("test: reaped") == 1
    closed = await diner.communicator.receive_output(10)
    assert closed == {"type": "websocket.close", "code": 4503}
