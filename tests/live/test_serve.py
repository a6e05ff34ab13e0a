"""`manage.py serve --port N` on its own (no SITE_URL): the links it prints are for port N,
and so are the Origins its sockets accept, so a phone that opens a printed link connects."""

import asyncio
import json
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


def _menu(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/r/shuxiang/api/menu/", timeout=10) as r:
        return json.load(r)


def _plain_dish(menu: dict, category: str) -> dict:
    """A dish of ``category`` (by Chinese name) that needs no choice: added as it is."""
    found = next(c for c in menu["categories"] if c["name"] == category)
    plain = (d for d in found["dishes"] if all(g["min"] == 0 for g in d["option_groups"]))
    return next(d for d in plain if not d["sold_out"])


async def test_a_round_prints_at_each_stations_fake_printer(served):
    """`make run`'s promise: a new round prints at each station's printer, a fake one beside
    the demo whose tickets are written out as text (restaurant/printing/embedded.py), by the
    print worker running as the server's child."""
    port, log = served
    var = log.parent
    # The demo holds a diner's first round for staff; here the round goes straight in.
    shell = (
        "from restaurant.venues.models import Restaurant; "
        "Restaurant.objects.filter(slug='shuxiang').update(hold_first_round=False)"
    )
    env = {**os.environ, "VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env = {k: v for k, v in env.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    subprocess.run([sys.executable, "manage.py", "shell", "-c", shell], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    menu = await asyncio.to_thread(_menu, port)
    hot, cold = _plain_dish(menu, "小炒"), _plain_dish(menu, "凉菜")
    link = next(u for u in re.findall(r"http://\S+/t/\S+/", log.read_text()))
    diner = await DinerClient([link]).start()
    try:
        for dish in (hot, cold):
            assert (await diner.op({"type": "cart.add", "dish_id": dish["id"]}))["type"] == "ack"
        seq = (await diner.op({"type": "sync"}))["seq"]
        assert (await diner.op({"type": "order.submit", "seq": seq}))["type"] == "ack"
    finally:
        await diner.stop()
    printed = {code: var / "printers" / f"shuxiang-{code}.txt" for code in ("hot", "cold")}

    def tickets() -> dict[str, str]:
        return {code: path.read_text() if path.exists() else "" for code, path in printed.items()}

    deadline = time.monotonic() + 60
    while not (hot["name"] in tickets()["hot"] and cold["name"] in tickets()["cold"]):
        assert time.monotonic() < deadline, (tickets(), log.read_text()[-3000:])
        await asyncio.sleep(0.1)  # the worker's writes are the event; a file has no wait
    text = tickets()
    assert hot["name"] not in text["cold"] and cold["name"] not in text["hot"]  # routed
    assert text["hot"].count(hot["name"]) == 1  # once
    assert "Printer 热菜 (hot) printed" in log.read_text()
