"""daphne, as production runs it (`python -m restaurant.core.asgi_server`), runs its Twisted
reactor on uvloop unless ASGI_LOOP says otherwise (docs/performance.md, issue 19)."""

import os
import subprocess
import sys

import pytest

PROBE = (
    "import restaurant.core.asgi_server\n"
    "from twisted.internet import reactor\n"
    "print(type(reactor._asyncioEventloop).__module__)\n"
)


@pytest.mark.parametrize(("setting", "module"), [(None, "uvloop"), ("asyncio", "asyncio")])
def test_the_reactor_runs_on_the_loop_asked_for(setting, module):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("ASGI_LOOP", None)
    if setting:
        env["ASGI_LOOP"] = setting
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60,
        check=True,
    ).stdout  # fmt: skip
    assert out.strip().split(".")[0] == module
