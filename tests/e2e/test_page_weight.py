"""The table page's first load, before images, stays under 150 KB (uncompressed), and what it
loads is compressed and named by content hash.

A diner on poor Wi-Fi inside WeChat waits for all of it before the menu works: the HTML, every
stylesheet and ES module it loads (following `import` statements through the modules), and the
menu it preloads. Measured with the Django test client and the collected static files (hashed
names, as served), on the demo restaurant, in both languages. Images are not counted: they load
lazily into boxes that already hold their space. What goes over the wire is smaller still: every
static file has a gzip and a Brotli copy, and the menu is gzipped; both are printed.
"""

import gzip
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from restaurant.site.demo import demo_load
from restaurant.tables.models import Table

pytestmark = pytest.mark.django_db

BUDGET = 150 * 1024
STATIC_URL = settings.STATIC_URL
HASHED = re.compile(r"\.[0-9a-f]{12}\.\w+$")
# `import … from "./x.js"`, `import "./x.js"` and `import("./x.js")`: how a module pulls in another.
IMPORT = re.compile(r"""\bimport\s*(?:[\w*{}\s,$]+\bfrom\s*)?\(?\s*["']([^"']+)["']""")


class Loads(HTMLParser):
    """What the browser fetches before it can run the page: styles, scripts, preloads."""

    def __init__(self):
        super().__init__()
        self.styles, self.modules, self.fetches = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        rel = (a.get("rel") or "").split()
        if tag == "link" and "stylesheet" in rel:
            self.styles.append(a["href"])
        elif tag == "link" and "modulepreload" in rel:
            self.modules.append(a["href"])
        elif tag == "link" and "preload" in rel and a.get("as") == "fetch":
            self.fetches.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.modules.append(a["src"])
        elif tag == "img":
            assert a.get("loading") == "lazy", f"an <img> in the HTML is not lazy: {a}"


def static_file(url: str) -> bytes:
    assert url.startswith(STATIC_URL), url
    assert HASHED.search(url), f"{url} has no content hash in its name"
    path = Path(settings.STATIC_ROOT) / url.removeprefix(STATIC_URL)
    assert path.is_file(), f"{url} is not a collected static file"
    assert Path(f"{path}.br").is_file() and Path(f"{path}.gz").is_file(), (
        f"{url}: no compressed copy"
    )
    return path.read_bytes()


def wire_size(url: str, body: bytes) -> int:
    """What the file costs over the wire to a browser that takes Brotli (most phones)."""
    if url.startswith(STATIC_URL):
        return (
            (Path(settings.STATIC_ROOT) / url.removeprefix(STATIC_URL))
            .with_suffix(Path(url).suffix + ".br")
            .stat()
            .st_size
        )
    return len(gzip.compress(body))


def module_graph(entries: list[str]) -> dict[str, bytes]:
    """Every ES module reachable from the entries through static and dynamic imports."""
    seen: dict[str, bytes] = {}
    queue = list(entries)
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen[url] = static_file(url)
        base = url.rsplit("/", 1)[0]
        for spec in IMPORT.findall(seen[url].decode()):
            assert spec.startswith("./"), f"{url} imports {spec!r}: only relative modules"
            queue.append(f"{base}/{spec[2:]}")
    return seen


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_table_page_first_load_is_under_150_kb(client, language):
    demo_load()
    table = Table.objects.order_by("number").first()
    response = client.get(f"/t/{table.token}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content
    loads = Loads()
    loads.feed(html.decode())
    assert loads.styles and loads.modules and loads.fetches, "the page loads less than expected"

    sizes = {"HTML": len(html)}
    sizes |= {url: len(static_file(url)) for url in loads.styles}
    modules = module_graph(loads.modules)
    for name in ("socket", "ui"):  # imported by the page's module, by their hashed names
        assert any(re.search(rf"/{name}\.[0-9a-f]{{12}}\.js$", url) for url in modules), name
    sizes |= {url: len(body) for url, body in modules.items()}
    wire = {"HTML": len(html)}  # pages go uncompressed (they carry a CSRF token: BREACH)
    wire |= {url: wire_size(url, static_file(url)) for url in [*loads.styles, *modules]}
    for url in loads.fetches:  # the menu, fetched while the modules load
        fetched = client.get(url, HTTP_ACCEPT_LANGUAGE=language, HTTP_ACCEPT_ENCODING="gzip")
        assert fetched.status_code == 200 and fetched["Content-Encoding"] == "gzip"
        sizes[url] = len(gzip.decompress(fetched.content))
        wire[url] = len(fetched.content)

    total = sum(sizes.values())
    report = "\n".join(f"  {size / 1024:6.1f} KB  {name}" for name, size in sizes.items())
    print(f"\nTable page first load ({language}): {total / 1024:.1f} KB, "
          f"{sum(wire.values()) / 1024:.1f} KB over the wire\n{report}")  # fmt: skip
    assert total < BUDGET, f"first load is {total / 1024:.1f} KB (budget 150 KB):\n{report}"
