"""What counting a dish (限量) costs a round, and how fast its last portion reaches the phones:

    .venv/bin/python -m bench.stock [--rounds 400] [--blocks 4] [--race-tables 10 --race-diners 5]

1. **Submit, counted vs not.** One diner at a fresh table sends rounds of one dish
   (`cart.add` then `order.submit`, through `ops.diner_op_apply`, as the socket does, the
   pooled connection handed back after each op), in alternating blocks: the dish counted (a
   count far above what the run takes) and not counted. Broadcasts are counted, not sent (as
   `bench.opcost`). Prints each mode's wall time per submit (median, p95) and CPU per submit,
   and the ratio counted / not counted per block pair and overall.
2. **The race.** Two ASGI server processes on PostgreSQL and Redis; 10 tables of 5 diners,
   one portion in each cart, the dish counted at 5; everyone sends at once. Prints how many
   rounds got it (must be 5), and, for every phone, the time from the moment the fifth round
   was acknowledged to the moment that phone had `menu.dish {sold_out: true}`.

On a fresh PostgreSQL database (migrated, demo menu) that it drops afterwards.
"""

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def submit_cost(rounds: int, blocks: int) -> dict:
    from django.db import connections

    from restaurant.dining import ops as dining_ops
    from restaurant.dining import protocol
    from restaurant.dining.models import DiningSession
    from restaurant.dining.services import diner_arrive
    from restaurant.menu.models import Dish
    from restaurant.realtime import broadcast
    from restaurant.tables.models import Table
    from restaurant.venues.days import business_date
    from restaurant.venues.models import Restaurant

    events = []
    broadcast.send_now = lambda group, message: events.append(group)
    dish = next(
        d
        for d in Dish.objects.filter(sold_out=False).prefetch_related("option_groups")
        if all(g.min_choices == 0 for g in d.option_groups.all())
    )
    restaurant = Restaurant.objects.get(pk=dish.restaurant_id)
    Restaurant.objects.filter(pk=restaurant.pk).update(hold_first_round=False)
    table = Table.objects.create(
        restaurant=restaurant, number=980000 + os.getpid() % 10000, label="bench"
    )
    diner = diner_arrive(table=table, known_diner_ids=[])
    ids = iter(range(10**9))

    def one_round() -> tuple[float, float]:
        dining_ops.diner_op_apply(diner_id=diner.pk, op_id=f"a{next(ids)}",
                                  op=protocol.CartAdd(id="a", dish_id=dish.pk))  # fmt: skip
        connections.close_all()
        seq = DiningSession.objects.values_list("seq", flat=True).get(pk=diner.session_id)
        connections.close_all()
        wall, cpu = time.perf_counter(), time.process_time()
        dining_ops.diner_op_apply(diner_id=diner.pk, op_id=f"s{next(ids)}",
                                  op=protocol.OrderSubmit(id="s", seq=seq))  # fmt: skip
        connections.close_all()
        return time.perf_counter() - wall, time.process_time() - cpu

    def counted(on: bool) -> None:
        stock = 10**6 if on else None  # far above what the run takes: never sold out
        Dish.objects.filter(pk=dish.pk).update(stock=stock, stock_date=business_date(restaurant))
        connections.close_all()

    for _ in range(20):  # warm: the catalog, the pool, the printing of tickets
        one_round()
    result = {"on": {"wall": [], "cpu": []}, "off": {"wall": [], "cpu": []}, "pairs": []}
    per_block = max(1, rounds // (2 * blocks))
    for block in range(blocks):
        medians = {}
        # ABBA order: neither mode always runs first (a machine warming up favours the second).
        for mode in ("on", "off") if block % 2 == 0 else ("off", "on"):
            counted(mode == "on")
            walls = []
            for _ in range(per_block):
                wall, cpu = one_round()
                walls.append(wall)
                result[mode]["cpu"].append(cpu)
            result[mode]["wall"] += walls
            medians[mode] = statistics.median(walls)
        result["pairs"].append(round(medians["on"] / medians["off"], 3))
    taken = Dish.objects.values_list("stock", flat=True).get(pk=dish.pk)
    assert taken is None or taken < 10**6, "the counted blocks took no portions"

    def figures(mode: str) -> dict:
        walls, cpus = result[mode]["wall"], result[mode]["cpu"]
        return {
            "submits": len(walls),
            "wall_ms_median": round(statistics.median(walls) * 1e3, 3),
            "wall_ms_p95": round(_pct(walls, 0.95) * 1e3, 3),
            "cpu_ms_mean": round(statistics.fmean(cpus) * 1e3, 3),
        }

    on, off = figures("on"), figures("off")
    return {
        "counted": on,
        "not_counted": off,
        "ratio_wall_median": round(on["wall_ms_median"] / off["wall_ms_median"], 3),
        "ratio_cpu_mean": round(on["cpu_ms_mean"] / off["cpu_ms_mean"], 3),
        "ratio_per_block_pair": result["pairs"],
    }


async def race(database_url: str, tables: int, diners: int, portions: int) -> dict:
    from tests.support.client import DinerClient
    from tests.support.servers import REDIS_TEST_URL, AsgiServer, manage, plain_dish, redis_prefix

    env = {**redis_prefix(), "VAR_DIR": "/tmp"}
    with (
        AsgiServer(database_url=database_url, redis_url=REDIS_TEST_URL, extra_env=env) as first,
        AsgiServer(database_url=database_url, redis_url=REDIS_TEST_URL, extra_env=env) as second,
    ):
        links = await asyncio.to_thread(first.table_links)
        paths = {link["number"]: "/" + link["url"].split("/", 3)[3] for link in links}
        dish = await asyncio.to_thread(plain_dish, first)
        code = (
            "from restaurant.menu.models import Dish\n"
            "from restaurant.menu.stock import dish_set_stock\n"
            f"d = Dish.objects.get(pk={dish})\n"
            f"dish_set_stock(restaurant=d.restaurant, dish_id={dish}, stock={portions})\n"
        )
        await asyncio.to_thread(manage, "shell", "-c", code, database_url=database_url)
        groups = []
        for number in sorted(paths)[:tables]:
            urls = [server.url + paths[number] for server in (first, second)]
            clients = [DinerClient([urls[i % 2]]) for i in range(diners)]
            await asyncio.gather(*(c.start() for c in clients))
            groups.append(clients)
        everyone = [c for g in groups for c in g]
        heard: dict[int, float] = {}

        def watch(client):
            handle = client._handle

            async def handled(message):
                if (message.get("type") == "menu.dish" and message.get("dish_id") == dish
                        and message.get("sold_out")):  # fmt: skip
                    heard.setdefault(id(client), time.perf_counter())
                await handle(message)

            client._handle = handled

        try:
            for clients in groups:
                ack = await clients[0].op({"type": "cart.add", "dish_id": dish, "qty": 1,
                                           "options": [], "note": ""})  # fmt: skip
                for c in clients:
                    await c.wait_for(lambda c, s=ack["seq"]: c.seq >= s, timeout=10)
            for c in everyone:
                watch(c)
            acked_at = []
            futures = [await c.send({"type": "order.submit", "seq": c.seq}) for c in everyone]
            for future in futures:
                future.add_done_callback(
                    lambda f: f.result()["type"] == "ack" and acked_at.append(time.perf_counter())
                )
            replies = await asyncio.wait_for(asyncio.gather(*futures), 60)
            deadline = time.perf_counter() + 10
            while len(heard) < len(everyone) and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
        finally:
            await asyncio.gather(*(c.stop() for c in everyone))
    last_ack = max(acked_at) if acked_at else float("nan")
    delays = [max(0.0, t - last_ack) * 1e3 for t in heard.values()]
    return {
        "diners": len(everyone),
        "rounds_acked": sum(r["type"] == "ack" for r in replies),
        "sold_out_replies": sum(r.get("code") == "sold_out" for r in replies),
        "stale_replies": sum(r.get("code") == "stale" for r in replies),
        "phones_told": len(heard),
        "told_after_last_ack_ms_median": round(statistics.median(delays), 1) if delays else None,
        "told_after_last_ack_ms_max": round(max(delays), 1) if delays else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--race-tables", type=int, default=10)
    parser.add_argument("--race-diners", type=int, default=5)
    parser.add_argument("--portions", type=int, default=5)
    parser.add_argument("--no-race", action="store_true")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    from tests.support import servers as support

    with contextlib.ExitStack() as stack:
        url = stack.enter_context(support.postgres_database())
        os.environ["DATABASE_URL"] = url
        os.environ.pop("REDIS_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        from django.db import connections

        try:
            result = {"submit": submit_cost(args.rounds, args.blocks)}
        finally:
            connections.close_all()
            for conn in connections.all():
                if getattr(conn, "pool", None) is not None:
                    conn.close_pool()
        if not args.no_race:
            result["race"] = asyncio.run(
                race(url, args.race_tables, args.race_diners, args.portions)
            )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
