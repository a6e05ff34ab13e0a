"""Requests and sockets of one browser, one diner or one table at once: one browser is one
diner, presence follows the sockets however they close, a table closes once."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete
from django.test import Client
from django.utils import timezone

from restaurant.dining import services
from restaurant.dining.models import Connection, Diner, DiningSession
from restaurant.realtime import codec
from restaurant.realtime.models import ServerHeartbeat
from tests.dining.helpers import arrive
from tests.support.concurrency import Meeting, at_once

pytestmark = pytest.mark.django_db(transaction=True)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def browser_with_a_session() -> str:
    """A browser that has a Django session already (a table visited before, a sign-in) but
    no diner at this table yet; returns its cookie."""
    store = SessionStore()
    store["seen"] = True
    store.create()
    return store.session_key


def test_concurrent_joins_with_one_cookie_make_one_diner(menu):
    cookie = browser_with_a_session()

    def load():
        client = Client()
        client.cookies["sessionid"] = cookie
        response = client.post(f"/t/{menu.table.token}/join/")
        assert response.status_code == 200
        return response.json()["diner_id"]

    diner_ids = at_once(load, load, load, load)
    assert len(set(diner_ids)) == 1
    (diner,) = Diner.objects.all()
    assert diner.browser == sha256(cookie)  # never the key itself
    assert DiningSession.objects.get().diners_joined == 1
    # and the browser coming back later is still that diner
    assert load() == diner.pk


def test_a_first_visit_gets_its_session_before_its_diner(menu):
    client = Client()
    assert client.get(f"/t/{menu.table.token}/").status_code == 200
    key = client.cookies["sessionid"].value
    assert client.post(f"/t/{menu.table.token}/join/").status_code == 200
    assert client.cookies["sessionid"].value == key  # the page's session, kept by the join
    diner = Diner.objects.get()
    assert diner.browser == sha256(client.cookies["sessionid"].value)
    assert client.session["diners"] == {str(diner.session_id): diner.pk}


def test_a_browser_has_one_diner_per_dining_session(menu):
    session = DiningSession.objects.create(table=menu.table)
    Diner.objects.create(session=session, name="a", color="#000000", browser="b" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        Diner.objects.create(session=session, name="b", color="#000000", browser="b" * 64)
    # rows from before browsers were recorded have none, as many as there are
    Diner.objects.create(session=session, name="c", color="#000000")
    Diner.objects.create(session=session, name="d", color="#000000")
    other = DiningSession.objects.create(table=menu.other_table)
    Diner.objects.create(session=other, name="e", color="#000000", browser="b" * 64)


def test_diner_arrive_finds_the_browser_by_its_key_or_its_diner_ids(menu):
    first = services.diner_arrive(table=menu.table, known_diner_ids=[], browser="k1")
    assert services.diner_arrive(table=menu.table, known_diner_ids=[], browser="k1") == first
    # a signed-in browser's session key changed (cycle_key); its diner ids came along
    assert services.diner_arrive(table=menu.table, known_diner_ids=[first.pk], browser="k2") == (
        first
    )
    other = services.diner_arrive(table=menu.table, known_diner_ids=[], browser="k3")
    assert other != first
    found = services.diner_for_socket(table=menu.table, known_diner_ids=[], browser="k1")
    assert found == first
    assert services.diner_for_socket(table=menu.table, known_diner_ids=[], browser="k9") is None


def presence_events(monkeypatch) -> list[list[int]]:
    """The `online` list of every presence event broadcast by a transaction that committed."""
    sent: list[list[int]] = []

    def record(group, message):
        event = codec.loads(message["text"])
        if event["type"] == "presence":
            transaction.on_commit(lambda: sent.append(event["online"]))

    monkeypatch.setattr(services, "broadcast_on_commit", record)
    return sent


def test_two_sockets_of_one_diner_closing_together_leave_it_offline(menu, monkeypatch):
    diner, friend = arrive(menu.table), arrive(menu.table)
    for name, who in (("a#1", diner), ("a#2", diner), ("f#1", friend)):
        services.connection_open(diner_id=who.pk, channel_name=name, server_id="me")
    sent = presence_events(monkeypatch)
    # Each close deletes its row, then waits (as long as it can) for the other to have
    # deleted its own before looking for the diner's other sockets.
    meeting = Meeting(2)

    def deleted(sender, instance, **kwargs):
        if instance.channel_name.startswith("a#"):
            meeting.wait()

    post_delete.connect(deleted, sender=Connection, dispatch_uid="test-meeting")
    try:
        at_once(
            lambda: services.connection_close(channel_name="a#1"),
            lambda: services.connection_close(channel_name="a#2"),
        )
    finally:
        post_delete.disconnect(dispatch_uid="test-meeting", sender=Connection)
    assert services.presence_online(diner.session_id) == [friend.pk]
    assert sent, "the table was not told that the diner went offline"
    assert sent[-1] == [friend.pk]


def test_two_diners_closing_together_are_both_offline_to_the_table(menu, monkeypatch):
    a, b = arrive(menu.table), arrive(menu.table)
    services.connection_open(diner_id=a.pk, channel_name="a#1", server_id="me")
    services.connection_open(diner_id=b.pk, channel_name="b#1", server_id="me")
    sent = presence_events(monkeypatch)
    meeting = Meeting(2)

    def deleted(sender, instance, **kwargs):
        meeting.wait()

    post_delete.connect(deleted, sender=Connection, dispatch_uid="test-meeting")
    try:
        at_once(
            lambda: services.connection_close(channel_name="a#1"),
            lambda: services.connection_close(channel_name="b#1"),
        )
    finally:
        post_delete.disconnect(dispatch_uid="test-meeting", sender=Connection)
    assert services.presence_online(a.session_id) == []
    # whichever committed last told the table what is true after both
    assert sent[-1] == []


def test_a_reaped_socket_and_a_closing_one_leave_both_diners_offline(menu, monkeypatch):
    """The heartbeat's reaper changes presence too, and takes its turn the same way."""
    a, b = arrive(menu.table), arrive(menu.table)
    services.connection_open(diner_id=a.pk, channel_name="hub.dead!x#1", server_id="dead")
    services.connection_open(diner_id=b.pk, channel_name="b#1", server_id="me")
    ServerHeartbeat.objects.filter(server_id="dead").update(
        seen_at=timezone.now() - timedelta(seconds=31)
    )
    sent = presence_events(monkeypatch)
    meeting = Meeting(2)

    def deleted(sender, instance, **kwargs):
        meeting.wait()

    post_delete.connect(deleted, sender=Connection, dispatch_uid="test-meeting")
    try:
        at_once(
            lambda: services.server_beat(server_id="me", stale_after=30),
            lambda: services.connection_close(channel_name="b#1"),
        )
    finally:
        post_delete.disconnect(dispatch_uid="test-meeting", sender=Connection)
    assert services.presence_online(a.session_id) == []
    # The table was told both are offline. Which of the two broadcasts goes out last is not
    # fixed: each runs after its own commit, and the lock is released at commit, so the later
    # transaction's callback can run first (presence carries no seq: docs/reliability.md).
    assert [] in sent


def test_closing_a_table_twice_at_once_closes_it_once(menu, monkeypatch):
    arrive(menu.table)
    before = DiningSession.objects.get().seq
    meeting, lock = Meeting(2), services.session_lock

    def lock_when_both_found_it_open(session_id):
        meeting.wait()
        return lock(session_id)

    monkeypatch.setattr(services, "session_lock", lock_when_both_found_it_open)
    closed = at_once(
        lambda: services.session_close(table=menu.table),
        lambda: services.session_close(table=menu.table),
    )
    assert sorted(c is None for c in closed) == [False, True]  # the second found nothing
    session = DiningSession.objects.get()
    assert session.status == "closed" and session.seq == before + 1  # one `session.closed`
