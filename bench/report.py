"""The printed table, the ratios to the baselines, and the issue's targets against the figures."""


def _renamed(results: dict) -> dict:
    """``results`` as this version names its scenarios, in a new dict. Runs made before the
    scenarios were split into families called the printing scenario "W6"; it is "print" now
    (W6 is issue 19's platform scenario). Its rows are told by their ``print`` figures."""
    old = [r for r in results.get("W6", []) if "print" in r]
    if not old:
        return results
    out: dict = {}
    for name, rows in results.items():  # in place, so the table keeps the run's order
        if name == "W6":
            out.setdefault("print", []).extend({**r, "scenario": "print"} for r in old)
            if rest := [r for r in rows if "print" not in r]:
                out["W6"] = rest
        else:
            out.setdefault(name, []).extend(rows)
    return out


def _p(row: dict, key: str = "p99"):
    return (row.get("latency_ms") or {}).get(key)


def _ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return round(a / b, 2)


def _find(rows, **match):
    for row in rows:
        if all(row.get(k) == v for k, v in match.items()):
            return row
    return None


def summarize(results: dict) -> dict:
    results = _renamed(results)
    out: dict = {"ratios": {}, "targets": []}
    ratios = out["ratios"]
    targets = out["targets"]
    w1 = results.get("W1", [])
    raw1 = _find(w1, system="raw")
    for app in (r for r in w1 if r["system"] == "app"):
        relay = _find(w1, system="relay", server=app["server"])
        key = f"W1 {app['server']}"
        ratios[key] = {
            "p99_vs_relay": _ratio(_p(app), _p(relay) if relay else None),
            "p99_vs_raw": _ratio(_p(app), _p(raw1) if raw1 else None),
            "p50_vs_relay": _ratio(_p(app, "p50"), _p(relay, "p50") if relay else None),
            "cpu_per_op_vs_relay": _ratio(
                app.get("server_cpu_us_per_op"),
                relay.get("server_cpu_us_per_op") if relay else None,
            ),
            "cpu_per_op_vs_raw": _ratio(
                app.get("server_cpu_us_per_op"), raw1.get("server_cpu_us_per_op") if raw1 else None
            ),
        }
        targets.append({
            "target": f"W1 p99 op->every diner <= 10 ms, 0 lost ({app['server']})",
            "measured": f"p99 {_p(app)} ms, lost {app.get('events_lost')}",
            "met": _p(app) is not None and _p(app) <= 10 and app.get("events_lost") == 0,
        })  # fmt: skip
    w2 = [r for r in results.get("W2", []) if r.get("summary")]
    raw2 = _find(w2, system="raw")
    best_app = 0
    for app in (r for r in w2 if r["system"] == "app"):
        relay = _find(w2, system="relay", server=app["server"])
        cap = app.get("sustained_ops_per_second") or 0
        best_app = max(best_app, cap)
        ratios[f"W2 {app['server']}"] = {
            "sustained_vs_relay": _ratio(
                cap, relay.get("sustained_ops_per_second") if relay else None
            ),
            "sustained_vs_raw": _ratio(cap, raw2.get("sustained_ops_per_second") if raw2 else None),
            "raw_generator_bound": bool(raw2 and raw2.get("generator_bound")),
        }
        if relay:
            rc = relay.get("sustained_ops_per_second") or 0
            targets.append({
                "target": f"W2 sustained >= relay's on {app['server']} + same layer (ratio >= 1.0)",
                "measured": f"{cap} vs relay {rc} ops/s (ratio {_ratio(cap, rc)})",
                "met": rc > 0 and cap >= rc,
            })  # fmt: skip
    if w2:
        targets.append({
            "target": "W2 >= 1,200 ops/s in the best configuration",
            "measured": f"best app {best_app} ops/s",
            "met": best_app >= 1200,
        })  # fmt: skip
    # W1's full rate may be past what the app sustains (then no op reaches every diner and
    # there is no latency to compare); W2's steps give the same rates to app and relay.
    steps = [r for r in results.get("W2", []) if not r.get("summary") and r.get("passed")]
    for app in (r for r in steps if r["system"] == "app"):
        relay = next(
            (r for r in steps if r["system"] == "relay" and r["server"] == app["server"]
             and r["rate_target"] == app["rate_target"]),
            None,
        )  # fmt: skip
        if relay:
            ratios[f"W2 same rate {app['server']} {app['rate_target']:g} ops/s"] = {
                "p50_vs_relay": _ratio(_p(app, "p50"), _p(relay, "p50")),
                "p99_vs_relay": _ratio(_p(app), _p(relay)),
                "cpu_per_op_vs_relay": _ratio(
                    app.get("server_cpu_us_per_op"), relay.get("server_cpu_us_per_op")
                ),
            }
    w3 = [r for r in results.get("W3", []) if r["system"] == "app"]
    if w3:
        top = max(w3, key=lambda r: r.get("sockets_open", 0))
        targets.append({
            "target": "W3 10,000 sockets on one worker, 0 errors, RSS <= 32 KiB per socket",
            "measured": f"{top.get('sockets_open')}/{top.get('sockets_wanted')} sockets, "
            f"{top.get('connect_errors')} errors, {top.get('rss_kib_per_socket')} KiB/socket",
            "met": top.get("sockets_open", 0) >= 10000 and not top.get("connect_errors")
            and (top.get("rss_kib_per_socket") or 1e9) <= 32,
        })  # fmt: skip
        for system in ("relay", "raw"):
            base = [r for r in results.get("W3", []) if r["system"] == system]
            if base:
                b = max(base, key=lambda r: r.get("sockets_open", 0))
                ratios[f"W3 RSS/socket vs {system}"] = _ratio(
                    top.get("rss_kib_per_socket"), b.get("rss_kib_per_socket")
                )
    for row in results.get("W4", []):
        k = row.get("kitchen_ms") or {}
        targets.append({
            "target": f"W4 order -> kitchen p99 <= 50 ms under W1 ({row['server']})",
            "measured": f"p99 {k.get('p99')} ms over {k.get('count')} orders, "
            f"lost {row.get('orders_lost')}",
            "met": k.get("p99") is not None and k["p99"] <= 50 and not row.get("orders_lost"),
        })  # fmt: skip
    for row in results.get("print", []):
        t = row.get("print") or {}
        targets.append({
            "target": f"print: tickets under W1: 0 lost, 0 doubled ({row['server']})",
            "measured": f"{t.get('jobs')} tickets of {t.get('rounds')} rounds: lost "
            f"{t.get('lost')}, doubled {t.get('doubled')}, uncertain {t.get('uncertain')}; "
            f"p50 {t.get('p50_ms')} p99 {t.get('p99_ms')} ms",
            "met": bool(t.get("jobs")) and t.get("lost") == 0 and t.get("doubled") == 0
            and t.get("jobs") == t.get("tickets_expected"),
        })  # fmt: skip
    w5 = [r for r in results.get("W5", []) if r.get("axis") == "tables"]
    if len(w5) >= 2:
        lo, hi = w5[0], w5[-1]
        growth = _ratio(_p(hi), _p(lo))
        ratios["W5 p99 growth, tables"] = growth
        targets.append({
            "target": f"W5 latency flat (within 2x) from {lo['tables']} to {hi['tables']} tables",
            "measured": f"p99 {_p(lo)} -> {_p(hi)} ms (x{growth})",
            "met": growth is not None and growth <= 2,
        })  # fmt: skip
    return out


COLUMNS = [
    ("scen", 7, lambda r: r["scenario"] + (f":{r['axis'][0]}" if r.get("axis") else "")),
    ("system", 6, lambda r: r["system"]),
    ("server", 10, lambda r: r["server"]),
    ("layer", 15, lambda r: r.get("layer", "")),
    ("w", 2, lambda r: r.get("workers")),
    ("tbl x d", 8, lambda r: f"{r['tables']}x{r['diners']}"),
    ("rate", 6, lambda r: _num(r.get("rate_target"), 0)),
    ("ops/s", 7, lambda r: _num(r.get("ops_per_second"), 1)),
    ("p50", 7, lambda r: _num(_p(r, "p50"), 2)),
    ("p95", 7, lambda r: _num(_p(r, "p95"), 2)),
    ("p99", 7, lambda r: _num(_p(r, "p99"), 2)),
    ("max", 8, lambda r: _num(_p(r, "max"), 1)),
    ("lost", 5, lambda r: r.get("events_lost")),
    ("err", 4, lambda r: (r.get("ops_errors") or 0) + (r.get("ops_unacked") or 0)),
    ("sockF", 5, lambda r: (r.get("sockets_failed") or 0)
     + (r.get("sockets_closed_by_server") or 0)),
    ("srvCPU%", 7, lambda r: r.get("server_cpu_pct")),
    ("us/op", 7, lambda r: _num(r.get("server_cpu_us_per_op"), 0)),
    ("redis%", 6, lambda r: r.get("redis_cpu_pct", "")),
    ("pg%", 5, lambda r: r.get("postgres_cpu_pct", "")),
    ("RSS MiB", 7, lambda r: _num(sum(x or 0 for x in r.get("server_rss_kib") or []) / 1024, 0)),
    ("gen%", 5, lambda r: r.get("generator_cpu_pct")),
    ("other%", 6, lambda r: r.get("others_cpu_pct")),
]  # fmt: skip


def _num(value, digits):
    if value is None or value == "":
        return "-"
    return f"{value:.{digits}f}"


def _line(cells) -> str:
    widths = [w for _, w, _f in COLUMNS]
    return " ".join(f"{'-' if c is None else c!s:>{w}}" for c, w in zip(cells, widths, strict=True))


def render(document: dict) -> str:
    results = _renamed(document["results"])
    meta = document["meta"]
    lines = [
        "",
        f"RestaurantOrder bench — {meta['started']}, {meta['cpus']} cores, "
        f"server core {meta['pinned']['server_core']}, generator core "
        f"{meta['pinned']['generator_core']}, load avg {meta['loadavg_start'][0]:.2f} -> "
        f"{meta['loadavg_end'][0]:.2f}",
        "latency = op sent -> the last diner of the table has its event (ms); us/op = server "
        "CPU per acked op; other% = the rest of the machine (noise)",
        "",
        _line([name for name, _, _ in COLUMNS]),
    ]
    for name, rows in results.items():
        for row in rows:
            if row.get("summary") or name == "W3":
                continue
            lines.append(_line([f(row) for _, _, f in COLUMNS]))
    w2 = [r for r in results.get("W2", []) if r.get("summary")]
    if w2:
        lines += ["", "W2 sustained (p99 <= 100 ms, nothing lost):"]
        for r in w2:
            bound = " (generator-bound: the server can do more)" if r.get("generator_bound") else ""
            lines.append(
                f"  {r['system']:<6} {r['server']:<10} {r['layer']:<15} "
                f"{r.get('sustained_ops_per_second')} ops/s; first failing "
                f"{r.get('first_failing_rate')}{bound}"
            )
    w3 = results.get("W3", [])
    if w3:
        lines += ["", "W3 idle sockets on one worker:"]
        for r in w3:
            lines.append(
                f"  {r['system']:<6} {r['server']:<10} {r.get('sockets_open')}/"
                f"{r.get('sockets_wanted')} open, {r.get('connect_errors')} connect errors, "
                f"{r.get('sockets_closed_by_server')} closed, RSS {r.get('rss_base_kib')} -> "
                f"{r.get('rss_kib')} KiB = {r.get('rss_kib_per_socket')} KiB/socket, "
                f"{r.get('connects_per_second')} connects/s "
                f"({r.get('server_cpu_ms_per_connect')} ms CPU each), probe "
                f"{r.get('probe_delivered')}/{r.get('probe_ops')}"
                + (
                    f", probe p50/p99 {r['probe_latency_ms']['p50']}/"
                    f"{r['probe_latency_ms']['p99']} ms"
                    if r.get("probe_latency_ms")
                    else ""
                )
            )
    for r in results.get("W4", []):
        k = r.get("kitchen_ms") or {}
        lines.append(
            f"\nW4 order -> kitchen ({r['server']}): {k.get('count')} orders, p50 {k.get('p50')}"
            f" p95 {k.get('p95')} p99 {k.get('p99')} max {k.get('max')} ms, lost "
            f"{r.get('orders_lost')}, errors {r.get('order_errors')}"
        )
    for r in results.get("print", []):
        t = r.get("print") or {}
        lines.append(
            f"\nprint: order -> ticket at the printer ({r['server']}, {r.get('stations')} "
            f"stations, {r.get('layer')}): {t.get('rounds')} rounds, {t.get('jobs')} tickets "
            f"(expected {t.get('tickets_expected')}), p50 {t.get('p50_ms')} p99 "
            f"{t.get('p99_ms')} max {t.get('max_ms')} ms; printed {t.get('printed')}, lost "
            f"{t.get('lost')}, doubled {t.get('doubled')}, uncertain {t.get('uncertain')}, torn "
            f"{t.get('torn')}; round errors {t.get('round_errors')}; print_worker CPU "
            f"{r.get('print_worker_cpu_pct')}%"
        )
    for r in results.get("W6", []):
        pf = r.get("platform")
        if not pf:
            continue
        k, lat = pf.get("kitchen_ms") or {}, r.get("latency_ms") or {}
        lines.append(
            f"\nW6 platform ({r['server']}, {r.get('workers')} worker): {pf.get('restaurants')}"
            f" restaurants, {r.get('sockets')} diner sockets; op -> every diner p50 "
            f"{lat.get('p50')} p99 {lat.get('p99')} ms, lost {r.get('events_lost')}; rounds "
            f"{pf.get('rounds_acked')}/{pf.get('rounds_sent')}, round -> kitchen p99 "
            f"{k.get('p99')} ms, kitchens lost {pf.get('kitchens_lost_orders')}, foreign "
            f"{pf.get('kitchens_foreign_orders')} (floors {pf.get('floors_foreign')}); per "
            f"restaurant: {pf.get('cpu_ms_per_restaurant_per_s')} ms CPU/s, "
            f"{pf.get('rss_growth_kib_per_restaurant')} KiB, "
            f"{pf.get('db_connections_per_restaurant')} database connections"
        )
    for r in results.get("W7", []):
        lat, fo = r.get("latency_ms") or {}, r.get("failover")
        lines.append(
            f"\nW7 {r.get('path')} ({r.get('delay_ms')} ms links): {r.get('rate_target')}/s "
            f"-> {r.get('ops_per_second')}/s, p50 {lat.get('p50')} p99 {lat.get('p99')} ms, "
            f"lost {r.get('events_lost')}, errors {r.get('ops_errors')}"
        )
        if fo:
            back = fo.get("cut_to_converged_ms") or {}
            lines.append(
                f"  failover of {fo.get('victim')} at {fo.get('rate')}/s: acked "
                f"{fo.get('ops_acked')}/{fo.get('ops_sent')}, lost {fo.get('ops_lost')}, "
                f"applied twice {fo.get('ops_applied_twice')}, clients equal to the database "
                f"{fo.get('clients_equal_db')}/{fo.get('clients')}, diners back "
                f"{fo.get('diners_moved_back')}/{fo.get('diners_moved')}, cut -> converged p50 "
                f"{back.get('p50')} max {back.get('max')} ms"
            )
    for r in results.get("profile", []):
        prof = r.get("profile")
        if prof:
            lines.append(
                f"\nprofile of the {r.get('system', 'app')} server under W1 ({r['server']},"
                f" {prof['samples']} samples):"
            )
            if prof.get("cpu_by_library_pct"):
                lines.append("  its CPU, by library (busy samples of all threads):")
                for bucket, share in prof["cpu_by_library_pct"].items():
                    lines.append(f"    {share:5.1f}%  {bucket}")
            for role, data in prof["threads"].items():
                lines.append(f"  {role}, {data['samples']} samples:")
                for bucket, share in data["share_pct"].items():
                    lines.append(f"    {share:5.1f}%  {bucket}")
    summary = document.get("summary", {})
    if summary.get("ratios"):
        lines += ["", "ratios (app / baseline, same server and layer, same sitting):"]
        for key, value in summary["ratios"].items():
            lines.append(f"  {key}: {value}")
    if summary.get("targets"):
        lines += ["", "targets:"]
        for t in summary["targets"]:
            lines.append(f"  [{'met ' if t['met'] else 'MISS'}] {t['target']}: {t['measured']}")
    if meta.get("notes"):
        lines += ["", "notes:"] + [f"  - {n}" for n in meta["notes"]]
    return "\n".join(lines)


if __name__ == "__main__":  # python -m bench.report bench/results/<stamp>.json: print it again
    import json
    import sys
    from pathlib import Path

    doc = json.loads(Path(sys.argv[1]).read_text())
    doc["summary"] = summarize(doc["results"])
    print(render(doc))
