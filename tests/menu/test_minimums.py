"""起售份数: a dish sold from a minimum number of portions per line. Adding below it or setting
a line's quantity below it is refused with the minimum (0 still removes the line); the menu
says it where it is more than one; the admin sets it."""

import pytest
from django.contrib.auth import get_user_model

from restaurant.dining.models import CartLine
from restaurant.menu.models import Dish
from tests.dining.helpers import apply, arrive
from tests.dining.test_services import refused
from tests.menu.test_option_groups import served_dish
from tests.menu.test_photos import dish_form
from tests.venues.test_admin import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def dumplings(menu):
    """The rice, sold by two at least."""
    Dish.objects.filter(pk=menu.rice.pk).update(min_qty=2)
    menu.rice.refresh_from_db()
    menu.rice.save()  # a new menu version, as an admin save makes
    return menu.rice


def add(diner, dish, op_id, qty=None):
    message = {"type": "cart.add", "id": op_id, "dish_id": dish.pk}
    return apply(diner, message if qty is None else {**message, "qty": qty})


def test_adding_fewer_than_the_minimum_is_refused(menu, dumplings):
    diner = arrive(menu.table)
    for qty in (None, 1):
        error = refused(diner, {"type": "cart.add", "id": f"a{qty}", "dish_id": dumplings.pk,
                                **({"qty": qty} if qty else {})}, "bad_request")  # fmt: skip
        assert error.extra == {"detail": "min_qty", "min": 2, "dish_id": dumplings.pk}
        assert str(dumplings.pk) not in error.message
    add(diner, dumplings, "b", qty=2)
    add(diner, dumplings, "c", qty=1)  # the line's result is 3: above the minimum
    assert CartLine.objects.get().qty == 3
    # A line of another diner (or other options or note) counts on its own.
    other = arrive(menu.table)
    refused(other, {"type": "cart.add", "id": "d", "dish_id": dumplings.pk}, "bad_request")


def test_a_line_cannot_be_set_below_the_minimum_but_can_be_removed(menu, dumplings):
    diner = arrive(menu.table)
    add(diner, dumplings, "a", qty=3)
    line = CartLine.objects.get()
    error = refused(diner, {"type": "cart.set_qty", "id": "q", "line_id": line.pk, "qty": 1},
                    "bad_request")  # fmt: skip
    assert error.extra == {"detail": "min_qty", "min": 2, "dish_id": dumplings.pk}
    apply(diner, {"type": "cart.set_qty", "id": "q2", "line_id": line.pk, "qty": 2})
    assert CartLine.objects.get().qty == 2
    apply(diner, {"type": "cart.set_qty", "id": "q0", "line_id": line.pk, "qty": 0})
    assert not CartLine.objects.exists()


def test_a_dish_of_one_is_as_before(menu):
    diner = arrive(menu.table)
    add(diner, menu.rice, "a")
    line = CartLine.objects.get()
    apply(diner, {"type": "cart.set_qty", "id": "q", "line_id": line.pk, "qty": 1})
    assert "min_qty" not in served_dish(menu.restaurant, menu.rice)


def test_the_menu_says_the_minimum_where_it_is_more_than_one(menu, dumplings):
    assert served_dish(menu.restaurant, dumplings)["min_qty"] == 2
    assert "min_qty" not in served_dish(menu.restaurant, menu.chicken)


def test_the_admin_sets_the_minimum(menu):
    root = get_user_model().objects.create_superuser("root", password="a-long-password-1")
    client = signed_in(root)
    page = client.get(f"/admin/menu/dish/{menu.rice.pk}/change/").content.decode()
    assert 'name="min_qty"' in page
    url = f"/admin/menu/dish/{menu.rice.pk}/change/"
    assert client.post(url, dish_form(menu, min_qty="2")).status_code == 302
    assert Dish.objects.get(pk=menu.rice.pk).min_qty == 2
    refused_form = client.post(url, dish_form(menu, min_qty="0"))
    assert refused_form.status_code == 200 and refused_form.context["adminform"].form.errors
