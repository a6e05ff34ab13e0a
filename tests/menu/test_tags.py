"""Tags, spice level and search in the menu's JSON: the restaurant's tags once at the top, each
dish's tag ids and spice level (absent where it has none, to keep the phone's first load
small), and the pinyin initials of its name that the search box matches (宫保鸡丁 → gbjd). One
restaurant's tags never show in another's menu, and the menu's queries do not grow with its
dishes or tags."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from restaurant.menu import pinyin
from restaurant.menu.models import Dish, Tag
from restaurant.menu.pinyin import initials
from restaurant.menu.selectors import menu_payload
from tests.factories import make_menu

pytestmark = pytest.mark.django_db


def dishes_of(payload: dict) -> dict[str, dict]:
    return {d["name"]: d for c in payload["categories"] for d in c["dishes"]}


def tag(restaurant, name, name_en, icon, sort_order=0) -> Tag:
    return Tag.objects.create(restaurant=restaurant, name=name, name_en=name_en, icon=icon,
                              sort_order=sort_order)  # fmt: skip


def test_the_restaurants_tags_in_their_order_and_each_dishs_ids(menu):
    nuts = tag(menu.restaurant, "含坚果", "Contains nuts", "🥜", sort_order=20)
    veg = tag(menu.restaurant, "素", "Vegetarian", "🥬", sort_order=10)
    menu.chicken.tags.set([nuts])
    menu.chicken.spice = 2
    menu.chicken.save()
    menu.rice.tags.set([nuts, veg])

    payload = menu_payload(restaurant=menu.restaurant)
    assert payload["tags"] == [
        {"id": veg.pk, "name": "素", "name_en": "Vegetarian", "icon": "🥬"},
        {"id": nuts.pk, "name": "含坚果", "name_en": "Contains nuts", "icon": "🥜"},
    ]
    dishes = dishes_of(payload)
    assert dishes["宫保鸡丁"]["tags"] == [nuts.pk]
    assert dishes["宫保鸡丁"]["spice"] == 2
    assert dishes["米饭"]["tags"] == [veg.pk, nuts.pk], "in the restaurant's order"


def test_no_tags_and_no_spice_are_left_out(menu):
    """Absent means none: a `"tags":[]` and `"spice":0` on every dish would be bytes of the
    table page's first load (tests/e2e/test_page_weight.py) saying nothing."""
    payload = menu_payload(restaurant=menu.restaurant)
    assert payload["tags"] == []
    for dish in dishes_of(payload).values():
        assert "tags" not in dish and "spice" not in dish, dish


def test_each_dish_has_the_pinyin_initials_of_its_name(menu):
    dishes = dishes_of(menu_payload(restaurant=menu.restaurant))
    assert dishes["宫保鸡丁"]["py"] == "gbjd"
    assert dishes["米饭"]["py"] == "mf"
    assert dishes["东坡肉"]["py"] == "dpr"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("宫保鸡丁", "gbjd"),
        ("麻婆豆腐", "mpdf"),
        ("回锅肉", "hgr"),
        ("可乐 Cola", "klc"),  # a run of other letters: the initial of each word
        ("Kung Pao Chicken", "kpc"),
        ("2号套餐", "2htc"),  # digits stay
        ("青岛啤酒 640ml", "qdpj640"),
        ("", ""),
    ],
)
def test_initials(name, expected):
    assert initials(name) == expected


def test_initials_are_worked_out_once_per_name():
    """The menu is built again on every version: a name's initials are cached, not computed
    again for every phone that fetches it."""
    pinyin.initials.cache_clear()
    for _ in range(3):
        initials("水煮鱼")
    info = pinyin.initials.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_another_restaurants_tags_stay_out(menu):
    other = make_menu("other", "别家")
    theirs = tag(other.restaurant, "海鲜", "Seafood", "🦐")
    other.chicken.tags.set([theirs])
    mine = menu_payload(restaurant=menu.restaurant)
    assert mine["tags"] == [] and "tags" not in dishes_of(mine)["宫保鸡丁"]
    assert [t["id"] for t in menu_payload(restaurant=other.restaurant)["tags"]] == [theirs.pk]


def queries(restaurant) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        menu_payload(restaurant=restaurant)
    return [q["sql"] for q in captured.captured_queries]


def test_the_menus_queries_do_not_grow_with_its_dishes_or_tags(menu):
    """No query per dish: the dishes' tags come in one prefetch, the restaurant's list in one
    more, however many dishes and tags there are."""
    before = queries(menu.restaurant)
    tags = [tag(menu.restaurant, f"标签{n}", f"Tag {n}", "•", sort_order=n) for n in range(5)]
    for n in range(20):
        dish = Dish.objects.create(category=menu.rice.category, name=f"菜{n}", price=100 + n,
                                   spice=n % 4)  # fmt: skip
        dish.tags.set(tags[: n % 5])
    menu.chicken.tags.set(tags)
    after = queries(menu.restaurant)
    assert len(after) == len(before), "\n".join(after)
    assert sum('"menu_tag"' in sql for sql in after) == 2, "\n".join(after)


def test_the_menu_api_carries_them(client, menu):
    veg = tag(menu.restaurant, "素", "Vegetarian", "🥬")
    menu.rice.tags.set([veg])
    body = client.get("/api/menu/").json()
    assert body["tags"] == [{"id": veg.pk, "name": "素", "name_en": "Vegetarian", "icon": "🥬"}]
    rice = dishes_of(body)["米饭"]
    assert (rice["tags"], rice["py"]) == ([veg.pk], "mf")


def test_a_tag_changed_reaches_the_menu_version(menu):
    """Phones refetch on a new version: a tag renamed or added to a dish bumps it."""
    version = menu_payload(restaurant=menu.restaurant)["version"]
    veg = tag(menu.restaurant, "素", "Vegetarian", "🥬")
    menu.restaurant.refresh_from_db()
    assert menu_payload(restaurant=menu.restaurant)["version"] > version
    version = menu.restaurant.menu_version
    menu.rice.tags.add(veg)
    menu.restaurant.refresh_from_db()
    assert menu.restaurant.menu_version > version
