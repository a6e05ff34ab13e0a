"""The admin per restaurant: a manager of A sees, picks and edits only A's rows; a cook, a
waiter, a cashier or a device gets no admin; a superuser sees all. Each test names the leak it
stops."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from restaurant.dining.models import DiningSession
from restaurant.kitchen.models import Order
from restaurant.menu.models import Category, Dish, OptionGroup
from restaurant.tables.models import Table
from restaurant.venues.devices import device_create
from restaurant.venues.models import Restaurant, StaffMember
from tests.dining.helpers import apply, arrive
from tests.factories import make_menu
from tests.support.people import PASSWORD, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def a():
    return make_menu("a", "甲店")


@pytest.fixture
def b():
    return make_menu("b", "乙店")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def an_order(menu) -> Order:
    diner = arrive(menu.table)
    apply(diner, {"type": "cart.add", "id": "x", "dish_id": menu.rice.pk})
    session = DiningSession.objects.get(table=menu.table, status="open")
    apply(diner, {"type": "order.submit", "id": "s", "seq": session.seq})
    return Order.objects.filter(restaurant=menu.restaurant).latest("pk")


def listed(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


class TestManagerOfOne:
    def test_lists_show_only_their_restaurant(self, a, b):
        """Leak: B's dishes, tables, staff and orders listed to A's manager."""
        order_a, order_b = an_order(a), an_order(b)
        b.pork.name = "乙店秘制红烧肉"
        b.pork.save()
        staff_user(b.restaurant, "kitchen", username="b-cook")
        manager = staff_user(a.restaurant, "manager", username="a-boss")
        client = signed_in(manager)
        dishes = listed(client, "/admin/menu/dish/")
        assert "东坡肉" in dishes and "乙店秘制红烧肉" not in dishes
        tables = listed(client, "/admin/tables/table/")
        assert a.table.token in tables and b.table.token not in tables
        staff = listed(client, "/admin/venues/staffmember/")
        assert "a-boss" in staff and "b-cook" not in staff
        orders = listed(client, "/admin/kitchen/order/")
        assert f"/admin/kitchen/order/{order_a.pk}/change/" in orders
        assert f"/admin/kitchen/order/{order_b.pk}/change/" not in orders
        restaurants = listed(client, "/admin/venues/restaurant/")
        assert "甲店" in restaurants and "乙店" not in restaurants
        sessions = listed(client, "/admin/dining/diningsession/")
        assert f"/{order_b.session_id}/change/" not in sessions

    def test_filters_name_no_other_restaurant(self, a, b):
        """Leak: the dish list's category filter named every restaurant's categories."""
        Category.objects.create(restaurant=b.restaurant, name="乙店私房菜")
        client = signed_in(staff_user(a.restaurant, "manager"))
        assert "乙店私房菜" not in listed(client, "/admin/menu/dish/")

    @pytest.mark.parametrize(
        "url",
        [
            "/admin/menu/dish/{b.rice.pk}/change/",
            "/admin/menu/category/{b.rice.category_id}/change/",
            "/admin/menu/optiongroup/{b.spice.pk}/change/",
            "/admin/tables/table/{b.table.pk}/change/",
            "/admin/venues/restaurant/{b.restaurant.pk}/change/",
            "/admin/menu/dish/{b.rice.pk}/delete/",
            "/admin/menu/dish/{b.rice.pk}/history/",
        ],
    )
    def test_another_restaurants_row_by_id_is_not_found(self, a, b, url):
        """Leak: B's rows opened (or told apart from missing ones) by their id in the URL."""
        client = signed_in(staff_user(a.restaurant, "manager"))
        url = url.format(b=b)
        assert client.get(url).status_code == 404
        assert client.post(url, {"post": "yes"}).status_code == 404
        assert Dish.objects.filter(pk=b.rice.pk).exists()

    def test_their_own_option_group_opens(self, a, b):
        """Options carry no restaurant: asked about their dish's (not refused outright)."""
        client = signed_in(staff_user(a.restaurant, "manager"))
        page = listed(client, f"/admin/menu/optiongroup/{a.spice.pk}/change/")
        assert "微辣" in page and 'name="_save"' in page

    def test_cannot_file_a_dish_under_another_restaurants_category(self, a, b):
        """Leak: a dish created in B's menu by A's manager (by posting B's category id)."""
        client = signed_in(staff_user(a.restaurant, "manager"))
        form = listed(client, "/admin/menu/dish/add/")
        assert f'value="{b.rice.category_id}"' not in form
        data = {
            "category": b.rice.category_id, "name": "偷渡菜", "name_en": "", "description": "",
            "description_en": "", "price": "9", "image": "", "sort_order": 0,
            "option_groups-TOTAL_FORMS": 0, "option_groups-INITIAL_FORMS": 0,
        }  # fmt: skip
        response = client.post("/admin/menu/dish/add/", data)
        assert response.status_code == 200  # the form again, with the error
        assert not Dish.objects.filter(name="偷渡菜").exists()
        data["category"] = a.rice.category_id
        assert client.post("/admin/menu/dish/add/", data).status_code == 302
        dish = Dish.objects.get(name="偷渡菜")
        assert (dish.restaurant, dish.price) == (a.restaurant, 900)

    def test_a_new_table_is_theirs_without_asking(self, a, b):
        """The restaurant of a manager of one is the only choice, already chosen."""
        client = signed_in(staff_user(a.restaurant, "manager"))
        form = listed(client, "/admin/tables/table/add/")
        assert f'<option value="{a.restaurant.pk}" selected>' in form
        assert f'<option value="{b.restaurant.pk}"' not in form
        response = client.post("/admin/tables/table/add/", {"restaurant": b.restaurant.pk,
                                                             "number": 9, "label": ""})  # fmt: skip
        assert response.status_code == 200 and not Table.objects.filter(number=9).exists()
        response = client.post("/admin/tables/table/add/", {"restaurant": a.restaurant.pk,
                                                            "number": 9, "label": ""})  # fmt: skip
        assert response.status_code == 302
        assert Table.objects.get(number=9).restaurant == a.restaurant

    def test_sold_out_action_touches_only_their_dishes(self, a, b):
        """Leak: an action posted with B's dish ids marks B's dishes."""
        client = signed_in(staff_user(a.restaurant, "manager"))
        client.post("/admin/menu/dish/", {"action": "mark_sold_out",
                                          "_selected_action": [a.rice.pk, b.rice.pk]})  # fmt: skip
        assert Dish.objects.get(pk=a.rice.pk).sold_out
        assert not Dish.objects.get(pk=b.rice.pk).sold_out

    def test_cannot_add_or_delete_restaurants(self, a, b):
        client = signed_in(staff_user(a.restaurant, "manager"))
        assert client.get("/admin/venues/restaurant/add/").status_code == 403
        response = client.post(f"/admin/venues/restaurant/{a.restaurant.pk}/delete/",
                               {"post": "yes"})  # fmt: skip
        assert response.status_code == 403 and Restaurant.objects.filter(slug="a").exists()

    def test_prices_show_in_the_rows_restaurants_currency(self, a, b):
        """A yen restaurant's ¥680 dish is 680, not 6.80 (the first restaurant's fen)."""
        b.restaurant.currency = "JPY"
        b.restaurant.save()
        client = signed_in(staff_user(b.restaurant, "manager"))
        form = listed(client, f"/admin/menu/dish/{b.rice.pk}/change/")
        assert 'name="price" value="300"' in form  # 300 yen, no minor unit
        assert "¥300" in listed(client, "/admin/menu/dish/") or "JP¥300" in listed(
            client, "/admin/menu/dish/"
        )


class TestStaffAdmin:
    def test_adds_a_new_person_to_their_restaurant_only(self, a, b):
        client = signed_in(staff_user(a.restaurant, "manager"))
        form = {"restaurant": b.restaurant.pk, "role": "waiter", "username": "xiaowang",
                "password1": PASSWORD, "password2": PASSWORD}  # fmt: skip
        assert client.post("/admin/venues/staffmember/add/", form).status_code == 200
        assert not get_user_model().objects.filter(username="xiaowang").exists()
        form["restaurant"] = a.restaurant.pk
        assert client.post("/admin/venues/staffmember/add/", form).status_code == 302
        member = StaffMember.objects.get(user__username="xiaowang")
        assert (member.restaurant, member.role) == (a.restaurant, "waiter")
        assert member.user.check_password(PASSWORD)

    def test_gives_an_existing_user_a_role_without_touching_their_password(self, a, b):
        person = staff_user(b.restaurant, "waiter", username="both")
        client = signed_in(staff_user(a.restaurant, "manager"))
        form = {"restaurant": a.restaurant.pk, "role": "cashier", "username": "both"}
        assert client.post("/admin/venues/staffmember/add/", form).status_code == 302
        assert set(person.memberships.values_list("restaurant__slug", "role")) == {
            ("a", "cashier"), ("b", "waiter")}  # fmt: skip
        person.refresh_from_db()
        assert person.check_password(PASSWORD)

    def test_removes_only_their_staff(self, a, b):
        theirs = staff_user(b.restaurant, "kitchen").memberships.get()
        mine = staff_user(a.restaurant, "kitchen").memberships.get()
        client = signed_in(staff_user(a.restaurant, "manager"))
        url = "/admin/venues/staffmember/{}/delete/"
        assert client.post(url.format(theirs.pk), {"post": "yes"}).status_code == 404
        assert client.post(url.format(mine.pk), {"post": "yes"}).status_code == 302
        assert StaffMember.objects.filter(pk=theirs.pk).exists()
        assert not StaffMember.objects.filter(pk=mine.pk).exists()

    def test_a_device_gets_a_pairing_link_shown_once(self, a, b):
        device = device_create(restaurant=a.restaurant, role="kitchen", name="kitchen pass")
        other = device_create(restaurant=b.restaurant, role="kitchen", name="kitchen pass")
        client = signed_in(staff_user(a.restaurant, "manager"))
        response = client.post(
            "/admin/venues/staffmember/",
            {"action": "open_pairing_link", "_selected_action": [device.pk, other.pk]},
            follow=True,
        )
        text = response.content.decode()
        assert text.count("/staff/pair/") == 1
        device.refresh_from_db(), other.refresh_from_db()
        assert device.pairing_digest and not other.pairing_digest
        # shown once: the next page does not repeat it
        assert "/staff/pair/" not in listed(client, "/admin/venues/staffmember/")

    def test_a_device_is_added_without_a_password(self, a):
        client = signed_in(staff_user(a.restaurant, "manager"))
        form = {"restaurant": a.restaurant.pk, "role": "kitchen", "username": "Pass 2",
                "is_device": "on"}  # fmt: skip
        assert client.post("/admin/venues/staffmember/add/", form).status_code == 302
        member = StaffMember.objects.get(is_device=True)
        assert member.user.username == "a.pass-2" and not member.user.has_usable_password()


@pytest.mark.parametrize("role", ["kitchen", "waiter", "cashier"])
def test_other_roles_get_no_admin(a, role, settings):
    """Leak: a cook's tablet (is_staff or not) opening the admin and changing prices."""
    user = staff_user(a.restaurant, role, is_staff=True)
    client = signed_in(user)
    for url in ("/admin/", "/admin/menu/dish/", f"/admin/menu/dish/{a.rice.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = Client().post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in response.wsgi_request.session


def test_a_device_gets_no_admin(a):
    """Leak: a tablet signed in with no password (a manager's device too) editing the menu."""
    device = device_create(restaurant=a.restaurant, role="manager", name="office tablet")
    client = signed_in(device.user)
    response = client.get("/admin/menu/dish/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_manager_signs_in_to_the_admin(a):
    manager = staff_user(a.restaurant, "manager", is_staff=False)
    response = Client().post("/admin/login/?next=/admin/",
                             {"username": manager.username, "password": PASSWORD})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_a_superuser_sees_every_restaurant(a, b):
    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    client = signed_in(root)
    dishes = listed(client, "/admin/menu/dish/")
    assert f"/admin/menu/dish/{a.rice.pk}/change/" in dishes
    assert f"/admin/menu/dish/{b.rice.pk}/change/" in dishes
    assert client.get(f"/admin/menu/dish/{b.rice.pk}/change/").status_code == 200
    assert OptionGroup.objects.count() == 4
