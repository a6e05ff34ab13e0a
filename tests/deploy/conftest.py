"""The deploy tests need nginx, PostgreSQL, Redis and the deploy extras: a missing one fails
the run, naming it (never a skip)."""

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.deploy.stack import NGINX, staff_and_tables
from tests.support.servers import PG_ADMIN_URL, REDIS_TEST_URL, postgres_database


@pytest.fixture(scope="session")
def deploy_requirements():
    missing = []
    if not os.access(NGINX, os.X_OK):
        missing.append(f"nginx at {NGINX} (apt-get install nginx-light or nginx)")
    if not shutil.which("redis-server"):
        missing.append("redis-server (apt-get install redis-server)")
    for tool in ("supervisord", "supervisorctl", "uwsgi", "uvicorn"):
        if not os.access(Path(sys.executable).parent / tool, os.X_OK):
            missing.append(f"{tool} in the virtualenv (pip install -e '.[deploy]')")
    import psycopg
    import redis

    try:
        psycopg.connect(PG_ADMIN_URL, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        missing.append(f"PostgreSQL at {PG_ADMIN_URL}: {exc}")
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_timeout=3).ping()
    except redis.RedisError as exc:
        missing.append(f"Redis at {REDIS_TEST_URL}: {exc}")
    if missing:
        pytest.fail("the deploy test needs: " + "; ".join(missing), pytrace=False)


@pytest.fixture(scope="session")
def deploy_database(deploy_requirements):
    """One temporary PostgreSQL database with the demo restaurant and a staff login, for every
    stack of the run (each uses its own tables): (url, staff password, number -> page path)."""
    with postgres_database() as database_url:
        password, paths = staff_and_tables(database_url)
        yield database_url, password, paths
