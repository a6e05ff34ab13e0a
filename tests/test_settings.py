"""Production settings refuse what would be unsafe (checked in a fresh interpreter, as a
deployment starts)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STRONG_KEY = "w1Xq-8vZ3pL0sKc_Tn7RbYd2HfGm9JeAu4oViNx6EyQrWt5Ds0lB"  # 52 characters, varied


def setup_with(tmp_path, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environ.update({"DJANGO_ENV": "production", "SECRET_KEY": STRONG_KEY,
                    "REDIS_URL": "redis://127.0.0.1:6379/0", "VAR_DIR": str(tmp_path),
                    "DJANGO_SETTINGS_MODULE": "config.settings", **env})  # fmt: skip
    return subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
                          env=environ, capture_output=True, text=True, timeout=60)  # fmt: skip


@pytest.mark.parametrize("hosts", ["*", "example.com,*"])
def test_production_refuses_a_wildcard_host(tmp_path, hosts):
    run = setup_with(tmp_path, ALLOWED_HOSTS=hosts)
    assert run.returncode != 0
    assert "ALLOWED_HOSTS may not contain '*' in production" in run.stderr


def test_production_refuses_the_in_memory_layer(tmp_path):
    run = setup_with(tmp_path, ALLOWED_HOSTS="example.com", REDIS_URL="")
    assert run.returncode != 0 and "REDIS_URL must be set" in run.stderr


@pytest.mark.parametrize("debug", ["true", "1", "on"])
def test_production_refuses_debug(tmp_path, debug):
    run = setup_with(tmp_path, ALLOWED_HOSTS="example.com", DEBUG=debug)
    assert run.returncode != 0
    assert "DEBUG must be off when DJANGO_ENV=production" in run.stderr


@pytest.mark.parametrize(
    "key",
    [
        "x",
        STRONG_KEY[:49],  # fewer than 50 characters
        "abcd" * 13,  # fewer than 5 distinct characters
        "django-insecure-" + STRONG_KEY,  # startproject's placeholder
    ],
)
def test_production_refuses_a_weak_secret_key(tmp_path, key):
    """Django's own rule (security check W009), made an error where it matters."""
    run = setup_with(tmp_path, ALLOWED_HOSTS="example.com", SECRET_KEY=key)
    assert run.returncode != 0
    assert "SECRET_KEY is too weak for production" in run.stderr
    assert STRONG_KEY[:20] not in run.stderr  # the message does not print the key


def test_production_starts_with_a_proper_configuration(tmp_path):
    run = setup_with(tmp_path, ALLOWED_HOSTS="example.com")
    assert run.returncode == 0, run.stderr[-2000:]


def test_workers_starting_together_share_one_whole_secret_key(tmp_path):
    """Several processes on a fresh var/ (the benchmark's workers, say) must not read a key
    another is still writing: an empty SECRET_KEY made every request of a worker fail."""
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environ.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"})
    environ.pop("SECRET_KEY", None)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECRET_KEY)"
    )
    processes = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=environ,
                                  stdout=subprocess.PIPE, text=True) for _ in range(8)]  # fmt: skip
    keys = {p.communicate(timeout=60)[0].strip() for p in processes}
    assert len(keys) == 1 and len(keys.pop()) >= 50
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".secret_key")] == []


def connect_under(var_dir: Path) -> subprocess.CompletedProcess:
    """Load the settings with the embedded default (SQLite in VAR_DIR) and write to the
    database once, as `make run` does; prints the WAL file's mode while it exists."""
    environ = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ENV", "SECRET_KEY")}  # fmt: skip
    environ.update({"VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "config.settings"})
    code = (
        "import django; django.setup(); from django.db import connection\n"
        "with connection.cursor() as c: c.execute('CREATE TABLE IF NOT EXISTS t (x int)')\n"
        "import os; print(oct(os.stat(connection.settings_dict['NAME'] + '-wal').st_mode))\n"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o7777


def test_var_dir_and_database_are_private_to_the_user(tmp_path):
    """var/ holds the secret key and the database with every session: nobody else reads it."""
    var = tmp_path / "var"
    run = connect_under(var)
    assert run.returncode == 0, run.stderr[-2000:]
    assert mode(var) == 0o700
    assert mode(var / "db.sqlite3") == 0o600
    assert run.stdout.strip().endswith("600")  # the WAL: recent writes, sessions included
    assert mode(var / "secret_key") == 0o600


def test_an_existing_open_var_dir_is_tightened(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    (var / "db.sqlite3").touch(mode=0o644)
    (var / "db.sqlite3").chmod(0o644)
    assert connect_under(var).returncode == 0
    assert mode(var) == 0o700 and mode(var / "db.sqlite3") == 0o600


def test_a_shared_directory_is_left_alone(tmp_path):
    """VAR_DIR=/tmp (as some tests run servers): a sticky directory is everyone's; making it
    0700 would break every other user of the machine."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    assert connect_under(shared).returncode == 0
    assert mode(shared) == 0o1777
    assert mode(shared / "db.sqlite3") == 0o600
