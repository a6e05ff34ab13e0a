"""The check page on the phones (`GET /t/<token>/check/`): a page only (its script joins),
in the diner's language, under its own first-load budget; the table page's bill links to it."""

import json
import re

import pytest
from django.test import Client

from restaurant.dining.models import Diner, DiningSession
from tests.e2e.test_page_weight import Loads, module_graph, static_file

pytestmark = pytest.mark.django_db

BUDGET = 60 * 1024


def page(menu, language: str = "zh-hans", client: Client | None = None):
    response = (client or Client()).get(f"/t/{menu.table.token}/check/",
                                        HTTP_ACCEPT_LANGUAGE=language)  # fmt: skip
    assert response.status_code == 200
    return response


def data(html: str, element_id: str) -> dict:
    match = re.search(rf'<script[^>]* id="{element_id}"[^>]*>(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_a_get_makes_nothing_and_gives_the_page_its_cookies(menu):
    response = page(menu)
    assert response.cookies["sessionid"].value and response.cookies["csrftoken"].value
    assert Diner.objects.count() == 0 and DiningSession.objects.count() == 0
    config = data(response.content.decode(), "check-config")
    token = menu.table.token
    assert config == {
        "token": token, "wsPath": f"/ws/table/{token}/", "joinUrl": f"/t/{token}/join/",
        "apiUrl": f"/api/t/{token}/check/", "tableUrl": f"/t/{token}/", "currency": "CNY",
        "equalMax": 30,
    }  # fmt: skip


@pytest.mark.parametrize(
    "language, words",
    [("en", ["Split & pay", "What I pay", "Table 1"]), ("zh-hans", ["分账", "我要付", "1号桌"])],
)
def test_in_the_diners_language(menu, language, words):
    html = page(menu, language).content.decode()
    for word in words:
        assert word in html
    strings = data(html, "check-strings")
    assert strings["claimedBy"] == ("{name} is paying for this" if language == "en"
                                    else "{name} 已认领这道菜")  # fmt: skip
    assert "{amount}" in strings["payAtCounter"]


def test_an_unknown_table_is_the_unknown_table_page(menu):
    response = Client().get("/t/" + "A" * 24 + "/check/")
    assert response.status_code == 404
    assert "扫描" in response.content.decode() or "scan" in response.content.decode().lower()


def test_no_inline_script_or_style(menu):
    html = page(menu).content.decode()
    assert " style=" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'type="application/json"' in tag or ('type="module"' in tag and "src=" in tag), tag


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_first_load_is_under_60_kb(menu, language):
    html = page(menu, language).content
    loads = Loads()
    loads.feed(html.decode())
    sizes = {"HTML": len(html)} | {url: len(static_file(url)) for url in loads.styles}
    modules = module_graph(loads.modules)
    assert any("/check." in url for url in modules) and any("/socket." in url for url in modules)
    assert not any("/app." in url for url in loads.styles)  # not the menu's stylesheet
    sizes |= {url: len(body) for url, body in modules.items()}
    total = sum(sizes.values())
    report = "\n".join(f"  {size / 1024:6.1f} KB  {name}" for name, size in sizes.items())
    print(f"\nCheck page first load ({language}): {total / 1024:.1f} KB\n{report}")
    assert total < BUDGET, f"first load is {total / 1024:.1f} KB (budget 60 KB):\n{report}"


def test_the_table_pages_bill_links_to_it(menu):
    html = Client().get(f"/t/{menu.table.token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/t/{menu.table.token}/check/"' in html
    assert "Split & pay" in html
