"""Table links: the URL in each table's QR code and in `manage.py table_links`.

Their base is SITE_URL. Where it is not set, it is the address `serve` (what `make run` runs)
serves, which it writes to var/site_url as it starts: `PORT=9000 make run` in one shell and
`manage.py table_links` in another print links for port 9000, not the default 8000."""

from django.conf import settings
from django.urls import reverse

from restaurant.tables.models import Table

SERVED_FILE = "site_url"


def served_site_url_save(url: str) -> None:
    """`serve`: the address it serves, for the other commands (var/ is private: 0700)."""
    (settings.VAR_DIR / SERVED_FILE).write_text(url.rstrip("/") + "\n")


def site_url() -> str:
    if settings.SITE_URL != settings.SITE_URL_DEFAULT:
        return settings.SITE_URL
    try:
        served = (settings.VAR_DIR / SERVED_FILE).read_text().strip().rstrip("/")
    except OSError:  # `serve` never ran here
        served = ""
    return served or settings.SITE_URL


def table_url(table: Table, *, base: str | None = None) -> str:
    return (base or site_url()) + reverse("table", args=[table.token])


def table_links(*, restaurant_slug: str | None = None) -> list[dict]:
    """Every table's ``{restaurant (slug), number, label, url}``, by restaurant then number;
    only ``restaurant_slug``'s when given."""
    base = site_url()
    tables = Table.objects.select_related("restaurant").order_by("restaurant_id", "number")
    if restaurant_slug is not None:
        tables = tables.filter(restaurant__slug=restaurant_slug)
    return [
        {
            "restaurant": t.restaurant.slug,
            "number": t.number,
            "label": t.label,
            "url": table_url(t, base=base),
        }
        for t in tables
    ]
