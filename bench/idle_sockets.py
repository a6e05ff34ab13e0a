"""W3: idle sockets on one worker: how many open, the connect errors, RSS per socket, connects
per second, and whether a probe op still reaches every table.
"""

import asyncio
import time

from bench import servers
from bench.harness import Bench
from bench.loadgen import LoadRun, Target


async def _w3_one(bench: Bench, system: str, server: str, sockets: int) -> dict:
    s = bench.sizes
    diners = 4
    tables = max(1, sockets // diners)
    if system == "app":
        table_list = bench.seated_tables(tables, diners)
    else:
        table_list = bench.fake_tables(tables)
    row = {
        "scenario": "W3", "system": system, "pages": bench.real_pages or system != "app",
        "server": "websockets" if system == "raw" else server, "layer": bench._layer(system),
        "workers": 1, "tables": tables, "diners": diners,
    }  # fmt: skip
    async with servers.running(system, server, bench.env, bench.log_dir) as procs:
        proc = procs[0]
        target = Target("127.0.0.1", proc.port)
        run = LoadRun(
            mode="app" if system == "app" else "echo", targets=[target], tables=table_list,
            diners=diners, event_timeout=s.event_timeout, server_pids=[proc.pid],
        )  # fmt: skip
        try:
            # A first table warms the server up (imports, pools), then the baseline RSS.
            warm = LoadRun(
                mode=run.mode, targets=[target],
                tables=bench.take_tables(1) if system == "app" else bench.fake_tables(1),
                diners=2,
            )  # fmt: skip
            await warm.setup()
            await warm.probe(tables=1)
            await asyncio.sleep(1.0)
            rss0 = proc.rss_kib()
            cpu0 = proc.cpu_seconds()
            t0 = time.perf_counter()
            setup = await run.setup(deadline=s.w3_deadline)
            connect_s = time.perf_counter() - t0
            cpu1 = proc.cpu_seconds()
            await asyncio.sleep(s.w3_hold)
            rss1 = proc.rss_kib()
            probe = await run.probe()
            opened = setup["sockets_open"]
            row.update(
                {
                    "sockets_wanted": sockets,
                    "sockets_open": opened,
                    "connect_errors": run.failed_sockets,
                    "connect_error_kinds": run.connect_errors,
                    "sockets_closed_by_server": run.closed_by_server,
                    "connect_seconds": round(connect_s, 1),
                    "connects_per_second": round(opened / connect_s, 1) if connect_s else None,
                    "server_cpu_ms_per_connect": round(1000 * (cpu1 - cpu0) / max(1, opened), 2),
                    "rss_base_kib": rss0,
                    "rss_kib": rss1,
                    "rss_kib_per_socket": round((rss1 - rss0) / max(1, opened), 2),
                    **probe,
                    "server_log_problems": len(proc.log_problems()),
                    "server_log_excerpt": proc.log_problems()[:12],
                }
            )
            await warm.close()
        finally:
            await run.close()
    print(
        f"  W3   {system:<5} {row['server']:<10} {opened}/{sockets} sockets, "
        f"{row['connect_errors']} errors, {row['rss_kib_per_socket']} KiB/socket, "
        f"{row['connects_per_second']} connects/s, probe {probe['probe_delivered']}/"
        f"{probe['probe_ops']} (p99 {probe['probe_latency_ms']['p99']} ms)",
        flush=True,
    )
    return row


async def w3(bench: Bench) -> list[dict]:
    """Idle capacity: sockets on one worker, connect errors and RSS per socket."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    rows = []
    limit = hard if hard != resource.RLIM_INFINITY else 1 << 20
    main = bench.server_kinds[0]  # sockets cost the same whatever the load: one server
    for system, server in [(sy, se) for sy, se in bench.configs() if se in (main, "websockets")]:
        for sockets in bench.sizes.w3_steps:
            if sockets + 200 > limit:
                bench.notes.append(
                    f"W3 {system}: {sockets} sockets skipped: the file-descriptor limit is {limit}"
                )
                break
            if rows and rows[-1]["system"] == system:
                rate = rows[-1].get("connects_per_second") or 0
                projected = sockets / rate if rate else float("inf")
                if projected > bench.sizes.w3_deadline:
                    bench.notes.append(
                        f"W3 {system}/{server}: {sockets} sockets not tried: at "
                        f"{rate} connects/s they would take {projected:.0f} s "
                        f"(> the {bench.sizes.w3_deadline:.0f} s bound)"
                    )
                    break
            row = await _w3_one(bench, system, server, sockets)
            row["fd_limit"] = [soft, hard]
            rows.append(row)
            if row["connect_errors"] or row["sockets_closed_by_server"]:
                break  # more would only fail more
    return rows
