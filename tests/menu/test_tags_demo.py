"""The demo's tags and spice levels: each demo restaurant declares its own list (as fits its
menu), its dishes carry them, and the phones' menu shows them. A demo loaded before there were
tags gets them on the next load, once."""

import pytest

from restaurant.menu.models import Dish, Tag
from restaurant.menu.selectors import menu_payload
from restaurant.site.demo import demo_load
from restaurant.venues.models import Restaurant

pytestmark = pytest.mark.django_db


def dish(slug: str, name: str) -> Dish:
    return Dish.objects.get(restaurant__slug=slug, name=name)


def tag_names(dish: Dish) -> list[str]:
    return [tag.name_en for tag in dish.tags.all()]


def test_each_demo_restaurant_has_its_own_tags():
    demo_load()
    shuxiang = list(Tag.objects.filter(restaurant__slug="shuxiang"))
    dimsum = list(Tag.objects.filter(restaurant__slug="dimsum"))
    assert [(t.name, t.icon) for t in shuxiang] == [
        ("素", "🥬"), ("含坚果", "🥜"), ("海鲜", "🦐"), ("含麸质", "🌾"),
    ]  # fmt: skip
    # No dish of the dim sum house has nuts: it does not list them.
    assert [t.name for t in dimsum] == ["素", "海鲜", "含麸质"]
    assert all(t.name_en for t in shuxiang + dimsum)


def test_demo_dishes_are_tagged_and_spiced_as_they_are():
    demo_load()
    assert dish("shuxiang", "麻婆豆腐").spice == 3
    assert dish("shuxiang", "水煮鱼").spice == 3
    assert dish("shuxiang", "宫保鸡丁").spice == 2
    assert dish("shuxiang", "鱼香肉丝").spice == 1
    assert dish("shuxiang", "白切鸡").spice == 0
    assert tag_names(dish("shuxiang", "宫保鸡丁")) == ["Contains nuts"]
    assert tag_names(dish("shuxiang", "担担面")) == ["Contains nuts", "Contains gluten"]
    assert tag_names(dish("shuxiang", "拍黄瓜")) == ["Vegetarian"]
    assert tag_names(dish("dimsum", "水晶虾饺")) == ["Seafood"]
    # A restaurant's dishes carry its own tags only.
    for restaurant in Restaurant.objects.all():
        assert (
            not Tag.objects.filter(dishes__restaurant=restaurant)
            .exclude(restaurant=restaurant)
            .exists()
        )
    for slug in ("shuxiang", "dimsum"):
        assert Dish.objects.filter(restaurant__slug=slug, tags__isnull=False).exists()


def test_the_demo_menu_carries_them():
    demo_load()
    menu = menu_payload(restaurant=Restaurant.objects.get(slug="shuxiang"))
    dishes = {d["name"]: d for c in menu["categories"] for d in c["dishes"]}
    veg = next(t["id"] for t in menu["tags"] if t["name_en"] == "Vegetarian")
    assert dishes["麻婆豆腐"]["spice"] == 3 and dishes["麻婆豆腐"]["py"] == "mpdf"
    assert dishes["拍黄瓜"]["tags"] == [veg] and "spice" not in dishes["拍黄瓜"]


def test_a_demo_loaded_before_tags_gets_them_once():
    (shuxiang, _) = demo_load()
    Tag.objects.all().delete()
    Dish.objects.update(spice=0)
    version = Restaurant.objects.get(pk=shuxiang.pk).menu_version
    assert demo_load() == [], "nothing new is loaded"
    assert dish("shuxiang", "麻婆豆腐").spice == 3
    assert tag_names(dish("shuxiang", "宫保鸡丁")) == ["Contains nuts"]
    assert Restaurant.objects.get(pk=shuxiang.pk).menu_version > version, "phones refetch"
    # A restaurant that has tags is left as it is: a manager's own list is theirs.
    Tag.objects.filter(restaurant=shuxiang, name="海鲜").delete()
    demo_load()
    assert not Tag.objects.filter(restaurant=shuxiang, name="海鲜").exists()
