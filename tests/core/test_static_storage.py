"""Hashed static names need `collectstatic`; a server started without it (a test's, the
benchmark's, a fresh checkout's) still renders every page, with plain names. Production,
where a missing name is a deployment fault, refuses."""

import pytest

from restaurant.core.staticfiles import StaticStorage


def test_outside_production_an_uncollected_name_falls_back_to_its_plain_url(settings, tmp_path):
    settings.PRODUCTION = False
    storage = StaticStorage(location=tmp_path, base_url="/static/")  # nothing collected here
    assert storage.url("js/ui.js") == "/static/js/ui.js"


def test_production_refuses_an_uncollected_name(settings, tmp_path):
    settings.PRODUCTION = True
    storage = StaticStorage(location=tmp_path, base_url="/static/")
    with pytest.raises(ValueError):
        storage.url("js/ui.js")
