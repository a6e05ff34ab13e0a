"""Set meals (套餐): a dish whose option groups offer dishes, chosen like options, sent to the
kitchen as its parts, each at its own station, the set's price shared among them exactly."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from restaurant.kitchen.items import item_status_set
from restaurant.kitchen.models import Order
from restaurant.kitchen.payloads import order_payload
from restaurant.kitchen.services import order_status_set
from restaurant.menu.models import Category, Dish, Option, OptionGroup
from restaurant.menu.selectors import menu_payload
from restaurant.menu.services import dish_set_sold_out
from restaurant.menu.stock import dish_set_stock
from restaurant.realtime.errors import OpError
from restaurant.venues.models import Restaurant, Station
from tests.dining.helpers import arrive, op, submit
from tests.factories import make_menu

pytestmark = pytest.mark.django_db


@pytest.fixture
def lunch(menu):
    """商务套餐 ¥58: 1 of 2 mains (the beef +¥10), 2 of 3 sides; mains hot, sides cold."""
    r = menu.restaurant
    hot = Station.objects.create(restaurant=r, code="hot", name="热菜")
    cold = Station.objects.create(restaurant=r, code="cold", name="凉菜")
    sets = Category.objects.create(restaurant=r, name="套餐", name_en="Set meals")
    mains = Category.objects.create(restaurant=r, name="主菜", station=hot)
    sides = Category.objects.create(restaurant=r, name="小菜", station=cold)
    fish = Dish.objects.create(category=mains, name="酸菜鱼", price=4800)
    beef = Dish.objects.create(category=mains, name="黑椒牛柳", price=5800)
    cucumber = Dish.objects.create(category=sides, name="拍黄瓜", price=1200)
    tofu = Dish.objects.create(category=sides, name="皮蛋豆腐", price=1400)
    peanuts = Dish.objects.create(category=sides, name="老醋花生", price=1000)
    lunch = Dish.objects.create(category=sets, name="商务套餐", name_en="Lunch", price=5800)
    pick_main = OptionGroup.objects.create(restaurant=r, name="主菜", min_choices=1, max_choices=1)
    pick_sides = OptionGroup.objects.create(restaurant=r, name="小菜", min_choices=2, max_choices=2)
    lunch.option_groups.add(pick_main, pick_sides)
    o = SimpleNamespace(dish=lunch, hot=hot, cold=cold, fish=fish, beef=beef, cucumber=cucumber,
                        tofu=tofu, peanuts=peanuts)  # fmt: skip
    o.o_fish = Option.objects.create(group=pick_main, name="酸菜鱼", dish=fish)
    o.o_beef = Option.objects.create(group=pick_main, name="黑椒牛柳", dish=beef, price=1000)
    o.o_cucumber = Option.objects.create(group=pick_sides, name="拍黄瓜", dish=cucumber)
    o.o_tofu = Option.objects.create(group=pick_sides, name="皮蛋豆腐", dish=tofu)
    o.o_peanuts = Option.objects.create(group=pick_sides, name="老醋花生", dish=peanuts)
    return o


def add_set(diner, lunch, *choices, qty=1):
    return op(diner, type="cart.add", dish_id=lunch.dish.pk, qty=qty,
              options=[c.pk for c in choices], note="少辣")  # fmt: skip


def test_a_set_is_sent_as_its_parts_each_at_its_station_sharing_the_price(menu, lunch):
    diner = arrive(menu.table)
    add_set(diner, lunch, lunch.o_beef, lunch.o_cucumber, lunch.o_peanuts, qty=2)
    submit(diner)
    order = Order.objects.get()
    items = list(order.items.order_by("pk"))
    assert [(i.dish_id, i.station_id, i.qty) for i in items] == [
        (lunch.beef.pk, lunch.hot.pk, 2),
        (lunch.cucumber.pk, lunch.cold.pk, 2),
        (lunch.peanuts.pk, lunch.cold.pk, 2),
    ]
    # ¥58 + ¥10 for the beef = ¥68 a set, shared 58:12:10 by menu price, to the fen.
    assert sum(i.unit_price for i in items) == 6800
    assert [i.unit_price for i in items] == [4930, 1020, 850]
    assert order.total == 2 * 6800
    assert {(i.set_name, i.set_line, i.note) for i in items} == {("商务套餐", 1, "少辣")}
    payload = order_payload(order)["items"]
    assert {(p["set_name"], p["set_line"]) for p in payload} == {("商务套餐", 1)}


def test_the_choices_keep_the_groups_rules(menu, lunch):
    diner = arrive(menu.table)
    with pytest.raises(OpError) as refused:
        add_set(diner, lunch, lunch.o_fish, lunch.o_cucumber)  # one side short
    assert refused.value.code == "bad_request"
    assert refused.value.extra["detail"] == "options"


def test_a_sold_out_choice_cannot_be_chosen_or_sent(menu, lunch):
    diner = arrive(menu.table)
    add_set(diner, lunch, lunch.o_fish, lunch.o_cucumber, lunch.o_tofu)
    dish_set_sold_out(restaurant=menu.restaurant, dish_id=lunch.tofu.pk, sold_out=True)
    with pytest.raises(OpError) as refused:
        submit(diner)
    assert refused.value.code == "sold_out"
    assert refused.value.extra["option_ids"] == [lunch.o_tofu.pk]
    assert not Order.objects.exists()
    with pytest.raises(OpError) as refused:
        add_set(diner, lunch, lunch.o_fish, lunch.o_cucumber, lunch.o_tofu)
    assert refused.value.extra["option_ids"] == [lunch.o_tofu.pk]
    restaurant = Restaurant.objects.get(pk=menu.restaurant.pk)
    dishes = [d for c in menu_payload(restaurant=restaurant)["categories"] for d in c["dishes"]]
    options = {o["id"]: o for d in dishes if d["id"] == lunch.dish.pk
               for g in d["option_groups"] for o in g["options"]}  # fmt: skip
    assert options[lunch.o_tofu.pk]["sold_out"] is True
    assert options[lunch.o_tofu.pk]["dish_id"] == lunch.tofu.pk
    assert "sold_out" not in options[lunch.o_fish.pk]


def test_a_counted_part_counts_and_its_void_gives_back_its_share(menu, lunch):
    dish_set_stock(restaurant=menu.restaurant, dish_id=lunch.fish.pk, stock=3)
    diner = arrive(menu.table)
    add_set(diner, lunch, lunch.o_fish, lunch.o_cucumber, lunch.o_tofu, qty=2)
    submit(diner)
    assert Dish.objects.get(pk=lunch.fish.pk).stock == 1
    order = Order.objects.get()
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
    fish = order.items.get(dish=lunch.fish)
    item_status_set(restaurant=menu.restaurant, item_id=fish.pk, status="voided", reason="没鱼")
    assert Dish.objects.get(pk=lunch.fish.pk).stock == 3
    order.refresh_from_db()
    assert order.total == 2 * 5800 - 2 * fish.unit_price
    add_set(diner, lunch, lunch.o_fish, lunch.o_cucumber, lunch.o_tofu, qty=4)
    with pytest.raises(OpError) as refused:
        submit(diner)
    assert refused.value.extra["left"] == {str(lunch.fish.pk): 3}


def test_a_choice_names_a_dish_of_its_own_restaurant(menu, lunch):
    other = make_menu(slug="other", name="别家")
    option = Option(group=lunch.o_fish.group, name="别家的饭", dish=other.rice)
    with pytest.raises(ValidationError):
        option.full_clean()
