"""Debian's Chromium for the browser tests: where it is, how it starts here, the screens."""

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# No sandbox as root; no background networking (this machine's network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
TIMEOUT_MS = 10_000
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


def chromium_required() -> None:
    """A browser test without Chromium fails naming the package (CI never skips)."""
    import pytest

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: install Debian's `chromium` package")


def staff_create(
    database_url: str, *, restaurant: str, role: str, username: str, password: str
) -> None:
    """A person with ``role`` at ``restaurant`` (a slug), made as an operator makes one: with
    `manage.py staff_create`, the password in its environment."""
    from tests.support.servers import manage

    manage("staff_create", "--restaurant", restaurant, "--role", role, "--username", username,
           database_url=database_url, extra_env={"STAFF_PASSWORD": password})  # fmt: skip


def restaurant_set(database_url: str, slug: str = "shuxiang", **fields) -> None:
    """Set a restaurant's settings (``hold_first_round=False``...) before its server starts."""
    from tests.support.servers import manage

    sets = "; ".join(f"r.{name} = {value!r}" for name, value in fields.items())
    manage("shell", "-c",
           "from restaurant.venues.models import Restaurant; "
           f"r = Restaurant.objects.get(slug={slug!r}); {sets}; r.save()",
           database_url=database_url)  # fmt: skip


def sign_in(page, base_url: str, username: str, password: str, next_path: str) -> None:
    """Sign in on the staff sign-in page and land on ``next_path``."""
    import re

    from playwright.sync_api import expect

    page.goto(f"{base_url}/staff/login/?next={next_path}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))
