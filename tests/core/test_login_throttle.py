"""Staff sign-in throttling (the staff login and the admin's): a lock per username *and*
client address, so guessing one staff member's password from one place cannot lock that member
out everywhere, nor lock everyone out from the restaurant's Wi-Fi; the lock heals by itself."""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.test import Client
from django.utils import timezone

from restaurant.site.management.commands import serve
from restaurant.venues.models import Restaurant, StaffMember

PASSWORD = "correct horse battery staple"
ATTACKER, KITCHEN = "203.0.113.7", "198.51.100.20"

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    restaurant = Restaurant.objects.create(slug="main", name="小馆")
    users = get_user_model().objects
    people = [users.create_user(username=name, password=PASSWORD) for name in ("cook", "manager")]
    StaffMember.objects.create(user=people[0], restaurant=restaurant, role="kitchen")
    StaffMember.objects.create(user=people[1], restaurant=restaurant, role="manager")
    return people


def log_in(username: str, password: str, address: str, page: str = "/staff/login/"):
    """One sign-in from ``address``; returns the response."""
    client = Client(REMOTE_ADDR=address)
    return client.post(f"{page}?next=/staff/", {"username": username, "password": password})


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/staff/"


def lock(username: str, address: str) -> None:
    """Wrong passwords up to the limit: the form again each time, the last one locks."""
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(username, f"guess {i}", address).status_code == 200
    assert log_in(username, "last guess", address).status_code == 429


def test_wrong_passwords_past_the_limit_lock_that_username_from_that_address(staff):
    lock("cook", ATTACKER)
    refused = log_in("cook", PASSWORD, ATTACKER)
    assert refused.status_code in (403, 429)
    assert not logged_in(refused)
    assert "too many" in refused.content.decode().lower() or "过多" in refused.content.decode()


def test_the_admin_login_counts_against_the_same_lock(staff):
    """Guessing a manager's password on the admin's login is the same guessing: both pages
    authenticate through django-axes, so they share one count per username and address."""
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in("manager", f"guess {i}", ATTACKER, page="/admin/login/").status_code == 200
    assert log_in("manager", "last guess", ATTACKER).status_code == 429
    assert not logged_in(log_in("manager", PASSWORD, ATTACKER, page="/admin/login/"))
    assert logged_in(log_in("manager", PASSWORD, KITCHEN, page="/admin/login/"))


def test_the_same_user_elsewhere_and_others_here_still_log_in(staff):
    lock("cook", ATTACKER)
    assert logged_in(log_in("cook", PASSWORD, KITCHEN))
    assert logged_in(log_in("manager", PASSWORD, ATTACKER))


def test_the_client_address_is_remote_addr_not_a_forwarded_header(staff):
    """X-Forwarded-For is the client's word; the real address is REMOTE_ADDR (the ASGI layer
    puts the proxy-checked one there). A lie in the header neither escapes nor spreads a lock."""
    client = Client(REMOTE_ADDR=ATTACKER)
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/staff/login/", {"username": "cook", "password": f"guess {i}"},
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")  # fmt: skip
    assert not logged_in(log_in("cook", PASSWORD, ATTACKER))
    assert logged_in(log_in("cook", PASSWORD, "192.0.2.0"))


def test_the_lock_heals_after_the_cool_off(staff):
    lock("cook", ATTACKER)
    assert not logged_in(log_in("cook", PASSWORD, ATTACKER))
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    with mock.patch("axes.handlers.proxy.now", return_value=later):
        assert logged_in(log_in("cook", PASSWORD, ATTACKER))


def test_a_success_resets_the_count(staff):
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in("cook", f"guess {i}", ATTACKER)
    assert logged_in(log_in("cook", PASSWORD, ATTACKER))
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in("cook", f"again {i}", ATTACKER)
    assert logged_in(log_in("cook", PASSWORD, ATTACKER))


def test_the_lockout_page_speaks_the_diners_languages(staff):
    lock("cook", ATTACKER)
    client = Client(REMOTE_ADDR=ATTACKER)
    for language, words in (("en", "Too many failed sign-ins"), ("zh-hans", "登录失败次数过多")):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.post("/staff/login/", {"username": "cook", "password": PASSWORD})
        assert page.status_code == 429
        assert words in page.content.decode()


@pytest.mark.parametrize("password", ["short1", "password1234", "123456789012345"])
def test_staff_passwords_must_be_strong(password):
    with pytest.raises(Exception):  # noqa: B017 (ValidationError, whichever validator refuses)
        validate_password(password)


def test_the_generated_demo_password_passes_the_policy(settings, tmp_path):
    """`make run` makes the staff login: its password must pass the policy it is held to."""
    settings.VAR_DIR = tmp_path
    user_model = get_user_model()
    for _ in range(50):  # random each time: try a few
        (tmp_path / "staff_password").unlink(missing_ok=True)
        password = serve.Command().staff_password()
        validate_password(password, user_model.objects.get(username=serve.STAFF_USERNAME))
