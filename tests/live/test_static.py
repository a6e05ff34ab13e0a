"""What the embedded server (daphne + whitenoise, as `make run` serves) sends for static files
and the menu: content-hashed names cached for a year, Brotli or gzip for a client that takes it,
the menu JSON gzipped; pages, which carry a CSRF token, are never compressed (BREACH)."""

import gzip
import json
import re
import urllib.request

import brotli
import pytest

from tests.support.servers import AsgiServer, prepare_database

pytestmark = pytest.mark.multiprocess

YEAR = "public, max-age=31536000, immutable"


def get(url: str, encoding: str | None = None) -> tuple[dict, bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding or "identity"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(response.headers), response.read()


def test_static_files_are_hashed_compressed_and_cached_for_a_year(tmp_path):
    with AsgiServer(database_url=prepare_database(tmp_path)) as server:
        table = server.table_url(1)
        headers, page = get(table, "gzip, br")
        assert "Content-Encoding" not in headers  # a page with a CSRF token: not compressed
        urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.decode())
        assert urls and all(re.search(r"\.[0-9a-f]{12}\.\w+$", u) for u in urls), urls
        css = next(u for u in urls if u.endswith(".css"))
        [module] = re.findall(r'<script type="module" src="([^"]+)"', page.decode())
        plain_headers, plain = get(server.url + css)
        assert plain_headers["Cache-Control"] == YEAR
        for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
            headers, body = get(server.url + css, f"{encoding}")
            assert headers["Content-Encoding"] == encoding and decode(body) == plain
            assert headers["Cache-Control"] == YEAR and "Accept-Encoding" in headers["Vary"]
            assert len(body) < len(plain) / 3
        # A module's imports name the other modules by their hashes too.
        _, source = get(server.url + module)
        imports = re.findall(r'from "\./([^"]+)"', source.decode())
        assert imports and all(re.search(r"\.[0-9a-f]{12}\.js$", name) for name in imports)
        for name in imports:
            headers, _ = get(f"{server.url}/static/js/{name}")
            assert headers["Cache-Control"] == YEAR
        # The name without a hash still answers, briefly cached: it may change.
        headers, _ = get(server.url + "/static/css/app.css")
        assert "immutable" not in headers["Cache-Control"]

        headers, body = get(server.url + "/api/menu/", "gzip")
        assert headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
        assert json.loads(gzip.decompress(body))["categories"]
        headers, body = get(server.url + "/api/menu/")
        assert "Content-Encoding" not in headers and json.loads(body)["categories"]
