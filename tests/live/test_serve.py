"""`manage.py serve --port N` on its own (no SITE_URL): the links it prints are for port N,
and so are the Origins its sockets accept, so a phone that opens a printed link connects."""

import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.support.client import DinerClient
from tests.support.servers import ROOT, free_port

pytestmark = [pytest.mark.multiprocess, pytest.mark.asyncio]


@pytest.fixture
def served(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "SITE_URL", "WS_ALLOWED_ORIGINS")}  # fmt: skip
    env.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"})
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)  # polling a starting server: the event is its first answer
        yield port, (tmp_path / "serve.log")
    finally:
        process.terminate()
        process.wait(15)
        log.close()


async def test_a_printed_link_of_serve_on_its_own_port_connects(served):
    port, log = served
    links = re.findall(r"http://\S+/t/\S+/", log.read_text())
    assert links and all(link.startswith(f"http://127.0.0.1:{port}/") for link in links)
    diner = await DinerClient([links[0]]).start()
    try:
        assert (await diner.op({"type": "sync"}))["type"] == "ack"
    finally:
        await diner.stop()
