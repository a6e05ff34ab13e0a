"""The print worker killed with SIGKILL mid-job, as a process of its own on a file database:
a ticket whose bytes had gone out is "may have printed" after the restart, never printed
twice; one killed before its first byte prints once. The worker started again takes the dead
one's job back at once (its process is gone), not a lease later: the lease here outlasts
the tests."""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from restaurant.printing.fake import FakePrinter
from tests.support.servers import ROOT, manage

pytestmark = pytest.mark.multiprocess

LEASE = 600  # seconds: longer than any test, so only the dead process frees its job


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> str:
    """A migrated SQLite file, copied by each test (migrating once)."""
    path = tmp_path_factory.mktemp("printing") / "template.sqlite3"
    manage("migrate", "--no-input", database_url=f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database(migrated, tmp_path) -> str:
    path = tmp_path / "print.sqlite3"
    shutil.copy(migrated, path)
    return str(path)


def env(database: str, **timings) -> dict:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environ.update(
        DATABASE_URL=f"sqlite:///{database}", DJANGO_SETTINGS_MODULE="config.settings",
        PRINT_LEASE_SECONDS=str(LEASE), PRINT_POLL_SECONDS="0.05", PRINT_BACKOFF_SECONDS="0.05",
        **{k: str(v) for k, v in timings.items()},
    )  # fmt: skip
    return environ


def seed(database: str, url: str) -> list[int]:
    run = subprocess.run([sys.executable, "-m", "tests.printing.scenario", "seed", url],
                         cwd=ROOT, env=env(database), capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def worker(database: str, *args: str, **timings) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "print_worker", *args], cwd=ROOT,
        env=env(database, **timings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def job(database: str, job_id: int) -> dict:
    with sqlite3.connect(database, timeout=10) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM printing_printjob WHERE id = ?", (job_id,)).fetchone()
    return dict(row)


def wait_for_state(database: str, job_id: int, *states: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while (found := job(database, job_id))["state"] not in states:
        assert time.monotonic() < deadline, f"job {job_id} stayed {found['state']}"
        time.sleep(0.05)
    return found


def lease_left(row: dict) -> float:
    """Seconds left of the killed worker's lease on the job (SQLite stores UTC, naive)."""
    until = datetime.fromisoformat(row["lease_until"])
    until = until if until.tzinfo else until.replace(tzinfo=UTC)
    return (until - datetime.now(UTC)).total_seconds()


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def test_killed_while_sending_the_ticket_is_uncertain_not_printed_twice(database):
    with FakePrinter() as printer:
        printer.stall_after = 30  # takes the first bytes, then never answers
        [job_id] = seed(database, printer.url)
        first = worker(database, PRINT_REPLY_TIMEOUT=60)
        try:
            assert printer.wait_for(lambda p: len(p.printed()) == 30, timeout=20)
            row = wait_for_state(database, job_id, "sending")
        finally:
            kill(first)
        printer.release()  # the printer answers again: a resend would print it whole
        assert lease_left(row) > 60  # it is not the lease that frees the job
        again = worker(database, "--once", PRINT_REPLY_TIMEOUT=2)
        assert again.wait(timeout=60) == 0, again.stderr.read().decode()[-3000:]

        row = job(database, job_id)
        assert row["state"] == "uncertain" and "may have printed" in row["last_error"]
        assert printer.connections == 1 and len(printer.printed()) == 30


def test_killed_before_the_first_byte_prints_once_after_the_restart(database):
    with FakePrinter() as printer:
        printer.stall_after = 0  # never answers the status query: the worker waits
        [job_id] = seed(database, printer.url)
        first = worker(database, PRINT_REPLY_TIMEOUT=60)
        try:
            assert printer.wait_for(lambda p: p.connections == 1, timeout=20)
            row = wait_for_state(database, job_id, "claimed")
        finally:
            kill(first)
        printer.release()
        assert lease_left(row) > 60  # it is not the lease that frees the job
        again = worker(database, "--once", PRINT_REPLY_TIMEOUT=2)
        assert again.wait(timeout=60) == 0, again.stderr.read().decode()[-3000:]

        assert job(database, job_id)["state"] == "done"
        assert printer.text().count(f"#{job_id}") == 1
        assert printer.text().count("宫保鸡丁") == 1
