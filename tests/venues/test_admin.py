"""The admin per restaurant: a manager of A sees, picks and edits only A's rows; a cook, a
waiter, a cashier or a device gets no admin; a superuser sees all. Each test names the leak it
stops."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client

from restaurant.dining.models import DiningSession
from restaurant.kitchen.models import Order
from restaurant.menu.models import Category, Dish, OptionGroup
from restaurant.tables.models import Table
from restaurant.venues.devices import device_create
from restaurant.venues.forms import DEVICE_LIKE, NO_MANAGER_DEVICE, TAKEN
from restaurant.venues.models import Restaurant, StaffMember
from restaurant.venues.services import restaurant_create, staff_member_create
from tests.dining.helpers import apply, arrive
from tests.support.people import PASSWORD, staff_user

pytestmark = pytest.mark.django_db


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
        """Options carry no restaurant: asked about their group's (not refused outright)."""
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
            "description_en": "", "price": "9", "image": "", "sort_order": 0, "min_qty": 1,
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
        """Someone on the staff of another restaurant the same manager manages."""
        person = staff_user(b.restaurant, "waiter", username="both")
        staff_user(a.restaurant, "manager", username="boss")
        client = signed_in(staff_user(b.restaurant, "manager", username="boss"))
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


def errors(response, field: str) -> list[str]:
    """The admin form's errors on ``field`` (in the test's language, as the constants)."""
    assert response.status_code == 200  # the form again, not saved
    return [str(message) for message in response.context["adminform"].form.errors.get(field, [])]


class TestWhomAManagerMayAdd:
    """Leak: A's manager typing any existing username (no password) gave that account a role
    at A: another restaurant's manager, another restaurant's paired tablet (whose password-less
    session then opened A's admin), the superuser; and the answer told which names exist."""

    def add(self, client, restaurant, username, role="manager", **more):
        form = {"restaurant": restaurant.pk, "role": role, "username": username, **more}
        return client.post("/admin/venues/staffmember/add/", form)

    @pytest.mark.parametrize("who", ["other manager", "other cook", "superuser", "inactive"])
    def test_an_account_they_do_not_manage_is_taken(self, a, b, who):
        User = get_user_model()
        if who == "other manager":
            target = staff_user(b.restaurant, "manager", username="target")
        elif who == "other cook":
            target = staff_user(b.restaurant, "kitchen", username="target")
        elif who == "superuser":
            target = User.objects.create_superuser("target", password=PASSWORD)
        else:  # on A's staff, but deactivated
            target = staff_user(a.restaurant, "waiter", username="target", is_active=False)
        before = set(target.memberships.values_list("restaurant_id", "role"))
        client = signed_in(staff_user(a.restaurant, "manager", username="a-boss"))
        response = self.add(client, a.restaurant, "target", role="kitchen")
        assert errors(response, "username") == [str(TAKEN)]  # and nothing about who it is
        assert set(target.memberships.values_list("restaurant_id", "role")) == before
        # a new person with a taken name hears the same, with a password or without
        response = self.add(client, a.restaurant, "target", role="kitchen",
                            password1=PASSWORD, password2=PASSWORD)  # fmt: skip
        assert errors(response, "username") == [str(TAKEN)]
        assert set(target.memberships.values_list("restaurant_id", "role")) == before

    def test_another_restaurants_tablet_cannot_become_their_manager(self, a, b):
        tablet = device_create(restaurant=b.restaurant, role="kitchen", name="pass")
        client = signed_in(staff_user(a.restaurant, "manager"))
        response = self.add(client, a.restaurant, tablet.user.username)
        assert errors(response, "username") == [str(DEVICE_LIKE)]
        assert list(tablet.user.memberships.all()) == [tablet]

    def test_their_own_tablet_cannot_become_a_person_either(self, a):
        tablet = device_create(restaurant=a.restaurant, role="kitchen", name="pass")
        root = get_user_model().objects.create_superuser("root", password=PASSWORD)
        for user in (staff_user(a.restaurant, "manager"), root):
            response = self.add(signed_in(user), a.restaurant, tablet.user.username, "waiter")
            assert errors(response, "username") == [str(DEVICE_LIKE)]
            assert list(tablet.user.memberships.all()) == [tablet]
        # its name no longer reads as a device's (the restaurant's slug changed): still one
        Restaurant.objects.filter(pk=a.restaurant.pk).update(slug="a2")
        for user in (staff_user(a.restaurant, "manager"), root):
            response = self.add(signed_in(user), a.restaurant, tablet.user.username, "waiter")
            assert errors(response, "username") == [str(TAKEN)]
            assert list(tablet.user.memberships.all()) == [tablet]

    def test_no_person_is_named_like_a_device(self, a, b):
        """``b.pass`` would read as B's tablet (and take the name B's tablet would get)."""
        client = signed_in(staff_user(a.restaurant, "manager"))
        for name in ("b.pass", "A.office"):
            response = self.add(client, a.restaurant, name, role="waiter",
                                password1=PASSWORD, password2=PASSWORD)  # fmt: skip
            assert errors(response, "username") == [str(DEVICE_LIKE)]
            assert not get_user_model().objects.filter(username=name).exists()
        with pytest.raises(ValidationError, match="device"):
            staff_member_create(restaurant=a.restaurant, role="waiter", username="b.pass",
                                password=PASSWORD)  # fmt: skip

    def test_the_services_give_no_device_a_persons_role(self, a, b):
        tablet = device_create(restaurant=b.restaurant, role="kitchen", name="pass")
        with pytest.raises(ValidationError, match="is a device"):
            staff_member_create(restaurant=a.restaurant, role="manager",
                                username=tablet.user.username, password=None)  # fmt: skip
        assert list(tablet.user.memberships.all()) == [tablet]

    def test_a_device_is_never_a_manager(self, a):
        client = signed_in(staff_user(a.restaurant, "manager"))
        response = self.add(client, a.restaurant, "office", is_device="on")
        assert errors(response, "role") == [str(NO_MANAGER_DEVICE)]
        assert not StaffMember.objects.filter(is_device=True).exists()
        tablet = device_create(restaurant=a.restaurant, role="kitchen", name="pass")
        url = f"/admin/venues/staffmember/{tablet.pk}/change/"
        response = client.post(url, {"role": "manager"})
        assert errors(response, "role") == [str(NO_MANAGER_DEVICE)]
        tablet.refresh_from_db()
        assert tablet.role == "kitchen"
        assert client.post(url, {"role": "waiter"}).status_code == 302
        tablet.refresh_from_db()
        assert tablet.role == "waiter"


def test_a_device_with_a_managers_row_elsewhere_gets_no_admin(a, b):
    """Leak: a tablet of B given a person's manager row at A opened A's admin with its
    password-less session."""
    tablet = device_create(restaurant=b.restaurant, role="kitchen", name="pass")
    StaffMember.objects.create(user=tablet.user, restaurant=a.restaurant, role="manager")
    response = signed_in(tablet.user).get("/admin/menu/dish/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


class TestRowsStayWithTheirRestaurant:
    """Leak: someone who manages A and B moved A's table (its open meal, bill, orders and
    unsent cart went on showing to B's staff) or A's category (its dishes stayed A's) to B."""

    @pytest.fixture(params=["manager of both", "superuser"])
    def client(self, request, a, b):
        if request.param == "superuser":
            user = get_user_model().objects.create_superuser("root", password=PASSWORD)
        else:
            user = staff_user(a.restaurant, "manager", username="boss")
            staff_user(b.restaurant, "manager", username="boss")
        return signed_in(user)

    def test_a_table(self, client, a, b):
        url = f"/admin/tables/table/{a.table.pk}/change/"
        assert 'name="restaurant"' not in listed(client, url)
        data = {"restaurant": b.restaurant.pk, "number": 7, "label": "窗边"}
        assert client.post(url, data).status_code == 302
        a.table.refresh_from_db()
        assert (a.table.restaurant_id, a.table.label) == (a.restaurant.pk, "窗边")

    def test_a_category(self, client, a, b):
        category = a.rice.category
        url = f"/admin/menu/category/{category.pk}/change/"
        assert 'name="restaurant"' not in listed(client, url)
        data = {"restaurant": b.restaurant.pk, "name": "饭", "name_en": "", "sort_order": 3,
                "dishes-TOTAL_FORMS": 0, "dishes-INITIAL_FORMS": 0,
                "hours-TOTAL_FORMS": 0, "hours-INITIAL_FORMS": 0}  # fmt: skip
        assert client.post(url, data).status_code == 302
        category.refresh_from_db()
        assert (category.restaurant_id, category.name) == (a.restaurant.pk, "饭")

    def test_a_dish_moves_only_within_its_restaurant(self, client, a, b):
        url = f"/admin/menu/dish/{a.rice.pk}/change/"
        data = {"category": b.rice.category_id, "name": "米饭", "name_en": "Rice",
                "description": "", "description_en": "", "price": "3", "image": "",
                "sort_order": 0, "min_qty": 1}  # fmt: skip
        response = client.post(url, data)
        assert (
            response.status_code == 200 and "stays with its restaurant" in response.content.decode()
        )
        a.rice.refresh_from_db()
        assert (a.rice.restaurant_id, a.rice.category_id) == (a.restaurant.pk, a.rice.category_id)
        data["category"] = a.chicken.category_id
        assert client.post(url, data).status_code == 302
        a.rice.refresh_from_db()
        assert a.rice.category_id == a.chicken.category_id

    def test_the_models_refuse_a_move(self, a, b):
        for row in (a.table, a.rice.category):
            row.restaurant = b.restaurant
            with pytest.raises(ValidationError, match="cannot move to another restaurant"):
                row.save()
            assert type(row).objects.get(pk=row.pk).restaurant_id == a.restaurant.pk
        a.rice.category = b.rice.category
        with pytest.raises(ValidationError, match="cannot move"):
            a.rice.save()
        # a row refreshed in part still knows where it was
        table = Table.objects.get(pk=a.table.pk)
        table.restaurant = b.restaurant
        table.refresh_from_db(fields=["label"])
        with pytest.raises(ValidationError, match="cannot move"):
            table.save()
        # a row built by hand, not loaded: asked of the database
        with pytest.raises(ValidationError, match="cannot move"):
            Table(pk=a.table.pk, restaurant=b.restaurant, number=5, token=a.table.token).save()
        assert Table.objects.get(pk=a.table.pk).number == a.table.number
        # other edits save, with or without naming the fields
        table = Table.objects.get(pk=a.table.pk)
        table.label = "包间"
        table.save()
        table.save(update_fields=["label"])
        category = Category.objects.get(pk=a.rice.category_id)
        category.name = "饭"
        category.save()


# The till's settings as the restaurant's form posts them untouched (tests/billing/test_admin.py).
TILL_DEFAULTS = {"cover_charge": "0", "service_percent": "0", "rounding": "none",
                 "payment_methods": '["cash", "card"]', "day_starts_at": "05:00"}  # fmt: skip


class TestCurrency:
    """Leak: any text taken as a restaurant's currency (``zz1``, ``<b>``) broke the table
    page's prices (``Intl.NumberFormat``: RangeError); and a menu's stored prices reread in a
    currency of other decimals (CNY 68.00 → JPY 6800)."""

    def post(self, client, restaurant, currency):
        data = {"name": restaurant.name, "name_en": "", "currency": currency,
                "language": restaurant.language, "hold_first_round": "on",
                "idle_close_minutes": 30, **TILL_DEFAULTS}  # fmt: skip
        return client.post(f"/admin/venues/restaurant/{restaurant.pk}/change/", data)

    @pytest.mark.parametrize("currency", ["zz1", "<b>", "XYZ", "cny"])
    def test_only_iso_4217_codes(self, a, currency):
        client = signed_in(staff_user(a.restaurant, "manager"))
        response = self.post(client, a.restaurant, currency)
        assert response.status_code == 200 and "ISO 4217" in response.content.decode()
        a.restaurant.refresh_from_db()
        assert a.restaurant.currency == "CNY"
        with pytest.raises(ValidationError, match="ISO 4217"):
            Restaurant(name="x", slug="x", currency=currency).full_clean()

    @pytest.mark.parametrize("currency", ["XYZ", "ZZZ", "<b>"])
    def test_restaurant_create_takes_only_iso_4217_codes(self, currency):
        with pytest.raises(ValidationError, match="ISO 4217"):
            restaurant_create(name="x", slug="x", currency=currency)
        assert restaurant_create(name="y", slug="y", currency="jpy").currency == "JPY"

    def test_same_decimals_change_freely(self, a):
        client = signed_in(staff_user(a.restaurant, "manager"))
        assert self.post(client, a.restaurant, "HKD").status_code == 302
        a.restaurant.refresh_from_db()
        assert a.restaurant.currency == "HKD"

    def test_other_decimals_only_without_dishes(self, a):
        client = signed_in(staff_user(a.restaurant, "manager"))
        response = self.post(client, a.restaurant, "JPY")
        assert response.status_code == 200 and "other units" in response.content.decode()
        a.restaurant.refresh_from_db()
        assert a.restaurant.currency == "CNY"
        assert Dish.objects.get(pk=a.pork.pk).price == 6800
        empty = restaurant_create(name="新店", slug="new")
        client = signed_in(staff_user(empty, "manager"))
        assert self.post(client, empty, "JPY").status_code == 302
        empty.refresh_from_db()
        assert empty.currency == "JPY"


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
    device = device_create(restaurant=a.restaurant, role="kitchen", name="office tablet")
    # No device is made a manager any more; one from before that rule still gets no admin.
    StaffMember.objects.filter(pk=device.pk).update(role="manager")
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
