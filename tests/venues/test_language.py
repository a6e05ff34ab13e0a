"""Each restaurant its own default language: it decides only where the person asks for none."""

import pytest

from tests.factories import make_menu
from tests.support.people import staff_user


@pytest.fixture
def english_shop(db):
    shop = make_menu("dimsum", name="点心茶楼")
    shop.restaurant.language = "en"
    shop.restaurant.save()
    return shop


def page_language(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.headers["Content-Language"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "en"),  # asks for nothing: the restaurant's
        ("fr-FR,fr;q=0.9", "en"),  # asks for nothing offered: the restaurant's
        ("zh-CN,zh;q=0.9", "zh-hans"),  # the browser's own comes first
        ("en-US", "en"),
    ],
)
def test_table_page_opens_in_the_restaurants_language(client, english_shop, accept, expected):
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get(f"/t/{english_shop.table.token}/", headers=headers)
    assert page_language(response) == expected


def test_a_chinese_restaurant_stays_chinese_for_a_browser_asking_nothing(client, menu):
    response = client.get(f"/t/{menu.table.token}/", headers={"Accept-Language": "fr"})
    assert page_language(response) == "zh-hans"


def test_the_persons_choice_beats_the_restaurants(client, english_shop):
    client.cookies["django_language"] = "zh-hans"
    response = client.get(f"/t/{english_shop.table.token}/", headers={"Accept-Language": "fr"})
    assert page_language(response) == "zh-hans"


def test_staff_pages_too(client, english_shop):
    cook = staff_user(english_shop.restaurant, "kitchen")
    client.force_login(cook)
    response = client.get("/kitchen/", headers={"Accept-Language": "fr"})
    assert page_language(response) == "en"
    response = client.get("/kitchen/", headers={"Accept-Language": "zh-CN"})
    assert page_language(response) == "zh-hans"
