"""Packed to take away (打包: `cart.add` with ``takeaway: true``): each portion costs the dish, its
options and the dish's packing fee; a line to take away and one eaten in never merge; a line
says `takeaway` only when it is one (other lines are exactly what they were)."""

import json

import msgspec
import pytest

from restaurant.dining import services
from restaurant.dining.models import CartLine
from restaurant.dining.selectors import dining_snapshot
from restaurant.dining.services import unsent_cart
from restaurant.menu.models import Dish
from restaurant.menu.pricing import unit_price
from tests.dining.helpers import apply, arrive

# The wire contract of a line eaten in: no `takeaway` key (and no `shared` one).
LINE_KEYS = {"line_id", "dish_id", "qty", "options", "note", "added_by", "price"}


def add(diner, dish, op_id, **fields):
    return apply(diner, {"type": "cart.add", "id": op_id, "dish_id": dish.pk, **fields})


@pytest.fixture
def events(monkeypatch):
    """The table events the ops broadcast (decoded), in order."""
    sent = []

    def record(group, message):
        sent.append(json.loads(message["text"]))

    monkeypatch.setattr(services, "broadcast_on_commit", record)
    return sent


def lines_told(events) -> list[dict]:
    return [e["line"] for e in events if e["type"] == "cart.line"]


@pytest.fixture
def fees(menu):
    """Kung Pao chicken (¥38) packs for ¥2; rice (¥3) packs for nothing. Set before anyone
    orders (the process's menu catalog is read at the first op)."""
    Dish.objects.filter(pk=menu.chicken.pk).update(packing_fee=200)
    menu.chicken.refresh_from_db()
    return menu


def test_the_price_holds_the_packing_fee_only_for_a_portion_to_take_away(menu):
    dish = Dish(price=3800, packing_fee=200)
    options = {menu.peanuts.pk: menu.peanuts, menu.meat.pk: menu.meat}  # +¥2, +¥8
    chosen = [menu.peanuts.pk, menu.meat.pk]
    assert unit_price(dish, chosen, options) == 4800
    assert unit_price(dish, chosen, options, takeaway=False) == 4800
    assert unit_price(dish, chosen, options, takeaway=True) == 5000
    assert unit_price(dish, [], {}, takeaway=True) == 4000
    assert unit_price(Dish(price=300), [], {}, takeaway=True) == 300  # no fee: as eaten in


@pytest.mark.django_db
class TestCart:
    def test_lines_to_take_away_and_to_eat_in_stay_apart(self, fees, events):
        menu = fees
        ann = arrive(menu.table)
        add(ann, menu.chicken, "a1", options=[menu.mild.pk])
        add(ann, menu.chicken, "a2", options=[menu.mild.pk], takeaway=True)
        add(ann, menu.chicken, "a3", options=[menu.mild.pk], takeaway=True, qty=2)
        add(ann, menu.chicken, "a4", options=[menu.mild.pk], takeaway=False)
        lines = list(CartLine.objects.order_by("pk").values_list("takeaway", "qty"))
        assert lines == [(False, 2), (True, 3)]

        eat_in, to_go, raised, raised_eat_in = lines_told(events)
        assert set(eat_in) == LINE_KEYS, "a line eaten in is as it was"
        assert to_go["takeaway"] is True and set(to_go) == LINE_KEYS | {"takeaway"}
        assert (eat_in["price"], to_go["price"]) == (3800, 4000)  # the fee in each portion
        assert raised == {**to_go, "qty": 3}
        assert raised_eat_in == {**eat_in, "qty": 2}

        snapshot = dining_snapshot(diner_id=ann.pk)
        assert [set(line) for line in snapshot["cart"]] == [LINE_KEYS, LINE_KEYS | {"takeaway"}]
        assert [line["price"] for line in snapshot["cart"]] == [3800, 4000]

    def test_shared_and_takeaway_each_keep_lines_apart(self, fees):
        menu = fees
        ann = arrive(menu.table)
        for n, (shared, takeaway) in enumerate([(1, 1), (1, 0), (0, 1), (1, 1), (0, 0)]):
            add(ann, menu.rice, f"a{n}", shared=bool(shared), takeaway=bool(takeaway))
        lines = CartLine.objects.order_by("pk").values_list("shared", "takeaway", "qty")
        assert list(lines) == [(True, True, 2), (True, False, 1), (False, True, 1),
                               (False, False, 1)]  # fmt: skip

    def test_a_dish_without_a_fee_packs_at_its_price(self, fees, events):
        menu = fees
        ann = arrive(menu.table)
        add(ann, menu.rice, "a", takeaway=True)
        (line,) = lines_told(events)
        assert (line["takeaway"], line["price"]) == (True, 300)

    def test_a_new_qty_keeps_the_line_to_take_away(self, fees, events):
        menu = fees
        ann = arrive(menu.table)
        add(ann, menu.chicken, "a", options=[menu.hot.pk], takeaway=True)
        line = CartLine.objects.get()
        apply(ann, {"type": "cart.set_qty", "id": "q", "line_id": line.pk, "qty": 4})
        told = lines_told(events)[-1]
        assert (told["qty"], told["takeaway"], told["price"]) == (4, True, 4000)
        assert CartLine.objects.get().takeaway is True

    def test_takeaway_must_be_a_boolean(self, menu):
        ann = arrive(menu.table)
        with pytest.raises(msgspec.ValidationError):
            add(ann, menu.rice, "a", takeaway="yes")
        assert not CartLine.objects.exists()

    def test_what_staff_see_unsent_holds_the_fee(self, fees):
        menu = fees
        ann = arrive(menu.table)
        add(ann, menu.chicken, "a1", options=[menu.mild.pk], takeaway=True, qty=2)
        add(ann, menu.chicken, "a2", options=[menu.mild.pk])
        unsent = unsent_cart(ann.session)
        assert [item["price"] for item in unsent["items"]] == [4000, 3800]
        assert unsent["total"] == 2 * 4000 + 3800


@pytest.mark.django_db
class TestMenu:
    def test_the_menu_gives_the_packing_fee_only_where_there_is_one(self, fees, client):
        for url in ("/api/menu/", "/api/menu/?lang=en", "/api/menu/?lang=zh-hans"):
            served = client.get(url).json()
            dishes = {d["id"]: d for c in served["categories"] for d in c["dishes"]}
            assert dishes[fees.chicken.pk]["packing_fee"] == 200, url
            assert "packing_fee" not in dishes[fees.rice.pk], url


@pytest.mark.django_db
class TestAdmin:
    @pytest.fixture
    def boss(self, client):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_superuser("boss", password="a-long-admin-password")
        client.force_login(user)
        return client

    def test_the_fee_is_typed_in_yuan_and_stored_in_fen(self, boss, menu):
        from tests.menu.test_photos import dish_form

        url = f"/admin/menu/dish/{menu.rice.pk}/change/"
        page = boss.get(url).content.decode()
        assert 'name="packing_fee" value="0.00"' in page
        response = boss.post(url, dish_form(menu, packing_fee="1.5"))
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert Dish.objects.get(pk=menu.rice.pk).packing_fee == 150  # ¥1.50, not ¥0.015
        assert 'name="packing_fee" value="1.50"' in boss.get(url).content.decode()
        for wrong in ("0.005", "-1", "abc"):
            refused = boss.post(url, dish_form(menu, packing_fee=wrong))
            assert refused.status_code == 200
            assert refused.context["adminform"].form.errors["packing_fee"]
        assert Dish.objects.get(pk=menu.rice.pk).packing_fee == 150
        # Left empty: no fee (a form that does not know the field saves as before).
        assert boss.post(url, dish_form(menu)).status_code == 302
        assert Dish.objects.get(pk=menu.rice.pk).packing_fee == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "toggle", "badge"), [
    ("en", "To go", "To go"), ("zh-hans", "打包带走", "打包"),
])  # fmt: skip
def test_the_phone_and_the_waiter_pages_say_it_in_both_languages(menu, language, toggle, badge):
    from django.test import Client

    from restaurant.venues.models import StaffMember
    from tests.floor.test_waiter_page import client_of, data

    phone = Client().get(f"/t/{menu.table.token}/", HTTP_ACCEPT_LANGUAGE=language)
    waiter = client_of(menu.restaurant, StaffMember.Role.WAITER).get(
        "/staff/tables/1/order/", HTTP_ACCEPT_LANGUAGE=language
    )
    for page, strings in ((phone, "table-strings"), (waiter, "waiter-strings")):
        assert page.status_code == 200
        said = data(page, strings)
        assert (said["takeaway"], said["toGo"]) == (toggle, badge)
