from django.conf import settings
from django.urls import reverse

from restaurant.tables.models import Table


def table_url(table: Table) -> str:
    return settings.SITE_URL + reverse("table", args=[table.token])


def table_links() -> list[dict]:
    return [
        {"number": t.number, "label": t.label, "url": table_url(t)} for t in Table.objects.all()
    ]
