"""Tags and spice level in the admin, per restaurant: a manager of A lists, opens and picks only
A's tags; a dish is tagged only with its own restaurant's tags (another's is neither offered
nor taken, from a superuser either); a dish's spice level is set on its page."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from restaurant.menu.models import Dish, Tag
from tests.factories import make_menu
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


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


def tags_of(restaurant) -> tuple[Tag, Tag]:
    veg = Tag.objects.create(restaurant=restaurant, name="素", name_en="Vegetarian", icon="🥬")
    nuts = Tag.objects.create(restaurant=restaurant, name=f"含坚果{restaurant.slug}",
                              name_en="Contains nuts", icon="🥜")  # fmt: skip
    return veg, nuts


def dish_form(dish: Dish, **fields) -> dict:
    data = {
        "category": dish.category_id, "name": dish.name, "name_en": dish.name_en,
        "description": "", "description_en": "", "price": "3.00", "image": "",
        "sort_order": "0", "min_qty": "1", "spice": str(dish.spice),
    }  # fmt: skip
    data.update(fields)
    return data


def form_errors(response, field: str) -> list[str]:
    assert response.status_code == 200, "the form again, not saved"
    return response.context["adminform"].form.errors.get(field, [])


def test_a_manager_lists_and_opens_only_their_tags(a, b):
    """Leak: B's tags listed to A's manager, or opened by their id."""
    tags_of(a.restaurant)
    _, theirs = tags_of(b.restaurant)
    client = signed_in(staff_user(a.restaurant, "manager"))
    page = client.get("/admin/menu/tag/").content.decode()
    assert "含坚果a" in page and "含坚果b" not in page
    assert client.get(f"/admin/menu/tag/{theirs.pk}/change/").status_code == 404
    assert client.post(f"/admin/menu/tag/{theirs.pk}/delete/", {"post": "yes"}).status_code == 404
    assert Tag.objects.filter(pk=theirs.pk).exists()


def test_a_new_tag_is_their_restaurants(a, b):
    client = signed_in(staff_user(a.restaurant, "manager"))
    form = {"name": "海鲜", "name_en": "Seafood", "icon": "🦐", "sort_order": "0"}
    response = client.post("/admin/menu/tag/add/", {**form, "restaurant": b.restaurant.pk})
    assert response.status_code == 200 and not Tag.objects.filter(name="海鲜").exists()
    response = client.post("/admin/menu/tag/add/", {**form, "restaurant": a.restaurant.pk})
    assert response.status_code == 302
    assert Tag.objects.get(name="海鲜").restaurant == a.restaurant


def test_a_dish_is_offered_only_its_restaurants_tags(a, b):
    """Leak: B's tags offered on A's dish page (by name, or by id to pick)."""
    veg, nuts = tags_of(a.restaurant)
    their_veg, their_nuts = tags_of(b.restaurant)
    client = signed_in(staff_user(a.restaurant, "manager"))
    for url in (f"/admin/menu/dish/{a.rice.pk}/change/", "/admin/menu/dish/add/"):
        page = client.get(url).content.decode()
        assert f'name="tags" value="{veg.pk}"' in page
        assert f'name="tags" value="{nuts.pk}"' in page
        assert f'name="tags" value="{their_veg.pk}"' not in page
        assert f'name="tags" value="{their_nuts.pk}"' not in page and "含坚果b" not in page


def test_a_dish_takes_its_tags_and_spice_level(a):
    _, nuts = tags_of(a.restaurant)
    client = signed_in(staff_user(a.restaurant, "manager"))
    form = dish_form(a.chicken, tags=[nuts.pk], spice="3", option_groups=[a.spice.pk])
    response = client.post(f"/admin/menu/dish/{a.chicken.pk}/change/", form)
    assert response.status_code == 302, form_errors(response, "__all__")
    a.chicken.refresh_from_db()
    assert a.chicken.spice == 3 and list(a.chicken.tags.all()) == [nuts]


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_another_restaurants_tag_is_refused(a, b, who):
    """Leak: A's dish tagged with B's tag by posting its id (a superuser's form lists every
    restaurant's tags on a new dish: the dish's restaurant decides)."""
    veg, _ = tags_of(a.restaurant)
    _, theirs = tags_of(b.restaurant)
    if who == "manager":
        user = staff_user(a.restaurant, "manager")
    else:
        user = get_user_model().objects.create_superuser("root", password="a-long-password-1")
    client = signed_in(user)
    form = dish_form(a.rice, tags=[veg.pk, theirs.pk])
    response = client.post(f"/admin/menu/dish/{a.rice.pk}/change/", form)
    assert form_errors(response, "tags")
    assert not a.rice.tags.exists()
    new = dish_form(a.rice, name="偷标签", tags=[theirs.pk])
    assert form_errors(client.post("/admin/menu/dish/add/", new), "tags")
    assert not Dish.objects.filter(name="偷标签").exists()


def test_a_form_without_the_spice_level_keeps_it(a):
    """A form posted without the field (a script's) leaves the level as it was."""
    a.chicken.spice = 2
    a.chicken.save()
    client = signed_in(staff_user(a.restaurant, "manager"))
    form = dish_form(a.chicken, option_groups=[a.spice.pk])
    del form["spice"]
    response = client.post(f"/admin/menu/dish/{a.chicken.pk}/change/", form)
    assert response.status_code == 302, form_errors(response, "spice")
    a.chicken.refresh_from_db()
    assert a.chicken.spice == 2
