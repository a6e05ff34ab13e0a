"""What one diner op costs the server in CPU, sockets left out:

    .venv/bin/python -m bench.opcost [--ops 2000] [--database postgres|sqlite]
    .venv/bin/python -m bench.opcost --through db|grouped [--callers 16]

applies `cart.add` and `cart.set_qty` by turns through `ops.diner_op_apply`, the broadcasts
counted instead of sent. Plain: on one thread, the pooled database connection handed back
after each op as the socket path did. `--through`: from an event loop, ``--callers`` diners
at as many tables each sending their next op when the last one is answered, as sockets do,
through the path the consumer takes: `db` (one op per hop and transaction,
restaurant/realtime/db.py) or `grouped` (group commit, restaurant/realtime/group_commit.py).
Prints JSON: CPU (all threads of the process) and wall time per op, statements per op.
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


def measure_through(path: str, ops: int, callers: int) -> dict:
    """``ops`` ops from ``callers`` diners at their own tables, each awaiting its answer
    before its next op, through ``path``; CPU of the whole process (the loop and the
    database threads)."""
    import asyncio

    import uvloop
    from django.db import connections

    from restaurant.dining import ops as dining_ops
    from restaurant.dining import protocol
    from restaurant.dining.models import CartLine
    from restaurant.dining.services import diner_arrive
    from restaurant.menu.models import Dish
    from restaurant.realtime import broadcast, metrics
    from restaurant.realtime.db import db
    from restaurant.realtime.group_commit import grouped
    from restaurant.tables.models import Table

    events = []
    broadcast.send_now = lambda group, message: events.append(group)
    dish = next(
        d
        for d in Dish.objects.filter(sold_out=False).prefetch_related("option_groups")
        if all(g.min_choices == 0 for g in d.option_groups.all())
    )
    diners = []
    for n in range(callers):
        table = Table.objects.create(
            restaurant_id=dish.restaurant_id, number=980000 + n, label=f"opcost {n}"
        )
        diner = diner_arrive(table=table, known_diner_ids=[])
        dining_ops.diner_op_apply(
            diner_id=diner.pk, op_id="warm", op=protocol.CartAdd(id="warm", dish_id=dish.pk)
        )
        line = CartLine.objects.get(added_by_id=diner.pk).pk
        diners.append((diner, line))
    connections.close_all()
    events.clear()
    per_caller = ops // callers

    async def caller(diner, line_id: int) -> None:
        for i in range(per_caller):
            op_id = f"o{i}"
            if i % 2 == 0:
                op = protocol.CartAdd(id=op_id, dish_id=dish.pk)
            else:
                op = protocol.CartSetQty(id=op_id, line_id=line_id, qty=1)
            kwargs = {"diner_id": diner.pk, "op_id": op_id, "op": op}
            if path == "grouped":
                await grouped(dining_ops.diner_op_apply, order=diner.session_id, **kwargs)
            else:
                await db(dining_ops.diner_op_apply)(**kwargs)

    async def run() -> None:
        await asyncio.gather(*(caller(d, line) for d, line in diners))

    batches = metrics.GROUP_COMMITS.labels("committed")._value.get()
    batched = metrics.GROUP_COMMIT_OPS._value.get()
    wall, cpu = time.perf_counter(), time.process_time()
    uvloop.run(run())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done = per_caller * callers
    assert len(events) == done, f"{len(events)} events for {done} ops"
    batches = metrics.GROUP_COMMITS.labels("committed")._value.get() - batches
    batched = metrics.GROUP_COMMIT_OPS._value.get() - batched
    return {
        "database": connections["default"].vendor,
        "through": path,
        "callers": callers,
        "ops": done,
        "cpu_us_per_op": round(cpu / done * 1e6),
        "wall_us_per_op": round(wall / done * 1e6),
        "ops_per_second": round(done / wall),
        "ops_in_batches": batched,
        "mean_batch": round(batched / batches, 1) if batches else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--through", choices=["db", "grouped"])
    parser.add_argument("--callers", type=int, default=16)
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
            if args.through:
                result = measure_through(args.through, args.ops, args.callers)
            else:
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
