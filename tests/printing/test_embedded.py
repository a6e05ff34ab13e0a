"""`make run`'s print worker (restaurant/printing/embedded.py): stopped while it is being
started, it leaves no process behind (a test calling `serve` left one running, failing on a
database it could not see, for as long as the test run lasted)."""

import subprocess
import sys
import threading
from unittest import mock

from restaurant.printing import embedded
from restaurant.printing.embedded import EmbeddedPrinting


def test_a_worker_stopped_while_it_starts_leaves_no_process(tmp_path):
    printing = EmbeddedPrinting(echo=lambda line: None, var_dir=tmp_path)
    stop_called = threading.Event()
    children: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        # The child starts just as (or just after) `stop` is called: the race a server
        # stopping at once (the test's mocked serve) runs into.
        stop_called.wait(timeout=2)
        child = real_popen([sys.executable, "-c", "import time; time.sleep(120)"],
                           start_new_session=True)  # fmt: skip
        children.append(child)
        return child

    with mock.patch.object(embedded.subprocess, "Popen", popen):
        printing.worker_start(None)
        stopper = threading.Thread(target=lambda: (stop_called.set(), printing.stop()))
        stopper.start()
        stopper.join(timeout=30)
        printing._supervisor.join(timeout=30)
    try:
        assert not printing._supervisor.is_alive()
        assert all(child.poll() is not None for child in children), "a worker was left running"
    finally:
        for child in children:
            child.kill()
