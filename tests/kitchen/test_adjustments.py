"""A sent dish taken back (退菜) or given free (赠菜) in part or whole, with a reason from the
restaurant's list, a manager's approval where the restaurant wants it, and the audit trail
(restaurant/kitchen/adjustments.py)."""

import pytest

from restaurant.dining.models import DiningSession
from restaurant.dining.selectors import dining_bill
from restaurant.dining.services import session_close
from restaurant.kitchen.adjustments import adjust_decide, item_adjust
from restaurant.kitchen.items import item_status_set
from restaurant.kitchen.models import AdjustReason, ItemAdjustment, ItemMove, Order, OrderItem
from restaurant.kitchen.services import order_status_set
from restaurant.realtime.errors import OpError
from restaurant.venues.models import StaffMember
from tests.factories import make_menu
from tests.kitchen.test_items import items_of, send
from tests.support.concurrency import at_once
from tests.support.people import staff_user

MANAGER, WAITER, KITCHEN = "manager", "waiter", "kitchen"


@pytest.fixture
def reasons(menu):
    wrong = AdjustReason.objects.create(restaurant=menu.restaurant, name="上错菜",
                                        name_en="Wrong dish", for_void=True)  # fmt: skip
    regular = AdjustReason.objects.create(restaurant=menu.restaurant, name="老顾客",
                                          name_en="Regular", for_void=False,
                                          for_comp=True)  # fmt: skip
    return wrong, regular


def three_chicken(menu) -> tuple[Order, OrderItem]:
    """A round of 3 chicken and a rice (the chicken's qty set to 3 as a cart of 3 sends it)."""
    order = send(menu, menu.chicken, menu.rice)
    chicken = items_of(order)["宫保鸡丁"]
    OrderItem.objects.filter(pk=chicken.pk).update(qty=3)
    Order.objects.filter(pk=order.pk).update(total=3 * chicken.unit_price + 300)
    chicken.refresh_from_db()
    return order, chicken


def adjust(menu, item, kind, qty, reason, *, role=MANAGER, by=None):
    return item_adjust(restaurant=menu.restaurant, item_id=item.pk, kind=kind, qty=qty,
                       reason_id=reason.pk, by_id=by.pk if by else None,
                       role=role)  # fmt: skip


def snapshot(order: Order) -> tuple:
    """Everything an adjustment could change, to show a refusal changed nothing."""
    order.refresh_from_db()
    items = list(order.items.values_list("pk", "qty", "status", "comped", "split_from"))
    return (order.status, order.total, items, ItemAdjustment.objects.count(),
            ItemMove.objects.count())  # fmt: skip


def code_of(call, *args, **kw) -> str:
    with pytest.raises(OpError) as refused:
        call(*args, **kw)
    return refused.value.code


@pytest.mark.django_db
def test_voiding_part_of_a_dish_splits_off_a_voided_part(menu, reasons):
    wrong, _ = reasons
    order, chicken = three_chicken(menu)
    manager = staff_user(menu.restaurant)
    adjustment = adjust(menu, chicken, "void", 2, wrong, by=manager)
    chicken.refresh_from_db()
    part = OrderItem.objects.get(split_from=chicken)
    assert (chicken.qty, chicken.status) == (1, "queued")
    assert (part.qty, part.status, part.void_reason) == (2, "voided", "上错菜 Wrong dish")
    copied = ("dish_id", "name", "options", "option_names", "note", "added_by_id",
              "unit_price", "station_id", "target_at")  # fmt: skip
    assert all(getattr(part, f) == getattr(chicken, f) for f in copied)
    order.refresh_from_db()
    assert order.total == chicken.unit_price + 300 and order.status == "submitted"
    # The audit row: who, why, before and after, of the dish and of its part.
    adjustment.refresh_from_db()
    assert (adjustment.state, adjustment.by, adjustment.part, adjustment.reason) == (
        "applied",
        manager,
        part,
        wrong,
    )
    assert adjustment.reason_text == "上错菜 Wrong dish"
    price = chicken.unit_price
    assert adjustment.before == {"qty": 3, "status": "queued", "comped": False,
                                 "amount": 3 * price}  # fmt: skip
    assert adjustment.after == {
        "qty": 1, "status": "queued", "comped": False, "amount": price,
        "part": {"qty": 2, "status": "voided", "comped": False, "amount": 0},
    }  # fmt: skip
    # Through the one void path: the part's move is in the dish's history.
    assert ItemMove.objects.filter(item=part, to_status="voided").exists()


@pytest.mark.django_db
def test_voiding_all_of_a_dish_voids_the_dish_itself(menu, reasons):
    wrong, _ = reasons
    order, chicken = three_chicken(menu)
    adjustment = adjust(menu, chicken, "void", 3, wrong)
    chicken.refresh_from_db()
    assert chicken.status == "voided" and chicken.qty == 3
    assert not OrderItem.objects.filter(split_from=chicken).exists()
    assert adjustment.part == chicken and adjustment.after["part"] is None
    order.refresh_from_db()
    assert order.total == 300


@pytest.mark.django_db
def test_a_comp_is_listed_on_the_bill_at_zero(menu, reasons):
    _, regular = reasons
    order, chicken = three_chicken(menu)
    adjust(menu, chicken, "comp", 1, regular)
    part = OrderItem.objects.get(split_from=chicken)
    assert (part.qty, part.comped, part.status) == (1, True, "queued")
    price = chicken.unit_price
    order.refresh_from_db()
    assert order.total == 2 * price + 300
    bill = dining_bill(session=order.session)
    items = {(i["item_id"]): i for i in bill["orders"][0]["items"]}
    assert items[part.pk]["comped"] is True and items[chicken.pk]["comped"] is False
    assert items[part.pk]["split_from"] == chicken.pk
    assert bill["total"] == 2 * price + 300 and bill["comped"] == price
    (diner,) = bill["per_diner"]
    assert (diner["total"], diner["comped"]) == (2 * price + 300, price)
    # The rest comped too: the whole of what is left.
    chicken.refresh_from_db()
    adjust(menu, chicken, "comp", 2, regular)
    chicken.refresh_from_db()
    assert chicken.comped and chicken.qty == 2
    bill = dining_bill(session=order.session)
    assert (bill["total"], bill["comped"]) == (300, 3 * price)
    # A comped dish may still be taken back: then it is simply not on the bill.
    wrong, _ = reasons
    adjust(menu, part, "void", 1, wrong)
    assert dining_bill(session=order.session)["comped"] == 2 * price


@pytest.mark.django_db
def test_every_refusal_changes_nothing(menu, reasons):
    wrong, regular = reasons
    order, chicken = three_chicken(menu)
    before = snapshot(order)

    def refused(code, item=chicken, kind="void", qty=1, reason=wrong, role=MANAGER):
        assert code_of(adjust, menu, item, kind, qty, reason, role=role) == code
        assert snapshot(order) == before

    refused("bad_request", qty=4)  # more than was sent
    refused("bad_request", qty=0)
    refused("bad_request", kind="gone")
    refused("bad_request", reason=regular)  # a comp's reason for a void
    refused("bad_request", kind="comp", reason=wrong)
    inactive = AdjustReason.objects.create(restaurant=menu.restaurant, name="旧", active=False)
    refused("bad_request", reason=inactive)
    elsewhere = make_menu(slug="other")
    theirs = AdjustReason.objects.create(restaurant=elsewhere.restaurant, name="别家")
    refused("bad_request", reason=theirs)
    refused("forbidden", kind="comp", reason=regular, role=KITCHEN)  # comp: ITEM_COMP
    refused("forbidden", role=StaffMember.Role.CASHIER)  # void: ITEM_VOID
    refused("forbidden", role=None)
    # Another restaurant's dish is not found, as an unknown one.
    assert code_of(item_adjust, restaurant=elsewhere.restaurant, item_id=chicken.pk,
                   kind="void", qty=1, reason_id=theirs.pk, by_id=None,
                   role=MANAGER) == "not_found"  # fmt: skip
    assert snapshot(order) == before


@pytest.mark.django_db
def test_a_voided_or_comped_dish_or_a_cancelled_round_is_a_conflict(menu, reasons):
    wrong, regular = reasons
    order, chicken = three_chicken(menu)
    rice = items_of(order)["米饭"]
    adjust(menu, rice, "comp", 1, regular)
    before = snapshot(order)
    assert code_of(adjust, menu, rice, "comp", 1, regular) == "conflict"
    item_status_set(restaurant=menu.restaurant, item_id=chicken.pk, status="voided",
                    reason="cold")  # fmt: skip
    before = snapshot(order)
    assert code_of(adjust, menu, chicken, "void", 1, wrong) == "conflict"
    assert code_of(adjust, menu, chicken, "comp", 1, regular) == "conflict"
    assert snapshot(order) == before
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="cancelled")
    before = snapshot(order)
    assert code_of(adjust, menu, rice, "void", 1, wrong) == "conflict"
    assert snapshot(order) == before


@pytest.mark.django_db
def test_a_closed_meal_is_a_conflict(menu, reasons):
    wrong, _ = reasons
    _, chicken = three_chicken(menu)
    session_close(table=menu.table)
    assert code_of(adjust, menu, chicken, "void", 1, wrong) == "conflict"


@pytest.mark.django_db
def test_a_waiters_adjustment_waits_for_a_manager_where_the_restaurant_says(menu, reasons):
    wrong, regular = reasons
    menu.restaurant.adjust_needs_approval = True
    menu.restaurant.save()
    order, chicken = three_chicken(menu)
    waiter, manager = staff_user(menu.restaurant, WAITER), staff_user(menu.restaurant)
    before = snapshot(order)
    pending = adjust(menu, chicken, "void", 2, wrong, role=WAITER, by=waiter)
    assert pending.state == "pending"
    assert snapshot(order)[:3] == before[:3]  # nothing else changed
    # A manager's own adjustment does not wait.
    rice = items_of(order)["米饭"]
    assert adjust(menu, rice, "comp", 1, regular, by=manager).state == "applied"
    # Approved: applied as it would have been, decided by the manager.
    approved = adjust_decide(restaurant=menu.restaurant, adjustment_id=pending.pk,
                             approve=True, by_id=manager.pk)  # fmt: skip
    approved.refresh_from_db()
    assert (approved.state, approved.by, approved.decided_by) == ("applied", waiter, manager)
    assert approved.decided_at is not None
    chicken.refresh_from_db()
    assert chicken.qty == 1 and OrderItem.objects.get(split_from=chicken).status == "voided"
    # Decided once only.
    assert code_of(adjust_decide, restaurant=menu.restaurant, adjustment_id=pending.pk,
                   approve=False, by_id=manager.pk) == "conflict"  # fmt: skip


@pytest.mark.django_db
def test_a_refused_adjustment_changes_nothing(menu, reasons):
    wrong, _ = reasons
    menu.restaurant.adjust_needs_approval = True
    menu.restaurant.save()
    order, chicken = three_chicken(menu)
    pending = adjust(menu, chicken, "void", 1, wrong, role=WAITER)
    before = snapshot(order)
    refused = adjust_decide(restaurant=menu.restaurant, adjustment_id=pending.pk,
                            approve=False, by_id=None)  # fmt: skip
    assert refused.state == "refused" and "refused" not in refused.after
    assert snapshot(order) == before
    # Only a role that may approve; another restaurant's adjustment is not found.
    again = adjust(menu, chicken, "void", 1, wrong, role=WAITER)
    assert code_of(adjust_decide, restaurant=menu.restaurant, adjustment_id=again.pk,
                   approve=True, by_id=None, role=WAITER) == "forbidden"  # fmt: skip
    elsewhere = make_menu(slug="other")
    assert code_of(adjust_decide, restaurant=elsewhere.restaurant, adjustment_id=again.pk,
                   approve=True, by_id=None) == "not_found"  # fmt: skip


@pytest.mark.django_db
def test_approving_what_no_longer_fits_refuses_it(menu, reasons):
    wrong, _ = reasons
    menu.restaurant.adjust_needs_approval = True
    menu.restaurant.save()
    order, chicken = three_chicken(menu)
    pending = adjust(menu, chicken, "void", 3, wrong, role=WAITER)
    smaller = adjust(menu, chicken, "void", 2, wrong, role=WAITER)
    adjust(menu, chicken, "void", 2, wrong)  # a manager took 2 back meanwhile: 1 left
    before = snapshot(order)
    decided = adjust_decide(restaurant=menu.restaurant, adjustment_id=pending.pk,
                            approve=True, by_id=None)  # fmt: skip
    assert decided.state == "refused"
    assert decided.after["refused"].startswith("no longer possible")
    assert snapshot(order)[:3] == before[:3]
    item_status_set(restaurant=menu.restaurant, item_id=chicken.pk, status="voided",
                    reason="cold")  # fmt: skip
    decided = adjust_decide(restaurant=menu.restaurant, adjustment_id=smaller.pk,
                            approve=True, by_id=None)  # fmt: skip
    assert decided.state == "refused"


@pytest.mark.django_db(transaction=True)
def test_two_voids_racing_for_the_last_unit_one_wins(menu, reasons):
    wrong, _ = reasons
    order, chicken = three_chicken(menu)
    adjust(menu, chicken, "void", 2, wrong)  # 1 left

    def void_one():
        try:
            return adjust(menu, chicken, "void", 1, wrong).pk
        except OpError as refused:
            return refused.code

    results = at_once(void_one, void_one)
    assert sorted(map(str, results)).count("conflict") == 1
    assert sum(isinstance(r, int) for r in results) == 1
    chicken.refresh_from_db()
    assert chicken.status == "voided" and chicken.qty == 1
    assert ItemAdjustment.objects.filter(item=chicken).count() == 2
    assert DiningSession.objects.get(pk=order.session_id).status == "open"


@pytest.mark.django_db
def test_the_demo_restaurants_come_with_reasons():
    from restaurant.site.demo import demo_load

    (restaurant,) = demo_load(only="shuxiang")
    reasons = AdjustReason.objects.filter(restaurant=restaurant)
    assert [r.name_en for r in reasons.filter(for_void=True)] == [
        "Wrong dish",
        "Took too long",
        "Taste",
        "Guest cancelled",
    ]
    assert [r.name_en for r in reasons.filter(for_comp=True)] == ["Regular", "Apology"]
    AdjustReason.objects.filter(restaurant=restaurant, name="老顾客").update(name="熟客")
    demo_load(only="shuxiang")  # again: what the restaurant changed stays
    assert reasons.filter(name="熟客").exists() and reasons.count() == 6


def test_where_a_manager_approves_the_free_text_void_does_not_go_around_it(menu, reasons):

    menu.restaurant.adjust_needs_approval = True
    menu.restaurant.save()
    order, chicken = three_chicken(menu)
    before = snapshot(order)

    def void(role):
        return item_status_set(restaurant=menu.restaurant, item_id=chicken.pk, status="voided",
                               reason="客人不要了", role=role)  # fmt: skip

    with pytest.raises(OpError) as info:
        void("waiter")
    assert (info.value.code, info.value.extra.get("detail")) == ("forbidden", "needs_approval")
    assert snapshot(order) == before
    void(MANAGER)  # a manager's own word is the approval
    chicken.refresh_from_db()
    assert chicken.status == "voided"


def test_where_a_manager_approves_cancelling_a_round_does_not_go_around_it(menu, reasons):
    menu.restaurant.adjust_needs_approval = True
    menu.restaurant.save()
    order, _ = three_chicken(menu)
    before = snapshot(order)
    with pytest.raises(OpError) as info:
        order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="cancelled",
                         reason="客人走了", role=KITCHEN)  # fmt: skip
    assert (info.value.code, info.value.extra.get("detail")) == ("forbidden", "needs_approval")
    assert snapshot(order) == before
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="cancelled",
                     reason="客人走了", role=MANAGER)  # fmt: skip
    order.refresh_from_db()
    assert order.status == "cancelled"
