"""The printing scenario, "print": issue 15's figure, order submitted -> the ticket's bytes at
the station's printer, under W1's traffic, in a restaurant with four stations.

Tables send rounds over their sockets as in W4; each station of the bench's restaurant (the
demo's: hot, cold, dim sum, bar) points at a fake printer in this process
(restaurant/printing/fake.py); `manage.py print_worker` runs as a process of its own on the
server's database, pinned beside the server. The counting of lost and doubled tickets is
bench/printing.py's (`tally`).
"""

import asyncio
import json
import os
import subprocess
import sys
import time

from bench import servers
from bench.harness import ROOT, Bench, _say
from bench.loadgen import LoadRun, Target

ORDER_TABLES = 10
ORDER_INTERVAL = 2.0  # s between a table's rounds (10 tables: 5 rounds/s, as W4)
QUICK_ORDER_TABLES = 2
QUICK_ORDER_INTERVAL = 0.5
DRAIN_SECONDS = 30.0  # after the load: every ticket has this long to reach its printer


def _restaurant():
    """The restaurant the bench's tables are made in (bench.django_setup's default)."""
    from restaurant.venues.models import Restaurant

    return Restaurant.objects.order_by("pk").first()


def setup_printers() -> None:
    """In a subprocess with Django set up: point the restaurant's stations at the printers of
    ``BENCH_PRINT_PRINTERS`` (JSON, in station order), print every round at once (no first round
    held for staff: their accepting is not the system's latency), and print (JSON) the stations
    with their dishes on sale and what to restore."""
    from django.db import transaction

    from restaurant.menu.models import Dish
    from restaurant.printing.services import printer_set

    urls = json.loads(os.environ["BENCH_PRINT_PRINTERS"])
    with transaction.atomic():
        restaurant = _restaurant()
        stations = list(restaurant.stations.order_by("sort_order", "pk")[: len(urls)])
        held = restaurant.hold_first_round
        restaurant.hold_first_round = False
        restaurant.save(update_fields=["hold_first_round"])
        out = []
        for station, url in zip(stations, urls, strict=False):
            printer_set(station=station, url=url)
            dishes = [
                d.pk
                for d in Dish.objects.filter(category__restaurant=restaurant, sold_out=False)
                .select_related("category")
                if (d.station_id or d.category.station_id) == station.pk
            ]  # fmt: skip
            out.append({"code": station.code, "url": url, "dishes": dishes})
    print(json.dumps({"restaurant": restaurant.slug, "hold_first_round": held, "stations": out}))


def restore_printers() -> None:
    """Take the printers off again (their queued jobs are cancelled) and put back the
    restaurant's hold of first rounds (``BENCH_PRINT_HOLD``)."""
    from django.db import transaction

    from restaurant.printing.services import printer_set

    with transaction.atomic():
        restaurant = _restaurant()
        for station in restaurant.stations.all():
            printer_set(station=station, url=None)
        restaurant.hold_first_round = os.environ.get("BENCH_PRINT_HOLD") == "1"
        restaurant.save(update_fields=["hold_first_round"])
    print(json.dumps({"ok": True}))


def round_jobs() -> None:
    """The print jobs of the rounds of the tables numbered in ``BENCH_PRINT_TABLES`` (JSON), each
    with its round's table number and round, as JSON."""
    from restaurant.printing.models import PrintJob

    numbers = json.loads(os.environ["BENCH_PRINT_TABLES"])
    jobs = PrintJob.objects.filter(
        order__session__table__restaurant=_restaurant(),
        order__session__table__number__in=numbers,
    ).values("pk", "order_id", "state", "order__round", "order__session__table__number")
    print(json.dumps([
        {"pk": j["pk"], "order_id": j["order_id"], "state": j["state"],
         "round": j["order__round"], "table": j["order__session__table__number"]}
        for j in jobs
    ]))  # fmt: skip


async def _in_django(bench: Bench, function: str, **env) -> object:
    """Run one of the functions above that need Django (``setup_printers``, ``round_jobs``,
    ``restore_printers``) in a subprocess on the bench's database; their JSON line back."""
    code = f"import django; django.setup(); from bench.print_load import {function}; {function}()"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, cwd=ROOT, env={**bench.env.for_app(8000), **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    if proc.returncode != 0:
        raise RuntimeError(f"{function} failed:\n{err.decode(errors='replace')[-3000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])


def _pick_dish(menu: dict, dish_ids: list[int]) -> dict | None:
    """Of ``dish_ids``, the dish on the menu with the fewest options its groups require."""
    best = None
    wanted = set(dish_ids)
    for category in menu["categories"]:
        for dish in category["dishes"]:
            if dish["id"] not in wanted or dish["sold_out"]:
                continue
            options = [o["id"] for g in dish["option_groups"] for o in g["options"][: g["min"]]]
            if best is None or len(options) < len(best["options"]):
                best = {"dish_id": dish["id"], "options": options}
    return best


async def _start_print_worker(bench: Bench, port: int) -> subprocess.Popen:
    """`manage.py print_worker` on the server's database and layer, pinned to the server's
    core (it is the server side's work), stopped with the rest on the way out; returns once
    its log says it started."""
    argv = [sys.executable, "manage.py", "print_worker"]
    if servers.can_pin():
        argv = ["taskset", "-c", servers.SERVER_CORE, *argv]
    if servers.NICE:
        argv = ["nice", "-n", str(servers.NICE), *argv]
    bench.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = bench.log_dir / f"print_worker-{port}.log"
    env = {**bench.env.for_app(port), "LOG_LEVEL": "INFO"}  # its "started" line
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    servers.Fleet.add(process)
    process.log_path = log_path
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if "print worker" in text and "started" in text:
            return process
        if process.poll() is not None:
            raise RuntimeError(f"print_worker exited with {process.returncode}:\n{text[-2000:]}")
        await asyncio.sleep(0.1)
    raise RuntimeError("print_worker did not start in 60 s")


class Rounds:
    """Tables (one diner each, joined through their pages) that each send a round every
    ``interval`` s over their sockets: one `cart.add` per dish (one to four dishes, each of
    another station), then `order.submit`. Keeps, per (table number, round), when its submit
    was sent (``time.monotonic``, the fake printers' clock) and how many stations it went to.
    Rounds are counted by their acks (a table's events may lag far behind them under W1), so
    a table whose submit went unanswered is left out of the latency from then on."""

    def __init__(self, target: Target, tables: list, station_dishes: list[dict],
                 event_timeout: float) -> None:  # fmt: skip
        self.run = LoadRun(mode="app", targets=[target], tables=tables, diners=1,
                           event_timeout=event_timeout)  # fmt: skip
        self.numbers = [t[0] for t in tables]
        self.station_dishes = station_dishes
        self.sent: dict[tuple[int, int], tuple[float, int]] = {}  # (table, round) -> (t, stations)
        self.acked: dict[int, int] = {}  # table number -> rounds acked
        self.unsure: set[int] = set()  # tables with a submit of unknown outcome
        self.errors: dict[str, int] = {}
        self.submits = 0
        self.tickets = 0  # of the acked rounds: one per station of each

    async def setup(self) -> dict:
        return await self.run.setup(fast=False)

    def _error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    async def _loop(self, diner, interval: float, end: float, phase: float) -> None:
        import random

        await asyncio.sleep(phase)
        run = self.run
        number = diner.table.number
        while time.monotonic() < end:
            cycle = time.monotonic()
            chosen = random.sample(self.station_dishes, random.randint(1, len(self.station_dishes)))
            seq = None
            try:
                for dish in chosen:
                    reply = await run.slow_op(diner, {"type": "cart.add", **dish})
                    if reply["type"] != "ack":
                        self._error(reply.get("code", "?"))
                        break
                    seq = reply["seq"]
                else:
                    sent = time.monotonic()
                    self.submits += 1
                    try:
                        reply = await run.slow_op(diner, {"type": "order.submit", "seq": seq})
                    except TimeoutError:
                        self.unsure.add(number)
                        raise
                    if reply["type"] != "ack":
                        self._error(reply.get("code", "?"))
                    else:
                        self.acked[number] = self.acked.get(number, 0) + 1
                        self.tickets += len(chosen)
                        if number not in self.unsure:
                            self.sent[(number, self.acked[number])] = (sent, len(chosen))
            except TimeoutError:
                self._error("timeout")
            await asyncio.sleep(max(0.05, interval - (time.monotonic() - cycle)))

    async def rounds(self, *, interval: float, duration: float) -> None:
        import random

        end = time.monotonic() + duration
        await asyncio.gather(*(
            self._loop(d, interval, end, random.uniform(0, interval))
            for d in self.run.all_diners if d.conn is not None
        ))  # fmt: skip

    async def close(self) -> None:
        await self.run.close()


async def print_tickets(bench: Bench) -> list[dict]:
    """Order -> ticket bytes at the printer, four stations, print_worker, under W1 (app)."""
    from bench import printing
    from bench.loadgen import _full
    from bench.wsclient import http_get
    from restaurant.printing.fake import FakePrinter

    s = bench.sizes
    order_tables = QUICK_ORDER_TABLES if bench.quick else ORDER_TABLES
    interval = QUICK_ORDER_INTERVAL if bench.quick else ORDER_INTERVAL
    rows = []
    for server in bench.server_kinds:
        arrivals = printing.Arrivals()
        fakes = [FakePrinter(on_ticket=arrivals.printed).start() for _ in printing.STATION_CODES]
        prepared = None
        try:
            prepared = await _in_django(
                bench, "setup_printers", BENCH_PRINT_PRINTERS=json.dumps([f.url for f in fakes])
            )
            stations = prepared["stations"]
            if len(stations) != len(fakes):
                bench.notes.append(
                    f"print: the restaurant {prepared['restaurant']} has {len(stations)} stations, "
                    f"not {len(fakes)}"
                )
            table_list = bench.take_tables(s.w1_tables)
            async with servers.running("app", server, bench.env, bench.log_dir) as procs:
                target = Target("127.0.0.1", procs[0].port)
                status, _, body = await http_get(target.host, target.port, "/api/menu/")
                if status != 200:
                    raise RuntimeError(f"GET /api/menu/ answered {status}")
                menu = _full.decode(body)
                dishes = [_pick_dish(menu, st["dishes"]) for st in stations]
                station_dishes = [d for d in dishes if d is not None]
                if len(station_dishes) != len(stations):
                    bench.notes.append("print: a station has no dish on sale; it prints nothing")
                worker = await _start_print_worker(bench, target.port)
                run = LoadRun(
                    mode="app", targets=[target], tables=table_list, diners=s.w1_diners,
                    event_timeout=s.event_timeout, server_pids=[procs[0].pid],
                    extra_cpu={**bench.cpu_probes("app"), "print_worker": [worker.pid]},
                )  # fmt: skip
                rounds = Rounds(target, bench.take_tables(order_tables), station_dishes,
                                  s.event_timeout)  # fmt: skip
                row = {
                    "scenario": "print", "system": "app", "server": server,
                    "layer": bench._layer("app"), "workers": 1, "tables": s.w1_tables,
                    "diners": s.w1_diners, "order_tables": order_tables,
                    "order_interval_s": interval, "stations": len(station_dishes),
                }  # fmt: skip
                try:
                    row["setup"] = await run.setup()
                    row["rounds_setup"] = await rounds.setup()
                    figures, _ = await asyncio.gather(
                        run.measure(rate=s.w1_tables * s.w1_diners * s.w1_rate_per_diner,
                                    duration=s.window, warmup=s.warmup),
                        rounds.rounds(interval=interval, duration=s.warmup + s.window),
                    )  # fmt: skip
                    row.update(figures)
                    # The queue drains: every ticket a round made has its time to arrive.
                    expected = rounds.tickets
                    deadline = time.monotonic() + DRAIN_SECONDS
                    while len(arrivals.times) < expected and time.monotonic() < deadline:
                        await asyncio.sleep(0.1)
                    jobs = await _in_django(
                        bench, "round_jobs", BENCH_PRINT_TABLES=json.dumps(rounds.numbers)
                    )
                    started = {
                        j["order_id"]: rounds.sent[(j["table"], j["round"])][0]
                        for j in jobs if (j["table"], j["round"]) in rounds.sent
                    }  # fmt: skip
                    counted = printing.tally(jobs, arrivals, started)
                    for key in ("p50_ms", "p99_ms", "max_ms"):
                        if counted[key] is not None:
                            counted[key] = round(counted[key], 1)
                    row["print"] = {
                        "rounds": len(rounds.sent), "submits": rounds.submits,
                        "rounds_acked": sum(rounds.acked.values()),
                        "tables_unsure": len(rounds.unsure),
                        "round_errors": dict(rounds.errors), "tickets_expected": expected,
                        "jobs": len(jobs), **counted,
                        "worker_log_problems": [
                            line[:300]
                            for line in worker.log_path.read_text(errors="replace").splitlines()
                            if "Traceback" in line or "ERROR" in line
                        ][:12],
                    }  # fmt: skip
                    problems = [line for p in procs for line in p.log_problems()]
                    row["server_log_problems"] = len(problems)
                    row["server_log_excerpt"] = problems[:12]
                finally:
                    await rounds.close()
                    await run.close()
                    servers.stop_server(servers.Server("print_worker", "-", 0, worker,
                                                       worker.log_path))  # fmt: skip
        finally:
            for fake in fakes:
                fake.stop()
            if prepared is not None:
                hold = "1" if prepared["hold_first_round"] else "0"
                await _in_django(bench, "restore_printers", BENCH_PRINT_HOLD=hold)
        _say(row)
        p = row["print"]
        print(
            f"       tickets: {p['rounds']} rounds -> {p['jobs']} jobs (expected "
            f"{p['tickets_expected']}), p50 {p['p50_ms']} p99 {p['p99_ms']} max {p['max_ms']} ms"
            f", printed {p['printed']}, lost {p['lost']}, doubled {p['doubled']}, uncertain "
            f"{p['uncertain']}, torn {p['torn']}, errors {p['round_errors']}",
            flush=True,
        )
        rows.append(row)
    return rows
