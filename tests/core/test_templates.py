"""Template comments never reach a page: Django's `{# #}` is one line only, and a comment
spread over two lines is printed as text (the table page once showed one to diners)."""

from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "restaurant" / "templates"


@pytest.mark.parametrize(
    "path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_every_comment_opened_closes_on_its_line(path):
    for number, line in enumerate(path.read_text().splitlines(), 1):
        opened = line.count("{#")
        assert opened == line.count("#}"), f"{path.name}:{number}: a {{# #}} over two lines"


def test_the_table_page_shows_no_template_syntax(client, menu):
    page = client.get(f"/t/{menu.table.token}/").content.decode()
    assert "{#" not in page and "#}" not in page and "{%" not in page
