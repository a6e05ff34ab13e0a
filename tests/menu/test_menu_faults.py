"""Faults found in counted dishes, set meals and shared option groups, each kept as a test:
a stale admin page writing back a count, a set meal reaching into another restaurant or into
another set, a choice outside its category's hours, a detached option still charged, the new
business day refused by the cart, the rice rule lowered by a diner."""

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from restaurant.kitchen.models import Order
from restaurant.kitchen.services import order_status_set
from restaurant.menu.models import Category, Dish, Option, OptionGroup
from restaurant.menu.selectors import menu_payload
from restaurant.menu.services import ordering_pause_set
from restaurant.menu.signals import menu_version_bump
from restaurant.menu.stock import dish_set_stock
from restaurant.realtime.errors import OpError
from restaurant.venues.models import Restaurant, Station
from tests.dining.helpers import add, arrive, op, submit
from tests.factories import make_menu
from tests.venues.test_admin import signed_in

pytestmark = pytest.mark.django_db


def count(dish):
    return Dish.objects.get(pk=dish.pk).stock


def served(restaurant, dish) -> dict:
    payload = menu_payload(restaurant=Restaurant.objects.get(pk=restaurant.pk))
    return next(d for c in payload["categories"] for d in c["dishes"] if d["id"] == dish.pk)


@pytest.fixture
def duo(menu):
    """A set meal 双人套餐 ¥60: pick 1 of (鱼, 牛)."""
    r = menu.restaurant
    hot = Station.objects.create(restaurant=r, code="hot", name="热菜")
    mains = Category.objects.create(restaurant=r, name="主菜", station=hot)
    sets = Category.objects.create(restaurant=r, name="套餐")
    fish = Dish.objects.create(category=mains, name="酸菜鱼", price=4000)
    beef = Dish.objects.create(category=mains, name="牛柳", price=5000)
    meal = Dish.objects.create(category=sets, name="双人套餐", price=6000)
    pick = OptionGroup.objects.create(restaurant=r, name="主菜", min_choices=1, max_choices=1)
    meal.option_groups.add(pick)
    o_fish = Option.objects.create(group=pick, name="酸菜鱼", dish=fish)
    o_beef = Option.objects.create(group=pick, name="牛柳", dish=beef)
    return SimpleNamespace(
        meal=meal,
        fish=fish,
        beef=beef,
        pick=pick,
        o_fish=o_fish,
        o_beef=o_beef,
        sets=sets,
        mains=mains,
    )


def test_a_set_meal_is_counted_through_its_dishes_never_itself(menu, duo):
    with pytest.raises(OpError) as refused:
        dish_set_stock(restaurant=menu.restaurant, dish_id=duo.meal.pk, stock=3)
    assert refused.value.extra["detail"] == "stock"
    dish_set_stock(restaurant=menu.restaurant, dish_id=duo.fish.pk, stock=3)
    diner = arrive(menu.table)
    add(diner, duo.meal, 2, [duo.o_fish.pk])
    submit(diner)
    assert (count(duo.fish), count(duo.meal)) == (1, None)
    order_status_set(restaurant=menu.restaurant, order_id=Order.objects.get().pk,
                     status="cancelled")  # fmt: skip
    assert count(duo.fish) == 3


def test_an_admin_save_leaves_the_count_rounds_took_from_since_the_page_opened(menu):
    root = get_user_model().objects.create_superuser("root", password="a-long-password-1")
    client = signed_in(root)
    dish_set_stock(restaurant=menu.restaurant, dish_id=menu.rice.pk, stock=5)
    page = client.get(f"/admin/menu/dish/{menu.rice.pk}/change/").content.decode()
    assert 'name="stock" value="5"' in page
    diner = arrive(menu.table)
    add(diner, menu.rice, 4)
    submit(diner)
    form = {
        "category": menu.rice.category_id,
        "name": menu.rice.name,
        "name_en": "Rice",
        "description": "",
        "description_en": "",
        "price": "4.00",
        "image": "",
        "sort_order": "0",
        "min_qty": "1",
        "stock": "5",
        "stock_par": "",
        "spice": "0",
        "count_shown": "5|",
    }  # the page as it was loaded, with a new price
    response = client.post(f"/admin/menu/dish/{menu.rice.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    assert (Dish.objects.get(pk=menu.rice.pk).price, count(menu.rice)) == (400, 1)
    # A count the manager types is today's count.
    response = client.post(f"/admin/menu/dish/{menu.rice.pk}/change/", form | {"stock": "9"})
    assert response.status_code == 302
    assert count(menu.rice) == 9
    # The list's check boxes save whole rows too: never the count.
    Dish.objects.filter(pk=menu.rice.pk).update(stock=2)
    stale = Dish.objects.get(pk=menu.rice.pk)
    Dish.objects.filter(pk=menu.rice.pk).update(stock=1)
    stale.sold_out = True
    stale.save()
    assert count(menu.rice) == 1


def test_a_new_group_cannot_take_another_restaurants_dish_as_a_choice(menu, duo):
    other = make_menu(slug="other", name="别家")
    root = get_user_model().objects.create_superuser("root", password="a-long-password-1")
    client = signed_in(root)
    data = {
        "restaurant": menu.restaurant.pk, "name": "配菜", "name_en": "", "min_choices": 1,
        "max_choices": 1, "sort_order": 0, "dishes": [duo.meal.pk],
        "options-TOTAL_FORMS": 1, "options-INITIAL_FORMS": 0,
        "options-0-name": "别家的饭", "options-0-name_en": "", "options-0-price": "0",
        "options-0-dish": other.rice.pk, "options-0-sort_order": 0,
    }  # fmt: skip
    client.post("/admin/menu/optiongroup/add/", data)
    assert not Option.objects.filter(dish=other.rice).exists()


def test_a_set_meal_is_no_choice_of_another_set(menu, duo):
    banquet = Dish.objects.create(category=duo.sets, name="豪华套餐", price=9000)
    pick = OptionGroup.objects.create(restaurant=menu.restaurant, name="套餐", min_choices=1,
                                      max_choices=1)  # fmt: skip
    banquet.option_groups.add(pick)
    o_duo = Option(group=pick, name="双人套餐", dish=duo.meal)
    with pytest.raises(ValidationError):
        o_duo.full_clean()
    o_duo.save()  # written around the check: the round refuses it all the same
    diner = arrive(menu.table)
    add(diner, banquet, 1, [o_duo.pk])
    with pytest.raises(OpError) as refused:
        submit(diner)
    assert refused.value.extra["option_ids"] == [o_duo.pk]
    assert not Order.objects.exists()


def test_a_choice_of_another_restaurants_dish_is_never_sent(menu, duo):
    other = make_menu(slug="other", name="别家")
    option = Option.objects.create(group=duo.pick, name="别家的饭", dish=other.rice)
    diner = arrive(menu.table)
    with pytest.raises(OpError):
        add(diner, duo.meal, 1, [option.pk])
        submit(diner)
    assert not Order.objects.exists()


def test_the_new_business_days_count_is_on_sale_before_the_upkeep_runs(menu):
    import datetime

    from restaurant.venues.days import business_date

    dish_set_stock(restaurant=menu.restaurant, dish_id=menu.rice.pk, stock=0, par=20)
    yesterday = business_date(menu.restaurant) - datetime.timedelta(days=1)
    Dish.objects.filter(pk=menu.rice.pk).update(stock_date=yesterday)
    menu_version_bump(restaurant_id=menu.restaurant.pk)
    assert served(menu.restaurant, menu.rice) | {"sold_out": False, "stock": 20} == served(
        menu.restaurant, menu.rice)  # fmt: skip
    diner = arrive(menu.table)
    add(diner, menu.rice, 1)
    submit(diner)
    assert count(menu.rice) == 19


def test_an_option_whose_group_was_taken_off_the_dish_is_refused_not_charged(menu):
    diner = arrive(menu.table)
    add(diner, menu.chicken, 1, [menu.mild.pk, menu.meat.pk])
    menu.chicken.option_groups.remove(menu.extras)  # moves the menu version
    with pytest.raises(OpError) as refused:
        submit(diner)
    assert (refused.value.code, refused.value.extra["detail"]) == ("bad_request", "options")
    assert not Order.objects.exists()


def test_a_paused_categorys_dish_is_not_sent_as_a_set_choice(menu, duo):
    diner = arrive(menu.table)
    add(diner, duo.meal, 1, [duo.o_fish.pk])  # in the cart before the pause
    ordering_pause_set(restaurant=menu.restaurant, paused=True, category_id=duo.mains.pk)
    for attempt in (lambda: add(diner, duo.fish, 1), lambda: add(diner, duo.meal, 1,
                    [duo.o_beef.pk]), lambda: submit(diner)):  # fmt: skip
        with pytest.raises(OpError) as refused:
            attempt()
        assert refused.value.code == "ordering_closed"
    assert not Order.objects.exists()


def test_a_diner_noting_fewer_guests_does_not_lower_the_rice_rule(menu):
    Category.objects.filter(pk=menu.rice.category_id).update(required_per_guest=True)
    menu_version_bump(restaurant_id=menu.restaurant.pk)
    a, b = arrive(menu.table), arrive(menu.table, known=[])
    assert a.session_id == b.session_id
    op(a, type="meal.set", guests=1)
    add(a, menu.rice, 1)
    with pytest.raises(OpError) as refused:
        submit(a)
    assert (refused.value.extra["need"], refused.value.extra["guests"]) == (1, 2)
