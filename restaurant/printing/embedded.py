"""Printing beside the embedded server (`make run` → `manage.py serve`): a fake printer per
demo station, each ticket it takes written out as text, and the print worker as a child
process, started again if it dies (killed with -9, say: its jobs are recovered as after any
crash). With the in-memory channel layer the worker's events come back through its stdout
(restaurant/printing/relay.py) and reach this server's sockets.
"""

import asyncio
import contextlib
import ctypes
import json
import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from restaurant.printing import relay
from restaurant.printing.fake import FakePrinter
from restaurant.printing.models import Printer
from restaurant.printing.services import printer_set
from restaurant.printing.tickets import RULE, ticket_text
from restaurant.venues.models import Station

logger = logging.getLogger(__name__)
RESTART_SECONDS = 1.0


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the server process dies, even by SIGKILL
    (Linux's PR_SET_PDEATHSIG); elsewhere nothing."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def ticket_summary(text: str) -> str:
    """One console line of a ticket's text: its lines joined, rules and cuts left out."""
    lines = [line.strip() for line in text.splitlines()]
    return " · ".join(line for line in lines if line and line not in (RULE, "✂"))


class EmbeddedPrinting:
    def __init__(self, *, echo: Callable[[str], None], var_dir: Path | None = None) -> None:
        self.echo = echo
        self.dir = Path(var_dir or settings.VAR_DIR) / "printers"
        self.fakes: list[FakePrinter] = []
        self.worker: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self._starting = threading.Lock()
        self._supervisor: threading.Thread | None = None

    # --- fake printers ---------------------------------------------------------------------

    def fake_printers_start(self, stations: list[Station]) -> list[str]:
        """A fake printer for each of ``stations`` that has no printer of its own (one set
        with printer_set or in the admin is left alone: the fakes of an earlier run are
        known by their addresses, kept in var/printers/). Returns a line per station."""
        self.dir.mkdir(parents=True, exist_ok=True)
        record = self.dir / "fake-printers.json"
        earlier = set(json.loads(record.read_text())) if record.exists() else set()
        lines, ours = [], []
        for station in stations:
            printer = Printer.objects.filter(station=station).first()
            label = f"{station.restaurant.slug} {station.name} ({station.code})"
            if printer is not None and printer.url not in earlier:
                lines.append(f"{label}: {printer.url}")
                continue
            output = self.dir / f"{station.restaurant.slug}-{station.code}.txt"
            fake = FakePrinter(on_ticket=self._printed_to(station, output)).start()
            self.fakes.append(fake)
            printer_set(station=station, url=fake.url)
            ours.append(fake.url)
            lines.append(f"{label}: fake printer {fake.url} → {output}")
        record.write_text(json.dumps(ours))
        return lines

    def _printed_to(self, station: Station, output: Path) -> Callable[[bytes], None]:
        name = f"{station.name} ({station.code})"

        def printed(payload: bytes) -> None:
            text = ticket_text(payload)
            stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
            with output.open("a", encoding="utf-8") as out:
                out.write(f"===== {stamp}\n{text}\n")
            self.echo(f"Printer {name} printed: {ticket_summary(text)}")

        return printed

    # --- the worker ------------------------------------------------------------------------

    def worker_start(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Run `manage.py print_worker` as a child, restarted when it dies. ``loop``: the
        server's event loop, when the channel layer is the in-memory one (the worker's events
        are relayed into it); None with Redis."""
        self._supervisor = threading.Thread(
            target=self._supervise, args=(loop,), daemon=True, name="print-worker"
        )
        self._supervisor.start()

    def _supervise(self, loop) -> None:
        command = [sys.executable, "-m", "django", "print_worker"]
        if loop is not None:
            command.append("--relay")
        while True:
            with self._starting:  # `stop` either sees this child, or this sees it stopping
                if self.stopping.is_set():
                    return
                self.worker = subprocess.Popen(
                    command, cwd=settings.BASE_DIR, start_new_session=True,
                    stdout=subprocess.PIPE if loop is not None else None,
                    preexec_fn=_die_with_parent,
                )  # fmt: skip
            if loop is not None:
                relay.pass_on(self.worker.stdout, loop, self.echo)
            code = self.worker.wait()
            if self.stopping.is_set():
                return
            self.echo(f"The print worker exited ({code}); starting it again.")
            self.stopping.wait(RESTART_SECONDS)

    def stop(self) -> None:
        with self._starting:
            self.stopping.set()
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.worker.kill()
        for fake in self.fakes:
            fake.stop()
