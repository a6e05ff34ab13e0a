"""Changing a check (restaurant/billing/services.py): who pays for a dish, discounts, payments,
refunds and closing, each refusal with its code and nothing changed."""

import pytest

from restaurant.billing.models import ClosedCheck, Discount, ItemOwner, Payment
from restaurant.billing.selectors import check_of, paid_total, share_due
from restaurant.billing.services import (
    discount_add,
    discount_remove,
    item_owners_set,
    meal_close,
    payment_record,
    payment_refund,
)
from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_lock
from restaurant.kitchen.adjustments import item_adjust
from restaurant.kitchen.models import AdjustReason
from restaurant.realtime.errors import OpError
from tests.billing.support import meal
from tests.factories import make_menu

pytestmark = pytest.mark.django_db


def refused(call, **kw) -> tuple[str, dict]:
    with pytest.raises(OpError) as error:
        call(**kw)
    return error.value.code, error.value.extra


def state(session) -> tuple:
    """Everything the till writes, to show a refusal wrote nothing."""
    return (
        list(Payment.objects.values_list("pk", "amount", "kind")),
        list(Discount.objects.values_list("pk", "removed_at")),
        list(ItemOwner.objects.values_list("item_id", "diner_id")),
        list(ClosedCheck.objects.values_list("pk")),
        DiningSession.objects.get(pk=session.pk).status,
    )


def due(session, target="check") -> int:
    check, _, _, _, payments = check_of(session)
    return share_due(check, payments, target)


def pay(menu, session, amount, target="check", *, op_id=None, method="cash", expect=None,
        **kw) -> Payment:  # fmt: skip
    return payment_record(
        restaurant=menu.restaurant, session_id=session.pk, method=method, amount=amount,
        target=target, expect=due(session, target) if expect is None else expect,
        op_id=op_id or f"p{Payment.objects.count()}", by=None, **kw,
    )  # fmt: skip


@pytest.fixture
def dinner(menu):
    """Ann: chicken 38.00 + rice 3.00; Bo: rice 3.00."""
    return meal(menu, ("Ann", [menu.chicken, menu.rice]), ("Bo", [menu.rice]))


def test_claims_and_shares_move_a_dish_between_shares(menu, dinner):
    session, diners, items = dinner
    ann, bo = diners["Ann"], diners["Bo"]
    chicken = items["Ann:Kung Pao Chicken"]
    assert due(session, f"diner:{ann.pk}") == 4100
    owners = item_owners_set(session=session_lock(session.pk), item_id=chicken.pk,
                             diner_ids=[bo.pk], by_diner=bo.pk)  # fmt: skip
    assert owners == [bo.pk]
    assert (due(session, f"diner:{ann.pk}"), due(session, f"diner:{bo.pk}")) == (300, 4100)
    # Bo shares it with Ann: 19.00 each; back to nobody's claim: Ann's again.
    item_owners_set(session=session_lock(session.pk), item_id=chicken.pk,
                    diner_ids=[ann.pk, bo.pk], by_diner=bo.pk)  # fmt: skip
    assert (due(session, f"diner:{ann.pk}"), due(session, f"diner:{bo.pk}")) == (2200, 2200)
    item_owners_set(session=session_lock(session.pk), item_id=chicken.pk, diner_ids=[])
    assert ItemOwner.objects.count() == 0 and due(session, f"diner:{ann.pk}") == 4100


def test_a_phone_cannot_take_a_dish_another_diner_claimed(menu, dinner):
    session, diners, items = dinner
    ann, bo = diners["Ann"], diners["Bo"]
    rice = items["Bo:Rice"]
    item_owners_set(session=session_lock(session.pk), item_id=rice.pk, diner_ids=[ann.pk],
                    by_diner=ann.pk)  # fmt: skip
    before = state(session)
    code, extra = refused(item_owners_set, session=session_lock(session.pk), item_id=rice.pk,
                          diner_ids=[bo.pk], by_diner=bo.pk)  # fmt: skip
    assert (code, extra["detail"], extra["diner_id"]) == ("conflict", "claimed", ann.pk)
    assert state(session) == before
    # The till may move it anyway.
    item_owners_set(session=session_lock(session.pk), item_id=rice.pk, diner_ids=[bo.pk])
    assert due(session, f"diner:{bo.pk}") == 300


def test_a_paid_share_locks_its_dishes(menu, dinner):
    session, diners, items = dinner
    ann, bo = diners["Ann"], diners["Bo"]
    pay(menu, session, 300, f"diner:{bo.pk}")
    before = state(session)
    for dish, wanted in ((items["Bo:Rice"], [ann.pk]), (items["Ann:Rice"], [bo.pk])):
        code, extra = refused(item_owners_set, session=session_lock(session.pk),
                              item_id=dish.pk, diner_ids=wanted)  # fmt: skip
        assert (code, extra["detail"]) == ("conflict", "paid")
    assert state(session) == before


def test_owners_must_be_diners_of_the_meal_and_the_dish_on_its_check(menu, dinner):
    session, diners, items = dinner
    elsewhere = make_menu("other")
    other = meal(elsewhere, ("Cy", [elsewhere.rice]))
    stranger = other[1]["Cy"]
    chicken = items["Ann:Kung Pao Chicken"]
    assert refused(item_owners_set, session=session_lock(session.pk), item_id=chicken.pk,
                   diner_ids=[stranger.pk])[0] == "not_found"  # fmt: skip
    other_item = next(iter(other[2].values()))
    assert refused(item_owners_set, session=session_lock(session.pk), item_id=other_item.pk,
                   diner_ids=[diners["Ann"].pk])[0] == "not_found"  # fmt: skip


def test_discounts_on_a_line_and_on_the_check(menu, dinner):
    session, _, items = dinner
    r = menu.restaurant
    chicken = items["Ann:Kung Pao Chicken"]
    d1 = discount_add(restaurant=r, session_id=session.pk, item_id=chicken.pk, percent="50",
                      reason="凉了 cold", op_id="d1", by=None)  # fmt: skip
    assert due(session) == 4400 - 1900
    again = discount_add(restaurant=r, session_id=session.pk, item_id=chicken.pk, percent="50",
                         reason="凉了 cold", op_id="d1", by=None)  # fmt: skip
    assert again.pk == d1.pk and Discount.objects.count() == 1  # a double press: one
    discount_add(restaurant=r, session_id=session.pk, amount=100, reason="老顾客", op_id="d2",
                 by=None)  # fmt: skip
    assert due(session) == 2400
    discount_remove(restaurant=r, discount_id=d1.pk, by=None)
    assert due(session) == 4300
    assert Discount.objects.filter(removed_at__isnull=False).count() == 1  # kept, marked


@pytest.mark.parametrize(
    "fields",
    [
        {},  # neither
        {"percent": "10", "amount": 100},  # both
        {"percent": "0"},
        {"percent": "100.5"},
        {"percent": "12.345"},
        {"percent": "NaN"},
        {"percent": "ten"},
        {"amount": 0},
        {"amount": -5},
        {"amount": 1.5},
        {"amount": True},
        {"amount": 100, "reason": ""},
        {"amount": 100, "reason": "x" * 121},
        {"amount": 100, "op_id": ""},
    ],
)
def test_a_bad_discount_is_refused_and_changes_nothing(menu, dinner, fields):
    session, _, _ = dinner
    before = state(session)
    kw = {"reason": "why", "op_id": "d", **fields}
    code, _ = refused(discount_add, restaurant=menu.restaurant, session_id=session.pk,
                      by=None, **kw)  # fmt: skip
    assert code == "bad_request"
    assert state(session) == before


def test_payments_shares_change_and_settling(menu, dinner):
    session, diners, _ = dinner
    ann = diners["Ann"]
    p = pay(menu, session, 4100, f"diner:{ann.pk}", tendered=5000)
    assert (p.change, p.business_date is not None, p.diner_id) == (900, True, ann.pk)
    assert due(session, f"diner:{ann.pk}") == 0 and due(session) == 300
    # The same press sent again: one payment.
    assert pay(menu, session, 4100, f"diner:{ann.pk}", op_id=p.op_id, expect=0).pk == p.pk
    assert Payment.objects.count() == 1
    pay(menu, session, 300, "check", method="wechat")
    assert due(session) == 0
    closed = meal_close(restaurant=menu.restaurant, table=menu.table, by=None,
                        may_close_unpaid=False)  # fmt: skip
    assert closed.status == "closed"
    check = ClosedCheck.objects.get(session=session)
    assert (check.total, check.paid, check.unpaid_reason) == (4400, 4400, "")
    assert check.detail["closed"] and len(check.detail["payments"]) == 2
    assert len(check.receipt_token) >= 22  # 128 random bits


def test_a_payment_with_a_stale_amount_or_more_than_owed_is_refused(menu, dinner):
    session, _, _ = dinner
    before = state(session)
    code, extra = refused(payment_record, restaurant=menu.restaurant, session_id=session.pk,
                          method="cash", amount=4400, target="check", expect=4000, op_id="x",
                          by=None)  # fmt: skip
    assert (code, extra["due"]) == ("stale", 4400)
    code, extra = refused(payment_record, restaurant=menu.restaurant, session_id=session.pk,
                          method="cash", amount=4401, target="check", expect=4400, op_id="x",
                          by=None)  # fmt: skip
    assert (code, extra["detail"]) == ("conflict", "over")
    assert state(session) == before


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"method": "bitcoin"}, "bad_request"),
        ({"amount": 0}, "bad_request"),
        ({"amount": "100"}, "bad_request"),
        ({"tendered": 50}, "bad_request"),  # less than the amount
        ({"method": "card", "tendered": 500}, "bad_request"),
        ({"target": "diner:999999"}, "not_found"),
        ({"target": "equal:3:3"}, "bad_request"),
        ({"target": "equal:0:0"}, "bad_request"),
        ({"target": "everything"}, "bad_request"),
        ({"op_id": "x" * 65}, "bad_request"),
    ],
)
def test_a_bad_payment_is_refused_and_changes_nothing(menu, dinner, fields, code):
    session, _, _ = dinner
    before = state(session)
    kw = {"method": "cash", "amount": 100, "target": "check", "expect": 4400, "op_id": "x",
          **fields}  # fmt: skip
    assert refused(payment_record, restaurant=menu.restaurant, session_id=session.pk,
                   by=None, **kw)[0] == code  # fmt: skip
    assert state(session) == before


def test_another_restaurants_meal_and_payment_are_not_found(menu, dinner):
    session, _, _ = dinner
    other = make_menu("other").restaurant
    assert refused(payment_record, restaurant=other, session_id=session.pk, method="cash",
                   amount=100, target="check", expect=4400, op_id="x",
                   by=None)[0] == "not_found"  # fmt: skip
    p = pay(menu, session, 100)
    assert refused(payment_refund, restaurant=other, payment_id=p.pk, amount=100,
                   reason="why", op_id="r", by=None)[0] == "not_found"  # fmt: skip
    assert refused(discount_add, restaurant=other, session_id=session.pk, amount=100,
                   reason="why", op_id="d", by=None)[0] == "not_found"  # fmt: skip


def test_refunds_give_back_at_most_what_was_paid(menu, dinner):
    session, _, _ = dinner
    r = menu.restaurant
    p = pay(menu, session, 4400, method="card")
    refund = payment_refund(restaurant=r, payment_id=p.pk, amount=1000, reason="overcharged",
                            op_id="r1", by=None)  # fmt: skip
    assert (refund.kind, refund.method, refund.amount, due(session)) == ("refund", "card",
                                                                        1000, 1000)  # fmt: skip
    assert payment_refund(restaurant=r, payment_id=p.pk, amount=1000, reason="overcharged",
                          op_id="r1", by=None).pk == refund.pk  # fmt: skip
    code, extra = refused(payment_refund, restaurant=r, payment_id=p.pk, amount=3401,
                          reason="again", op_id="r2", by=None)  # fmt: skip
    assert (code, extra["detail"], extra["due"]) == ("conflict", "over", 3400)
    assert refused(payment_refund, restaurant=r, payment_id=refund.pk, amount=1, reason="x",
                   op_id="r3", by=None)[0] == "not_found"  # a refund is not refunded  # fmt: skip
    assert refused(payment_refund, restaurant=r, payment_id=p.pk, amount=1, reason=" ",
                   op_id="r4", by=None)[0] == "bad_request"  # fmt: skip


def test_a_table_closes_only_when_settled_or_by_a_manager_saying_why(menu, dinner):
    session, _, _ = dinner
    r = menu.restaurant
    pay(menu, session, 400)
    before = state(session)
    code, extra = refused(meal_close, restaurant=r, table=menu.table, by=None,
                          may_close_unpaid=False, unpaid_reason="walked out")  # fmt: skip
    assert (code, extra["detail"], extra["balance"]) == ("conflict", "unpaid", 4000)
    code, _ = refused(meal_close, restaurant=r, table=menu.table, by=None,
                      may_close_unpaid=True, unpaid_reason="  ")  # fmt: skip
    assert code == "conflict"
    assert state(session) == before
    meal_close(restaurant=r, table=menu.table, by=None, may_close_unpaid=True,
               unpaid_reason="walked out")  # fmt: skip
    check = ClosedCheck.objects.get()
    assert (check.total, check.paid, check.unpaid_reason) == (4400, 400, "walked out")


def test_a_void_after_a_payment_leaves_it_overpaid_until_a_refund(menu, dinner):
    session, _, items = dinner
    r = menu.restaurant
    p = pay(menu, session, 4400)
    reason = AdjustReason.objects.create(restaurant=r, name="上错菜", for_void=True)
    item_adjust(restaurant=r, item_id=items["Bo:Rice"].pk, kind="void", qty=1,
                reason_id=reason.pk, by_id=None, role="manager")  # fmt: skip
    check, _, _, _, payments = check_of(session)
    assert check.total - paid_total(payments) == -300
    assert refused(meal_close, restaurant=r, table=menu.table, by=None,
                   may_close_unpaid=False)[1]["balance"] == -300  # fmt: skip
    payment_refund(restaurant=r, payment_id=p.pk, amount=300, reason="rice voided",
                   op_id="r", by=None)  # fmt: skip
    assert meal_close(restaurant=r, table=menu.table, by=None, may_close_unpaid=False)


def test_nothing_changes_on_a_closed_meal(menu, dinner):
    session, _, _ = dinner
    r = menu.restaurant
    p = pay(menu, session, 4400)
    meal_close(restaurant=r, table=menu.table, by=None, may_close_unpaid=False)
    before = state(session)
    for call, kw in (
        (payment_record, {"session_id": session.pk, "method": "cash", "amount": 1,
                          "target": "check", "expect": 0, "op_id": "late"}),
        (payment_refund, {"payment_id": p.pk, "amount": 1, "reason": "x", "op_id": "r"}),
        (discount_add, {"session_id": session.pk, "amount": 1, "reason": "x", "op_id": "d"}),
    ):  # fmt: skip
        code, extra = refused(call, restaurant=r, by=None, **kw)
        assert (code, extra.get("detail")) == ("conflict", "closed")
    assert state(session) == before


def test_a_meal_with_nothing_ordered_closes_freely(menu):
    from restaurant.dining.services import session_open

    session_open(table=menu.table, by_staff=True)
    assert meal_close(restaurant=menu.restaurant, table=menu.table, by=None,
                      may_close_unpaid=False)  # fmt: skip
    assert ClosedCheck.objects.get().total == 0


def test_a_share_refunded_in_full_is_free_again(menu, dinner):
    session, diners, items = dinner
    ann, bo = diners["Ann"], diners["Bo"]
    p = pay(menu, session, 300, f"diner:{bo.pk}")
    payment_refund(restaurant=menu.restaurant, payment_id=p.pk, amount=300, reason="wrong card",
                   op_id="r", by=None)  # fmt: skip
    item_owners_set(session=session_lock(session.pk), item_id=items["Bo:Rice"].pk,
                    diner_ids=[ann.pk])  # fmt: skip
    assert due(session, f"diner:{ann.pk}") == 4400


def test_a_diner_paid_past_their_part_shows_it_and_the_others_dues_still_add_up(menu, dinner):
    """Ann pays her 41.00, then her rice is taken back: she paid 3.00 past her part. It goes
    toward Bo's due (the table owes 38.00 + 3.00 - 41.00 = 0 + Bo's 3.00 - 3.00); the check
    lists Ann's 3.00 over, so the cashier can refund it or let it stand."""
    from restaurant.billing.payloads import check_payload

    session, diners, items = dinner
    ann, bo = diners["Ann"], diners["Bo"]
    pay(menu, session, 4100, f"diner:{ann.pk}")
    reason = AdjustReason.objects.create(restaurant=menu.restaurant, name="上错菜")
    item_adjust(restaurant=menu.restaurant, item_id=items["Ann:Rice"].pk, kind="void", qty=1,
                reason_id=reason.pk, by_id=None, role="manager")  # fmt: skip
    check, its, ds, offs, payments = check_of(session)
    payload = check_payload(session, menu.restaurant, check, its, ds, offs, payments)
    rows = {row["diner_id"]: row for row in payload["diners"]}
    assert (rows[ann.pk]["part"], rows[ann.pk]["paid"], rows[ann.pk]["over"]) == (3800, 4100, 300)
    assert (rows[bo.pk]["due"], payload["balance"]) == (0, 0)
    assert sum(row["due"] for row in rows.values()) == payload["balance"]


def test_a_check_paid_over_is_never_closed_unpaid(menu, dinner):
    session, _, items = dinner
    pay(menu, session, 4400)
    reason = AdjustReason.objects.create(restaurant=menu.restaurant, name="上错菜")
    item_adjust(restaurant=menu.restaurant, item_id=items["Bo:Rice"].pk, kind="void", qty=1,
                reason_id=reason.pk, by_id=None, role="manager")  # fmt: skip
    before = state(session)
    code, extra = refused(meal_close, restaurant=menu.restaurant, table=menu.table, by=None,
                          may_close_unpaid=True, unpaid_reason="whatever")  # fmt: skip
    assert (code, extra["detail"], extra["balance"]) == ("conflict", "unpaid", -300)
    assert state(session) == before


def test_a_phone_shares_only_with_itself_in_it(menu, dinner):
    session, diners, items = dinner
    ann, bo = diners["Ann"], diners["Bo"]
    rice = items["Ann:Rice"]
    before = state(session)
    code, extra = refused(item_owners_set, session=session_lock(session.pk), item_id=rice.pk,
                          diner_ids=[bo.pk], by_diner=ann.pk)  # fmt: skip
    assert (code, extra["detail"]) == ("forbidden", "not_yours")
    assert state(session) == before
    # Shared by both, then Bo leaves: back to who added it (not handed to Ann alone by Bo).
    from tests.dining.helpers import apply

    apply(ann, {"type": "item.share", "id": "sh", "item_id": rice.pk,
                "diner_ids": [ann.pk, bo.pk]})  # fmt: skip
    apply(bo, {"type": "item.claim", "id": "nm", "item_id": rice.pk, "mine": False})
    assert ItemOwner.objects.count() == 0 and due(session, f"diner:{ann.pk}") == 4100


@pytest.mark.parametrize(
    "call",
    [
        lambda s: discount_add(restaurant=s.restaurant, session_id=s.pk, amount=100,
                               reason=["x"], op_id="d", by=None),
        lambda s: discount_add(restaurant=s.restaurant, session_id=s.pk, amount=100,
                               reason="\ud800", op_id="d", by=None),
        lambda s: discount_add(restaurant=s.restaurant, session_id=s.pk, amount=100,
                               reason="open \x1bp the drawer", op_id="d", by=None),
        lambda s: discount_add(restaurant=s.restaurant, session_id=s.pk, amount=10**30,
                               reason="x", op_id="d", by=None),
        lambda s: payment_record(restaurant=s.restaurant, session_id=s.pk, method="cash",
                                 amount=100, target=7, expect=4400, op_id="p", by=None),
        lambda s: payment_record(restaurant=s.restaurant, session_id=s.pk, method="cash",
                                 amount=100, target="check", expect="4400", op_id="p", by=None),
        lambda s: payment_record(restaurant=s.restaurant, session_id=s.pk, method="cash",
                                 amount=100, target="check", expect=4400, op_id="p", by=None,
                                 tendered=2**40),
        lambda s: item_owners_set(session=session_lock(s.pk), diner_ids=[1, "a"],
                                  item_id=s.orders.first().items.first().pk),
    ],
)  # fmt: skip
def test_malformed_input_is_a_bad_request_not_a_crash(menu, dinner, call):
    session, _, _ = dinner
    session.restaurant = menu.restaurant
    before = state(session)
    with pytest.raises(OpError) as error:
        call(session)
    assert error.value.code == "bad_request"
    assert state(session) == before


def test_a_round_held_for_staff_is_not_charged_and_closing_cancels_it(menu):
    from restaurant.kitchen.models import Order
    from tests.dining.helpers import apply, arrive

    diner = arrive(menu.table)  # a scan opens the meal: its first round waits for staff
    apply(diner, {"type": "cart.add", "id": "a", "dish_id": menu.rice.pk})
    session = DiningSession.objects.get(table=menu.table, status="open")
    apply(diner, {"type": "order.submit", "id": "s", "seq": session.seq})
    order = Order.objects.get()
    assert order.is_awaiting_confirmation and due(session) == 0
    meal_close(restaurant=menu.restaurant, table=menu.table, by=None, may_close_unpaid=False)
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "table closed")
    assert ClosedCheck.objects.get().total == 0


def test_a_currency_of_other_decimals_is_refused_while_a_cover_charge_is_set(db):
    from django.core.exceptions import ValidationError

    from restaurant.venues.models import Restaurant

    empty = Restaurant.objects.create(name="x", slug="x", cover_charge=200)
    empty.currency = "JPY"
    with pytest.raises(ValidationError, match="cover charge"):
        empty.full_clean()


def test_a_claim_across_a_join_goes_when_the_join_is_split_back(menu, dinner):
    """P at table 1 claims Q's beer while table 2 is joined in; the join is split back: the
    claim goes (the dish went home with Q), each meal's shares add up to its total."""
    from restaurant.dining.services import session_open
    from restaurant.floor.moves import meal_join, meal_split
    from tests.dining.helpers import apply, arrive

    session, diners, _ = dinner
    session_open(table=menu.other_table, by_staff=True)
    q = arrive(menu.other_table)
    apply(q, {"type": "cart.add", "id": "q1", "dish_id": menu.rice.pk})
    other = DiningSession.objects.get(table=menu.other_table, status="open")
    apply(q, {"type": "order.submit", "id": "q2", "seq": other.seq})
    beer = other.orders.get().items.get()
    join = meal_join(restaurant=menu.restaurant, table_number=2, into_number=1, by_id=None)
    apply(diners["Ann"], {"type": "item.claim", "id": "c", "item_id": beer.pk})
    assert ItemOwner.objects.filter(item=beer, diner=diners["Ann"]).exists()
    meal_split(restaurant=menu.restaurant, transfer_id=join.pk, by_id=None)
    assert not ItemOwner.objects.exists()
    for each in (session, other):
        check, _, _, _, _ = check_of(DiningSession.objects.get(pk=each.pk))
        assert sum(check.per_owner.values()) == check.total
    check, _, _, _, _ = check_of(DiningSession.objects.get(pk=other.pk))
    assert check.per_owner == {q.pk: 300}
