"""The till racing itself and the floor: two phones claiming one dish, a payment and a void,
two tills taking the rest, a payment and a close. Each comes out once, one outcome each, and
the check adds up after. Deterministic on PostgreSQL: the first holds the meal's lock until
the second waits on it (tests/support/concurrency.py); on SQLite they take turns."""

import pytest

from restaurant.billing import services as billing
from restaurant.billing.models import ClosedCheck, ItemOwner, Payment
from restaurant.billing.selectors import check_of, paid_total
from restaurant.kitchen import adjustments
from restaurant.kitchen.models import AdjustReason, OrderItem
from restaurant.realtime.errors import OpError
from tests.billing.support import meal
from tests.dining.helpers import apply
from tests.support.concurrency import at_once, held_then

pytestmark = pytest.mark.django_db(transaction=True)


def outcome(call):
    def run():
        try:
            return call()
        except OpError as refused:
            return refused

    return run


def hold_after(monkeypatch, module, name):
    real = getattr(module, name)

    def wire(hold):
        def held(*args, **kwargs):
            found = real(*args, **kwargs)
            hold()
            return found

        monkeypatch.setattr(module, name, held)

    return wire


def balance(session) -> int:
    check, _, _, _, payments = check_of(session)
    return check.total - paid_total(payments)


@pytest.fixture
def dinner(menu):
    return meal(menu, ("Ann", [menu.chicken, menu.rice]), ("Bo", [menu.rice]))


def pay(menu, session, amount, expect, op_id, target="check"):
    return lambda: billing.payment_record(
        restaurant=menu.restaurant, session_id=session.pk, method="cash", amount=amount,
        target=target, expect=expect, op_id=op_id, by=None,
    )  # fmt: skip


def void(menu, item):
    reason = AdjustReason.objects.create(restaurant=menu.restaurant, name="上错菜")
    return lambda: adjustments.item_adjust(
        restaurant=menu.restaurant, item_id=item.pk, kind="void", qty=1, reason_id=reason.pk,
        by_id=None, role="manager",
    )  # fmt: skip


def test_two_phones_claiming_one_dish(menu, dinner):
    _, diners, items = dinner
    rice = items["Ann:Rice"]
    claim = {"type": "item.claim", "item_id": rice.pk, "mine": True}
    results = at_once(
        outcome(lambda: apply(diners["Bo"], {**claim, "id": "c-bo"})),
        outcome(lambda: apply(diners["Ann"], {**claim, "id": "c-ann"})),
    )
    refusals = [r for r in results if isinstance(r, OpError)]
    assert len(refusals) <= 1
    owner = ItemOwner.objects.filter(item=rice).values_list("diner_id", flat=True)
    if refusals:  # Bo claimed first: Ann's own claim meets his
        assert (refusals[0].code, refusals[0].extra["detail"]) == ("conflict", "claimed")
        assert list(owner) == [diners["Bo"].pk]
    else:  # Ann first (her own dish: no row), then Bo took it
        assert list(owner) == [diners["Bo"].pk]


def test_a_void_then_a_payment_of_the_old_amount_is_stale(menu, dinner, monkeypatch):
    session, _, items = dinner
    wire = hold_after(monkeypatch, adjustments, "_item_locked")
    first, second = held_then(void(menu, items["Bo:Rice"]),
                              outcome(pay(menu, session, 4400, 4400, "p")), wire)  # fmt: skip
    assert not isinstance(first, Exception)
    assert isinstance(second, OpError) and (second.code, second.extra["due"]) == ("stale", 4100)
    assert Payment.objects.count() == 0 and balance(session) == 4100


def test_a_payment_then_a_void_leaves_the_check_overpaid(menu, dinner, monkeypatch):
    session, _, items = dinner
    wire = hold_after(monkeypatch, billing, "_meal")
    first, second = held_then(pay(menu, session, 4400, 4400, "p"), void(menu, items["Bo:Rice"]),
                              wire)  # fmt: skip
    assert isinstance(first, Payment) and not isinstance(second, Exception)
    assert OrderItem.objects.get(pk=items["Bo:Rice"].pk).status == "voided"
    assert balance(session) == -300  # a refund of 3.00 settles it: the till shows it


def test_two_tills_taking_the_rest(menu, dinner, monkeypatch):
    session, _, _ = dinner
    wire = hold_after(monkeypatch, billing, "_meal")
    first, second = held_then(pay(menu, session, 4400, 4400, "till-1"),
                              outcome(pay(menu, session, 4400, 4400, "till-2")),
                              wire)  # fmt: skip
    assert isinstance(first, Payment)
    assert isinstance(second, OpError) and (second.code, second.extra["due"]) == ("stale", 0)
    assert Payment.objects.count() == 1 and balance(session) == 0


def test_the_same_press_from_two_tabs_records_once(menu, dinner):
    session, _, _ = dinner
    results = at_once(outcome(pay(menu, session, 4400, 4400, "same")),
                      outcome(pay(menu, session, 4400, 4400, "same")))  # fmt: skip
    assert all(isinstance(r, Payment) for r in results), results
    assert results[0].pk == results[1].pk and Payment.objects.count() == 1


def test_a_close_then_a_payment(menu, dinner, monkeypatch):
    session, _, _ = dinner
    billing.payment_record(restaurant=menu.restaurant, session_id=session.pk, method="card",
                           amount=4400, target="check", expect=4400, op_id="all",
                           by=None)  # fmt: skip
    wire = hold_after(monkeypatch, billing, "session_lock")  # the close's lock of the meal

    def close():
        return billing.meal_close(restaurant=menu.restaurant, table=menu.table, by=None,
                                  may_close_unpaid=False)  # fmt: skip

    first, second = held_then(close, outcome(pay(menu, session, 1, 0, "late")), wire)
    assert first is not None and first.status == "closed"
    assert isinstance(second, OpError) and second.code in ("conflict", "stale")
    assert Payment.objects.count() == 1 and ClosedCheck.objects.get().paid == 4400
