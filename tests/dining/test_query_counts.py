"""Queries per op, counted: the hot path must not grow a query by accident. Each count is the
minimum the op needs; raise it only with a reason."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from restaurant.dining.models import DiningSession
from restaurant.realtime.errors import OpError
from tests.dining.helpers import apply, arrive

pytestmark = pytest.mark.django_db


def queries(diner, message) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        apply(diner, message)
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT",
            "RELEASE SAVEPOINT"))]  # fmt: skip


def test_cart_ops(menu):
    diner = arrive(menu.table)
    add = {"type": "cart.add", "dish_id": menu.chicken.pk, "options": [menu.mild.pk]}
    # The process's first op reads the menu catalog once (dishes, option groups, options)
    # and the ordering rules once (the pause switch, service hours, paused categories:
    # restaurant/menu/hours.py): lock session (with the diner and the menu version), 3 for
    # the catalog, 3 for the rules, matching line, insert line, bump seq, record op.
    assert len(queries(diner, {**add, "id": "a1"})) == 11
    # From then on: lock, matching line, update (the same again raises qty), bump, record.
    assert len(queries(diner, {**add, "id": "a2"})) == 5
    line_id = diner.session.cart.get().pk
    # lock, line, update, bump seq, record op (the price comes from the catalog)
    set_qty = {"type": "cart.set_qty", "id": "q", "line_id": line_id, "qty": 5}
    assert len(queries(diner, set_qty)) == 5
    # A resent op is applied again and undone by the op record's unique constraint: lock,
    # line, update, bump, the refused record, then the first record's seq.
    assert len(queries(diner, {**add, "id": "a1"})) == 7
    assert diner.session.cart.get().qty == 5, "the resend changed nothing"


def test_a_menu_change_is_seen_by_the_next_op(menu, monkeypatch):
    """The cached catalog follows every menu change at once (the version is read per op)."""
    from restaurant.dining import services
    from restaurant.menu.services import dish_set_sold_out
    from restaurant.realtime import codec

    sent = []
    monkeypatch.setattr(services, "broadcast_on_commit", lambda group, msg: sent.append(msg))
    diner = arrive(menu.table)
    apply(diner, {"type": "cart.add", "id": "a", "dish_id": menu.rice.pk})  # catalog cached
    dish_set_sold_out(restaurant=menu.restaurant, dish_id=menu.rice.pk, sold_out=True)
    with pytest.raises(OpError) as refused:
        apply(diner, {"type": "cart.add", "id": "b", "dish_id": menu.rice.pk})
    assert refused.value.code == "sold_out"
    menu.mild.price = 300
    menu.mild.save()
    apply(diner, {"type": "cart.add", "id": "c", "dish_id": menu.chicken.pk,
                  "options": [menu.mild.pk]})  # fmt: skip
    event = codec.loads(sent[-1]["text"])
    assert event["line"]["price"] == menu.chicken.price + 300


def test_submit(menu):
    diner = arrive(menu.table)
    apply(diner, {"type": "cart.add", "id": "a", "dish_id": menu.rice.pk, "qty": 2})
    seq = DiningSession.objects.get().seq
    captured = queries(diner, {"type": "order.submit", "id": "s", "seq": seq})
    # lock, op record, lines, (no options), round, order, items, clear cart, reload order and
    # its items for the event, bump seq, record op; a meal's first round that would be held
    # asks whether its sender is staff (代客下单: theirs is not held)
    assert len(captured) <= 12, "\n".join(captured)


def test_socket_connect_path(menu, settings):
    """What a socket's connect costs: the access check, its connection row, the snapshot."""
    from restaurant.dining.selectors import dining_snapshot
    from restaurant.dining.services import connection_open, diner_for_socket, server_beat
    from restaurant.tables.selectors import table_by_token

    settings.RESTAURANT = {**settings.RESTAURANT, "HEARTBEAT_SECONDS": 10}
    diner = arrive(menu.table)
    apply(diner, {"type": "cart.add", "id": "a", "dish_id": menu.rice.pk})  # catalog cached
    server_beat(server_id="me")  # the process beat lately: a connect need not write its row

    def counted(call) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            call()
        return [q["sql"] for q in captured.captured_queries
                if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]  # fmt: skip

    # the table by its token; the diner of its open session, by the cookie's diner ids
    access = counted(lambda: diner_for_socket(table=table_by_token(menu.table.token),
                                              known_diner_ids=[diner.pk]))  # fmt: skip
    assert len(access) == 2, "\n".join(access)
    # other sockets of the diner, insert, the session for the presence event, who is online
    opened = counted(lambda: connection_open(diner_id=diner.pk, channel_name="c", server_id="me"))
    assert len(opened) == 4, "\n".join(opened)
    # session (locked, with the diner), restaurant, online, lines, diners, orders, items
    snapshot = counted(lambda: dining_snapshot(diner_id=diner.pk))
    assert len(snapshot) <= 7, "\n".join(snapshot)
