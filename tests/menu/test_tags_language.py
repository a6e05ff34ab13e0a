"""The menu as the table page loads it (`?lang=`), every byte of it part of a phone's 150 KB
first load (tests/e2e/test_page_weight.py): descriptions and option names in the page's
language only (the other where a row has none in it), dish names in both (the search box finds
either), each shared option group once, and nothing that is false, 0 or empty. Without `lang`,
the menu is whole, as ever."""

import copy

import pytest
from django.test import Client

from restaurant.menu.models import Dish, Option, OptionGroup
from restaurant.menu.selectors import menu_in_language, menu_payload
from tests.factories import make_menu

pytestmark = pytest.mark.django_db


def dishes(body: dict) -> dict[str, dict]:
    return {d["name"]: d for c in body["categories"] for d in c["dishes"]}


@pytest.fixture
def described(menu):
    chicken = Dish.objects.filter(pk=menu.chicken.pk)
    chicken.update(description="花生与干辣椒", description_en="Peanuts and chillies")
    Dish.objects.filter(pk=menu.rice.pk).update(description="东北大米", description_en="")
    return menu


def test_without_a_language_the_menu_is_whole(client, described):
    chicken = dishes(client.get("/api/menu/").json())["宫保鸡丁"]
    assert chicken["description"] == "花生与干辣椒"
    assert chicken["description_en"] == "Peanuts and chillies"


def test_a_chinese_page_gets_the_chinese_descriptions(client, described):
    body = client.get("/api/menu/?lang=zh-hans").json()
    chicken, rice = dishes(body)["宫保鸡丁"], dishes(body)["米饭"]
    assert chicken["description"] == "花生与干辣椒" and "description_en" not in chicken
    assert rice["description"] == "东北大米" and "description_en" not in rice
    assert (chicken["name"], chicken["name_en"], chicken["py"]) == (
        "宫保鸡丁", "Kung Pao Chicken", "gbjd"), "names in both, for the search"  # fmt: skip


def test_an_english_page_gets_the_english_ones_else_the_chinese(client, described):
    body = client.get(f"/r/{described.restaurant.slug}/api/menu/?lang=en").json()
    chicken, rice = dishes(body)["宫保鸡丁"], dishes(body)["米饭"]
    assert chicken["description_en"] == "Peanuts and chillies" and "description" not in chicken
    # No English description: the Chinese one, which the page shows rather than nothing.
    assert rice["description"] == "东北大米"


def test_option_names_in_the_pages_language(client, menu):
    OptionGroup.objects.filter(pk=menu.spice.pk).update(name_en="Spice level")
    Option.objects.filter(pk=menu.mild.pk).update(name_en="Mild")  # 特辣 has no English name
    zh = client.get("/api/menu/?lang=zh-hans").json()["option_groups"]
    en = client.get("/api/menu/?lang=en").json()["option_groups"]
    spice_zh = next(g for g in zh if g["id"] == menu.spice.pk)
    spice_en = next(g for g in en if g["id"] == menu.spice.pk)
    assert (spice_zh["name"], "name_en" in spice_zh) == ("辣度", False)
    assert (spice_en["name_en"], "name" in spice_en) == ("Spice level", False)
    assert [o.get("name") for o in spice_zh["options"]] == ["微辣", "特辣"]
    assert [(o.get("name"), o.get("name_en")) for o in spice_en["options"]] == [
        (None, "Mild"), ("特辣", "")]  # fmt: skip


def test_a_shared_option_group_comes_once(client, menu):
    """A restaurant's groups are shared: "spice level" on every spicy dish. Written out on
    each, they were 3 KB of the demo's menu."""
    menu.rice.option_groups.add(menu.spice)
    body = client.get("/api/menu/?lang=zh-hans").json()
    assert [g["id"] for g in body["option_groups"]] == [menu.spice.pk, menu.extras.pk]
    chicken, rice = dishes(body)["宫保鸡丁"], dishes(body)["米饭"]
    assert chicken["option_groups"] == [menu.spice.pk, menu.extras.pk]
    assert rice["option_groups"] == [menu.spice.pk]
    assert "option_groups" not in dishes(body)["东坡肉"], "none: left out"
    whole = dishes(client.get("/api/menu/").json())["米饭"]["option_groups"]
    assert [g["id"] for g in whole] == [menu.spice.pk], "the whole menu as ever"
    assert {o["id"] for o in body["option_groups"][0]["options"]} == {menu.mild.pk, menu.hot.pk}


def test_false_zero_and_empty_are_left_out(client, menu):
    """Absent: not sold out, no options, no extra charge. Where they are not, they are there."""
    body = client.get("/api/menu/?lang=en").json()
    rice, pork, chicken = (dishes(body)[name] for name in ("米饭", "东坡肉", "宫保鸡丁"))
    assert "sold_out" not in rice and "option_groups" not in rice
    assert pork["sold_out"] is True
    options = {o["id"]: o for g in body["option_groups"] for o in g["options"]}
    assert "price" not in options[menu.mild.pk] and options[menu.peanuts.pk]["price"] == 200
    assert chicken["option_groups"] == [menu.spice.pk, menu.extras.pk]


def test_an_unknown_language_is_refused(client, described):
    response = client.get("/api/menu/?lang=fr")
    assert response.status_code == 400
    assert response.json() == {"error": "bad_request", "detail": "lang: zh-hans or en"}


@pytest.mark.parametrize(("accept", "lang"), [("en", "en"), ("zh-hans", "zh-hans")])
def test_the_table_page_asks_for_its_own_language(accept, lang):
    menu = make_menu()
    page = Client().get(f"/t/{menu.table.token}/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    url = f"/r/{menu.restaurant.slug}/api/menu/?lang={lang}"
    assert f'"menuUrl": "{url}"' in page
    assert f'<link rel="preload" href="{url}" as="fetch"' in page


def test_the_whole_menu_is_left_as_it_was(described):
    """The page's form is made from the whole menu, not in it: a menu kept for the next
    reader stays whole."""
    whole = menu_payload(restaurant=described.restaurant)
    before = copy.deepcopy(whole)
    for language in ("en", "zh-hans"):
        menu_in_language(whole, language=language)
    assert whole == before
