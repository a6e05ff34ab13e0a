"""Every response carries the Content-Security-Policy and the other browser-side limits; the
pages work under that policy (no inline script or style attribute for it to block, in our
templates and in the admin's); TRACE, TRACK and CONNECT are refused before any view runs."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


@pytest.fixture
def staff_client():
    user = get_user_model().objects.create_user(
        username="boss", password="x" * 16, is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(user)
    return client


def pages(menu) -> list[str]:
    return ["/", f"/t/{menu.table.token}/", "/api/menu/", "/healthz", "/admin/login/",
            "/t/no-such-table/", "/nowhere/", "/static/css/app.css"]  # fmt: skip


def staff_pages() -> list[str]:
    boss = get_user_model().objects.get(username="boss")
    return ["/kitchen/", "/staff/", "/staff/qr-sheet/", "/staff/tables/1/qr.svg", "/admin/",
            "/admin/menu/dish/", "/admin/menu/dish/add/",
            f"/admin/auth/user/{boss.pk}/change/"]  # fmt: skip


def assert_guarded(response, url: str) -> None:
    assert response["Content-Security-Policy"] == CSP, url
    assert response["Referrer-Policy"] == "same-origin", url
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions, url


def test_every_kind_of_response_carries_the_policy(menu, staff_client):
    anonymous = Client()
    for url in pages(menu):
        assert_guarded(anonymous.get(url), url)
    for url in staff_pages():
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert_guarded(response, url)


class Blockable(HTMLParser):
    """What a strict CSP would block in a page: inline scripts, style elements and attributes,
    event-handler attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._inline_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and not a.get("src") and a.get("type") != "application/json":
            self._inline_script = True
        if tag == "style":
            self.found.append("<style>")
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")

    def handle_data(self, data):
        if self._inline_script and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline_script = False


def blockable(html: str) -> list[str]:
    parser = Blockable()
    parser.feed(html)
    return parser.found


def test_our_pages_and_the_admins_have_nothing_the_policy_blocks(menu, staff_client):
    for url in ["/", f"/t/{menu.table.token}/", "/admin/login/"]:
        assert blockable(Client().get(url).content.decode()) == [], url
    for url in staff_pages():
        if url.endswith(".svg"):
            continue
        assert blockable(staff_client.get(url).content.decode()) == [], url


@pytest.mark.parametrize("method", ["TRACE", "TRACK", "CONNECT"])
@pytest.mark.parametrize("url", ["/", "/admin/login/", "/static/css/app.css", "/nowhere/"])
def test_trace_track_and_connect_are_refused(menu, method, url):
    response = Client().generic(method, url)
    assert response.status_code == 405
    assert "TRACE" not in response["Allow"]
    assert_guarded(response, url)
