"""Signing in and out, picking a restaurant, pairing a shared tablet."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from restaurant.venues.devices import DEVICE_SESSION_AGE, device_create, device_pairing_open
from restaurant.venues.models import StaffMember
from tests.factories import make_menu
from tests.support.people import PASSWORD, staff_user

pytestmark = pytest.mark.django_db


def sign_in(username: str, next_url: str = "", client: Client | None = None):
    client = client or Client()
    url = "/staff/login/" + (f"?next={next_url}" if next_url else "")
    return client, client.post(url, {"username": username, "password": PASSWORD})


class TestSignIn:
    def test_the_page_is_phone_sized_and_has_csrf(self, a):
        page = Client().get("/staff/login/")
        assert page.status_code == 200
        text = page.content.decode()
        assert 'name="csrfmiddlewaretoken"' in text and 'autocomplete="current-password"' in text
        assert 'name="viewport"' in text

    @pytest.mark.parametrize(("role", "home"), [("kitchen", "/r/a/kitchen/"),
                                                ("waiter", "/r/a/staff/"),
                                                ("cashier", "/r/a/staff/"),
                                                ("manager", "/r/a/staff/")])  # fmt: skip
    def test_each_role_lands_on_its_page(self, a, role, home):
        user = staff_user(a.restaurant, role)
        client, response = sign_in(user.username)
        assert response.status_code == 302 and response["Location"] == home
        assert client.get(home).status_code == 200

    def test_next_is_followed_when_it_is_ours(self, a):
        user = staff_user(a.restaurant, "manager")
        _, response = sign_in(user.username, "/staff/qr-sheet/")
        assert response["Location"] == "/staff/qr-sheet/"
        _, response = sign_in(user.username, "https://evil.example/")
        assert response["Location"] == "/r/a/staff/"

    def test_a_person_of_several_picks_first(self, a, b):
        user = staff_user(a.restaurant, "manager", username="both")
        staff_user(b.restaurant, "kitchen", username="both")
        _, response = sign_in(user.username)
        assert response["Location"] == "/staff/restaurants/"

    def test_a_wrong_password_is_refused(self, a):
        user = staff_user(a.restaurant, "waiter")
        client = Client()
        response = client.post("/staff/login/", {"username": user.username, "password": "no"})
        assert response.status_code == 200 and SESSION_KEY not in client.session

    def test_csrf_is_checked(self, a):
        user = staff_user(a.restaurant, "waiter")
        client = Client(enforce_csrf_checks=True)
        response = client.post("/staff/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 403


class TestSignOut:
    def test_post_signs_out(self, a):
        client, _ = sign_in(staff_user(a.restaurant, "waiter").username)
        response = client.post("/staff/logout/")
        assert response.status_code == 302 and response["Location"] == "/staff/login/"
        assert client.get("/staff/").status_code == 302  # to sign in again

    def test_get_does_not(self, a):
        client, _ = sign_in(staff_user(a.restaurant, "waiter").username)
        assert client.get("/staff/logout/").status_code == 405
        assert client.get("/staff/").status_code == 200

    def test_staff_pages_say_who_and_offer_it(self, a):
        user = staff_user(a.restaurant, "waiter", first_name="小王")
        client, _ = sign_in(user.username)
        page = client.get("/staff/").content.decode()
        assert "小王" in page and "甲店" in page and 'action="/staff/logout/"' in page
        assert "/staff/restaurants/" not in page  # one restaurant: nothing to switch


class TestPicker:
    def test_unprefixed_pages_wait_for_a_pick(self, a, b):
        user = staff_user(a.restaurant, "manager", username="both")
        staff_user(b.restaurant, "waiter", username="both")
        client = Client()
        client.force_login(user)
        response = client.get("/staff/")
        assert response.status_code == 302
        assert response["Location"] == "/staff/restaurants/?next=/staff/"
        # the per-restaurant forms need no pick
        assert client.get("/r/b/staff/").status_code == 200

    def test_lists_the_persons_restaurants_with_their_role(self, a, b):
        make_menu("c", "丙店")
        user = staff_user(a.restaurant, "manager", username="both")
        staff_user(b.restaurant, "waiter", username="both")
        client = Client()
        client.force_login(user)
        page = client.get("/staff/restaurants/").content.decode()
        assert "甲店" in page and "乙店" in page and "丙店" not in page
        assert "/r/b/staff/" in page and "/r/b/kitchen/" in page

    def test_a_pick_serves_the_unprefixed_forms(self, a, b):
        user = staff_user(a.restaurant, "manager", username="both")
        staff_user(b.restaurant, "waiter", username="both")
        client = Client()
        client.force_login(user)
        response = client.post("/staff/restaurants/", {"restaurant": b.restaurant.pk,
                                                       "next": "/staff/"})  # fmt: skip
        assert response.status_code == 302 and response["Location"] == "/staff/"
        page = client.get("/staff/").content.decode()
        assert "乙店" in page and "/staff/restaurants/" in page  # and a way back
        assert client.get("/staff/qr-sheet/").status_code == 403  # a waiter at B
        body = client.get("/api/menu/").json()
        assert b.rice.pk in {d["id"] for c in body["categories"] for d in c["dishes"]}

    def test_a_restaurant_without_a_role_cannot_be_picked(self, a, b):
        """Leak: a pick of another restaurant's id serving its pages unprefixed."""
        user = staff_user(a.restaurant, "manager")
        client = Client()
        client.force_login(user)
        assert (
            client.post("/staff/restaurants/", {"restaurant": b.restaurant.pk}).status_code == 404
        )
        assert client.post("/staff/restaurants/", {"restaurant": "x"}).status_code == 404
        assert "甲店" in client.get("/staff/").content.decode()

    def test_signed_out_is_sent_to_sign_in(self, a):
        response = Client().get("/staff/restaurants/")
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/?next=")

    def test_no_role_anywhere_says_so(self, a, django_user_model):
        client = Client()
        client.force_login(django_user_model.objects.create_user("nobody", password=PASSWORD))
        page = client.get("/staff/restaurants/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "You have no role at any restaurant yet" in page
        assert client.get("/staff/").status_code == 403


class TestPairing:
    @pytest.fixture
    def device(self, a):
        return device_create(restaurant=a.restaurant, role="kitchen", name="kitchen pass")

    def test_get_shows_a_button_and_uses_nothing(self, device):
        secret = device_pairing_open(member=device)
        client = Client()
        for _ in range(2):  # a link preview, then the tablet
            page = client.get(f"/staff/pair/{secret}/")
            assert page.status_code == 200 and 'method="post"' in page.content.decode()
        assert SESSION_KEY not in client.session
        device.refresh_from_db()
        assert device.pairing_digest

    def test_post_signs_the_tablet_in_for_long(self, device):
        secret = device_pairing_open(member=device)
        client = Client()
        response = client.post(f"/staff/pair/{secret}/")
        assert response.status_code == 302 and response["Location"] == "/r/a/kitchen/"
        assert client.session[SESSION_KEY] == str(device.user_id)
        expiry = client.session.get_expiry_date()
        assert expiry > timezone.now() + DEVICE_SESSION_AGE - timedelta(minutes=5)
        assert client.get("/r/a/kitchen/").status_code == 200
        assert client.get("/kitchen/").status_code == 200
        assert client.get("/staff/").status_code == 403  # a kitchen device is the kitchen's

    def test_the_link_works_once(self, device):
        secret = device_pairing_open(member=device)
        assert Client().post(f"/staff/pair/{secret}/").status_code == 302
        other = Client()
        assert other.post(f"/staff/pair/{secret}/").status_code == 404
        assert SESSION_KEY not in other.session

    def test_an_expired_link_is_refused(self, device):
        secret = device_pairing_open(member=device)
        StaffMember.objects.filter(pk=device.pk).update(
            pairing_expires_at=timezone.now() - timedelta(seconds=1)
        )
        client = Client()
        assert client.post(f"/staff/pair/{secret}/").status_code == 404
        assert SESSION_KEY not in client.session

    def test_a_deactivated_device_is_refused(self, device):
        secret = device_pairing_open(member=device)
        device.user.is_active = False
        device.user.save()
        client = Client()
        assert client.post(f"/staff/pair/{secret}/").status_code == 404
        assert SESSION_KEY not in client.session

    def test_an_unknown_secret_is_refused(self, device):
        assert Client().post("/staff/pair/not-a-secret/").status_code == 404

    def test_csrf_is_checked(self, device):
        secret = device_pairing_open(member=device)
        client = Client(enforce_csrf_checks=True)
        assert client.post(f"/staff/pair/{secret}/").status_code == 403
        device.refresh_from_db()
        assert device.pairing_digest  # still open
