"""The till's page: it carries the check and what the role may do (the rest is not offered),
reads in Chinese and English, and says so when the table has no open meal."""

import json
import re

import pytest
from django.test import Client

from tests.billing.support import meal
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


def page_of(client, url="/r/main/staff/tables/1/check/"):
    reply = client.get(url)
    assert reply.status_code == 200
    html = reply.content.decode()
    data = re.compile(
        r'<script id="(till-config|till-check)" type="application/json">(.*?)</script>'
    )
    blocks = {name: json.loads(text) for name, text in data.findall(html)}
    words = re.search(
        r'<script type="application/json" id="till-strings">(.*?)</script>', html, re.S
    )
    return html, blocks["till-config"], blocks["till-check"], json.loads(words.group(1))


def signed_in(restaurant, role, language=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()
    client.force_login(staff_user(restaurant, role))
    return client


def test_the_page_carries_the_check_and_offers_what_the_role_may(menu):
    session, _, _ = meal(menu, ("A", [menu.chicken]), ("B", [menu.rice]))
    _, config, check, _ = page_of(signed_in(menu.restaurant, "cashier"))
    assert check["total"] == 4100 and check["session_id"] == session.pk
    assert config["table"] == {"id": menu.table.pk, "number": 1, "label": "1号桌"}
    assert config["socketPath"] == "/ws/r/main/floor/"
    assert config["paymentUrl"] == "/r/main/staff/tables/1/check/payments/"
    assert config["refundUrl"] == "/r/main/staff/payments/999999/refund/"
    assert config["closeUrl"] == "/r/main/staff/tables/1/close/"
    assert config["can"] == {"check_split": True, "check_discount": True, "payment_record": True,
                             "payment_refund": False, "close_unpaid": False,
                             "receipt_print": True, "table_close": True}  # fmt: skip
    _, config, _, _ = page_of(signed_in(menu.restaurant, "waiter"))
    assert (config["can"]["payment_record"], config["can"]["check_discount"]) == (False, False)
    assert config["can"]["check_split"] is True
    _, config, _, _ = page_of(signed_in(menu.restaurant, "manager"))
    assert all(config["can"].values())


def test_the_page_of_a_table_with_no_open_meal_says_so(menu):
    cashier = signed_in(menu.restaurant, "cashier")
    html, _, check, _ = page_of(cashier, "/r/main/staff/tables/2/check/")
    assert check is None
    assert "这张桌没有进行中的用餐" in html
    assert cashier.get("/r/main/staff/tables/9/check/").status_code == 404


def test_the_page_reads_in_english_and_in_chinese(menu):
    meal(menu, ("A", [menu.rice]))
    menu.restaurant.language = "en"
    menu.restaurant.save()
    _, _, _, english = page_of(signed_in(menu.restaurant, "cashier", "en"))
    assert english["balance"] == "Balance due" and english["method_wechat"] == "WeChat Pay"
    menu.restaurant.language = "zh-hans"
    menu.restaurant.save()
    html, _, _, chinese = page_of(signed_in(menu.restaurant, "cashier", "zh-hans"))
    assert chinese["balance"] == "待付" and chinese["method_wechat"] == "微信支付"
    assert chinese["payTitle"] == "收款 · {who}" and chinese["rounding"] == "抹零"
    assert chinese["service"] == "服务费 {percent}%"  # a msgid with a per cent sign
    assert ">结账<" in html
