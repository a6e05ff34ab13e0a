"""A dish added as shared by the table: the check splits it equally among the meal's diners
who are not staff (in id order), unless a claim or an explicit share says otherwise; with no
such diner, who added it pays. Read cheaply: one query for the diners however many dishes."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from restaurant.billing.payloads import check_payload
from restaurant.billing.selectors import check_of, meal_items, owners_of
from restaurant.dining.models import Diner, DiningSession
from restaurant.dining.services import session_open
from restaurant.dining.staff_diners import staff_diner_for
from restaurant.kitchen.models import OrderItem
from restaurant.venues.models import StaffMember
from tests.dining.helpers import apply, arrive
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db

_ids = itertools.count(1)


def send(diner: Diner, *dishes, shared: bool = False) -> list[OrderItem]:
    """``diner`` adds ``dishes`` (shared by the table or not) and sends them; the new items."""
    for dish in dishes:
        apply(diner, {"type": "cart.add", "id": f"a{next(_ids)}", "dish_id": dish.pk,
                      "shared": shared})  # fmt: skip
    session = DiningSession.objects.get(pk=diner.session_id)
    apply(diner, {"type": "order.submit", "id": f"s{next(_ids)}", "seq": session.seq})
    return list(OrderItem.objects.filter(order__session=session).order_by("-pk")[: len(dishes)])


def op(diner: Diner, kind: str, **fields) -> None:
    apply(diner, {"type": kind, "id": f"o{next(_ids)}", **fields})


def check(session_id: int) -> tuple:
    """(the check's parts by diner, its lines by item id) as the till and the phones read it."""
    session = DiningSession.objects.get(pk=session_id)
    parts = check_of(session)
    payload = check_payload(session, session.table.restaurant, *parts)
    return parts[0].per_owner, {line["item_id"]: line for line in payload["lines"]}


def waiter_at(menu) -> Diner:
    """A waiter's staff diner at table 1 (代客下单)."""
    user = staff_user(menu.restaurant, StaffMember.Role.WAITER)
    return staff_diner_for(table=menu.table, user=user)


@pytest.fixture
def table(menu):
    """Ann, Bo and Cy at table 1 (opened by staff) and a waiter ordering for it."""
    session_open(table=menu.table, by_staff=True)
    ann, bo, cy = (arrive(menu.table) for _ in range(3))
    waiter = waiter_at(menu)
    return ann, bo, cy, waiter


def test_a_shared_dish_is_split_equally_among_the_diners_not_staff(menu, table):
    ann, bo, cy, waiter = table
    (rice,) = send(ann, menu.rice, shared=True)
    (own,) = send(bo, menu.rice)
    (by_waiter,) = send(waiter, menu.rice, shared=True)  # a starter the waiter put in for all
    assert rice.shared and by_waiter.shared and not own.shared

    parts, lines = check(ann.session_id)
    assert parts == {ann.pk: 200, bo.pk: 500, cy.pk: 200}  # 300 + 300 over three; Bo's own 300
    assert waiter.pk not in parts
    for item in (rice, by_waiter):
        line = lines[item.pk]
        assert line["owners"] == [ann.pk, bo.pk, cy.pk]
        assert (line["shared"], line["claimed"]) == (True, False)
        assert line["added_by"] == item.added_by_id
    assert (lines[own.pk]["owners"], lines[own.pk]["shared"]) == ([bo.pk], False)


def test_an_uneven_split_sums_to_the_dish(menu, table):
    ann, bo, cy, _ = table
    (dish,) = send(bo, menu.rice, shared=True)
    OrderItem.objects.filter(pk=dish.pk).update(unit_price=1000)
    parts, lines = check(ann.session_id)
    assert sorted(parts.values()) == [333, 333, 334] and sum(parts.values()) == 1000
    assert lines[dish.pk]["owners"] == [ann.pk, bo.pk, cy.pk]


def test_a_later_share_or_claim_wins(menu, table):
    ann, bo, cy, _ = table
    (rice,) = send(ann, menu.rice, shared=True)
    op(bo, "item.share", item_id=rice.pk, diner_ids=[ann.pk, bo.pk])
    parts, lines = check(ann.session_id)
    assert parts == {ann.pk: 150, bo.pk: 150}
    assert (lines[rice.pk]["owners"], lines[rice.pk]["shared"]) == ([ann.pk, bo.pk], True)

    op(cy, "item.claim", item_id=rice.pk)
    parts, lines = check(ann.session_id)
    assert parts == {cy.pk: 300}
    line = lines[rice.pk]
    assert (line["owners"], line["shared"], line["claimed"]) == ([cy.pk], False, True)

    # Cy lets go: back to the table's share.
    op(cy, "item.claim", item_id=rice.pk, mine=False)
    assert check(ann.session_id)[1][rice.pk]["owners"] == [ann.pk, bo.pk, cy.pk]


def test_not_mine_leaves_a_shared_dish_to_the_others(menu, table):
    """A phone's "not mine" reads who pays now (the table's share) without the check's read."""
    ann, bo, cy, _ = table
    (rice,) = send(ann, menu.rice, shared=True)
    op(bo, "item.claim", item_id=rice.pk, mine=False)
    parts, lines = check(ann.session_id)
    assert parts == {ann.pk: 150, cy.pk: 150}
    assert lines[rice.pk]["owners"] == [ann.pk, cy.pk]


def test_with_no_diner_but_staff_who_added_it_pays(menu):
    waiter = waiter_at(menu)
    (rice,) = send(waiter, menu.rice, shared=True)
    parts, lines = check(waiter.session_id)
    assert parts == {waiter.pk: 300}
    assert lines[rice.pk]["owners"] == [waiter.pk]
    # A diner who sits down later shares it (the check is read live).
    ann = arrive(menu.table)
    assert check(waiter.session_id)[0] == {ann.pk: 300}


def test_owners_of_reads_the_diners_only_when_not_given(menu, table):
    ann, bo, cy, _ = table
    send(ann, menu.rice, shared=True)
    send(ann, menu.rice)
    rice, own = meal_items(ann.session)  # as the check reads them: owner rows prefetched
    with CaptureQueriesContext(connection) as queries:
        assert owners_of(own) == (ann.pk,)
        assert owners_of(rice, (bo.pk,)) == (bo.pk,)
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        assert owners_of(rice) == (ann.pk, bo.pk, cy.pk)
    assert len(queries) == 1


def test_the_check_reads_the_diners_once_however_many_shared_dishes(menu, table):
    ann, bo, cy, _ = table
    send(ann, menu.rice, shared=True)
    session = DiningSession.objects.get(pk=ann.session_id)
    with CaptureQueriesContext(connection) as one:
        check_of(session)
    send(bo, menu.rice, menu.rice, shared=True)
    send(cy, menu.rice, shared=True)
    with CaptureQueriesContext(connection) as four:
        check_of(session)
    assert len(four) == len(one)
