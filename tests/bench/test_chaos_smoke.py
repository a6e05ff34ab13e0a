"""The chaos script end to end, shrunk: `python -m bench.chaos -s kill9,storm --quick` as a
subprocess (its own PostgreSQL database, Redis key prefix and server processes).

Asserts that it passes, writes its JSON with every check, and leaves no server behind; the
figures themselves are the script's business (docs/reliability.md).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.multiprocess, pytest.mark.timeout(150)]

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ["kill9", "storm"]


def test_chaos_quick_run_passes_and_writes_its_figures(tmp_path):
    out = tmp_path / "chaos.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.chaos", "--quick", "-s", ",".join(SCENARIOS),
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=140,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    document = json.loads(out.read_text())
    assert document["meta"]["quick"] is True
    assert list(document["results"]) == SCENARIOS
    for name, result in document["results"].items():
        assert result["passed"], (name, result)
        assert result["checks"], name
        for check in result["checks"]:
            assert check.keys() >= {"check", "measured", "mark", "passed"}
    kill9 = document["results"]["kill9"]
    assert kill9["ops_acked"] > 0
    assert kill9["ops_lost"] == 0 and kill9["ops_applied_twice"] == 0
    assert kill9["reconnections"] >= kill9["diners_on_killed_worker"] > 0
    storm = document["results"]["storm"]
    assert storm["sockets_opened_first_try"] == storm["sockets"]
    assert storm["group_members_after_leaving"]["table_members"] == 0
    assert "PASS" in run.stdout and "2 of 2 scenarios passed" in run.stdout
    # every process it started (server workers, the replacement after kill -9) is gone
    assert len(document["meta"]["pids_started"]) >= 4
    assert not [pid for pid in document["meta"]["pids_started"] if Path(f"/proc/{pid}").exists()]
