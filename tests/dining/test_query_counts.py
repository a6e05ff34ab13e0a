"""Queries per op, counted: the hot path must not grow a query by accident. Each count is the
minimum the op needs; raise it only with a reason."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from restaurant.dining.models import DiningSession
from tests.dining.helpers import apply, arrive

pytestmark = pytest.mark.django_db


def queries(diner, message) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        apply(diner, message)
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT",
            "RELEASE SAVEPOINT"))]  # fmt: skip


def test_cart_ops(menu):
    diner = arrive(menu.table)
    # lock session (with the diner), op record, dish, option groups, options, matching line,
    # insert line, bump seq, record op
    add = {"type": "cart.add", "dish_id": menu.chicken.pk, "options": [menu.mild.pk]}
    assert len(queries(diner, {**add, "id": "a1"})) == 9
    # the same again raises qty: update instead of insert
    assert len(queries(diner, {**add, "id": "a2"})) == 9
    line_id = diner.session.cart.get().pk
    # lock, op record, line, update, options for the price, bump seq, record op
    set_qty = {"type": "cart.set_qty", "id": "q", "line_id": line_id, "qty": 5}
    assert len(queries(diner, set_qty)) == 7
    # a resent op: lock, op record
    assert len(queries(diner, {**add, "id": "a1"})) == 2


def test_submit(menu):
    diner = arrive(menu.table)
    apply(diner, {"type": "cart.add", "id": "a", "dish_id": menu.rice.pk, "qty": 2})
    seq = DiningSession.objects.get().seq
    captured = queries(diner, {"type": "order.submit", "id": "s", "seq": seq})
    # lock, op record, lines, (no options), round, order, items, clear cart, reload order and
    # its items for the event, bump seq, record op
    assert len(captured) <= 11, "\n".join(captured)
