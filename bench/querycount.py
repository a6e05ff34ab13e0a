"""How many SQL statements the hot paths run, counted with Django's own CaptureQueriesContext:

    DATABASE_URL=... python -m bench.querycount

prints JSON: statements per `cart.add` (new line / raised line), `cart.set_qty`, the socket's
connect path (access check, connection_open, snapshot) and the join's diner_arrive.
Each statement is one round trip to PostgreSQL, made on the process's single DB thread.
"""

import json
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from restaurant.dining import ops, protocol
    from restaurant.dining.selectors import dining_snapshot
    from restaurant.dining.services import connection_open, diner_arrive, diner_for_socket
    from restaurant.menu.models import Dish
    from restaurant.realtime import liveness
    from restaurant.tables.models import Table
    from restaurant.tables.selectors import table_by_token

    dish = next(
        d
        for d in Dish.objects.filter(sold_out=False).prefetch_related("option_groups")
        if all(g.min_choices == 0 for g in d.option_groups.all())
    )
    # A table of the dish's restaurant: a diner orders from their own restaurant's menu.
    table = Table.objects.create(
        restaurant_id=dish.restaurant_id, number=900000 + os.getpid() % 10000, label="querycount"
    )
    out = {}

    def count(name, fn):
        with CaptureQueriesContext(connection) as ctx:
            result = fn()
        out[name] = {
            "statements": len(ctx.captured_queries),
            "sql": [q["sql"][:160] for q in ctx.captured_queries],
        }
        return result

    diner = count("join: diner_arrive", lambda: diner_arrive(table=table, known_diner_ids=[]))
    count(
        "socket connect: access check",
        lambda: diner_for_socket(table=table_by_token(table.token), known_diner_ids=[diner.pk]),
    )
    count(
        "socket connect: connection_open",
        lambda: connection_open(
            diner_id=diner.pk, channel_name="querycount.1", server_id=liveness.SERVER_ID
        ),
    )
    count("socket connect: dining_snapshot", lambda: dining_snapshot(diner_id=diner.pk))
    add = protocol.CartAdd(id="q1", dish_id=dish.pk)
    count(
        "op cart.add (new line)",
        lambda: ops.diner_op_apply(diner_id=diner.pk, op_id="q1", op=add),
    )
    add2 = protocol.CartAdd(id="q2", dish_id=dish.pk)
    count(
        "op cart.add (raises the line)",
        lambda: ops.diner_op_apply(diner_id=diner.pk, op_id="q2", op=add2),
    )
    line_id = diner.lines.first().pk if hasattr(diner, "lines") else None
    if line_id is None:
        from restaurant.dining.models import CartLine

        line_id = CartLine.objects.filter(added_by=diner).first().pk
    qty = protocol.CartSetQty(id="q3", line_id=line_id, qty=1)
    count("op cart.set_qty", lambda: ops.diner_op_apply(diner_id=diner.pk, op_id="q3", op=qty))
    count(
        "op resent (same id)",
        lambda: ops.diner_op_apply(diner_id=diner.pk, op_id="q3", op=qty),
    )
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
