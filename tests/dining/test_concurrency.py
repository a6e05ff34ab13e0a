"""Requests of one browser at once: one browser is one diner."""

import hashlib
import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import IntegrityError, transaction
from django.test import Client

from restaurant.dining import services
from restaurant.dining.models import Diner, DiningSession
from tests.support.concurrency import at_once

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


def test_concurrent_table_page_loads_with_one_cookie_make_one_diner(menu):
    cookie = browser_with_a_session()

    def load():
        client = Client()
        client.cookies["sessionid"] = cookie
        response = client.get(f"/t/{menu.table.token}/")
        assert response.status_code == 200
        # (not response.context: other threads' renders land in it too)
        return int(re.search(rb'"dinerId": (\d+)', response.content)[1])

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
