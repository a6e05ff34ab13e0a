"""The audit page of the shift's dishes taken back and given free (`/staff/adjustments/`):
who may read it, one table's, and a manager deciding a pending one from it."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from restaurant.kitchen.adjustments import item_adjust
from restaurant.kitchen.models import AdjustReason, ItemAdjustment, OrderItem
from tests.factories import make_menu
from tests.kitchen.test_adjustments import three_chicken
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def adjusted(menu):
    """Table 1: 2 of 3 chicken taken back by a manager, a rice comp waiting (the restaurant
    wants approval; a waiter asked)."""
    menu.restaurant.adjust_needs_approval = True
    menu.restaurant.save()
    wrong = AdjustReason.objects.create(restaurant=menu.restaurant, name="上错菜",
                                        name_en="Wrong dish")  # fmt: skip
    regular = AdjustReason.objects.create(restaurant=menu.restaurant, name="老顾客",
                                          for_void=False, for_comp=True)  # fmt: skip
    order, chicken = three_chicken(menu)
    rice = order.items.get(dish=menu.rice)
    manager = staff_user(menu.restaurant, first_name="Li", last_name="Mei")
    waiter = staff_user(menu.restaurant, "waiter", username="wang")
    voided = item_adjust(restaurant=menu.restaurant, item_id=chicken.pk, kind="void", qty=2,
                         reason_id=wrong.pk, by_id=manager.pk, role="manager")  # fmt: skip
    pending = item_adjust(restaurant=menu.restaurant, item_id=rice.pk, kind="comp", qty=1,
                          reason_id=regular.pk, by_id=waiter.pk, role="waiter")  # fmt: skip
    return manager, waiter, voided, pending


def test_the_shift_page_lists_each_adjustment(menu, adjusted):
    _manager, waiter, _voided, _pending = adjusted
    page = client_of(waiter).get(f"/r/{menu.restaurant.slug}/staff/adjustments/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 × 宫保鸡丁" in text and "上错菜 Wrong dish" in text and "Li Mei" in text
    assert "1 × 米饭" in text and "wang" in text
    assert 'name="approve"' not in text  # a waiter reads, does not decide
    # One table's; another table has none.
    assert "米饭" in client_of(waiter).get("/staff/adjustments/?table=1").content.decode()
    other = client_of(waiter).get("/staff/adjustments/?table=2").content.decode()
    assert "米饭" not in other
    # Older than the shift: gone, unless it still waits.
    ItemAdjustment.objects.update(at=timezone.now() - timedelta(hours=20))
    text = client_of(waiter).get("/staff/adjustments/").content.decode()
    assert "米饭" in text and "宫保鸡丁" not in text


def test_who_may_read_and_decide(menu, adjusted):
    _manager, waiter, _voided, pending = adjusted
    cook = staff_user(menu.restaurant, "kitchen")
    assert client_of(cook).get("/staff/adjustments/").status_code == 403
    refused = client_of(waiter).post("/staff/adjustments/",
                                     {"adjustment_id": pending.pk, "approve": "1"})  # fmt: skip
    assert refused.status_code == 403
    pending.refresh_from_db()
    assert pending.state == "pending"


def test_a_manager_approves_from_the_page(menu, adjusted):
    manager, _waiter, _voided, pending = adjusted
    client = client_of(manager)
    assert 'name="approve"' in client.get("/staff/adjustments/").content.decode()
    done = client.post("/staff/adjustments/?table=1",
                       {"adjustment_id": pending.pk, "approve": "1", "table": "1"})  # fmt: skip
    assert done.status_code == 302 and done["Location"].endswith("/staff/adjustments/?table=1")
    pending.refresh_from_db()
    assert (pending.state, pending.decided_by) == ("applied", manager)
    assert OrderItem.objects.get(pk=pending.item_id).comped
    again = client.post("/staff/adjustments/", {"adjustment_id": pending.pk, "approve": "0"})
    assert again.status_code == 409 and "already applied" in again.content.decode()
    text = client.get("/staff/adjustments/").content.decode()
    assert "Li Mei" in text  # who decided


def test_a_manager_keeps_the_reasons_of_their_own_restaurant_in_the_admin(menu):
    other = make_menu(slug="other")
    AdjustReason.objects.create(restaurant=other.restaurant, name="别家的理由")
    client = client_of(staff_user(menu.restaurant))
    added = client.post("/admin/kitchen/adjustreason/add/", {
        "restaurant": menu.restaurant.pk, "name": "太久没上", "name_en": "Took too long",
        "for_void": "on", "active": "on", "sort_order": 1,
    })  # fmt: skip
    assert added.status_code == 302
    assert AdjustReason.objects.get(name="太久没上").restaurant == menu.restaurant
    page = client.get("/admin/kitchen/adjustreason/").content.decode()
    assert "太久没上" in page and "别家的理由" not in page
    theirs = AdjustReason.objects.get(name="别家的理由")
    assert client.get(f"/admin/kitchen/adjustreason/{theirs.pk}/change/").status_code == 404
    # A waiter has no admin.
    waiter = client_of(staff_user(menu.restaurant, "waiter"))
    assert waiter.get("/admin/kitchen/adjustreason/").status_code in (302, 403)


def test_the_kitchens_item_dialog_offers_the_reasons_the_role_may_use(menu, adjusted):
    manager, waiter, _voided, _pending = adjusted
    page = client_of(manager).get("/kitchen/").content.decode()
    assert 'id="adjust-box"' in page and 'data-adjust="void"' in page
    assert 'data-adjust="comp"' in page and "上错菜 · Wrong dish" in page
    # Managers approve their own: nothing of theirs waits.
    assert 'data-approval=""' in page
    cook = client_of(staff_user(menu.restaurant, "kitchen")).get("/kitchen/").content.decode()
    assert 'data-adjust="void"' in cook and 'data-adjust="comp"' not in cook
    waiter_page = client_of(waiter).get("/kitchen/").content.decode()
    assert 'data-approval="1"' in waiter_page
    # A reason switched off is no longer offered; none left: the free-text void only.
    AdjustReason.objects.update(active=False)
    page = client_of(manager).get("/kitchen/").content.decode()
    assert 'id="adjust-box"' not in page and 'id="void-box"' in page


def test_a_table_or_adjustment_in_other_digits_is_refused_not_a_crash(menu, adjusted):
    manager = adjusted[0]
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    url = f"/r/{menu.restaurant.slug}/staff/adjustments/"
    assert client.get(url + "?table=²").status_code == 200  # the filter is left out
    refused = client.post(url, {"adjustment_id": "²", "approve": "1"})
    assert refused.status_code in (400, 409) and ItemAdjustment.objects.filter(
        state="pending").count() == 1  # fmt: skip


def test_the_page_reads_in_chinese(menu, adjusted):
    manager = adjusted[0]
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(manager)
    text = client.get(f"/r/{menu.restaurant.slug}/staff/adjustments/").content.decode()
    assert "申请人" in text and "最近 16 小时" in text and "第 1 轮" in text
    assert "Asked by" not in text and "The last" not in text
