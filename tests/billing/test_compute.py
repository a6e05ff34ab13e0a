"""The check's arithmetic (restaurant/billing/compute.py): worked examples a cashier can check
by hand, and properties over any mix of dishes, owners, comps, discounts, charges and
rounding: every split sums to the check, to the fen."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restaurant.billing.compute import (
    Line,
    Off,
    Rules,
    allocate,
    check_compute,
    equal_parts,
    percent_of,
)

DINERS = [11, 12, 13, 14]


def test_a_worked_check():
    """Two diners: 宫保鸡丁 38.00 (A), 米饭 3.00 × 2 (B), a shared 啤酒 15.00; 10% off the
    chicken, ¥5 off the check, 10% service, ¥2 tea per guest for 3 guests, 抹零 to the yuan."""
    lines = [
        Line(1, 3800, (11,), offs=(Off(percent=Decimal(10)),)),
        Line(2, 600, (12,)),
        Line(3, 1500, (11, 12)),
    ]
    rules = Rules(Decimal(10), 200, 3, 100)
    check = check_compute(lines, [Off(amount=500)], rules)
    assert check.subtotal == 5900
    assert check.line_discounts == 380  # 10% of 38.00
    assert check.check_discounts == [(None, 500)]
    assert check.service == 502  # 10% of 59.00 - 3.80 - 5.00 = 50.20 → 5.02
    assert check.cover == 600
    assert check.rounding == 22  # 50.20 + 5.02 + 6.00 = 61.22 → 61.00
    assert check.total == 6100
    assert sum(check.per_owner.values()) == 6100
    # A's dishes net 34.20 + 7.50, B's 6.00 + 7.50; the ¥6.00 tea is ¥3.00 each (per guest);
    # what is left check-wide, 61.00 - 55.20 - 6.00 = -0.20 (service less the discount and
    # 抹零), goes by what each pays so far, 44.70 : 16.50: A -0.15, B -0.05.
    assert check.per_owner == {11: 4170 + 300 - 15, 12: 1350 + 300 - 5}


def test_comped_dishes_cost_nothing_and_are_counted_apart():
    check = check_compute([Line(1, 3800, (11,), comped=True), Line(2, 300, (12,))], [], Rules())
    assert (check.subtotal, check.comped, check.total) == (300, 3800, 300)
    assert check.per_owner == {11: 0, 12: 300}


def test_a_discount_never_takes_more_than_is_left():
    check = check_compute(
        [Line(1, 1000, (11,), offs=(Off(amount=800), Off(amount=800)))],
        [Off(amount=5000)],
        Rules(),
    )
    assert (check.line_discounts, check.check_discounts, check.total) == (1000, [(None, 0)], 0)


def test_cover_charge_alone_goes_to_the_table_when_nobody_ordered():
    check = check_compute([], [], Rules(cover_charge=200, guests=2))
    assert (check.total, check.per_owner) == (400, {None: 400})


def test_percentages_round_half_up_once():
    assert percent_of(5, Decimal(10)) == 1  # 0.5 fen → 1
    assert percent_of(4, Decimal(10)) == 0
    assert percent_of(1999, Decimal("12.5")) == 250  # 249.875


def test_allocate_is_exact_and_fair():
    assert allocate(100, {1: 1, 2: 1, 3: 1}) == {1: 34, 2: 33, 3: 33}
    assert allocate(-100, {1: 1, 2: 1, 3: 1}) == {1: -34, 2: -33, 3: -33}
    assert allocate(7, {1: 0, 2: 0}) == {1: 4, 2: 3}
    assert equal_parts(1000, 3) == [334, 333, 333]
    with pytest.raises(ValueError):
        allocate(5, {})


lines_strategy = st.lists(
    st.builds(
        Line,
        key=st.integers(1, 10**6),
        amount=st.integers(0, 200_000),
        owners=st.lists(st.sampled_from(DINERS), max_size=4, unique=True).map(tuple),
        comped=st.booleans(),
        offs=st.lists(
            st.one_of(
                st.builds(Off, percent=st.decimals(Decimal("0.01"), Decimal(100), places=2)),
                st.builds(Off, amount=st.integers(1, 50_000)),
            ),
            max_size=2,
        ).map(tuple),
    ),
    max_size=12,
)
offs_strategy = st.lists(
    st.one_of(
        st.builds(Off, percent=st.decimals(Decimal("0.01"), Decimal(100), places=2)),
        st.builds(Off, amount=st.integers(1, 100_000)),
    ),
    max_size=3,
)
rules_strategy = st.builds(
    Rules,
    service_percent=st.decimals(Decimal(0), Decimal(30), places=2),
    cover_charge=st.integers(0, 1000),
    guests=st.integers(0, 20),
    rounding_unit=st.sampled_from([1, 10, 100]),
)


@settings(max_examples=400, deadline=None)
@given(lines_strategy, offs_strategy, rules_strategy)
def test_every_split_sums_to_the_check(lines, offs, rules):
    check = check_compute(lines, offs, rules)
    assert check.total >= 0
    assert check.total % rules.rounding_unit == 0
    assert 0 <= check.rounding < rules.rounding_unit
    assert (
        check.subtotal - check.discounts + check.service + check.cover - check.rounding
        == check.total
    )
    assert sum(check.per_owner.values()) == check.total
    assert all(part >= 0 for part in check.per_owner.values())
    for line in check.lines:
        assert sum(line.shares.values()) == (line.net if line.owners else 0)
        assert max(line.shares.values(), default=0) - min(line.shares.values(), default=0) <= 1
    # Every diner who pays for something is in the split; nobody else is.
    owners = {o for line in lines for o in line.owners}
    assert owners <= set(check.per_owner)
    assert set(check.per_owner) - owners <= {None}
    for n in (1, 2, 3, 7):
        parts = equal_parts(check.total, n)
        assert sum(parts) == check.total and max(parts) - min(parts) <= 1


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**9), 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=8))
def test_allocate_sums_exactly_and_stays_within_a_fen_of_the_exact_share(amount, weights):
    parts = allocate(amount, dict(enumerate(weights)))
    assert sum(parts.values()) == amount
    total = sum(weights) or len(weights)
    for key, weight in enumerate(weights):
        exact = Decimal(amount) * (weight if sum(weights) else 1) / total
        assert abs(parts[key] - exact) < 1


def _paid(payments, check, target, amount):
    from restaurant.billing.models import Payment

    payments.append(Payment(amount=amount, target=target, kind="pay", state="succeeded"))


@settings(max_examples=200, deadline=None)
@given(
    lines_strategy,
    offs_strategy,
    rules_strategy,
    st.lists(
        st.tuples(
            st.sampled_from(["diner", "equal", "check"]),
            st.integers(1, 4),
            st.integers(0, 3),
            st.fractions(Fraction(1, 20), 1),
        ),
        max_size=8,
    ),
)
def test_partial_payments_of_any_shares_leave_an_exact_rest(lines, offs, rules, plan):
    """Any mix of partial payments against diners' shares, equal parts and the check, each at
    most what its share still owes, then "the rest": the check is settled to the fen, and no
    share was ever asked for more than the balance."""
    from restaurant.billing.selectors import diner_dues, paid_total, share_due

    check = check_compute(lines, offs, rules)
    payments = []
    diners = [k for k in check.per_owner if k is not None]
    for kind, n, k, fraction in plan:
        if kind == "diner" and diners:
            target = f"diner:{diners[n % len(diners)]}"
        elif kind == "equal":
            target = f"equal:{n}:{k % n}"
        else:
            target = "check"
        due = share_due(check, payments, target)
        assert 0 <= due <= check.total - paid_total(payments)
        # What the till lists per diner always adds up to the balance.
        assert sum(diner_dues(check, payments).values()) == check.total - paid_total(payments)
        amount = max(1, int(due * fraction))  # an exact fraction of the due, rounded down
        if due:
            _paid(payments, check, target, min(amount, due))
    rest = share_due(check, payments, "check")
    assert rest == check.total - paid_total(payments)
    if rest:
        _paid(payments, check, "check", rest)
    assert paid_total(payments) == check.total
    assert share_due(check, payments, "check") == 0


@settings(max_examples=150, deadline=None)
@given(lines_strategy, offs_strategy, rules_strategy, st.integers(1, 12))
def test_paying_every_share_of_one_kind_settles_exactly(lines, offs, rules, n):
    """Each diner pays their part in full: only the table's own part (charges when nobody
    ordered) is left. Or n people pay an equal part each: nothing is left."""
    from restaurant.billing.selectors import paid_total, share_due

    check = check_compute(lines, offs, rules)
    payments = []
    for diner in (d for d in check.per_owner if d is not None):
        due = share_due(check, payments, f"diner:{diner}")
        assert due == check.per_owner[diner]
        if due:
            _paid(payments, check, f"diner:{diner}", due)
    assert check.total - paid_total(payments) == check.per_owner.get(None, 0)
    payments = []
    for k in range(n):
        due = share_due(check, payments, f"equal:{n}:{k}")
        if due:
            _paid(payments, check, f"equal:{n}:{k}", due)
    assert paid_total(payments) == check.total
