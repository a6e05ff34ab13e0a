"""What one diner op costs the server in CPU, sockets and event loop left out:

    .venv/bin/python -m bench.opcost [--ops 2000] [--database postgres|sqlite]

applies `cart.add` and `cart.set_qty` by turns through `ops.diner_op_apply`, on one thread,
the pooled database connection handed back after each op as the socket path does, and the
broadcasts counted instead of sent. Prints JSON: CPU and wall time per op, statements per op.
On PostgreSQL it makes a fresh database (migrated, demo menu) and drops it afterwards.
"""

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def measure(ops: int) -> dict:
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    from restaurant.dining import ops as dining_ops
    from restaurant.dining import protocol
    from restaurant.dining.models import CartLine
    from restaurant.dining.services import diner_arrive
    from restaurant.menu.models import Dish
    from restaurant.realtime import broadcast
    from restaurant.tables.models import Table

    events = []
    broadcast.send_now = lambda group, message: events.append(group)
    dish = next(
        d
        for d in Dish.objects.filter(sold_out=False).prefetch_related("option_groups")
        if all(g.min_choices == 0 for g in d.option_groups.all())
    )
    # A table of the dish's restaurant: a diner orders from their own restaurant's menu.
    table = Table.objects.create(
        restaurant_id=dish.restaurant_id, number=990000 + os.getpid() % 10000, label="opcost"
    )
    diner = diner_arrive(table=table, known_diner_ids=[])

    def op(i: int):
        if i % 2 == 0:  # raises the diner's line to 2 (the first one makes it)
            return protocol.CartAdd(id=f"o{i}", dish_id=dish.pk)
        return protocol.CartSetQty(id=f"o{i}", line_id=line_id, qty=1)  # and back to 1

    dining_ops.diner_op_apply(diner_id=diner.pk, op_id="warm", op=op(0))  # menu catalog
    line_id = CartLine.objects.get(added_by_id=diner.pk).pk
    dining_ops.diner_op_apply(diner_id=diner.pk, op_id="warm2", op=op(1))
    with CaptureQueriesContext(connection) as captured:
        for i in range(2):
            dining_ops.diner_op_apply(diner_id=diner.pk, op_id=f"q{i}", op=op(i))
    connections.close_all()
    events.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(ops):
        dining_ops.diner_op_apply(diner_id=diner.pk, op_id=f"o{i}", op=op(i))
        connections.close_all()  # what database_sync_to_async does after each call
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(events) == ops, f"{len(events)} events for {ops} ops"
    return {
        "database": connection.vendor,
        "ops": ops,
        "cpu_us_per_op": round(cpu / ops * 1e6),
        "wall_us_per_op": round(wall / ops * 1e6),
        "statements_per_op": len(captured.captured_queries) / 2,
        "statements": [q["sql"][:90] for q in captured.captured_queries],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    from tests.support import servers as support

    with contextlib.ExitStack() as stack:
        if args.database == "postgres":
            url = stack.enter_context(support.postgres_database())
        else:
            url = support.prepare_database(Path(stack.enter_context(tempfile.TemporaryDirectory())))
        os.environ["DATABASE_URL"] = url
        os.environ.pop("REDIS_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        try:
            result = measure(args.ops)
        finally:
            from django.db import connections

            connections.close_all()
            from restaurant.realtime.db import close_connections

            close_connections()
            for conn in connections.all():
                pool = getattr(conn, "pool", None)
                if pool is not None:
                    conn.close_pool()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
