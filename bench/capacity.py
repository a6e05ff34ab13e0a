"""Throughput families: W1 (the dinner rush on every system and server), W2 (the highest rate
each sustains: p99 <= 100 ms, nothing lost) and W5 (how the cost grows with tables, diners per
table and workers). Each returns its result rows for the report.
"""

import asyncio
import math

from bench import servers
from bench.harness import W2_P99_MS, Bench, _say
from bench.loadgen import LoadRun, Target


# --- W1 ----------------------------------------------------------------------------------------
async def w1(bench: Bench) -> list[dict]:
    """Dinner rush: 50 tables x 4 diners, 1 op/s per diner, on each (system, server)."""
    s = bench.sizes
    rows = []
    for system, server in bench.configs():
        row = await bench.load(
            scenario="W1", system=system, server=server, tables=s.w1_tables,
            diners=s.w1_diners, rate=s.w1_tables * s.w1_diners * s.w1_rate_per_diner,
        )  # fmt: skip
        _say(row)
        rows.append(row)
    return rows


# --- W2 ----------------------------------------------------------------------------------------
def _passes(row: dict) -> bool:
    p99 = row.get("latency_ms", {}).get("p99")
    return (
        p99 is not None
        and p99 <= W2_P99_MS
        and row["events_lost"] == 0
        and row["ops_unacked"] == 0
        and row["ops_errors"] == 0
        and row["sockets_closed_by_server"] == 0
        and row["ops_per_second"] >= 0.9 * row["rate_target"]
    )


async def _w2_one(bench: Bench, system: str, server: str) -> list[dict]:
    """Step the rate up on one set of open sockets until p99 > 100 ms or anything is lost (or
    the generator is the limit), then bisect once between the last pass and the first fail."""
    s = bench.sizes
    tables = s.w1_tables
    table_list = bench.take_tables(tables) if system == "app" else bench.fake_tables(tables)
    rows = []
    async with servers.running(system, server, bench.env, bench.log_dir) as procs:
        targets = [Target("127.0.0.1", p.port) for p in procs]
        run = LoadRun(
            mode="app" if system == "app" else "echo", targets=targets, tables=table_list,
            diners=s.w1_diners, event_timeout=s.event_timeout,
            server_pids=[p.pid for p in procs], extra_cpu=bench.cpu_probes(system),
        )  # fmt: skip
        try:
            setup = await run.setup()

            async def step(rate: float) -> dict:
                row = {
                    "scenario": "W2", "system": system, "server": procs[0].server,
                    "layer": bench._layer(system), "workers": 1, "tables": tables,
                    "diners": s.w1_diners, "setup": setup,
                }  # fmt: skip
                row.update(await run.measure(rate=rate, duration=s.w2_window, warmup=0.5))
                row["passed"] = _passes(row)
                _say(row)
                rows.append(row)
                return row

            rate = float(s.w2_start[system])
            best, first_fail = None, None
            retried = False
            for _step in range(s.w2_max_steps):
                row = await step(rate)
                if row["generator_bound"] and row["passed"]:
                    best = rate
                    bench.notes.append(
                        f"W2 {system}/{procs[0].server}: the generator reached its limit at "
                        f"{rate:.0f} ops/s; the server's capacity is higher than measured"
                    )
                    break
                if not row["passed"] and not retried:
                    # One failed step on a shared machine may be someone else's burst: the
                    # same rate once more (after a pause to drain) before it counts.
                    retried = True
                    row["retried"] = True
                    await asyncio.sleep(3)
                    continue
                if not row["passed"]:
                    first_fail = rate
                    break
                retried = False
                best = rate
                rate = round(rate * s.w2_factor)
                await asyncio.sleep(0.5)
            if best is not None and first_fail is not None and not bench.quick:
                mid = round(math.sqrt(best * first_fail))
                if best < mid < first_fail:
                    await asyncio.sleep(2)  # let the failed step's backlog drain
                    row = await step(mid)
                    if row["passed"]:
                        best = mid
            summary = {
                "scenario": "W2", "system": system, "server": procs[0].server,
                "layer": bench._layer(system), "workers": 1, "tables": tables,
                "diners": s.w1_diners, "summary": True, "sustained_ops_per_second": best,
                "first_failing_rate": first_fail,
                "generator_bound": bool(rows and rows[-1]["generator_bound"]),
            }  # fmt: skip
            passed = [r for r in rows if r.get("passed") and r["rate_target"] == best]
            if passed:
                summary["at_sustained"] = {
                    k: passed[-1][k]
                    for k in ("latency_ms", "ops_per_second", "server_cpu_pct",
                              "server_cpu_us_per_op", "generator_cpu_pct")
                }  # fmt: skip
            bench.capacity[f"{system}/{procs[0].server}"] = best or 0
            rows.append(summary)
        finally:
            await run.close()
    return rows


async def w2(bench: Bench) -> list[dict]:
    """The highest op rate with p99 <= 100 ms and nothing lost, per (system, server)."""
    rows = []
    for system, server in bench.configs():
        rows.extend(await _w2_one(bench, system, server))
    return rows


# --- W5 ----------------------------------------------------------------------------------------
async def w5(bench: Bench) -> list[dict]:
    """How cost grows: tables at a fixed load per table, diners per table, workers (app)."""
    s = bench.sizes
    server = bench.server_kinds[0]
    rows = []
    # Loads are fixed per axis and chosen from the capacity W2 found for the app on this
    # server (when W2 ran first): the largest restaurant at 60% of it, the diners axis at 50%,
    # the workers axis at 80% (so that one worker is near its limit), at most 1 op/s a table.
    capacity = bench.capacity.get(f"app/{server}") or s.w5_default_capacity
    per_table = round(min(1.0, 0.6 * capacity / max(s.w5_tables)), 4)
    per_table_diners = round(min(1.0, 0.5 * capacity / s.w5_diners_tables), 4)
    workers_rate = round(min(s.w1_tables * s.w1_diners * s.w1_rate_per_diner, 0.8 * capacity), 1)
    # The tables and diners axes share one server process (each point on fresh tables, the
    # earlier points' sockets closed): what grows is the restaurant, not the uptime.
    async with servers.running("app", server, bench.env, bench.log_dir) as procs:
        for tables in s.w5_tables:
            row = await bench.load(
                scenario="W5", system="app", server=server, tables=tables,
                diners=s.w5_tables_diners,
                rate=tables * per_table, window=s.w5_window, procs=procs, seated=True,
                extra={"axis": "tables", "rate_per_table": per_table},
            )  # fmt: skip
            _say(row)
            rows.append(row)
        for diners in s.w5_diners:
            row = await bench.load(
                scenario="W5", system="app", server=server, tables=s.w5_diners_tables,
                diners=diners, rate=s.w5_diners_tables * per_table_diners, window=s.w5_window,
                procs=procs, seated=True,
                extra={"axis": "diners", "rate_per_table": per_table_diners},
            )  # fmt: skip
            _say(row)
            rows.append(row)
    for workers in s.w5_workers:
        if workers > 1 and not bench.env.redis_url:
            bench.notes.append("W5 workers: >1 worker needs the Redis layer; skipped")
            continue
        row = await bench.load(
            scenario="W5", system="app", server=server, tables=s.w1_tables,
            diners=s.w1_diners, rate=workers_rate, window=s.w5_window, workers=workers,
            seated=True, extra={"axis": "workers"},
        )  # fmt: skip
        _say(row)
        rows.append(row)
    return rows
