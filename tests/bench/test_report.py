"""`python -m bench.report` prints a run again: the printing scenario under its name "print",
also from result files written when it was called "W6"."""

from bench import report

META = {
    "started": "2026-11-30T12:00:00", "cpus": 2,
    "pinned": {"server_core": "0", "generator_core": "1"},
    "loadavg_start": [1.0, 1.0, 1.0], "loadavg_end": [1.0, 1.0, 1.0],
}  # fmt: skip


def _row(scenario: str) -> dict:
    return {
        "scenario": scenario, "system": "app", "server": "daphne", "layer": "postgres+redis",
        "workers": 1, "tables": 5, "diners": 4, "rate_target": 20, "ops_per_second": 20.0,
        "latency_ms": {"p50": 10.0, "p95": 20.0, "p99": 30.0, "max": 31.0},
        "events_lost": 0, "stations": 4,
        "print": {"rounds": 10, "jobs": 24, "tickets_expected": 24, "printed": 24, "lost": 0,
                  "doubled": 0, "uncertain": 0, "torn": 0, "p50_ms": 400.0, "p99_ms": 800.0,
                  "max_ms": 800.0, "round_errors": {}},
    }  # fmt: skip


def _document(results: dict) -> dict:
    return {"meta": META, "results": results, "summary": report.summarize(results)}


def test_an_old_run_prints_as_a_new_one():
    old = {"W1": [_row("W1")], "W6": [_row("W6")]}
    new = {"W1": [_row("W1")], "print": [_row("print")]}

    printed = report.render(_document(old))

    assert printed == report.render(_document(new))
    assert "print: order -> ticket at the printer (daphne, 4 stations" in printed
    assert "[met ] print: tickets under W1: 0 lost, 0 doubled (daphne)" in printed
    assert "W6" not in printed
    assert list(old) == ["W1", "W6"] and old["W6"][0]["scenario"] == "W6"  # not changed


def test_other_w6_rows_stay_w6():
    # Issue 19's W6 has no `print` figures: its rows are left as they are.
    platform_row = {k: v for k, v in _row("W6").items() if k != "print"}
    results = {"W6": [platform_row]}

    assert report._renamed(results) is results
    assert "print:" not in report.render(_document(results))
