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


def test_stylesheets_are_served_minified_under_both_names():
    """Comments explain the rules to engineers; phones get the rules alone. The hashed copy
    (what pages link) and its compressed copies hold the same minified sheet."""
    from pathlib import Path

    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage

    source = (Path(settings.BASE_DIR) / "restaurant/static/css/app.css").read_text()
    root = Path(settings.STATIC_ROOT)
    hashed = root / staticfiles_storage.stored_name("css/app.css")
    served = hashed.read_text()
    assert "/*" in source and "/*" not in served
    assert 0 < len(served) < len(source) * 0.9
    assert (root / "css/app.css").read_text() == served
    assert Path(f"{hashed}.gz").stat().st_size > 0 and Path(f"{hashed}.br").stat().st_size > 0
