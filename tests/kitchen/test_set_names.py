"""A set meal's parts name their set in every language and on the check, and a counted dish
cannot become a set meal in the admin (a set is counted through its dishes)."""

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from restaurant.billing.payloads import check_payload
from restaurant.billing.selectors import check_of
from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_open
from restaurant.kitchen.models import Order
from restaurant.kitchen.payloads import order_payload
from restaurant.menu.models import Category, Dish, Option, OptionGroup
from restaurant.menu.stock import dish_set_stock
from tests.dining.helpers import arrive, op, submit
from tests.venues.test_admin import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def lunch(menu):
    """商务套餐 / Business lunch ¥58 (packs for ¥3): 2 of (酸菜鱼 Fish, 皮蛋豆腐 Tofu)."""
    r = menu.restaurant
    session_open(table=menu.table, by_staff=True)  # rounds not held
    sets = Category.objects.create(restaurant=r, name="套餐", name_en="Set meals")
    mains = Category.objects.create(restaurant=r, name="主菜", name_en="Mains")
    fish = Dish.objects.create(category=mains, name="酸菜鱼", name_en="Fish", price=4800)
    tofu = Dish.objects.create(category=mains, name="皮蛋豆腐", name_en="Tofu", price=1200)
    meal = Dish.objects.create(category=sets, name="商务套餐", name_en="Business lunch",
                               price=5800, packing_fee=300)  # fmt: skip
    pick = OptionGroup.objects.create(restaurant=r, name="主菜", name_en="Mains",
                                      min_choices=2, max_choices=2)  # fmt: skip
    meal.option_groups.add(pick)
    choices = [Option.objects.create(group=pick, name=d.name, name_en=d.name_en, dish=d).pk
               for d in (fish, tofu)]  # fmt: skip
    return SimpleNamespace(meal=meal, fish=fish, tofu=tofu, pick=pick, choices=choices)


def test_a_set_part_names_its_set_in_english_too(menu, lunch):
    """An English phone, waiter page and kitchen board show a part's set as "商务套餐": the part
    carries only the set's Chinese name (kitchen/services.py:171 `set_name=line.dish.name`,
    kitchen/payloads.py:48), while dishes, options and categories come in both languages."""
    diner = arrive(menu.table)
    op(diner, type="cart.add", dish_id=lunch.meal.pk, options=lunch.choices, takeaway=True)
    submit(diner)
    parts = order_payload(Order.objects.get())["items"]
    assert parts and all(p.get("set_name") == "商务套餐" for p in parts)
    assert {p["set_dish_id"] for p in parts} == {lunch.meal.pk}  # the page names it in English


def test_the_check_says_which_set_a_part_came_from(menu, lunch):
    """docs/menu.md: each part carries set_name and set_line "so the table, the waiter and the
    till see which set it came from". The check (the till's and the diner's, and the receipt
    made from it) has neither (billing/payloads.py:76-97): a set packed to go is three
    unrelated lines at odd prices (¥48.80, ¥12.20 ... of a ¥61 set)."""
    diner = arrive(menu.table)
    op(diner, type="cart.add", dish_id=lunch.meal.pk, options=lunch.choices, takeaway=True)
    submit(diner)
    session = DiningSession.objects.get(pk=diner.session_id)
    lines = check_payload(session, session.table.restaurant, *check_of(session))["lines"]
    assert sum(line["amount"] for line in lines) == 5800 + 300
    assert all(line.get("set_name") == "商务套餐" for line in lines), lines[0]


def test_a_counted_dish_cannot_be_made_a_set_meal_in_the_admin(menu, lunch):
    dish_set_stock(restaurant=menu.restaurant, dish_id=menu.rice.pk, stock=3)
    root = get_user_model().objects.create_superuser("root", password="a-long-password-1")
    client = signed_in(root)
    form = {
        "category": menu.rice.category_id, "name": menu.rice.name, "name_en": "Rice",
        "description": "", "description_en": "", "price": "3.00", "image": "",
        "sort_order": "0", "min_qty": "1", "stock": "3", "stock_par": "", "spice": "0",
        "count_shown": "3|", "option_groups": [lunch.pick.pk],
    }  # fmt: skip
    response = client.post(f"/admin/menu/dish/{menu.rice.pk}/change/", form)
    assert response.status_code == 200  # the form again, with the reason
    assert "counted through its dishes" in response.content.decode()
    assert not Dish.objects.get(pk=menu.rice.pk).offers_dishes()
    # Nor from the group's page: offering the set's choices on a counted dish.
    group = {
        "restaurant": menu.restaurant.pk, "name": "主菜", "name_en": "Mains", "min_choices": 2,
        "max_choices": 2, "sort_order": 0, "dishes": [lunch.meal.pk, menu.rice.pk],
        "options-TOTAL_FORMS": 0, "options-INITIAL_FORMS": 0,
    }  # fmt: skip
    response = client.post(f"/admin/menu/optiongroup/{lunch.pick.pk}/change/", group)
    assert "is counted: a set meal cannot be" in response.content.decode()
    assert not Dish.objects.get(pk=menu.rice.pk).offers_dishes()
