"""The station boards' pages: `/kitchen/station/<code>/` in both URL forms, only the
restaurant's own stations, the boards' tabs on the expo, and a cook kept to one station landing
on its board from `/kitchen/`."""

import json
import re

import pytest
from django.test import Client

from restaurant.venues.models import StaffMember, Station
from tests.factories import make_menu
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def place():
    menu = make_menu("a", "甲店")
    menu.hot = Station.objects.create(restaurant=menu.restaurant, code="hot", name="热菜",
                                      name_en="Hot wok", sort_order=1)  # fmt: skip
    menu.cold = Station.objects.create(restaurant=menu.restaurant, code="cold", name="凉菜",
                                       name_en="Cold dishes", sort_order=2)  # fmt: skip
    return menu


def signed_in(restaurant, role="kitchen", station=None) -> Client:
    client = Client()
    user = staff_user(restaurant, role)
    if station is not None:
        StaffMember.objects.filter(user=user, restaurant=restaurant).update(station=station)
    client.force_login(user)
    return client


def config_of(html: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="kitchen-config">(.*?)</script>', html, re.S
    )
    return json.loads(found.group(1))


@pytest.mark.parametrize("prefix", ["/", "/r/a/"])
def test_a_station_board_in_both_forms(place, prefix):
    response = signed_in(place.restaurant).get(f"{prefix}kitchen/station/hot/")
    assert response.status_code == 200
    html = response.content.decode()
    config = config_of(html)
    assert config["station"] == {"station_id": place.hot.pk, "code": "hot"}
    assert config["socketPath"] == "/ws/r/a/kitchen/"
    assert config["recallSeconds"] > 0
    # Its strings block is valid JSON (the shared lines and its own) and has the dish states.
    strings = json.loads(re.search(r'id="kitchen-strings">(.*?)</script>', html, re.S).group(1))
    assert {"item_queued", "item_cooking", "item_ready", "item_served", "item_voided"} <= set(
        strings
    )
    # The tabs: the expo and every station, this one current.
    assert 'href="/r/a/kitchen/"' in html
    assert 'href="/r/a/kitchen/station/cold/"' in html
    assert re.search(r'class="station-tab is-current"[^>]*href="/r/a/kitchen/station/hot/"', html)


def test_the_board_speaks_the_page_language(place):
    client = signed_in(place.restaurant)
    english = client.get("/kitchen/station/hot/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Hot wok" in english and '"item_cooking": "Cooking"' in english
    chinese = client.get("/kitchen/station/hot/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "热菜" in chinese and '"item_cooking": "制作中"' in chinese
    assert '"item_queued": "排队中"' in chinese and '"item_voided": "已退"' in chinese


def test_an_unknown_station_and_another_restaurants_are_not_found(place):
    other = make_menu("b", "乙店")
    Station.objects.create(restaurant=other.restaurant, code="bar", name="酒水")
    client = signed_in(place.restaurant)
    assert client.get("/kitchen/station/nope/").status_code == 404
    assert client.get("/kitchen/station/bar/").status_code == 404  # b's station, a's cook
    assert client.get("/r/b/kitchen/station/bar/").status_code == 404  # no role at b


def test_a_role_that_may_not_see_the_kitchen_is_refused(place):
    assert signed_in(place.restaurant, "cashier").get("/kitchen/station/hot/").status_code == 403


def test_signed_out_goes_to_sign_in(place):
    response = Client().get("/kitchen/station/hot/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_the_expo_lists_the_stations_as_tabs(place):
    html = signed_in(place.restaurant).get("/kitchen/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="station-tab is-current"' in html  # the expo itself
    assert 'href="/r/a/kitchen/station/hot/"' in html and "Hot wok" in html
    assert 'href="/r/a/kitchen/station/cold/"' in html and "Cold dishes" in html
    assert config_of(html)["stationUrl"] == "/r/a/kitchen/station/0/"


def test_no_tabs_where_the_restaurant_has_no_stations():
    menu = make_menu("a", "甲店")
    html = signed_in(menu.restaurant).get("/kitchen/").content.decode()
    assert "station-tab" not in html


@pytest.mark.parametrize("prefix", ["/", "/r/a/"])
def test_a_cook_kept_to_a_station_lands_on_its_board(place, prefix):
    client = signed_in(place.restaurant, station=place.cold)
    response = client.get(f"{prefix}kitchen/")
    assert response.status_code == 302
    assert response["Location"] == "/r/a/kitchen/station/cold/"
    board = client.get(response["Location"]).content.decode()
    # Their board offers no other boards to switch to.
    assert "/kitchen/station/hot/" not in board and 'href="/r/a/kitchen/"' not in board


def test_the_whole_kitchen_stays_on_the_expo(place):
    assert signed_in(place.restaurant).get("/kitchen/").status_code == 200
    assert signed_in(place.restaurant, "manager").get("/kitchen/").status_code == 200


def test_a_station_history_lists_its_dishes_only(place):
    client = signed_in(place.restaurant)
    response = client.get("/kitchen/api/recent/?station=hot")
    assert response.status_code == 200
    body = response.json()
    assert body["items"] == [] and "now" in body and "orders" not in body
    assert client.get("/kitchen/api/recent/?station=nope").status_code == 404
    assert "orders" in client.get("/kitchen/api/recent/").json()  # the expo's, as before
