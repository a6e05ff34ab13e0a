"""Stations in the admin: a manager sets up their restaurant's stations, routes categories and
dishes to them and keeps a cook to one; another restaurant's station is never a choice."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from restaurant.menu.models import Category
from restaurant.venues.models import StaffMember, Station
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_adds_a_station_and_sees_only_their_own(a, b):
    Station.objects.create(restaurant=b.restaurant, code="bar", name="乙店酒水")
    client = signed_in(staff_user(a.restaurant, "manager"))
    response = client.post("/admin/venues/station/add/", {
        "restaurant": a.restaurant.pk, "name": "凉菜", "name_en": "Cold", "code": "cold",
        "target_minutes": 8, "sort_order": 1,
    })  # fmt: skip
    assert response.status_code == 302
    assert Station.objects.get(code="cold").restaurant == a.restaurant
    page = client.get("/admin/venues/station/").content.decode()
    assert "凉菜" in page and "乙店酒水" not in page
    # The code names it in URLs: unique within the restaurant, a slug.
    again = client.post("/admin/venues/station/add/", {
        "restaurant": a.restaurant.pk, "name": "x", "code": "cold", "target_minutes": 5,
        "sort_order": 2,
    })  # fmt: skip
    assert again.status_code == 200 and Station.objects.filter(code="cold").count() == 1


def test_another_restaurants_station_is_refused_for_a_category_dish_or_cook(a, b):
    theirs = Station.objects.create(restaurant=b.restaurant, code="hot", name="热菜")
    ours = Station.objects.create(restaurant=a.restaurant, code="hot", name="热菜")
    category = Category.objects.get(pk=a.rice.category_id)
    category.station = theirs
    with pytest.raises(ValidationError):
        category.full_clean()
    a.rice.station = theirs
    with pytest.raises(ValidationError):
        a.rice.full_clean()
    cook = staff_user(a.restaurant, "kitchen", username="cook")
    member = StaffMember.objects.get(user=cook)
    client = signed_in(staff_user(a.restaurant, "manager"))
    url = f"/admin/venues/staffmember/{member.pk}/change/"
    form = client.get(url).content.decode()
    assert f'value="{ours.pk}"' in form and f'value="{theirs.pk}"' not in form
    assert client.post(url, {"role": "kitchen", "station": theirs.pk}).status_code == 200
    assert StaffMember.objects.get(pk=member.pk).station is None
    assert client.post(url, {"role": "kitchen", "station": ours.pk}).status_code == 302
    assert StaffMember.objects.get(pk=member.pk).station == ours
    # Only the kitchen is kept to a station.
    assert client.post(url, {"role": "waiter", "station": ours.pk}).status_code == 200
