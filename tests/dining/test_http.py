"""The diners' HTTP side: table page, menu and bill APIs, health, table links."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from restaurant.dining.models import Diner, DiningSession
from restaurant.dining.services import session_close
from tests.dining.sockets import join_table

pytestmark = pytest.mark.django_db


def test_landing(client, menu):
    response = client.get("/")
    assert response.status_code == 200
    assert "测试小馆" in response.content.decode()


def test_a_get_of_the_table_page_makes_nothing(menu):
    # Link previews in chat apps, crawlers, a reloaded old tab: a hundred GETs, no diner.
    for _ in range(100):
        response = Client().get(f"/t/{menu.table.token}/")
        assert response.status_code == 200
        # the page's cookies: a session with a key (the join finds the browser by it) and CSRF
        assert response.cookies["sessionid"].value and response.cookies["csrftoken"].value
    assert Diner.objects.count() == 0
    assert DiningSession.objects.count() == 0
    assert b"dinerId" not in response.content  # nothing to tell: no diner was made


def test_join_makes_the_diner_and_finds_it_again(menu):
    client = Client(enforce_csrf_checks=True)
    joined = join_table(client, menu.table.token)
    diner = Diner.objects.get()
    assert joined == {"diner_id": diner.pk, "session_id": diner.session_id, "name": "Guest 1"}
    assert client.session["diners"] == {str(diner.session_id): diner.pk}
    assert join_table(client, menu.table.token) == joined  # the same browser, the same diner
    assert join_table(Client(), menu.table.token)["diner_id"] != diner.pk
    assert Diner.objects.count() == 2 and DiningSession.objects.count() == 1


def test_join_needs_the_csrf_token_and_a_post(menu):
    client = Client(enforce_csrf_checks=True)
    url = f"/t/{menu.table.token}/join/"
    client.get(f"/t/{menu.table.token}/")
    assert client.post(url).status_code == 403
    assert client.post(url, HTTP_X_CSRFTOKEN="x" * 32).status_code == 403
    assert client.get(url).status_code == 405
    assert Diner.objects.count() == 0
    token = client.cookies["csrftoken"].value
    assert client.post(url, HTTP_X_CSRFTOKEN=token).status_code == 200


def test_join_of_an_unknown_token_is_404_in_json(menu):
    client = Client()
    response = client.post("/t/" + "A" * 24 + "/join/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Diner.objects.count() == 0 and DiningSession.objects.count() == 0


def test_after_the_meal_ended_the_browser_is_asked_before_a_new_one_starts(menu):
    client = Client()
    first = join_table(client, menu.table.token)
    session_close(table=menu.table)
    # The old tab reloaded, or its script joining again: no new meal by itself.
    client.get(f"/t/{menu.table.token}/")
    response = client.post(f"/t/{menu.table.token}/join/")
    assert response.status_code == 409
    assert response.json()["code"] == "ended"
    assert response.json()["session_id"] == first["session_id"]
    assert not DiningSession.objects.filter(status="open").exists()
    # another table is not this one: this browser joins there as usual
    assert join_table(client, menu.other_table.token)["diner_id"]
    # "Start a new order": a new meal, a new diner
    again = join_table(client, menu.table.token, new="1")
    assert again["session_id"] != first["session_id"] and again["diner_id"] != first["diner_id"]
    # and from then on it joins that meal by itself
    assert join_table(client, menu.table.token) == again


def test_a_meal_someone_else_opened_is_joined_without_asking(menu):
    client = Client()
    first = join_table(client, menu.table.token)
    session_close(table=menu.table)
    party = join_table(Client(), menu.table.token)  # the next party sat down and scanned
    joined = join_table(client, menu.table.token)
    assert joined["session_id"] == party["session_id"] != first["session_id"]


def test_unknown_or_rotated_token_is_404(client, menu):
    assert client.get("/t/" + "A" * 24 + "/").status_code == 404
    token = menu.table.token
    menu.table.token = "B" * 24
    menu.table.save()
    assert client.get(f"/t/{token}/").status_code == 404


def test_table_not_open_when_staff_open_tables(client, menu):
    menu.restaurant.staff_opens_tables = True
    menu.restaurant.save()
    response = client.get(f"/t/{menu.table.token}/")
    assert response.status_code == 200
    assert "diners" not in client.session
    joined = client.post(f"/t/{menu.table.token}/join/")
    assert joined.status_code == 409 and joined.json()["code"] == "not_open"
    assert "diners" not in client.session
    assert not DiningSession.objects.exists()


def test_menu_api(client, menu):
    data = client.get("/api/menu/").json()
    assert data["currency"] == "CNY" and isinstance(data["version"], int)
    dishes = {d["id"]: d for c in data["categories"] for d in c["dishes"]}
    chicken = dishes[menu.chicken.pk]
    assert chicken["price"] == 3800 and chicken["sold_out"] is False
    spice = chicken["option_groups"][0]
    assert (spice["min"], spice["max"]) == (1, 1)
    assert {o["id"] for o in spice["options"]} == {menu.mild.pk, menu.hot.pk}
    assert dishes[menu.pork.pk]["sold_out"] is True
    assert [c["name"] for c in data["categories"]] == ["热菜", "主食"]


def test_bill_is_for_diners_of_the_open_session(client, menu):
    url = f"/api/t/{menu.table.token}/bill/"
    assert client.get(url).status_code == 404  # no session, no diner
    join_table(client, menu.table.token)
    bill = client.get(url).json()
    assert bill["total"] == 0 and bill["orders"] == [] and len(bill["per_diner"]) == 1
    from django.test import Client

    assert Client().get(url).status_code == 404  # a stranger's browser


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_table_links(menu, capsys, settings):
    settings.SITE_URL = "http://example.test:8000"
    call_command("table_links", "--json")
    links = json.loads(capsys.readouterr().out)
    assert links[0] == {
        "restaurant": "main",
        "number": 1,
        "label": "1号桌",
        "url": f"http://example.test:8000/t/{menu.table.token}/",
    }
    call_command("table_links")
    assert f"/t/{menu.other_table.token}/" in capsys.readouterr().out


def test_metrics_for_loopback_and_staff(client, db):
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert "restaurant_ops_total" in body and "restaurant_sockets_open" in body
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403


def test_token_guessing_is_limited_per_address(client, menu, settings):
    import random

    settings.RESTAURANT = {**settings.RESTAURANT, "TOKEN_MISS_LIMIT": 5}
    # addresses of this run only: the counters live in the shared cache (Redis in CI)
    net = f"10.{random.randrange(256)}.{random.randrange(256)}"
    guesser = {"REMOTE_ADDR": f"{net}.7"}
    for i in range(5):
        assert client.get(f"/t/{'G' * 23}{i}/", **guesser).status_code == 404
    # the guesser's further misses are told to stop
    missed = client.get(f"/t/{'G' * 24}/", **guesser)
    assert missed.status_code == 429 and int(missed["Retry-After"]) > 0
    assert client.get(f"/api/t/{'G' * 24}/bill/", **guesser).status_code == 429
    assert client.post(f"/t/{'G' * 24}/join/", **guesser).status_code == 429
    # a real table from the same address (the restaurant's Wi-Fi) still opens, and its diner's
    # bill still answers: one guesser never locks a dining room out
    diner = Client()
    assert diner.get(f"/t/{menu.table.token}/", **guesser).status_code == 200
    assert diner.post(f"/t/{menu.table.token}/join/", **guesser).status_code == 200
    assert diner.get(f"/api/t/{menu.table.token}/bill/", **guesser).status_code == 200
    assert client.get(f"/t/{menu.table.token}/", REMOTE_ADDR=f"{net}.8").status_code == 200


def test_a_meal_takes_no_more_than_its_diners(menu, settings):
    """One address with fresh cookies made 1,500 diners at a table, each one told to it."""
    settings.RESTAURANT = {**settings.RESTAURANT, "MAX_DINERS_PER_MEAL": 3}
    browsers = [Client(enforce_csrf_checks=True) for _ in range(3)]
    joined = [join_table(browser, menu.table.token) for browser in browsers]
    assert len({j["diner_id"] for j in joined}) == 3
    late = Client(enforce_csrf_checks=True)
    late.get(f"/t/{menu.table.token}/")
    refused = late.post(f"/t/{menu.table.token}/join/",
                        HTTP_X_CSRFTOKEN=late.cookies["csrftoken"].value)  # fmt: skip
    assert refused.status_code == 409 and refused.json()["code"] == "full"
    # those already at the table still come back
    assert join_table(browsers[0], menu.table.token)["diner_id"] == joined[0]["diner_id"]


def test_a_waiter_ordering_for_the_table_takes_no_phones_seat(menu, settings):
    from restaurant.dining.staff_diners import staff_diner_for
    from tests.support.people import staff_user

    settings.RESTAURANT = {**settings.RESTAURANT, "MAX_DINERS_PER_MEAL": 2}
    staff_diner_for(table=menu.table, user=staff_user(menu.restaurant, "waiter", username="w"))
    browsers = [Client(enforce_csrf_checks=True) for _ in range(2)]
    joined = [join_table(browser, menu.table.token) for browser in browsers]
    assert len({j["diner_id"] for j in joined}) == 2


def test_a_page_left_at_the_table_its_meal_was_moved_from_is_sent_to_its_meal(menu):
    from restaurant.dining.models import DiningSession
    from restaurant.floor import moves
    from restaurant.tables.models import Table

    third = Table.objects.create(restaurant=menu.restaurant, number=3, label="3号桌")
    phone = Client(enforce_csrf_checks=True)
    join_table(phone, menu.table.token)
    moves.meal_move(restaurant=menu.restaurant, table_number=1, to_number=3, by_id=None)

    def join_at(client, token):
        client.get(f"/t/{token}/")
        return client.post(f"/t/{token}/join/",
                           HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)  # fmt: skip

    refused = join_at(phone, menu.table.token)  # offline during the move, then a reload
    assert refused.status_code == 409
    assert refused.json()["code"] == "moved" and refused.json()["token"] == third.token
    assert DiningSession.objects.filter(status="open").count() == 1  # no empty meal opened
    # Someone else sitting down at table 1 starts a meal there as ever.
    assert join_at(Client(enforce_csrf_checks=True), menu.table.token).status_code == 200

    # Joined into table 2's meal and split back: a page at table 2's address goes home.
    bob = Client(enforce_csrf_checks=True)
    join_table(bob, menu.other_table.token)
    meal = DiningSession.objects.get(table=third, status="open")
    joined = moves.meal_join(restaurant=menu.restaurant, table_number=3, into_number=2, by_id=None)
    assert joined.session_id == meal.pk
    moves.meal_split(restaurant=menu.restaurant, transfer_id=joined.pk, by_id=None)
    back = join_at(phone, menu.other_table.token)
    assert back.status_code == 409 and back.json()["token"] == third.token
