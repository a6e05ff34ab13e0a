"""W6, a platform: many restaurants on one stack, each with its tables, its diners, its kitchen
display and its floor, under a dinner rush (issue 19).

Full size: 100 restaurants x 10 tables x 4 diners (4,000 diner sockets) plus a kitchen socket
and a floor socket per restaurant; `--quick`: 3 restaurants. The load, open-loop:

- **cart ops** at 0.05 ops/s per diner (200 ops/s in all), round-robin over tables, each a
  `cart.add` of one of the restaurant's dishes (a new line or one more of the diner's own:
  always one `cart.line` event). Latency as `LoadRun` measures it: op sent -> every diner of
  its table has the event. The cart is not toggled back (as W1 does) because rounds empty it;
- **rounds**: every table sends one every `round_every` s (uniform; its first at a random
  phase): one diner adds a dish and sends `order.submit` with that add's `seq` (again with
  the latest `seq` it has seen if another diner's change got in between: `stale`);
- **kitchen status changes**: each restaurant's kitchen socket takes every `order.new`,
  accepts the round where it waits for staff (a meal a diner's scan opened holds its first
  round), marks `items_moved` of its dishes `cooking`, and `ready` a little later;
- **sold-outs**: every `sold_out_every` s a restaurant's kitchen switches one of its two
  specials sold out, and back on `sold_out_for` s later (the specials are dishes the diners do
  not order, so the switch costs its fan-out and never refuses a diner's op).

Measured, besides `LoadRun`'s figures: round sent -> `order.new` on its kitchen and on its
floor; a staff op sent -> every diner of its table has the change; a sold-out switch sent ->
every diner and the floor of its restaurant has `menu.dish`; **foreign** events (a staff
socket or a diner hearing another restaurant's round, dish or table: must be 0) and **lost**
ones (a round acked that never reached its own kitchen or floor; a change acked that some
diner never had within `event_timeout`); the cost per restaurant: the server's CPU (utime +
stime) and RSS growth divided by the restaurants, the most PostgreSQL connections open on
the bench's database during the window (`pg_stat_activity`), Redis's CPU.

Entry points:

- `w6(bench)`: a scenario (`async def name(bench) -> list[dict]`): for each of
  `bench.server_kinds`, one app server (1 worker) on the bench's database, seeded, loaded,
  stopped; one row each;
- `platform_run(bench, *, http_base, ws_base, origin, label, seeded=None, server_pids=())`:
  the load alone against a stack already running at those addresses (nginx in front, other
  network namespaces); it starts and stops nothing. ``seeded`` is `seed(bench, n)`'s answer
  (made here when None, in the database `bench.env` names); ``server_pids`` are the processes
  whose CPU and RSS count as the server's; ``label`` is merged into the row;
- `python -m bench.platform_load [--quick] [--server daphne|uvicorn] [--restaurants N]`: W6
  alone on a fresh PostgreSQL database and a Redis prefix of its own; prints its figures.
"""

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from bench import servers
from bench.harness import ROOT, Bench, Sizes, _say
from bench.loadgen import Dish, Target
from bench.platform_rush import Place, PlatformLoad, PlatformSizes

__all__ = ["PlatformSizes", "main", "platform_run", "seed", "w6"]

_decode = msgspec.json.Decoder()


@dataclass(frozen=True)
class Endpoint(Target):
    """A target whose pages are served under another origin (a proxy in front)."""

    origin_url: str = ""

    @property
    def origin(self) -> str:
        return self.origin_url or super().origin


def seed(bench: Bench, restaurants: int, sizes: PlatformSizes | None = None) -> dict:
    """The platform's data in the database `bench.env` names (`bench.platform_setup`, one
    Django process): `{"restaurants": [...]}` as that module documents."""
    sizes = sizes or PlatformSizes()
    out = subprocess.run(
        [sys.executable, "-m", "bench.platform_setup", "--restaurants", str(restaurants),
         "--tables", str(sizes.tables), "--seated", str(sizes.diners)],
        cwd=ROOT, env=bench.env.for_app(8000), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"bench.platform_setup failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


async def _db_connections(database_url: str | None, stop: asyncio.Event) -> dict:
    """Connections open on the bench's database (not counting this one), every 0.5 s until
    ``stop``: their maximum and the first reading."""
    if not database_url or not database_url.startswith("postgres"):
        return {"max": None, "first": None, "note": "not PostgreSQL"}
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    readings = []
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        while True:
            cur = await conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            readings.append((await cur.fetchone())[0])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
            if stop.is_set():
                break
    return {"max": max(readings), "first": readings[0], "readings": len(readings)}


def _rss(pids) -> int:
    from bench import procstats

    return sum(procstats.rss_kib(pid) or 0 for pid in pids)


async def platform_run(
    bench: Bench, *, http_base: str, ws_base: str, origin: str, label: dict,
    seeded: dict | None = None, server_pids=(), sizes: PlatformSizes | None = None,
) -> dict:  # fmt: skip
    """W6's load against a stack already running (nothing is started or stopped here).

    ``ws_base`` (`ws://host:port`) is where sockets connect, ``origin`` the `Origin` they send
    (the site's address), ``http_base`` where the first restaurant's menu is checked against
    the seeded dish ids. Returns one result row: ``label`` + `LoadRun`'s figures (latency in
    ms, `events_lost`, `ops_errors`, `server_cpu_pct`...) + `platform` (see the module's
    docstring). RuntimeError when the menu check or a staff socket fails."""
    sizes = sizes or (PlatformSizes.quick() if bench.quick else PlatformSizes())
    seeded = seeded or seed(bench, sizes.restaurants, sizes)
    places = [Place(spec) for spec in seeded["restaurants"]]
    ws = urlsplit(ws_base)
    target = Endpoint(ws.hostname, ws.port or 80, origin_url=origin)
    http = urlsplit(http_base)
    await _check_menu(http.hostname, http.port or 80, places[0])
    pids = list(server_pids)
    rss_idle = _rss(pids)
    run = PlatformLoad(
        places=places, target=target, sizes=sizes, server_pids=pids,
        extra_cpu=bench.cpu_probes("app"),
    )  # fmt: skip
    rate = sizes.rate_per_diner * sizes.diners * sizes.tables * len(places)
    row = {**label, "tables": len(run.tables), "diners": sizes.diners}
    stop = asyncio.Event()
    try:
        row["setup"] = await run.setup(dish=Dish(places[0].dishes[0], []))
        await run.open_staff()
        row["setup"]["staff_sockets"] = 2 * len(places)
        rss_open = _rss(pids)
        db = asyncio.create_task(_db_connections(bench.env.database_url, stop))
        figures, _ = await asyncio.gather(
            run.measure(rate=rate, duration=sizes.window, warmup=sizes.warmup),
            run.rush(sizes.warmup + sizes.window),
        )
        stop.set()
        connections = await db
        row.update(figures)
        plat = run.figures()
        n = len(places)
        rss_now = sum(v or 0 for v in figures.get("server_rss_kib", []))
        plat.update(
            {
                "cpu_ms_per_restaurant_per_s": round(10 * figures["server_cpu_pct"] / n, 2),
                "server_rss_kib": rss_now,
                "rss_kib_per_restaurant": round(rss_now / n, 1) if pids else None,
                "rss_growth_kib_per_restaurant": (
                    round((rss_now - rss_idle) / n, 1) if pids else None
                ),
                "rss_sockets_open_kib": rss_open,
                "db_connections": connections,
                "db_connections_per_restaurant": (
                    round(connections["max"] / n, 3) if connections["max"] is not None else None
                ),
                "redis_cpu_pct": figures.get("redis_cpu_pct"),
                "postgres_cpu_pct": figures.get("postgres_cpu_pct"),
            }
        )
        row["platform"] = plat
    finally:
        stop.set()
        await run.close()
    return row


async def _check_menu(host: str, port: int, place: Place) -> None:
    from bench.wsclient import http_get

    status, _, body = await http_get(host, port, f"/r/{place.slug}/api/menu/")
    if status != 200:
        raise RuntimeError(f"GET /r/{place.slug}/api/menu/ answered {status}")
    menu = _decode.decode(body)
    ids = {d["id"] for c in menu["categories"] for d in c["dishes"]}
    if ids != set(place.dish_set):
        raise RuntimeError(f"{place.slug}'s menu holds {sorted(ids)}, seeded {place.dish_set}")


async def w6(bench: Bench, sizes: PlatformSizes | None = None) -> list[dict]:
    """A platform: 100 restaurants x 10 tables x 4 diners, kitchens and floors, a dinner rush."""
    sizes = sizes or (PlatformSizes.quick() if bench.quick else PlatformSizes())
    rows = []
    for server in bench.server_kinds:
        seeded = seed(bench, sizes.restaurants, sizes)
        async with servers.running("app", server, bench.env, bench.log_dir, 1) as procs:
            base = f"127.0.0.1:{procs[0].port}"
            row = await platform_run(
                bench, http_base=f"http://{base}", ws_base=f"ws://{base}",
                origin=f"http://{base}", seeded=seeded, server_pids=[p.pid for p in procs],
                sizes=sizes,
                label={"scenario": "W6", "system": "app", "server": server,
                       "layer": bench._layer("app"), "workers": 1},
            )  # fmt: skip
            problems = [line for p in procs for line in p.log_problems()]
            row["server_log_problems"] = len(problems)
            row["server_log_excerpt"] = problems[:12]
        _say(row)
        say_platform(row)
        rows.append(row)
    return rows


def say_platform(row: dict) -> None:
    p = row.get("platform", {})
    print(
        f"       platform: {p.get('restaurants')} restaurants, rounds {p.get('rounds_acked')}/"
        f"{p.get('rounds_sent')} -> kitchen p99 {p.get('kitchen_ms', {}).get('p99')} ms, lost "
        f"k{p.get('kitchens_lost_orders')}/f{p.get('floors_lost_orders')}, foreign "
        f"k{p.get('kitchens_foreign_orders')}/f{p.get('floors_foreign')}/"
        f"d{p.get('diners_foreign')}; items {p.get('item_moves')} p99 "
        f"{p.get('item_status_ms', {}).get('p99')} ms; sold-outs {p.get('sold_out_switches')} "
        f"p99 {p.get('sold_out_ms', {}).get('p99')} ms; per restaurant: "
        f"{p.get('cpu_ms_per_restaurant_per_s')} ms CPU/s, "
        f"{p.get('rss_growth_kib_per_restaurant')} KiB RSS growth, "
        f"{p.get('db_connections_per_restaurant')} db conns (max "
        f"{(p.get('db_connections') or {}).get('max')}); redis {p.get('redis_cpu_pct')}%",
        flush=True,
    )


def main(argv=None) -> int:
    """`python -m bench.platform_load`: W6 alone on a fresh database; prints its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--server", default="daphne", help="daphne, uvicorn or both (a,b)")
    parser.add_argument("--restaurants", type=int, help="instead of 100 (3 with --quick)")
    parser.add_argument("--window", type=float, help="seconds of measured load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    from tests.support.servers import postgres_database

    _raise_fd_limit()
    servers.prepare_generator()
    sizes = PlatformSizes.quick() if args.quick else PlatformSizes()
    if args.restaurants:
        sizes = replace(sizes, restaurants=args.restaurants)
    if args.window:
        sizes = replace(sizes, window=args.window)
    prefix = f"robench-{uuid.uuid4().hex[:8]}"
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="robench-") as tmp:
        try:
            with postgres_database() as database_url:
                env = servers.Env(
                    database_url=database_url, redis_url=args.redis_url, channel_prefix=prefix,
                    var_dir=str(Path(tmp) / "var"),
                )  # fmt: skip
                bench = Bench(
                    env=env, sizes=Sizes.quick() if args.quick else Sizes(),
                    server_kinds=[s.strip() for s in args.server.split(",") if s.strip()],
                    log_dir=Path(tmp) / "logs", quick=args.quick, systems=["app"],
                )  # fmt: skip
                started = time.perf_counter()
                rows = asyncio.run(w6(bench, sizes))
                print(f"   ({time.perf_counter() - started:.0f} s)")
        except KeyboardInterrupt:
            print("interrupted: stopping every server", file=sys.stderr)
        finally:
            servers.Fleet.stop_all()
            _clean_redis(args.redis_url, prefix)
    for row in rows:
        print(json.dumps(row, indent=1, default=str))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    return 0


def _raise_fd_limit() -> None:
    """4,000 diner sockets need more descriptors than the usual soft limit of 1,024."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _clean_redis(url: str, prefix: str) -> None:
    with contextlib.suppress(Exception):
        import redis

        client = redis.Redis.from_url(url, socket_timeout=5)
        for key in client.scan_iter(f"{prefix}*", count=1000):
            client.delete(key)


if __name__ == "__main__":
    sys.exit(main())
