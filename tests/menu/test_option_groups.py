"""Option groups are a restaurant's, defined once and offered on many of its dishes; options
can be sold out. Each rule: the ops, the menu's JSON, the admin, the migration that moved every
group of the old schema (one dish each) to its restaurant."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from restaurant.dining.models import CartLine, DiningSession
from restaurant.kitchen.models import Order
from restaurant.menu.catalog import catalog
from restaurant.menu.models import Dish, Option, OptionGroup
from restaurant.menu.selectors import menu_payload
from restaurant.realtime.errors import OpError
from restaurant.venues.models import Restaurant
from tests.dining.helpers import apply, arrive
from tests.dining.test_services import refused
from tests.factories import make_menu
from tests.support.people import staff_user
from tests.venues.test_admin import listed, signed_in


@pytest.fixture
def a():
    return make_menu("a", "甲店")


@pytest.fixture
def b():
    return make_menu("b", "乙店")


def version(restaurant) -> int:
    return Restaurant.objects.values_list("menu_version", flat=True).get(pk=restaurant.pk)


def served_dish(restaurant, dish) -> dict:
    payload = menu_payload(restaurant=Restaurant.objects.get(pk=restaurant.pk))
    return next(d for c in payload["categories"] for d in c["dishes"] if d["id"] == dish.pk)


def add(diner, dish, op_id, **fields):
    return apply(diner, {"type": "cart.add", "id": op_id, "dish_id": dish.pk, **fields})


def choices(page: str, name: str) -> set[int]:
    """The option values of the page's ``<select name=name>``."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select {name}"
    return {int(v) for v in re.findall(r'<option value="(\d+)"', select.group(1))}


@pytest.mark.django_db
class TestShared:
    def test_one_group_offered_on_two_dishes(self, menu):
        menu.rice.option_groups.add(menu.spice)
        diner = arrive(menu.table)
        add(diner, menu.rice, "r", options=[menu.hot.pk])
        add(diner, menu.chicken, "c", options=[menu.hot.pk])
        assert sorted(CartLine.objects.values_list("options", flat=True)) == [
            [menu.hot.pk], [menu.hot.pk]
        ]  # fmt: skip
        # Required on each: the rice needs its spice level now.
        error = refused(diner, {"type": "cart.add", "id": "r2", "dish_id": menu.rice.pk},
                        "bad_request")  # fmt: skip
        assert (error.extra["detail"], error.extra["group_id"]) == ("options", menu.spice.pk)
        # The group's extras stay the chicken's.
        refused(diner, {"type": "cart.add", "id": "r3", "dish_id": menu.rice.pk,
                        "options": [menu.mild.pk, menu.peanuts.pk]}, "bad_request")  # fmt: skip

    def test_the_catalog_and_the_menu_list_each_dishs_groups_in_order(self, menu):
        late = OptionGroup.objects.create(restaurant=menu.restaurant, name="份量", sort_order=-1)
        Option.objects.create(group=late, name="大份", price=500)
        menu.rice.option_groups.add(late, menu.spice)
        menu.chicken.option_groups.add(late)
        served = catalog(menu.restaurant.pk, version(menu.restaurant))
        assert [g.pk for g in served.groups[menu.rice.pk]] == [late.pk, menu.spice.pk]
        assert [g.pk for g in served.groups[menu.chicken.pk]] == [
            late.pk, menu.spice.pk, menu.extras.pk,
        ]  # fmt: skip
        # One object per group, whichever dishes offer it.
        assert served.groups[menu.rice.pk][0] is served.groups[menu.chicken.pk][0]
        rice = served_dish(menu.restaurant, menu.rice)
        assert [g["id"] for g in rice["option_groups"]] == [late.pk, menu.spice.pk]
        assert rice["option_groups"][0]["options"] == [
            {"id": late.options.get().pk, "name": "大份", "name_en": "", "price": 500}
        ]

    def test_attaching_and_taking_off_move_the_menu_version(self, menu):
        before = version(menu.restaurant)
        menu.rice.option_groups.add(menu.spice)
        assert version(menu.restaurant) == before + 1
        menu.rice.option_groups.add(menu.spice)  # already there: no change
        assert version(menu.restaurant) == before + 1
        menu.spice.dishes.remove(menu.rice)  # from the group's side
        assert version(menu.restaurant) == before + 2
        menu.chicken.option_groups.clear()
        assert version(menu.restaurant) == before + 3
        assert catalog(menu.restaurant.pk, before + 3).groups.get(menu.chicken.pk) is None

    def test_a_group_stays_with_its_restaurant(self, menu):
        other = make_menu("other", "别家")
        group = OptionGroup.objects.get(pk=menu.spice.pk)
        group.restaurant = other.restaurant
        with pytest.raises(ValidationError):
            group.save()


@pytest.mark.django_db
class TestSoldOut:
    def switch(self, option, sold_out=True):
        option.sold_out = sold_out
        option.save()

    def test_adding_a_sold_out_option_is_refused(self, menu):
        diner = arrive(menu.table)
        self.switch(menu.hot)
        error = refused(diner, {"type": "cart.add", "id": "a", "dish_id": menu.chicken.pk,
                                "options": [menu.hot.pk, menu.peanuts.pk]}, "sold_out")  # fmt: skip
        assert error.extra == {"dish_ids": [menu.chicken.pk], "option_ids": [menu.hot.pk]}
        assert str(menu.hot.pk) not in error.message
        add(diner, menu.chicken, "b", options=[menu.mild.pk, menu.peanuts.pk])  # another is fine
        self.switch(menu.hot, False)
        add(diner, menu.chicken, "c", options=[menu.hot.pk])

    def test_sending_a_line_whose_option_went_sold_out_is_refused(self, menu):
        diner = arrive(menu.table)
        add(diner, menu.chicken, "a", options=[menu.hot.pk, menu.meat.pk])
        add(diner, menu.chicken, "b", options=[menu.mild.pk])
        add(diner, menu.rice, "r")
        self.switch(menu.meat)
        self.switch(menu.hot)
        seq = DiningSession.objects.get().seq
        error = refused(diner, {"type": "order.submit", "id": "s", "seq": seq}, "sold_out")
        assert error.extra == {"dish_ids": [menu.chicken.pk],
                               "option_ids": sorted([menu.hot.pk, menu.meat.pk])}  # fmt: skip
        assert not Order.objects.exists()
        # The line taken out, the rest goes.
        line = CartLine.objects.get(options=sorted([menu.hot.pk, menu.meat.pk]))
        apply(diner, {"type": "cart.remove", "id": "x", "line_id": line.pk})
        apply(diner, {"type": "order.submit", "id": "s2", "seq": DiningSession.objects.get().seq})
        assert Order.objects.get().items.count() == 2

    def test_the_menu_marks_only_sold_out_options(self, menu):
        self.switch(menu.hot)
        options = {o["id"]: o for g in served_dish(menu.restaurant, menu.chicken)["option_groups"]
                   for o in g["options"]}  # fmt: skip
        assert options[menu.hot.pk]["sold_out"] is True
        assert all("sold_out" not in o for i, o in options.items() if i != menu.hot.pk)

    def test_the_switch_moves_the_menu_version(self, menu):
        before = version(menu.restaurant)
        self.switch(menu.hot)
        assert version(menu.restaurant) == before + 1


@pytest.mark.django_db
class TestAdmin:
    def test_a_dish_offers_only_its_restaurants_groups(self, a, b):
        client = signed_in(staff_user(a.restaurant, "manager"))
        page = listed(client, f"/admin/menu/dish/{a.chicken.pk}/change/")
        assert choices(page, "option_groups") == {a.spice.pk, a.extras.pk}
        # A group listed with its options, as groups may share a name.
        assert "辣度 (微辣、特辣)" in page and "加料 (加花生 +" in page

    def test_another_restaurants_group_is_refused_on_a_dish(self, a, b):
        root = get_user_model().objects.create_superuser("root", password="a-long-password-1")
        client = signed_in(root)
        # A new dish: the superuser's picker lists every restaurant's groups; the form refuses.
        assert {a.spice.pk, b.spice.pk} <= choices(listed(client, "/admin/menu/dish/add/"),
                                                   "option_groups")  # fmt: skip
        data = {"category": a.rice.category_id, "name": "混搭", "name_en": "", "price": "9",
                "description": "", "description_en": "", "image": "", "sort_order": 0,
                "min_qty": 1, "option_groups": [a.spice.pk, b.spice.pk]}  # fmt: skip
        response = client.post("/admin/menu/dish/add/", data)
        assert response.status_code == 200
        assert "of another restaurant" in response.content.decode()
        assert not Dish.objects.filter(name="混搭").exists()
        data["option_groups"] = [a.spice.pk]
        assert client.post("/admin/menu/dish/add/", data).status_code == 302
        assert list(Dish.objects.get(name="混搭").option_groups.all()) == [a.spice]
        # An existing dish: only its own restaurant's groups are choices at all.
        manager = signed_in(staff_user(a.restaurant, "manager"))
        data = {**data, "option_groups": [b.spice.pk]}
        response = manager.post(f"/admin/menu/dish/{a.rice.pk}/change/", data)
        assert response.status_code == 200 and not a.rice.option_groups.exists()

    def test_a_group_is_attached_from_its_own_page(self, a, b):
        client = signed_in(staff_user(a.restaurant, "manager"))
        url = f"/admin/menu/optiongroup/{a.spice.pk}/change/"
        page = listed(client, url)
        assert choices(page, "dishes") == set(a.restaurant.dishes.values_list("pk", flat=True))
        assert "微辣" in page
        options = list(a.spice.options.all())
        data = {
            "name": "辣度", "name_en": "Spice", "min_choices": 1, "max_choices": 1,
            "sort_order": 0, "dishes": [a.chicken.pk, a.rice.pk],
            "options-TOTAL_FORMS": len(options), "options-INITIAL_FORMS": len(options),
            **{f"options-{i}-{k}": v for i, o in enumerate(options) for k, v in {
                "id": o.pk, "group": a.spice.pk, "name": o.name, "name_en": "", "price": "0",
                "sort_order": 0, **({"sold_out": "on"} if i == 1 else {})}.items()},
        }  # fmt: skip
        before = version(a.restaurant)
        assert client.post(url, data).status_code == 302
        assert set(a.spice.dishes.all()) == {a.chicken, a.rice}
        assert Option.objects.get(pk=options[1].pk).sold_out  # switched in the inline
        assert version(a.restaurant) > before
        # Another restaurant's dish is no choice.
        response = client.post(url, {**data, "dishes": [b.rice.pk]})
        assert response.status_code == 200 and not b.rice.option_groups.exists()

    def test_a_new_group_takes_dishes_of_its_restaurant_only(self, a, b):
        root = get_user_model().objects.create_superuser("root", password="a-long-password-1")
        client = signed_in(root)
        data = {"restaurant": a.restaurant.pk, "name": "蒜量", "name_en": "Garlic",
                "min_choices": 0, "max_choices": 1, "sort_order": 0,
                "dishes": [a.rice.pk, b.rice.pk],
                "options-TOTAL_FORMS": 0, "options-INITIAL_FORMS": 0}  # fmt: skip
        response = client.post("/admin/menu/optiongroup/add/", data)
        assert response.status_code == 200 and not OptionGroup.objects.filter(name="蒜量")
        data["dishes"] = [a.rice.pk]
        assert client.post("/admin/menu/optiongroup/add/", data).status_code == 302
        group = OptionGroup.objects.get(name="蒜量")
        assert (group.restaurant, list(group.dishes.all())) == (a.restaurant, [a.rice])

    def test_options_are_switched_sold_out_from_their_list(self, a, b):
        client = signed_in(staff_user(a.restaurant, "manager"))
        page = listed(client, "/admin/menu/option/")
        assert f"/admin/menu/option/{a.hot.pk}/change/" in page
        assert f"/admin/menu/option/{b.hot.pk}/change/" not in page
        before = version(a.restaurant)
        data = {"form-TOTAL_FORMS": 1, "form-INITIAL_FORMS": 1, "form-0-id": a.hot.pk,
                "form-0-sold_out": "on", "_save": "Save"}  # fmt: skip
        assert client.post("/admin/menu/option/", data).status_code == 302
        assert Option.objects.get(pk=a.hot.pk).sold_out
        assert version(a.restaurant) == before + 1
        # Another restaurant's option is not theirs to switch.
        data["form-0-id"] = b.hot.pk
        client.post("/admin/menu/option/", data)
        assert not Option.objects.get(pk=b.hot.pk).sold_out


MIGRATED_FROM = [("menu", "0009_stock_tags_minimums")]
MIGRATED_TO = [("menu", "0010_option_groups_shared")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_each_group_to_its_dishs_restaurant():
    """menu/0010: each group of the old schema keeps its id and options, takes its dish's
    restaurant and is offered on that dish; backwards, a shared group is copied per dish."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate(MIGRATED_FROM)
        Restaurant_ = old.get_model("venues", "Restaurant")
        Category_, Dish_, Group_, Option_ = (
            old.get_model("menu", n) for n in ("Category", "Dish", "OptionGroup", "Option")
        )
        dishes = []
        for slug in ("m1", "m2"):
            restaurant = Restaurant_.objects.create(slug=slug, name=slug)
            category = Category_.objects.create(restaurant=restaurant, name="热菜")
            dishes.append(Dish_.objects.create(category=category, restaurant=restaurant,
                                               name=f"菜{slug}", price=100))  # fmt: skip
        groups = [Group_.objects.create(dish=dish, name="辣度", min_choices=1) for dish in dishes]
        Option_.objects.create(group=groups[0], name="不辣")
        option = Option_.objects.create(group=groups[1], name="微辣", sold_out=True)

        new = migrate(MIGRATED_TO)
        Dish_, Group_, Option_ = (
            new.get_model("menu", n) for n in ("Dish", "OptionGroup", "Option")
        )
        for dish, group in zip(dishes, groups, strict=True):
            moved = Group_.objects.get(pk=group.pk)
            assert moved.restaurant_id == dish.restaurant_id
            assert list(Dish_.objects.get(pk=dish.pk).option_groups.all()) == [moved]
        assert Option_.objects.get(pk=option.pk).group_id == groups[1].pk

        # Shared, then migrated back: a copy for the second dish, options copied.
        Dish_.objects.get(pk=dishes[1].pk).option_groups.add(groups[0].pk)
        old = migrate(MIGRATED_FROM)
        Group_ = old.get_model("menu", "OptionGroup")
        assert Group_.objects.get(pk=groups[0].pk).dish_id == dishes[0].pk
        of_second = Group_.objects.filter(dish_id=dishes[1].pk).order_by("pk")
        assert [g.name for g in of_second] == ["辣度", "辣度"]
        assert list(of_second[0].options.values_list("name", "sold_out")) == [("微辣", True)]
        copied = of_second[1].options.get()
        assert copied.name == "不辣" and copied.group_id != groups[0].pk
    finally:
        migrate(leaves)


@pytest.mark.django_db
def test_a_line_with_a_sold_out_option_can_still_change(menu):
    """Adding and sending are refused; a line already in the cart can still change quantity
    (or be removed), as one of a sold-out dish can."""
    diner = arrive(menu.table)
    add(diner, menu.chicken, "a", options=[menu.hot.pk])
    Option.objects.filter(pk=menu.hot.pk).update(sold_out=True)
    menu.hot.refresh_from_db()
    menu.hot.save()  # the signal: a new menu version
    line = CartLine.objects.get()
    apply(diner, {"type": "cart.set_qty", "id": "q", "line_id": line.pk, "qty": 2})
    assert CartLine.objects.get().qty == 2
    with pytest.raises(OpError):
        add(diner, menu.chicken, "b", options=[menu.hot.pk])
