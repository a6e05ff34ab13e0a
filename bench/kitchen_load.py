"""W4: order -> kitchen display latency while W1's traffic runs (the app only)."""

from bench.harness import Bench, _say


async def w4(bench: Bench) -> list[dict]:
    """Order -> kitchen display latency while W1's traffic runs (app only)."""
    s = bench.sizes
    rows = []
    for server in bench.server_kinds:
        row = await bench.load(
            scenario="W4", system="app", server=server, tables=s.w1_tables,
            diners=s.w1_diners, rate=s.w1_tables * s.w1_diners * s.w1_rate_per_diner,
            kitchen=True,
            extra={"order_tables": s.w4_order_tables,
                   "order_interval_s": s.w4_order_interval},
        )  # fmt: skip
        _say(row)
        k = row.get("kitchen_ms", {})
        print(
            f"       kitchen: {row.get('orders')} orders, p50 {k.get('p50')} p99 {k.get('p99')} "
            f"max {k.get('max')} ms, lost {row.get('orders_lost')}, "
            f"errors {row.get('order_errors')}",
            flush=True,
        )
        rows.append(row)
    return rows
