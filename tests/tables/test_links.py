"""`manage.py table_links` prints links for the address `make run` serves: `PORT=9000 make run`
in one shell and `table_links` in another printed :8000 links."""

import json
from unittest import mock

import pytest
from django.core.management import call_command

from restaurant.core import asgi_server
from restaurant.tables.links import table_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # `serve` writes there (its staff password too)
    # and collects static files: into a directory of its own, never the one other tests'
    # pages (and another xdist worker's whitenoise) are reading at the same time
    settings.STATIC_ROOT = tmp_path / "static"
    settings.SITE_URL = "http://127.0.0.1:8000"  # SITE_URL not set: its default
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return tmp_path


def links(capsys) -> dict[int, str]:
    capsys.readouterr()
    call_command("table_links", "--json")
    return {link["number"]: link["url"] for link in json.loads(capsys.readouterr().out)}


def serve(*args: str) -> list[str]:
    """Run `manage.py serve` up to the point where it would start serving; returns the
    arguments it would have served with."""
    with mock.patch.object(asgi_server, "main") as main:
        # No print worker or fake printers: a worker process on this test's database (in
        # memory, out of its reach) would only fail (restaurant/printing/embedded.py).
        call_command("serve", "--no-demo", "--no-print-worker", "--no-fake-printers", *args)
    (argv,) = main.call_args.args
    return argv


def test_table_links_follow_the_port_serve_serves(menu, var_dir, capsys):
    assert links(capsys)[1] == f"http://127.0.0.1:8000/t/{menu.table.token}/"  # never served
    argv = serve("--port", "9123")
    assert argv[argv.index("-p") + 1] == "9123"
    printed = capsys.readouterr().out
    assert f"http://127.0.0.1:9123/t/{menu.table.token}/" in printed  # serve's own list
    assert ":8000" not in printed
    # another shell, no SITE_URL: the links of the server that runs
    assert links(capsys) == {
        1: f"http://127.0.0.1:9123/t/{menu.table.token}/",
        2: f"http://127.0.0.1:9123/t/{menu.other_table.token}/",
    }
    # the QR codes and the admin's links are built by the same function
    assert table_url(menu.table) == f"http://127.0.0.1:9123/t/{menu.table.token}/"


def test_make_run_passes_its_port_as_site_url(menu, var_dir, settings, capsys):
    settings.SITE_URL = "http://127.0.0.1:9000"  # what the Makefile sets from PORT=9000
    serve("--port", "9000")
    settings.SITE_URL = "http://127.0.0.1:8000"  # the other shell has none
    assert links(capsys)[1] == f"http://127.0.0.1:9000/t/{menu.table.token}/"


def test_a_set_site_url_wins(menu, var_dir, settings, capsys):
    serve("--port", "9123")
    settings.SITE_URL = "https://order.example.com"
    assert links(capsys)[1] == f"https://order.example.com/t/{menu.table.token}/"
