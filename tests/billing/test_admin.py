"""The till's settings in the admin (the cover charge typed in yuan, payment methods from the
known list, only the restaurant's own stations for receipts), and the record of payments and
closed checks: read-only, and only the manager's own restaurant's."""

import pytest
from django.test import Client

from restaurant.billing.services import meal_close, payment_record
from restaurant.venues.models import Station
from tests.billing.support import meal
from tests.factories import make_menu
from tests.support.people import staff_user
from tests.venues.test_admin import TILL_DEFAULTS

pytestmark = pytest.mark.django_db


def manager_of(restaurant) -> Client:
    client = Client()
    client.force_login(staff_user(restaurant, "manager"))
    return client


def post_settings(client, restaurant, **till):
    data = {"name": restaurant.name, "name_en": "", "currency": restaurant.currency,
            "language": restaurant.language, "hold_first_round": "on",
            "idle_close_minutes": 30, **TILL_DEFAULTS, **till}  # fmt: skip
    return client.post(f"/admin/venues/restaurant/{restaurant.pk}/change/", data)


def test_till_settings_in_the_major_unit(menu):
    client = manager_of(menu.restaurant)
    page = client.get(f"/admin/venues/restaurant/{menu.restaurant.pk}/change/")
    assert page.status_code == 200 and "Cover charge per guest" in page.content.decode()
    hot = Station.objects.create(restaurant=menu.restaurant, code="cashier", name="收银")
    response = post_settings(client, menu.restaurant, cover_charge="2.50",
                             service_percent="10", rounding="jiao",
                             payment_methods='["wechat", "cash"]',
                             receipt_station=hot.pk)  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    menu.restaurant.refresh_from_db()
    r = menu.restaurant
    assert (r.cover_charge, str(r.service_percent), r.rounding) == (250, "10.00", "jiao")
    assert (r.payment_methods, r.receipt_station) == (["wechat", "cash"], hot)


@pytest.mark.parametrize(
    "till",
    [
        {"cover_charge": "2.555"},  # finer than a fen
        {"cover_charge": "-1"},
        {"service_percent": "101"},
        {"payment_methods": '["cash", "bitcoin"]'},
        {"payment_methods": '["cash", "cash"]'},
        {"payment_methods": "[]"},
        {"rounding": "half"},
    ],
)
def test_bad_till_settings_are_refused(menu, till):
    client = manager_of(menu.restaurant)
    response = post_settings(client, menu.restaurant, **till)
    assert response.status_code == 200  # the form again, with its error
    menu.restaurant.refresh_from_db()
    assert (menu.restaurant.cover_charge, menu.restaurant.payment_methods[0]) == (0, "cash")


def test_another_restaurants_station_cannot_print_receipts(menu):
    other = make_menu("other")
    theirs = Station.objects.create(restaurant=other.restaurant, code="bar", name="吧台")
    client = manager_of(menu.restaurant)
    assert post_settings(client, menu.restaurant, receipt_station=theirs.pk).status_code == 200
    menu.restaurant.refresh_from_db()
    assert menu.restaurant.receipt_station is None


def test_payments_and_closed_checks_are_read_only_and_the_managers_own(menu):
    session, _, _ = meal(menu, ("Ann", [menu.rice]))
    payment = payment_record(restaurant=menu.restaurant, session_id=session.pk, method="cash",
                             amount=300, target="check", expect=300, op_id="p",
                             by=None)  # fmt: skip
    meal_close(restaurant=menu.restaurant, table=menu.table, by=None, may_close_unpaid=False)
    mine = manager_of(menu.restaurant)
    listing = mine.get("/admin/billing/payment/").content.decode()
    assert "¥3.00" in listing or "3.00" in listing
    assert mine.get("/admin/billing/closedcheck/").status_code == 200
    assert mine.get("/admin/billing/payment/add/").status_code == 403
    change = mine.post(f"/admin/billing/payment/{payment.pk}/change/", {"amount": 1})
    assert change.status_code in (200, 403)
    payment.refresh_from_db()
    assert payment.amount == 300
    stranger = manager_of(make_menu("other").restaurant)
    assert stranger.get(f"/admin/billing/payment/{payment.pk}/change/").status_code == 404
    assert "3.00" not in stranger.get("/admin/billing/payment/").content.decode()
