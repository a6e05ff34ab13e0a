"""The receipt a diner opens (`GET /receipt/<receipt_token>/`): the closed check as it was
closed, in the diner's language, with no staff names; its token is the only key."""

from decimal import Decimal

import pytest
from django.test import Client

from restaurant.billing.models import ClosedCheck
from restaurant.billing.services import discount_add
from restaurant.kitchen.models import OrderItem
from tests.billing.phone import pay, send, settle_and_close, sit
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def receipt(menu):
    """A meal of two with a line discount, a check discount, a service charge, a cover
    charge and rounding to the jiao, paid by cash and WeChat, then closed."""
    r = menu.restaurant
    r.service_percent, r.cover_charge, r.rounding = Decimal("10"), 200, "jiao"
    r.name_en = "Test Bistro"
    r.save()
    _, a = sit(menu, "Ann")
    _, b = sit(menu, "Bo")
    send(menu, a, menu.chicken)
    send(menu, b, menu.rice, menu.rice)
    boss = staff_user(r, "manager", first_name="Wang", last_name="Boss")
    chicken = OrderItem.objects.get(dish=menu.chicken)
    discount_add(restaurant=r, session_id=a.session_id, reason="Birthday", op_id="d1", by=boss,
                 percent=Decimal("10"))  # fmt: skip
    discount_add(restaurant=r, session_id=a.session_id, reason="Cold dish", op_id="d2", by=boss,
                 item_id=chicken.pk, amount=500)  # fmt: skip
    pay(menu, a.session_id, f"diner:{a.pk}", method="wechat")
    settle_and_close(menu, a.session_id)
    return ClosedCheck.objects.get(session_id=a.session_id)


def get(closed, **headers):
    response = Client().get(f"/receipt/{closed.receipt_token}/", **headers)
    assert response.status_code == 200
    return response


def test_the_receipt_shows_the_check_as_closed(receipt):
    d = receipt.detail
    # dishes 3800 + 600; the chicken's 500 off: 3900; 10% off the check: 390 → 3510;
    # service 10%: 351; cover 2 × 200: 400 → 4261, to the jiao: 4260 (1 off)
    assert (d["subtotal"], d["service"], d["cover"], d["rounding"], d["total"]) == (
        4400, 351, 400, 1, 4260)  # fmt: skip
    html = get(receipt, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for text in ["测试小馆", "1号桌", "宫保鸡丁", "微辣", "米饭", "¥44.00", "¥42.60", "Birthday",
                 "Cold dish", "服务费（10%）", "餐位费（2 × ¥2.00）", "抹零", "-¥0.01",
                 "微信支付", "现金", "已结清", "2 位"]:  # fmt: skip
        assert text in html, text
    assert "Wang" not in html and "Boss" not in html


def test_in_english_by_the_browser_or_the_switch(receipt):
    html = get(receipt, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    for text in ["Test Bistro", "Table 1", "Kung Pao Chicken", "Rice", "Service charge (10%)",
                 "WeChat Pay", "Cash", "PAID", "2 guests", 'href="?lang=zh-hans"']:  # fmt: skip
        assert text in html, text
    html = get(receipt, HTTP_ACCEPT_LANGUAGE="en", QUERY_STRING="lang=zh-hans").content.decode()
    assert '<html lang="zh-hans">' in html and "已结清" in html and "宫保鸡丁" in html
    html = get(receipt, QUERY_STRING="lang=en").content.decode()
    assert "PAID" in html and "Kung Pao Chicken" in html


def test_printable_private_and_under_the_policy(receipt):
    response = get(receipt)
    assert response["Cache-Control"] == "private, no-store"
    assert "noindex" in response["X-Robots-Tag"]
    html = response.content.decode()
    assert 'id="print"' in html and "/static/js/check_receipt." in html
    assert " style=" not in html and "<script>" not in html


def test_only_its_token_opens_it(receipt):
    assert Client().get(f"/receipt/{receipt.receipt_token}/").status_code == 200
    assert Client().get(f"/receipt/{receipt.receipt_token[:-1]}/").status_code == 404
    assert Client().get("/receipt/" + "A" * 22 + "/").status_code == 404
    assert len(receipt.receipt_token) >= 22  # 128 random bits


def test_a_meal_closed_unpaid_says_so(menu):
    _, a = sit(menu, "Ann")
    send(menu, a, menu.chicken)
    pay(menu, a.session_id, "check", amount=1000)
    from restaurant.billing.services import meal_close

    meal_close(restaurant=menu.restaurant, table=menu.table, by=None, may_close_unpaid=True,
               unpaid_reason="Walked out")  # fmt: skip
    closed = ClosedCheck.objects.get()
    html = get(closed, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "NOT SETTLED" in html and "Walked out" not in html
    assert "CN¥28.00" in html or "¥28.00" in html  # the balance owed
