"""Prices in the admin are typed and read in yuan (the currency's major unit) and stored in fen,
exactly; lists show them formatted for the language; the wire keeps minor units."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from hypothesis import given
from hypothesis import strategies as st

from restaurant.menu.models import Dish, Option
from restaurant.menu.money import format_money, to_major, to_minor
from restaurant.venues.models import Restaurant
from tests.menu.test_photos import dish_form


@pytest.fixture
def boss(client):
    user = get_user_model().objects.create_superuser("boss", password="a-long-admin-password")
    client.force_login(user)
    return client


@given(st.integers(min_value=-(10**9), max_value=10**9), st.sampled_from(["CNY", "JPY", "KWD"]))
def test_minor_to_major_and_back_is_exact(minor, currency):
    assert to_minor(to_major(minor, currency), currency) == minor


def test_finer_than_the_currency_is_refused_not_rounded():
    assert to_minor(Decimal("68"), "CNY") == 6800 and to_minor(Decimal("0.1"), "CNY") == 10
    assert to_minor(Decimal("680"), "JPY") == 680
    with pytest.raises(ValueError):
        to_minor(Decimal("16.005"), "CNY")
    with pytest.raises(ValueError):
        to_minor(Decimal("1.5"), "JPY")


def test_formatted_for_the_language():
    assert format_money(1600, "CNY", "zh-hans") == "¥16.00"
    assert format_money(1600, "CNY", "en") == "CN¥16.00"
    assert format_money(-350, "CNY", "en") == "-CN¥3.50"
    assert format_money(680, "JPY", "en") == "¥680"


@pytest.mark.django_db
def test_the_admin_takes_and_shows_yuan_and_stores_fen(boss, menu):
    page = boss.get(f"/admin/menu/dish/{menu.rice.pk}/change/").content.decode()
    assert 'name="price" value="3.00"' in page and 'step="0.01"' in page  # rice: 300 fen
    response = boss.post(f"/admin/menu/dish/{menu.rice.pk}/change/", dish_form(menu, price="68"))
    assert response.status_code == 302
    assert Dish.objects.get(pk=menu.rice.pk).price == 6800  # ¥68, not ¥0.68
    boss.post(f"/admin/menu/dish/{menu.rice.pk}/change/", dish_form(menu, price="16.5"))
    assert Dish.objects.get(pk=menu.rice.pk).price == 1650
    for wrong in ("16.005", "-1", "abc"):
        refused = boss.post(
            f"/admin/menu/dish/{menu.rice.pk}/change/", dish_form(menu, price=wrong)
        )
        assert refused.status_code == 200 and refused.context["adminform"].form.errors["price"]
    assert Dish.objects.get(pk=menu.rice.pk).price == 1650
    # The wire keeps minor units.
    served = boss.get("/api/menu/").json()
    [rice] = [d for c in served["categories"] for d in c["dishes"] if d["id"] == menu.rice.pk]
    assert rice["price"] == 1650


@pytest.mark.django_db
def test_the_list_shows_money_for_the_language(boss, menu):
    Dish.objects.filter(pk=menu.rice.pk).update(price=1600)
    english = boss.get("/admin/menu/dish/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "CN¥16.00" in english and ">1600<" not in english
    chinese = boss.get("/admin/menu/dish/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "¥16.00" in chinese


@pytest.mark.django_db
def test_an_option_price_may_take_money_off(boss, menu):
    option = Option.objects.first()
    group = option.group
    data = {
        "dishes": [menu.chicken.pk], "name": group.name, "name_en": group.name_en,
        "min_choices": group.min_choices, "max_choices": group.max_choices, "sort_order": 0,
        "options-TOTAL_FORMS": "1", "options-INITIAL_FORMS": "1",
        "options-MIN_NUM_FORMS": "0", "options-MAX_NUM_FORMS": "1000",
        "options-0-id": option.pk, "options-0-group": group.pk, "options-0-name": option.name,
        "options-0-name_en": option.name_en, "options-0-price": "-2.5",
        "options-0-sort_order": "0",
    }  # fmt: skip
    page = boss.get(f"/admin/menu/optiongroup/{group.pk}/change/").content.decode()
    assert f'name="options-0-price" value="{to_major(option.price, "CNY")}"' in page
    response = boss.post(f"/admin/menu/optiongroup/{group.pk}/change/", data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert Option.objects.get(pk=option.pk).price == -250


@pytest.mark.django_db
def test_a_currency_without_decimals(boss, menu):
    Restaurant.objects.update(currency="JPY")
    boss.post(f"/admin/menu/dish/{menu.rice.pk}/change/", dish_form(menu, price="680"))
    assert Dish.objects.get(pk=menu.rice.pk).price == 680
    refused = boss.post(f"/admin/menu/dish/{menu.rice.pk}/change/", dish_form(menu, price="6.5"))
    assert refused.status_code == 200


@pytest.mark.django_db
def test_the_orders_list_shows_totals_as_money(boss, menu):
    from tests.kitchen.test_recall import sent_order

    sent_order(menu)  # one rice: 300 fen
    english = boss.get("/admin/kitchen/order/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "CN¥3.00" in english
