"""The print worker: sends due print jobs to their printers, each exactly once or, where that
cannot be known, marked "may have printed" (`uncertain`). Run by `manage.py print_worker`.

One job, one TCP connection (docs/printing.md has the why of each step):

1. claim it (``claimed``, leased to this worker; committed);
2. connect, ask the printer's status (DLE EOT 1) and its paper sensor (DLE EOT 4): offline or
   out of paper, or no connection, or no answer → back to ``queued`` with a backoff. No byte
   of the ticket has gone out, so it may be sent again;
3. commit ``sending``: from here on a failure cannot prove that nothing printed;
4. send the ticket, then ask DLE EOT 1 again and wait for the answer. The printer reads its
   input in order, so the answer comes after it has taken every byte of the ticket →
   ``done``. No answer (the connection dropped, the printer stalled) → ``uncertain``.

Printers without status. Some printers (or their network cards) never answer DLE EOT; a
manager marks them so (`Printer.answers_status` off, `printer_set --no-status`). Their ticket
goes out without a question first, and "took the bytes" is the printer's TCP acknowledgement
of every one of them (the kernel's unacknowledged send queue drained to 0) with the
connection still up a moment later: the best such a printer can say. Nothing is known of its
paper, and a printer that stops reading looks the same as one that printed: so this is never
guessed from a printer's silence (a stalled printer is silent too), only set.

A worker killed at any point leaves its job ``claimed`` (recovery puts it back in the queue)
or ``sending`` (recovery marks it ``uncertain``) once the lease runs out. Stations are served
by threads, one job per station at a time: a printer that stalls holds up only its station.
"""

import array
import contextlib
import fcntl
import logging
import os
import socket
import termios
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connection, connections

from restaurant.printing import conf, services
from restaurant.printing.models import Printer, PrintJob, printer_address

logger = logging.getLogger(__name__)

STATUS_PRINTER = b"\x10\x04\x01"  # DLE EOT 1: printer status, bit 3 = offline
STATUS_PAPER = b"\x10\x04\x04"  # DLE EOT 4: roll paper sensor, bits 2-3 near end, 5-6 end
# Every DLE EOT answer: bit 1 and bit 4 set, bit 0 and bit 7 clear.
STATUS_FIXED_MASK, STATUS_FIXED = 0x93, 0x12
OFFLINE = 0x08
PAPER_NEAR_END = 0x0C
PAPER_END = 0x60


_sqlite_turns = threading.Lock()


def db_turn():
    """The worker's threads take turns at the database on SQLite, which has one writer at a
    time anyway; its in-memory database (the tests') refuses a second one at once
    ("database table is locked") instead of waiting. Never held across a socket wait."""
    return _sqlite_turns if connection.vendor == "sqlite" else contextlib.nullcontext()


class NotSent(Exception):
    """The ticket was not sent; trying again cannot print it twice."""


class MaySent(Exception):
    """Bytes of the ticket may have reached the printer, unconfirmed."""


def paper_of(status: int) -> str:
    if status & PAPER_END:
        return Printer.Paper.OUT
    if status & PAPER_NEAR_END:
        return Printer.Paper.LOW
    return Printer.Paper.OK


class Connection:
    """One conversation with a printer: ask a status, send bytes."""

    def __init__(self, url: str) -> None:
        host, port = printer_address(url)
        self.sock = socket.create_connection(
            (host, port), timeout=conf.seconds("PRINT_CONNECT_TIMEOUT")
        )
        self.sock.settimeout(conf.seconds("PRINT_REPLY_TIMEOUT"))

    def ask(self, query: bytes) -> int:
        """Send a real-time status query; its one-byte answer. Bytes the printer sent of its
        own before (Automatic Status Back, an answer that came late) are dropped first, and
        a byte that is no status answer (DLE EOT n answers have bits 1 and 4 set, 0 and 7
        clear) is skipped: only the answer to this query may say the printer took what came
        before it. Raises OSError (a timeout is one) or ConnectionError when the printer
        closes instead."""
        self._drain()
        self.sock.sendall(query)
        deadline = time.monotonic() + conf.seconds("PRINT_REPLY_TIMEOUT")
        try:
            while True:
                self.sock.settimeout(max(0.001, deadline - time.monotonic()))
                answer = self.sock.recv(1)
                if not answer:
                    raise ConnectionError("the printer closed the connection")
                if answer[0] & STATUS_FIXED_MASK == STATUS_FIXED:
                    return answer[0]
        finally:
            self.sock.settimeout(conf.seconds("PRINT_REPLY_TIMEOUT"))

    def _drain(self) -> None:
        """Drop what the printer has sent and nobody read."""
        self.sock.setblocking(False)
        try:
            while True:
                if not self.sock.recv(256):
                    raise ConnectionError("the printer closed the connection")
        except BlockingIOError:
            pass
        finally:
            self.sock.settimeout(conf.seconds("PRINT_REPLY_TIMEOUT"))

    def acknowledged(self) -> None:
        """Wait until the printer's TCP stack has acknowledged every byte sent (the send queue
        is empty), within the reply timeout. Raises OSError (TimeoutError) otherwise."""
        deadline = time.monotonic() + conf.seconds("PRINT_REPLY_TIMEOUT")
        while unacknowledged(self.sock):
            if time.monotonic() > deadline:
                raise TimeoutError("the printer did not acknowledge the ticket's bytes")
            time.sleep(0.01)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def unacknowledged(sock: socket.socket) -> int:
    """Bytes sent on ``sock`` its peer has not acknowledged yet (Linux: SIOCOUTQ)."""
    buffer = array.array("i", [0])
    fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, buffer)  # SIOCOUTQ is TIOCOUTQ
    return buffer[0]


def job_send(job: PrintJob, printer: Printer, *, worker: str) -> None:
    """Steps 2 to 4 of the module docstring for one claimed ``job``. Raises `NotSent` or
    `MaySent`; returns once the printer confirmed (the job is ``done``)."""
    try:
        connection = Connection(printer.url)
    except OSError as error:
        with db_turn():
            services.printer_state_set(printer, online=False, error=_error("connect", error))
        raise NotSent(_error("connect", error)) from None
    try:
        if not printer.answers_status:
            return _send_plain(job, printer, connection, worker=worker)
        try:
            status = connection.ask(STATUS_PRINTER)
            paper = paper_of(connection.ask(STATUS_PAPER))
        except OSError as error:
            with db_turn():
                services.printer_state_set(printer, online=False, error=_error("status", error))
            raise NotSent(_error("status", error)) from None
        online = not status & OFFLINE
        if paper == Printer.Paper.OUT or not online:
            problem = "out of paper" if paper == Printer.Paper.OUT else "offline"
            with db_turn():
                services.printer_state_set(printer, online=online, paper=paper, error=problem)
            raise NotSent(problem)
        with db_turn():
            services.printer_state_set(printer, online=True, paper=paper)
            if not services.print_job_sending(job, worker=worker):
                raise NotSent("the job is no longer this worker's")
        try:
            connection.sock.sendall(bytes(job.payload))
            after = connection.ask(STATUS_PRINTER)  # answered once the ticket's bytes are in
        except OSError as error:
            with db_turn():
                services.printer_state_set(printer, online=False, error=_error("send", error))
            raise MaySent(_error("send", error)) from None
        with db_turn():
            services.print_job_done(job, worker=worker)
        # What the printer says now (the ticket may have used the last of the paper) is
        # for the floor; the job is done whatever it says.
        state_report(printer, connection, status=after)
    finally:
        connection.close()


def _send_plain(job: PrintJob, printer: Printer, connection: "Connection", *, worker: str) -> None:
    """Send the ticket to a printer without status, and take its TCP acknowledgement of every
    byte, with the connection still up a moment later, as "took them" (module docstring). A
    printer that closes or resets the connection instead may have dropped the ticket midway:
    `MaySent`. A status question goes after the ticket: a printer that answers it does speak
    status after all, which the floor is told (its status is worth turning on)."""
    with db_turn():
        if not services.print_job_sending(job, worker=worker):
            raise NotSent("the job is no longer this worker's")
    try:
        # The question after the ticket prints nothing (a real-time command).
        connection.sock.sendall(bytes(job.payload) + STATUS_PRINTER)
        connection.acknowledged()
        answered = _still_up(connection)
    except OSError as error:
        with db_turn():
            services.printer_state_set(printer, online=False, error=_error("send", error))
        raise MaySent(_error("send", error)) from None
    with db_turn():
        services.print_job_done(job, worker=worker)
        hint = "it answers status queries: turn them on for this printer" if answered else ""
        services.printer_state_set(printer, online=True, error=hint)


def _still_up(connection: "Connection") -> bool:
    """After a ticket to a printer without status: whether it answered the question after
    the ticket (True) or stayed silent (False), the connection up either way. Raises
    ConnectionError when the printer closed or reset the connection instead."""
    try:
        connection.sock.settimeout(conf.seconds("PRINT_AFTER_TICKET_SECONDS"))
        answer = connection.sock.recv(16)
    except TimeoutError:
        return False
    finally:
        connection.sock.settimeout(conf.seconds("PRINT_REPLY_TIMEOUT"))
    if not answer:
        raise ConnectionError("the printer closed the connection after the ticket")
    return True


def state_report(printer: Printer, connection: "Connection", *, status: int | None = None) -> None:
    """Ask ``printer`` (DLE EOT 1, unless its ``status`` answer is at hand, and DLE EOT 4) and
    tell the floor. Raises OSError when it does not answer."""
    if status is None:
        status = connection.ask(STATUS_PRINTER)
    try:
        paper = paper_of(connection.ask(STATUS_PAPER))
    except OSError:
        paper = None  # the online answer stands; the paper stays as last known
    online = not status & OFFLINE
    problem = "out of paper" if paper == Printer.Paper.OUT else "" if online else "offline"
    with db_turn():
        services.printer_state_set(printer, online=online, paper=paper, error=problem)


def printer_probe(printer_id: int) -> None:
    """An idle printer asked how it is, so the floor knows before the next ticket does (a
    printer switched off, out of paper, back). Runs in a worker thread."""
    try:
        with db_turn():
            printer = Printer.objects.filter(pk=printer_id, enabled=True).first()
        if printer is None or not printer.answers_status:
            return
        try:
            connection = Connection(printer.url)
        except OSError as error:
            with db_turn():
                services.printer_state_set(printer, online=False, error=_error("connect", error))
            return
        try:
            state_report(printer, connection)
        except OSError as error:
            with db_turn():
                services.printer_state_set(printer, online=False, error=_error("status", error))
        finally:
            connection.close()
    finally:
        with db_turn():
            connections.close_all()


def _error(step: str, error: Exception) -> str:
    text = str(error) or type(error).__name__
    return f"{step}: {text}"


def job_run(station_id: int, *, worker: str) -> str | None:
    """Claim and send ``station_id``'s next job; the state it ended in (None: nothing
    claimed). Runs in a worker thread: its database connection is closed at the end."""
    try:
        with db_turn():
            job = services.print_job_claim(station_id=station_id, worker=worker)
        if job is None:
            return None
        try:
            job_send(job, job.printer, worker=worker)
            return PrintJob.State.DONE
        except NotSent as error:
            with db_turn():
                services.print_job_retry(job, worker=worker, error=str(error))
            return PrintJob.State.QUEUED
        except MaySent as error:
            with db_turn():
                services.print_job_uncertain(job, worker=worker, error=str(error))
            return PrintJob.State.UNCERTAIN
    finally:
        with db_turn():
            connections.close_all()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Finds due stations, runs one job per station at a time on a thread pool; recovers
    expired leases at start and on every pass."""

    def __init__(self, *, threads: int = 8, name: str | None = None) -> None:
        self.name = name or worker_name()
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="print")
        self.running: dict[int, object] = {}  # station id → its future
        self.stopping = threading.Event()
        self.wake = threading.Event()

    def pass_once(self, *, probe: bool = False) -> int:
        """Recover, then start the due stations not already running (and, with ``probe``,
        ask the idle printers how they are). Returns how many jobs started."""
        with db_turn():
            close_old_connections()
            services.print_jobs_recover()
            due = services.stations_due()
        self.running = {s: f for s, f in self.running.items() if not f.done()}
        started = 0
        for station_id in dict.fromkeys(due):
            if station_id in self.running:
                continue
            future = self.pool.submit(job_run, station_id, worker=self.name)
            future.add_done_callback(lambda _: self.wake.set())
            self.running[station_id] = future
            started += 1
        if probe:
            self.probe_idle()
        return started

    def probe_idle(self) -> None:
        """Ask the printers nobody has heard from for PRINT_PROBE_SECONDS (and with no job
        in hand here) how they are: one at a time each, between tickets."""
        with db_turn():
            idle = services.printers_to_probe()
        for printer_id, station_id in idle:
            if station_id in self.running:
                continue
            self.running[station_id] = self.pool.submit(printer_probe, printer_id)

    def run_once(self) -> None:
        """Every job due now, until none is (a job that fails goes back with a backoff and
        is not due again at once): for tests and `--once`."""
        while True:
            started = self.pass_once()
            for future in list(self.running.values()):
                future.result()
            if not started:
                return

    def run(self) -> None:
        logger.info("print worker %s started", self.name)
        poll = conf.seconds("PRINT_POLL_SECONDS")
        while not self.stopping.is_set():
            try:
                self.pass_once(probe=True)
            except Exception:  # the database away for a moment: the next pass tries again
                logger.exception("print worker pass failed")
                time.sleep(1)
            self.wake.wait(poll)
            self.wake.clear()
        self.pool.shutdown(wait=True)

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
