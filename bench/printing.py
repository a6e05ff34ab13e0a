"""`python -m bench.printing`: kitchen tickets, order submitted → ticket bytes at the printer,
and tickets lost or doubled while the print worker is killed with -9 again and again.

A restaurant with four stations (one fake printer each, restaurant/printing/fake.py, in this
process) and TABLES tables; rounds of one to four dishes (each of another station) are
submitted open-loop at RATE per second through the diners' real op path; `manage.py
print_worker` runs as a process of its own on the same database. Two runs:

- **steady**: the worker left alone. Latency: the round's commit → the printer has the
  ticket's last byte (its job number, printed at the foot), p50/p99/max.
- **chaos**: the same load, the worker killed with SIGKILL at a random moment within
  KILL_EVERY seconds of its taking its first job, and started again at once; the printers
  take 50 ms to answer after a ticket (a printer busy printing), so kills land while bytes
  are out. Then the queue drains and every job is
  counted: `printed` (its ticket arrived whole, once), `lost` (not arrived, and not marked
  may-have-printed), `doubled` (arrived whole twice or more), `uncertain` (marked "may have
  printed": staff decide; how many of those did arrive is shown too), `torn` (cut mid-ticket).

Targets: lost 0 and doubled 0. SQLite (a file in a temporary directory) unless
`--database-url` names another database (a fresh one: it is migrated and written to).
Loopback only; everything it started is stopped on the way out.
"""

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATION_CODES = ["hot", "cold", "dimsum", "bar"]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.printing",
                                description=__doc__.split("\n\n")[0])  # fmt: skip
    p.add_argument("--tables", type=int, default=20)
    p.add_argument("--rate", type=float, default=8.0, help="rounds submitted per second")
    p.add_argument("--seconds", type=float, default=15.0, help="of load per run")
    p.add_argument(
        "--kill-every",
        type=float,
        default=1.0,
        help="chaos: a kill within this many seconds of the worker's first job",
    )
    p.add_argument("--lease", type=float, default=2.0, help="the worker's lease (seconds)")
    p.add_argument("--database-url", help="a fresh database (default: SQLite in a temp dir)")
    p.add_argument("--runs", default="steady,chaos")
    p.add_argument("--quick", action="store_true", help="5 s of load per run")
    return p.parse_args(argv)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Arrivals:
    """What the four printers received: per job number, the monotonic times its ticket
    arrived whole; and the torn ones (no job number at the foot)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[int, list[float]] = {}
        self.torn = 0

    def printed(self, payload: bytes) -> None:
        from restaurant.printing.tickets import ticket_text

        now = time.monotonic()
        numbers = re.findall(r"^#(\d+)$", ticket_text(payload), flags=re.MULTILINE)
        with self.lock:
            if not numbers:
                self.torn += 1
            for number in numbers:
                self.times.setdefault(int(number), []).append(now)


def tally(jobs: list[dict], arrivals: Arrivals, started: dict[int, float]) -> dict:
    """Every job counted against what the printers received (also the bench's "print" scenario).

    ``jobs``: the print jobs (``pk``, ``order_id``, ``state``) after the queue drained;
    ``started``: order id → the monotonic time its latency counts from. Latency: from there to
    the first time its ticket arrived whole (ms)."""
    arrived = arrivals.times
    latencies = [
        (arrived[j["pk"]][0] - started[j["order_id"]]) * 1000
        for j in jobs if j["pk"] in arrived and j["order_id"] in started
    ]  # fmt: skip
    uncertain = [j for j in jobs if j["state"] == "uncertain"]
    return {
        "printed": sum(1 for j in jobs if len(arrived.get(j["pk"], ())) == 1),
        "lost": sum(1 for j in jobs if j["pk"] not in arrived and j["state"] != "uncertain"),
        "doubled": sum(1 for j in jobs if len(arrived.get(j["pk"], ())) > 1),
        "uncertain": len(uncertain),
        "uncertain_arrived": sum(1 for j in uncertain if j["pk"] in arrived),
        "torn": arrivals.torn,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies, default=None),
    }


class Bench:
    def __init__(self, args, database_url: str) -> None:
        self.args = args
        self.database_url = database_url
        self.env = {**os.environ, "DATABASE_URL": database_url,
                    "DJANGO_SETTINGS_MODULE": "config.settings",
                    "PRINT_LEASE_SECONDS": str(args.lease), "PRINT_POLL_SECONDS": "0.05",
                    "PRINT_BACKOFF_SECONDS": "0.2", "PRINT_REPLY_TIMEOUT": "2"}  # fmt: skip
        self.env.pop("REDIS_URL", None)
        self.worker: subprocess.Popen | None = None

    def worker_start(self) -> None:
        """Start the worker and wait until it has begun its passes (its log says so)."""
        self.worker = subprocess.Popen(
            [sys.executable, "manage.py", "print_worker"], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        started = threading.Event()

        def read(stream) -> None:
            for line in stream:
                if "print worker" in line and "started" in line:
                    started.set()

        threading.Thread(target=read, args=(self.worker.stderr,), daemon=True).start()
        started.wait(30)

    def worker_busy(self, restaurant, timeout: float = 10) -> bool:
        """Until the running worker has taken a job of its own (chaos kills it at work)."""
        import socket as sockets

        from restaurant.printing.models import PrintJob

        name = f"{sockets.gethostname()}:{self.worker.pid}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if PrintJob.objects.filter(restaurant=restaurant, worker=name).exists():
                return True
            time.sleep(0.01)
        return False

    def worker_stop(self, sig=signal.SIGTERM) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(sig)
            self.worker.wait(timeout=20)

    def setup(self):
        """The restaurant, its stations (each with a dish and a fake printer), its tables."""
        from restaurant.menu.models import Category, Dish
        from restaurant.printing.fake import FakePrinter
        from restaurant.printing.services import printer_set
        from restaurant.tables.services import tables_add
        from restaurant.venues.models import Restaurant, Station

        restaurant = Restaurant.objects.create(slug=f"bench{int(time.time())}", name="压测小馆",
                                               hold_first_round=False)  # fmt: skip
        tables = tables_add(restaurant=restaurant, count=self.args.tables)
        self.arrivals = Arrivals()
        self.printers, self.dishes = [], []
        for n, code in enumerate(STATION_CODES):
            station = Station.objects.create(restaurant=restaurant, code=code, name=code,
                                             sort_order=n)  # fmt: skip
            category = Category.objects.create(restaurant=restaurant, name=f"类{n}",
                                               station=station)  # fmt: skip
            self.dishes.append(Dish.objects.create(category=category, name=f"宫保鸡丁{n}",
                                                   price=100))  # fmt: skip
            fake = FakePrinter(on_ticket=self.arrivals.printed).start()
            printer_set(station=station, url=fake.url)
            self.printers.append(fake)
        return restaurant, tables

    def load(self, tables, seconds: float) -> dict[int, float]:
        """Rounds at the set rate for ``seconds``; returns order id → its commit time."""
        from types import SimpleNamespace

        from tests.support.fake_printer import round_submit

        committed: dict[int, float] = {}
        interval = 1 / self.args.rate
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < seconds:
            due = start + n * interval
            time.sleep(max(0.0, due - time.monotonic()))
            table = tables[n % len(tables)]
            dishes = random.sample(self.dishes, random.randint(1, len(self.dishes)))
            lines = [{"dish_id": d.pk, "qty": random.randint(1, 3)} for d in dishes]
            order = round_submit(SimpleNamespace(table=table), *lines)
            committed[order.pk] = time.monotonic()
            n += 1
        return committed

    def drain(self, restaurant, timeout: float = 60) -> None:
        from restaurant.printing.models import PrintJob

        deadline = time.monotonic() + timeout
        pending = PrintJob.objects.filter(restaurant=restaurant,
                                          state__in=["queued", "claimed", "sending"])  # fmt: skip
        while pending.exists() and time.monotonic() < deadline:
            time.sleep(0.2)

    def run(self, name: str) -> dict:
        from restaurant.printing.models import PrintJob

        restaurant, tables = self.setup()
        chaos = name == "chaos"
        for fake in self.printers:
            fake.answer_delay = 0.05 if chaos else 0.0
        kills = 0
        stop = threading.Event()

        def killer() -> None:
            nonlocal kills
            while not stop.is_set():
                if not self.worker_busy(restaurant):
                    continue
                if stop.wait(self.args.kill_every * random.random()):
                    return
                self.worker_stop(signal.SIGKILL)
                kills += 1
                self.worker_start()

        self.worker_start()
        thread = threading.Thread(target=killer, daemon=True) if chaos else None
        if thread:
            thread.start()
        seconds = 5.0 if self.args.quick else self.args.seconds
        committed = self.load(tables, seconds)
        stop.set()
        if thread:
            thread.join()
        self.drain(restaurant)
        self.worker_stop()
        for fake in self.printers:
            fake.stop()

        jobs = list(PrintJob.objects.filter(restaurant=restaurant).values("pk", "order_id",
                                                                         "state"))  # fmt: skip
        return {"run": name, "rounds": len(committed), "jobs": len(jobs), "kills": kills,
                **tally(jobs, self.arrivals, committed)}  # fmt: skip


def render(rows: list[dict]) -> str:
    columns = ["run", "rounds", "jobs", "kills", "printed", "lost", "doubled", "uncertain",
               "uncertain_arrived", "torn", "p50_ms", "p99_ms", "max_ms"]  # fmt: skip

    def cell(value) -> str:
        if value is None:
            return "-"
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    lines = ["  ".join(f"{c:>9}" for c in columns)]
    lines += ["  ".join(f"{cell(row[c]):>9}" for c in columns) for row in rows]
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-printing-") as tmp:
        database_url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ["DATABASE_URL"] = database_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        os.environ.pop("REDIS_URL", None)
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT,
                       check=True, env=os.environ)  # fmt: skip
        import django

        django.setup()
        bench = Bench(args, database_url)
        rows = []
        try:
            for name in args.runs.split(","):
                rows.append(bench.run(name))
                print(render(rows[-1:]) if len(rows) == 1 else render(rows).splitlines()[-1])
        finally:
            bench.worker_stop(signal.SIGKILL)
        print(f"\nkitchen tickets: {args.tables} tables, 4 stations, {args.rate} rounds/s, "
              f"lease {args.lease} s; database {database_url.split(':')[0]}")  # fmt: skip
        print(render(rows))


if __name__ == "__main__":
    main()
