"""Two restaurants, A and B: every staff HTTP entry point, in both its forms (`/staff/...` and
`/r/<slug>/staff/...`), for staff of B aimed at A's things. Each test names the leak it stops;
nothing of A may change."""

import pytest
from django.test import Client
from django.urls import reverse

from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_open
from restaurant.kitchen.models import Order
from restaurant.tables.models import Table
from tests.dining.helpers import apply, arrive
from tests.factories import make_menu
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db

# (method, path under the root or /r/<slug>/): every staff entry point. {n}: a table number,
# {order}: an order id.
ENTRY_POINTS = [
    ("get", "kitchen/"),
    ("get", "kitchen/api/recent/"),
    ("get", "staff/"),
    ("get", "staff/api/floor/"),
    ("get", "staff/tables/{n}/bill/"),
    ("get", "staff/tables/{n}/qr.svg"),
    ("get", "staff/qr-sheet/"),
    ("post", "staff/tables/{n}/open/"),
    ("post", "staff/tables/{n}/close/"),
    ("post", "staff/tables/{n}/rotate/"),
    ("post", "staff/orders/{order}/accept/"),
]


def held_round(menu) -> Order:
    """A first round held for staff to accept (a diner's scan opened the meal)."""
    diner = arrive(menu.table)
    apply(diner, {"type": "cart.add", "id": "x", "dish_id": menu.rice.pk})
    session = DiningSession.objects.get(table=menu.table, status="open")
    apply(diner, {"type": "order.submit", "id": "s", "seq": session.seq})
    return Order.objects.filter(restaurant=menu.restaurant).latest("pk")


def state_of(restaurant) -> tuple:
    """What a staff action could change at a restaurant."""
    tables = list(
        Table.objects.filter(restaurant=restaurant)
        .order_by("number")
        .values_list("number", "token", "token_rotated_at")
    )
    sessions = list(
        DiningSession.objects.filter(restaurant=restaurant)
        .order_by("pk")
        .values_list("pk", "status", "seq")
    )
    orders = list(
        Order.objects.filter(restaurant=restaurant).order_by("pk").values_list("pk", "status")
    )
    return tables, sessions, orders


@pytest.fixture
def two():
    a, b = make_menu("a", "甲店"), make_menu("b", "乙店")
    a.order = held_round(a)
    # a table number only A has: the unprefixed form of B's staff must not find it
    a.lone = Table.objects.create(restaurant=a.restaurant, number=7, label="七号")
    session_open(table=a.lone, by_staff=True)  # open: its bill is there to be leaked
    return a, b


def request(client, method, url):
    return getattr(client, method)(url, HTTP_ACCEPT="application/json")


@pytest.mark.parametrize(("method", "path"), ENTRY_POINTS)
def test_staff_of_b_get_404_for_a_by_slug(two, method, path):
    """Leak: A's floor, kitchen, bills, QR codes and actions reached through /r/a/ by staff of
    B (a manager there: the role may do everything, the restaurant is not theirs)."""
    a, b = two
    client = Client()
    client.force_login(staff_user(b.restaurant, "manager"))
    before = state_of(a.restaurant)
    url = "/r/a/" + path.format(n=1, order=a.order.pk)
    assert request(client, method, url).status_code == 404
    assert state_of(a.restaurant) == before


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in ENTRY_POINTS if "{" in p])
def test_staff_of_b_find_no_table_or_order_of_a_by_number_or_id(two, method, path):
    """Leak: A's order accepted, or A's table opened, closed, rotated, billed or printed, by
    its id or number through B's own URLs (unprefixed and /r/b/)."""
    a, b = two
    client = Client()
    client.force_login(staff_user(b.restaurant, "manager"))
    before = state_of(a.restaurant)
    for prefix in ("/", "/r/b/"):
        url = prefix + path.format(n=a.lone.number, order=a.order.pk)
        assert request(client, method, url).status_code == 404, url
    assert state_of(a.restaurant) == before


def test_the_same_table_number_is_each_restaurants_own(two):
    """Leak: "table 1" taken across restaurants: B's staff opening table 1 opened A's."""
    a, b = two
    client = Client()
    client.force_login(staff_user(b.restaurant, "waiter"))
    before = state_of(a.restaurant)
    assert request(client, "post", "/staff/tables/2/open/").status_code == 200
    assert state_of(a.restaurant) == before
    assert DiningSession.objects.get(restaurant=b.restaurant).table == b.other_table


@pytest.mark.parametrize(("method", "path"), ENTRY_POINTS)
@pytest.mark.parametrize("prefix", ["/", "/r/a/"])
def test_anonymous_is_sent_to_sign_in(two, method, path, prefix):
    a, _ = two
    before = state_of(a.restaurant)
    url = prefix + path.format(n=1, order=a.order.pk)
    response = getattr(Client(), method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('staff-login')}?next={url}"
    assert state_of(a.restaurant) == before


def test_what_bs_pages_show_is_bs_alone(two):
    """Leak: A's tables, tokens, orders or name on B's floor, QR sheet, kitchen history."""
    a, b = two
    a.table.label = "甲店雅座"
    a.table.save()
    client = Client()
    client.force_login(staff_user(b.restaurant, "manager"))
    tables = client.get("/staff/api/floor/").json()["tables"]
    assert [t["number"] for t in tables] == [1, 2]
    assert all(t["held_orders"] == [] for t in tables)  # A's held round is A's
    for url in ("/staff/", "/staff/qr-sheet/", "/kitchen/"):
        page = client.get(url).content.decode()
        assert "甲店" not in page and a.table.token not in page, url
        assert "乙店" in page
    assert b.table.token in client.get("/staff/qr-sheet/").content.decode()
    assert client.get("/kitchen/api/recent/").json()["orders"] == []


def test_pages_speak_to_their_restaurants_urls_and_sockets(two):
    a, _ = two
    client = Client()
    client.force_login(staff_user(a.restaurant, "manager"))
    kitchen = client.get("/kitchen/").content.decode()
    assert '"socketPath": "/ws/r/a/kitchen/"' in kitchen
    assert '"menuUrl": "/r/a/api/menu/"' in kitchen
    assert '"recentUrl": "/r/a/kitchen/api/recent/"' in kitchen
    floor = client.get("/staff/").content.decode()
    assert '"socketPath": "/ws/r/a/floor/"' in floor
    assert '"floorUrl": "/r/a/staff/api/floor/"' in floor
    assert 'action="/r/a/staff/tables/1/close/"' in floor
    table_page = Client().get(f"/t/{a.table.token}/").content.decode()
    assert '"menuUrl": "/r/a/api/menu/?lang=' in table_page  # the page's language's menu
    assert f'"wsPath": "/ws/table/{a.table.token}/"' in table_page


class TestMenuApi:
    def test_by_slug_for_anyone(self, two):
        a, b = two
        for menu in (a, b):
            body = Client().get(f"/r/{menu.restaurant.slug}/api/menu/").json()
            dishes = {d["id"] for c in body["categories"] for d in c["dishes"]}
            assert menu.rice.pk in dishes
            other = b if menu is a else a
            assert other.rice.pk not in dishes  # Leak: one restaurant's dishes in another's menu
        assert Client().get("/r/nowhere/api/menu/").status_code == 404

    def test_unprefixed_needs_a_restaurant_when_there_are_several(self, two):
        response = Client().get("/api/menu/")
        assert response.status_code == 404
        assert response.json()["error"] == "restaurant_required"

    def test_unprefixed_is_the_staff_members_restaurant(self, two):
        _, b = two
        client = Client()
        client.force_login(staff_user(b.restaurant, "kitchen"))
        body = client.get("/api/menu/").json()
        assert b.rice.pk in {d["id"] for c in body["categories"] for d in c["dishes"]}

    def test_unprefixed_is_the_sole_restaurant(self, db):
        menu = make_menu("only")
        body = Client().get("/api/menu/").json()
        assert menu.rice.pk in {d["id"] for c in body["categories"] for d in c["dishes"]}


def test_the_landing_page_of_several_restaurants_names_none(two, settings):
    settings.SITE_NAME = "美食广场"
    page = Client().get("/").content.decode()
    assert "美食广场" in page and "甲店" not in page and "乙店" not in page
    assert reverse("staff-login") in page


def test_the_landing_page_of_one_restaurant_is_its_own(db):
    make_menu("only", "独一家")
    page = Client().get("/").content.decode()
    assert "独一家" in page
