"""Edges of the print worker on real sockets: a byte the printer sent of its own is not its
answer; the state a printer reports after a ticket reaches the floor."""

import socket
import threading

import pytest

from restaurant.printing.models import Printer, PrintJob
from restaurant.printing.worker import Worker
from tests.support.fake_printer import FakePrinter, chicken, printers_point, round_submit

pytestmark = pytest.mark.django_db(transaction=True)
S = PrintJob.State


class ChattyPrinter:
    """A printer that sends one byte of its own when a connection opens (Automatic Status
    Back, or a stale answer), answers DLE EOT before the ticket, takes the whole ticket and
    then closes without answering the query that follows it: it never confirmed."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"tcp://127.0.0.1:{self.listener.getsockname()[1]}"
        self.ticket = bytearray()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        sock, _ = self.listener.accept()
        with sock:
            sock.sendall(b"\x14")  # unsolicited
            data = b""
            answered = 0
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                data += chunk
                while answered < 2 and data.startswith(b"\x10\x04"):
                    sock.sendall(b"\x12")
                    data, answered = data[3:], answered + 1
                if answered == 2 and data.endswith(b"\x10\x04\x01"):  # ticket + final query
                    self.ticket += data[:-3]
                    return  # closes without an answer


def test_a_stray_byte_is_not_taken_for_the_printers_answer(menu, stations):
    """The worker reads one byte per query and takes whatever byte comes as the answer; the
    final query's "answer" here is the printer's 2nd status byte, already in the buffer, so a
    ticket the printer never confirmed is marked done: it cannot show "may have printed"."""
    printer = ChattyPrinter()
    printers_point(wok=printer.url)
    round_submit(menu, chicken(menu))
    Worker(threads=1).run_once()
    assert printer.ticket  # the bytes went out
    assert PrintJob.objects.get().state == S.UNCERTAIN


def test_paper_running_out_during_a_ticket_shows_on_the_floor(menu, stations):
    """The answer after the ticket is not read: a printer that says offline / out of paper
    right after taking a ticket still shows online with paper on the floor until the next
    round tries it."""
    fake = FakePrinter().start()
    fake.on_ticket = lambda payload: setattr(fake, "paper", "out")
    try:
        printers_point(wok=fake.url)
        round_submit(menu, chicken(menu))
        Worker(threads=1).run_once()
        assert PrintJob.objects.get().state == S.DONE
        printer = Printer.objects.get()
        assert (printer.online, printer.paper) != (True, "ok")
    finally:
        fake.stop()


def test_an_idle_printer_is_asked_how_it_is(menu, stations, settings):
    """The floor hears of a printer switched off, or out of paper, before a ticket does."""
    from restaurant.printing import services
    from restaurant.printing.worker import Worker as Probing

    fake = FakePrinter().start()
    try:
        printers_point(wok=fake.url)
        worker = Probing(threads=1)
        worker.pass_once(probe=True)  # never heard of: asked
        for future in list(worker.running.values()):
            future.result()
        printer = Printer.objects.get()
        assert (printer.online, printer.paper) == (True, "ok") and fake.queries == 2
        assert services.printers_to_probe() == []  # heard from just now: not again yet
        fake.paper = "out"
        Printer.objects.update(last_seen_at=None)
        worker.pass_once(probe=True)
        for future in list(worker.running.values()):
            future.result()
        printer.refresh_from_db()
        assert (printer.online, printer.paper, printer.last_error) == (False, "out", "out of paper")
        fake.refuse()
        Printer.objects.update(last_seen_at=None)
        worker.pass_once(probe=True)
        for future in list(worker.running.values()):
            future.result()
        printer.refresh_from_db()
        assert printer.online is False and "connect" in printer.last_error
    finally:
        fake.stop()
