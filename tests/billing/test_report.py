"""The night's report (restaurant/billing/report.py): its sums against the rows they sum, a
day of mixed tables settled through the real services; the business day's boundary; closing a
day, after which nothing of it changes."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from restaurant.billing import services
from restaurant.billing.models import BusinessDay, ClosedCheck, Payment
from restaurant.billing.report import business_day_close, z_report
from restaurant.billing.selectors import check_of, paid_total, share_due
from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_lock, session_open
from restaurant.kitchen.adjustments import item_adjust
from restaurant.kitchen.items import item_status_set
from restaurant.kitchen.models import AdjustReason, OrderItem
from restaurant.realtime.errors import OpError
from restaurant.tables.models import Table
from restaurant.venues.days import business_date
from tests.dining.helpers import apply, arrive
from tests.factories import make_menu
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db

# --- A day at the till, through the services -------------------------------------------------

_ops = itertools.count(1)


def op() -> str:
    return f"op-{next(_ops)}"


def seat(menu, table: Table, *rounds: tuple[str, list]) -> tuple[DiningSession, dict, dict]:
    """Staff open ``table``; each ``(name, [dishes])`` is a diner (made once per name) adding
    their dishes and sending them as a round. Returns (session, diners by name, items by
    "name:dish's English name", a second row of the same with "+")."""
    session_open(table=table, by_staff=True)
    diners, items = {}, {}
    for name, dishes in rounds:
        if name not in diners:
            diner = arrive(table)
            apply(diner, {"type": "diner.rename", "id": op(), "name": name})
            diners[name] = diner
        diner = diners[name]
        for dish in dishes:
            options = [menu.mild.pk] if dish == menu.chicken else []
            apply(diner, {"type": "cart.add", "id": op(), "dish_id": dish.pk,
                          "options": options, "note": ""})  # fmt: skip
        session = DiningSession.objects.get(table=table, status="open")
        apply(diner, {"type": "order.submit", "id": op(), "seq": session.seq})
    session = DiningSession.objects.get(table=table, status="open")
    for item in OrderItem.objects.filter(order__session=session).order_by("pk"):
        name = next(k for k, d in diners.items() if d.pk == item.added_by_id)
        key = f"{name}:{item.dish.name_en or item.dish.name}"
        while key in items:
            key += "+"
        items[key] = item
    return session, diners, items


def due(session: DiningSession, target: str = "check") -> int:
    check, _, _, _, payments = check_of(session)
    return share_due(check, payments, target)


def pay(restaurant, session, method: str, target: str = "check", amount: int | None = None,
        tendered: int | None = None, by=None) -> Payment:  # fmt: skip
    owed = due(session, target)
    return services.payment_record(
        restaurant=restaurant, session_id=session.pk, method=method,
        amount=owed if amount is None else amount, target=target, expect=owed, op_id=op(),
        by=by, tendered=tendered,
    )  # fmt: skip


def share(session: DiningSession, item: OrderItem, *diners) -> None:
    with transaction.atomic():
        locked = session_lock(session.pk)
        services.item_owners_set(session=locked, item_id=item.pk,
                                 diner_ids=[d.pk for d in diners])  # fmt: skip


def close(restaurant, session: DiningSession, by=None, unpaid_reason: str = ""):
    table = Table.objects.get(pk=session.table_id)
    return services.meal_close(restaurant=restaurant, table=table, by=by,
                               may_close_unpaid=bool(unpaid_reason),
                               unpaid_reason=unpaid_reason)  # fmt: skip


def mixed_day(menu) -> dict:
    """Four meals closed (by diner with cash handed over; a dish shared by three with a line
    discount, a check discount, a discount removed, one rice given free, one of two taken back,
    AA with a refund and a new payment; a custom amount and the rest with a dish voided in
    words; closed unpaid by a manager after a part paid) and one left open with a part paid.
    Cover ¥2 a guest, 10% service, rounded to the jiao."""
    restaurant = menu.restaurant
    restaurant.cover_charge, restaurant.service_percent = 200, Decimal("10")
    restaurant.rounding = "jiao"
    restaurant.save()
    manager = staff_user(restaurant, "manager", first_name="Li", last_name="Mei")
    cashier = staff_user(restaurant, "cashier", username="chen")
    waiter = staff_user(restaurant, "waiter", username="wang")
    wrong = AdjustReason.objects.create(restaurant=restaurant, name="上错菜", name_en="Wrong dish")
    regular = AdjustReason.objects.create(restaurant=restaurant, name="老顾客", for_void=False,
                                          for_comp=True)  # fmt: skip
    third = Table.objects.create(restaurant=restaurant, number=3, label="3号桌")

    one, d, _ = seat(menu, menu.table, ("A", [menu.chicken, menu.rice]), ("B", [menu.rice]))
    pay(restaurant, one, "cash", f"diner:{d['A'].pk}", tendered=10000, by=cashier)
    pay(restaurant, one, "wechat", f"diner:{d['B'].pk}", by=cashier)
    close(restaurant, one, by=cashier)

    two, d, items = seat(menu, menu.other_table, ("A", [menu.chicken, menu.rice, menu.rice]),
                         ("B", [menu.chicken]), ("C", [menu.rice]))  # fmt: skip
    share(two, items["A:Kung Pao Chicken"], d["A"], d["B"], d["C"])
    services.discount_add(restaurant=restaurant, session_id=two.pk, reason="菜凉了",
                          op_id=op(), by=manager, item_id=items["B:Kung Pao Chicken"].pk,
                          amount=500)  # fmt: skip
    services.discount_add(restaurant=restaurant, session_id=two.pk, reason="会员九折",
                          op_id=op(), by=manager, percent="10")  # fmt: skip
    removed = services.discount_add(restaurant=restaurant, session_id=two.pk, reason="试一下",
                                    op_id=op(), by=cashier, amount=300)  # fmt: skip
    services.discount_remove(restaurant=restaurant, discount_id=removed.pk, by=manager)
    item_adjust(restaurant=restaurant, item_id=items["C:Rice"].pk, kind="comp", qty=1,
                reason_id=regular.pk, by_id=waiter.pk, role="waiter")  # fmt: skip
    item_adjust(restaurant=restaurant, item_id=items["A:Rice"].pk, kind="void", qty=1,
                reason_id=wrong.pk, by_id=manager.pk, role="manager")  # fmt: skip
    first = pay(restaurant, two, "card", "equal:3:0", by=cashier)
    services.payment_refund(restaurant=restaurant, payment_id=first.pk, amount=first.amount,
                            reason="换微信", op_id=op(), by=manager)  # fmt: skip
    pay(restaurant, two, "wechat", "equal:3:0", by=cashier)
    pay(restaurant, two, "alipay", "equal:3:1", by=cashier)
    pay(restaurant, two, "cash", "equal:3:2", by=cashier)
    close(restaurant, two, by=manager)

    three, d, items = seat(menu, menu.table, ("A", [menu.chicken, menu.rice]))
    item_status_set(restaurant=restaurant, item_id=items["A:Rice"].pk, status="voided",
                    reason="客人不要了", by_id=waiter.pk)  # fmt: skip
    pay(restaurant, three, "card", amount=1000, by=cashier)
    pay(restaurant, three, "wechat", by=cashier)
    close(restaurant, three, by=cashier)

    four, d, _ = seat(menu, third, ("A", [menu.rice]), ("B", [menu.rice]))
    pay(restaurant, four, "cash", amount=100, by=cashier)
    close(restaurant, four, by=manager, unpaid_reason="老板朋友")

    five, _, _ = seat(menu, menu.other_table, ("A", [menu.chicken]))
    pay(restaurant, five, "cash", amount=500, tendered=500, by=cashier)
    return {"restaurant": restaurant, "manager": manager, "cashier": cashier, "waiter": waiter,
            "open": five, "closed": [one, two, three, four]}  # fmt: skip


@pytest.fixture
def day(menu) -> dict:
    return mixed_day(menu)


# --- The sums ---------------------------------------------------------------------------------


def test_the_reports_sums_are_the_sums_of_the_days_rows(day):
    restaurant = day["restaurant"]
    today = business_date(restaurant)
    report = z_report(restaurant=restaurant, date=today)
    checks = list(ClosedCheck.objects.filter(restaurant=restaurant, business_date=today))
    payments = list(Payment.objects.filter(restaurant=restaurant, business_date=today,
                                           state="succeeded"))  # fmt: skip
    assert len(checks) == 4

    c = report["checks"]
    assert c["count"] == 4
    assert c["net"] == sum(k.total for k in checks)
    assert c["gross"] == sum(k.subtotal for k in checks)
    assert c["discounts"] == sum(k.discounts for k in checks)
    assert c["service"] == sum(k.service for k in checks) > 0
    assert c["cover"] == sum(k.cover for k in checks) == 200 * c["covers"]
    assert c["rounding"] == sum(k.rounding for k in checks)
    assert c["comped"] == sum(k.comped for k in checks) == 300
    assert c["paid"] == sum(k.paid for k in checks)
    assert c["covers"] == sum(k.guests for k in checks) == 2 + 3 + 1 + 2
    assert c["gross"] - c["discounts"] + c["service"] + c["cover"] - c["rounding"] == c["net"]
    assert c["owed"] == c["net"] - c["paid"] > 0

    pay = report["payments"]
    assert pay["total"]["net"] == sum(p.signed for p in payments)
    assert pay["total"]["net"] == sum(m["net"] for m in pay["methods"])
    by_method = {m["method"]: m for m in pay["methods"]}
    for method in ("cash", "card", "wechat", "alipay"):
        rows = [p for p in payments if p.method == method]
        assert by_method[method]["net"] == sum(p.signed for p in rows)
        assert by_method[method]["count"] == sum(p.kind == "pay" for p in rows)
    assert by_method["card"]["refund_count"] == 1
    assert by_method["card"]["refunds"] == pay["total"]["refunds"] > 0
    assert [r["reason"] for r in pay["refunds"]] == ["换微信"]
    assert pay["refunds"][0]["by"] == "Li Mei"
    # The open table's part payment is the day's money, not a closed check's.
    open_paid = paid_total(list(Payment.objects.filter(session=day["open"])))
    assert pay["total"]["net"] == c["paid"] + open_paid
    cash = pay["cash"]
    assert cash["tendered"] - cash["change"] == by_method["cash"]["amount_in"]
    assert cash["change"] == 10000 - Payment.objects.get(tendered=10000).amount

    assert report["averages"]["per_check"] == round(Decimal(c["net"]) / 4)
    half_up = (Decimal(c["net"]) / c["covers"]).quantize(Decimal(1), rounding="ROUND_HALF_UP")
    assert report["averages"]["per_cover"] == int(half_up)


def test_sales_by_dish_category_and_station_add_up_to_the_dishes_sold(day, menu):
    report = z_report(restaurant=day["restaurant"], date=business_date(day["restaurant"]))
    gross = report["checks"]["gross"]
    for key in ("dishes", "categories", "stations"):
        assert sum(r["amount"] for r in report[key]) == gross, key
    dishes = {r["dish_id"]: r for r in report["dishes"]}
    # chicken: 1 + 2 (+ the shared one) + 1 at meal three + 0 at four; the open one not yet
    assert dishes[menu.chicken.pk]["qty"] == 4
    assert dishes[menu.chicken.pk]["amount"] == 4 * 3800
    assert (dishes[menu.chicken.pk]["name"], dishes[menu.chicken.pk]["name_en"]) == (
        "宫保鸡丁", "Kung Pao Chicken")  # fmt: skip
    # rice: 2 at one, 3 at two less one given free and one taken back, 0 at three (voided),
    # 2 at four
    assert dishes[menu.rice.pk]["qty"] == 2 + 1 + 2
    assert report["comped_dishes"] == [{"dish_id": menu.rice.pk, "name": "米饭",
                                        "name_en": "Rice", "qty": 1, "amount": 300}]  # fmt: skip
    categories = {r["name_en"]: r for r in report["categories"]}
    assert categories["Hot dishes"]["amount"] == 4 * 3800
    assert categories["Staples"]["qty"] == 5


def test_discounts_voids_and_comps_say_why_and_who(day):
    report = z_report(restaurant=day["restaurant"], date=business_date(day["restaurant"]))
    discounts = report["discounts"]
    live = [d for d in discounts if not d["removed"]]
    assert sum(d["taken"] for d in live) == report["checks"]["discounts"]
    assert [(d["scope"], d["reason"], d["by"]) for d in discounts] == [
        ("dish", "菜凉了", "Li Mei"), ("check", "会员九折", "Li Mei"), ("check", "试一下", "chen"),
    ]  # fmt: skip
    assert discounts[0]["taken"] == 500 and discounts[0]["dish"] == "宫保鸡丁"
    assert discounts[2]["removed"] and discounts[2]["removed_by"] == "Li Mei"
    assert discounts[2]["taken"] == 0

    rows = [(a["kind"], a["dish"], a["qty"], a["amount"], a["reason"], a["by"])
            for a in report["voids_and_comps"]]  # fmt: skip
    assert rows == [
        ("comp", "米饭", 1, 300, "老顾客", "wang"),
        ("void", "米饭", 1, 300, "上错菜 Wrong dish", "Li Mei"),
        ("void", "米饭", 1, 300, "客人不要了", "wang"),
    ]
    assert {a["table"]["number"] for a in report["voids_and_comps"]} == {1, 2}


def test_checks_closed_unpaid_and_meals_still_open(day):
    restaurant = day["restaurant"]
    report = z_report(restaurant=restaurant, date=business_date(restaurant))
    (unpaid,) = report["unpaid"]
    check = ClosedCheck.objects.get(session=day["closed"][3])
    assert (unpaid["table"]["number"], unpaid["reason"], unpaid["by"]) == (3, "老板朋友", "Li Mei")
    assert (unpaid["total"], unpaid["paid"], unpaid["balance"]) == (
        check.total, 100, check.total - 100)  # fmt: skip
    (still,) = report["open_meals"]
    now, *_ = check_of(day["open"])
    assert still["session_id"] == day["open"].pk and still["table"]["number"] == 2
    assert (still["total"], still["paid"], still["balance"]) == (now.total, 500, now.total - 500)
    assert [k["session_id"] for k in report["check_list"]] == [s.pk for s in day["closed"]]
    assert report["closed"] is None


def test_another_restaurants_day_is_not_in_the_report(day):
    other = make_menu("other", "别家")
    meal, _, _ = seat(other, other.table, ("X", [other.chicken]))
    pay(other.restaurant, meal, "card")
    close(other.restaurant, meal)
    restaurant = day["restaurant"]
    report = z_report(restaurant=restaurant, date=business_date(restaurant))
    assert report["checks"]["count"] == 4
    assert meal.pk not in [k["session_id"] for k in report["check_list"]]
    assert report["payments"]["total"]["net"] == sum(
        p.signed for p in Payment.objects.filter(restaurant=restaurant)
    )
    theirs = z_report(restaurant=other.restaurant, date=business_date(other.restaurant))
    assert theirs["checks"]["count"] == 1 and theirs["open_meals"] == []
    assert theirs["checks"]["net"] == ClosedCheck.objects.get(session=meal).total


def test_a_day_with_nothing_is_all_zeros():
    menu = make_menu()
    report = z_report(restaurant=menu.restaurant, date=datetime.date(2024, 2, 29))
    assert report["checks"]["count"] == report["checks"]["net"] == 0
    assert report["averages"] == {"per_check": 0, "per_cover": 0}
    assert report["payments"]["total"]["net"] == 0
    assert report["dishes"] == report["discounts"] == report["voids_and_comps"] == []


# --- The business day's boundary --------------------------------------------------------------


def at_local(monkeypatch, when: datetime.datetime) -> None:
    aware = timezone.make_aware(when)
    monkeypatch.setattr(timezone, "now", lambda: aware)


def test_a_check_closed_at_half_past_one_belongs_to_the_night_before(menu, monkeypatch):
    restaurant = menu.restaurant
    evening = datetime.date(2025, 3, 14)
    at_local(monkeypatch, datetime.datetime(2025, 3, 14, 23, 40))
    late, _, _ = seat(menu, menu.table, ("A", [menu.chicken]))
    at_local(monkeypatch, datetime.datetime(2025, 3, 15, 1, 30))
    pay(restaurant, late, "cash")
    close(restaurant, late)
    at_local(monkeypatch, datetime.datetime(2025, 3, 15, 5, 0))  # the next day begins
    early, _, _ = seat(menu, menu.table, ("B", [menu.rice]))
    pay(restaurant, early, "card")
    close(restaurant, early)

    night = z_report(restaurant=restaurant, date=evening)
    assert [k["session_id"] for k in night["check_list"]] == [late.pk]
    assert night["checks"]["net"] == 3800
    assert night["payments"]["total"]["net"] == 3800
    assert [m["method"] for m in night["payments"]["methods"] if m["count"]] == ["cash"]
    morning = z_report(restaurant=restaurant, date=evening + datetime.timedelta(days=1))
    assert [k["session_id"] for k in morning["check_list"]] == [early.pk]
    assert morning["payments"]["total"]["net"] == 300


# --- Closing the day --------------------------------------------------------------------------


def test_closing_a_day_keeps_its_report_and_nothing_of_it_changes_after(menu):
    restaurant = menu.restaurant
    manager = staff_user(restaurant, "manager", username="boss")
    meal, _, _ = seat(menu, menu.table, ("A", [menu.chicken]))
    pay(restaurant, meal, "cash")
    close(restaurant, meal, by=manager)
    today = business_date(restaurant)

    closed = business_day_close(restaurant=restaurant, date=today, by=manager)
    assert closed.report["checks"]["net"] == 3800
    assert closed.report["closed"]["by"] == "boss"
    assert closed.report == {**z_report(restaurant=restaurant, date=today),
                             "generated_at": closed.report["generated_at"],
                             "closed": closed.report["closed"]}  # fmt: skip

    # A table seated after the manager closed today early: its money is the next day's, and
    # the closed day's report never changes.
    later, _, _ = seat(menu, menu.table, ("B", [menu.rice]))
    pay(restaurant, later, "cash")
    close(restaurant, later, by=manager)
    tomorrow = today + datetime.timedelta(days=1)
    assert Payment.objects.get(session=later).business_date == tomorrow
    assert ClosedCheck.objects.get(session=later).business_date == tomorrow
    assert z_report(restaurant=restaurant, date=today)["checks"]["net"] == 3800
    assert z_report(restaurant=restaurant, date=tomorrow)["checks"]["net"] == 300

    with pytest.raises(OpError) as refused:
        business_day_close(restaurant=restaurant, date=today, by=manager)
    assert (refused.value.code, refused.value.extra["detail"]) == ("conflict", "already_closed")
    assert BusinessDay.objects.get(restaurant=restaurant, date=today).report == closed.report


def test_a_day_does_not_close_while_its_tables_are_open(menu):
    restaurant = menu.restaurant
    meal, _, _ = seat(menu, menu.table, ("A", [menu.chicken]))
    pay(restaurant, meal, "wechat", amount=1000)
    today = business_date(restaurant)
    with pytest.raises(OpError) as refused:
        business_day_close(restaurant=restaurant, date=today, by=None)
    assert refused.value.extra["detail"] == "meals_open"
    (still,) = refused.value.extra["meals"]
    assert (still["table"]["number"], still["paid"], still["balance"]) == (1, 1000, 2800)
    assert not BusinessDay.objects.exists()

    pay(restaurant, meal, "wechat")
    close(restaurant, meal)
    business_day_close(restaurant=restaurant, date=today, by=None)
    assert BusinessDay.objects.filter(restaurant=restaurant, date=today).exists()


def test_a_meal_opened_after_the_day_does_not_hold_it_and_a_day_not_begun_does_not_close(
    menu, monkeypatch
):
    restaurant = menu.restaurant
    at_local(monkeypatch, datetime.datetime(2025, 3, 15, 12, 0))
    seat(menu, menu.table, ("A", [menu.rice]))  # today's lunch, still open
    yesterday = datetime.date(2025, 3, 14)
    business_day_close(restaurant=restaurant, date=yesterday, by=None)
    with pytest.raises(OpError) as refused:
        business_day_close(restaurant=restaurant, date=datetime.date(2025, 3, 16), by=None)
    assert refused.value.extra["detail"] == "not_begun"
