"""Shared test set-up.

The suite runs on whatever DATABASE_URL and REDIS_URL say: SQLite + the in-memory layer when
unset, PostgreSQL + Redis in CI's second pass. A configured service that does not answer fails
the run loudly, naming it; nothing is skipped.
"""

import contextlib
import os
import uuid
from pathlib import Path

import pytest
import pytest_asyncio
from django.conf import settings
from django.db import connections

from tests.factories import make_menu


def pytest_configure(config):
    # No background heartbeat task inside the tests' event loops; tests call `server_beat`
    # directly, and the live-server tests run it for real.
    settings.RESTAURANT = dict(settings.RESTAURANT)  # config.settings keeps the shipped values
    settings.RESTAURANT["HEARTBEAT_SECONDS"] = 0
    # Tests miss tokens on purpose from one address; the guard has a test of its own.
    settings.RESTAURANT["TOKEN_MISS_LIMIT"] = 10**6
    # Likewise sockets per address: every test socket comes from one address, quickly.
    settings.RESTAURANT["SOCKETS_PER_ADDRESS"] = 10**6
    settings.RESTAURANT["CONNECT_BURST"] = 10**6
    # Passwords hashed at test speed: the shipped hasher spends most of a second on each, by
    # design, and the suite makes and signs in hundreds of staff. (Servers that tests start in
    # their own processes keep the real one.)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    layer = settings.CHANNEL_LAYERS["default"]
    if "CONFIG" in layer:
        # Each run (and xdist worker) gets its own key prefix on the shared Redis.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        layer["CONFIG"]["prefix"] = f"rotest-{uuid.uuid4().hex[:8]}-{worker}"


@pytest.fixture(scope="session", autouse=True)
def _services_answer():
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=3).ping()
        except redis.RedisError as exc:
            pytest.fail(f"Redis at REDIS_URL={settings.REDIS_URL} does not answer: {exc}")
    yield
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
        for key in client.scan_iter(f"{prefix}*", count=1000):
            client.delete(key)


@pytest.fixture(scope="session", autouse=True)
def _static_files_collected():
    """Pages name static files by content hash (restaurant/core/staticfiles.py): collected once
    into STATIC_ROOT before any test renders a page or starts a server, as `make run` does.
    xdist workers share VAR_DIR: one collects while the others wait on the lock."""
    import fcntl
    import hashlib

    from django.core.management import call_command

    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    sources = sorted(f for d in settings.STATICFILES_DIRS for f in Path(d).rglob("*"))
    signature = hashlib.sha256(
        "\n".join(f"{f}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in sources).encode()
    ).hexdigest()
    stamp = root / ".collected"
    with open(root.parent / ".collectstatic.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # Once per change of the sources: a second worker must not rewrite files the first
        # one's servers are already sending.
        if not stamp.exists() or stamp.read_text() != signature:
            call_command("collectstatic", interactive=False, verbosity=0)
            stamp.write_text(signature)


@pytest.fixture(scope="session", autouse=True)
def _close_pools(django_db_setup, django_db_blocker):
    """Return pooled PostgreSQL connections before the test database is dropped."""
    yield
    from restaurant.realtime import db

    db.close_connections()  # the sockets' database threads return theirs first
    # So does asgiref's one thread for thread-sensitive calls (channels' database_sync_to_async
    # on SQLite and in the tests' own helpers), which otherwise kept one open to the end.
    from asgiref.sync import SyncToAsync

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=15)
    with django_db_blocker.unblock():
        for connection in connections.all():
            if hasattr(connection, "close_pool"):
                connection.close_pool()


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """A new layer instance per test: each async test has its own event loop, and the Redis
    layer's locks and buffers belong to the loop that first used them."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _no_sockets_outlive_the_test():
    """A socket a test left open belongs to that test's event loop, gone with it: the next
    test must not find it among the process's live sockets (restaurant/realtime/liveness.py)."""
    yield
    from restaurant.realtime import liveness

    liveness._members.clear()


@pytest.fixture
def menu(db):
    return make_menu()


@pytest.fixture(autouse=True)
def _fresh_menu_catalog():
    """Rolled-back tests reuse menu versions with other dishes: no catalog outlives a test."""
    from restaurant.menu import catalog

    catalog.forget()
    yield
    catalog.forget()


@pytest.fixture(autouse=True)
def _stop_the_hub(request):
    """Each async test's event loop closes after it: its hub's receiver is stopped first
    (restaurant/realtime/hub.py, `Hub.stop`), or the loop's shutdown can wait on it forever.
    Browser tests run no loop of ours (Playwright's is its own)."""
    if request.node.get_closest_marker("asyncio") is not None:
        request.getfixturevalue("_hub_stopped_after_the_test")


@pytest_asyncio.fixture
async def _hub_stopped_after_the_test():
    """Also: every socket application the test started has ended, in the test's own loop,
    before its database is flushed. A socket a test leaves open would otherwise run its
    cleanup (database writes) while the next test sets up, or while this one's tables are
    flushed: `database table is locked`, rows left behind, a timeout in an unrelated test."""
    from asgiref.testing import ApplicationCommunicator

    started: list[ApplicationCommunicator] = []
    real_init = ApplicationCommunicator.__init__

    def recording_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        started.append(self)

    ApplicationCommunicator.__init__ = recording_init
    try:
        yield
    finally:
        ApplicationCommunicator.__init__ = real_init
        for communicator in started:
            future = communicator._future
            if future is None or future.done():
                continue
            if communicator.scope.get("type") == "websocket":
                with contextlib.suppress(Exception):
                    await communicator.send_input({"type": "websocket.disconnect", "code": 1001})
            with contextlib.suppress(Exception):
                await communicator.wait(10)
    from restaurant.realtime.hub import running_hub

    hub = running_hub()
    if hub is not None:
        await hub.stop()
