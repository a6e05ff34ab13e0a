"""A fake kitchen printer: a TCP server speaking enough ESC/POS to stand in for a real one, for
`manage.py serve` (one per demo station, its output shown as text) and for the tests.

It records the bytes each connection brings, answers the real-time status queries as a
printer does (DLE EOT 1: online/offline; DLE EOT 4: the paper sensor), and can be told to
misbehave like one: refuse connections (its port closed), report paper out or low, go
offline, answer no status query at all (``mute``: a printer without status), stall (stop
reading and answering after N bytes of a ticket), or drop the connection after N bytes.
Tests wait on `wait_for` (a condition, no sleeps).
"""

import contextlib
import socket
import threading
import time
from collections.abc import Callable

DLE_EOT = b"\x10\x04"
ONLINE, OFFLINE = 0x12, 0x1A  # DLE EOT 1: fixed bits 1 and 4; bit 3 offline
PAPER_OK, PAPER_LOW, PAPER_OUT = 0x12, 0x1E, 0x72  # DLE EOT 4: bits 2-3 near end, 5-6 end


class FakePrinter:
    """``on_ticket(payload)`` is called (in the connection's thread) with what a connection
    brought besides status queries, when the worker asks for status after it or closes."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 on_ticket: Callable[[bytes], None] | None = None) -> None:  # fmt: skip
        self.host = host
        self.port = port
        self.on_ticket = on_ticket
        self.paper = "ok"  # "ok" | "low" | "out"
        self.offline = False
        self.stall_after: int | None = None  # bytes of a ticket, then silence
        self.drop_after: int | None = None  # bytes of a ticket, then the connection closes
        self.answer_delay = 0.0  # seconds before each status answer (a printer busy printing)
        self.mute = False  # answers no status query (a printer, or network card, without status)
        self.received: list[bytearray] = []  # per connection: the ticket bytes it brought
        self.tickets: list[bytes] = []  # each one reported to on_ticket
        self.connections = 0
        self.queries = 0
        self.changed = threading.Condition()
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._release = threading.Event()  # ends every stall
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()

    # --- control -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def start(self) -> "FakePrinter":
        self._listen()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._release.set()
        self._close_listener()
        for sock in list(self._open):
            with contextlib.suppress(OSError):
                sock.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def refuse(self) -> None:
        """Close the port: connecting is refused (ECONNREFUSED), as with a printer off."""
        self._close_listener()

    def accept(self) -> None:
        """Open the port again (the printer is back)."""
        if self._listener is None:
            self._listen()

    def release(self) -> None:
        """End the current stalls (their connections close) and stall no more."""
        self.stall_after = None
        released, self._release = self._release, threading.Event()
        released.set()

    def __enter__(self) -> "FakePrinter":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what it printed -----------------------------------------------------------------

    def printed(self) -> bytes:
        with self.changed:
            return b"".join(bytes(chunk) for chunk in self.received)

    def text(self) -> str:
        from restaurant.printing.tickets import ticket_text

        return ticket_text(self.printed())

    def wait_for(self, predicate: Callable[["FakePrinter"], bool], timeout: float = 10.0) -> bool:
        """Wait until ``predicate(self)`` holds (checked on every change); False on timeout."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True

    # --- the server ----------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(16)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True,
                                  name=f"fake-printer-{self.port}")  # fmt: skip
        self._threads.append(thread)
        thread.start()

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown stops the listening at once; close alone waits for the accept that
            # another thread is in (connections meanwhile would be taken, then reset).
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set() and self._listener is listener:
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed: refusing from now on
            sock.settimeout(None)
            with self.changed:
                self.connections += 1
                chunk = bytearray()
                self.received.append(chunk)
                self.changed.notify_all()
            self._open.add(sock)
            thread = threading.Thread(target=self._serve, args=(sock, chunk), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, chunk: bytearray) -> None:
        pending = b""
        reported = 0
        try:
            while not self._stopping.is_set():
                if self.stall_after is not None and len(chunk) >= self.stall_after:
                    self._stall()
                    return
                data = sock.recv(4096)
                if not data:
                    return
                pending += data
                while pending:
                    at = pending.find(DLE_EOT)
                    take = pending if at < 0 else pending[:at]
                    if at < 0 and pending.endswith(DLE_EOT[:1]):
                        take = pending[:-1]  # maybe half a query: wait for its next byte
                    take = self._take(chunk, take)
                    if take is None:  # stalled or dropped within the ticket
                        return
                    pending = pending[len(take) :]
                    if not pending.startswith(DLE_EOT) or len(pending) < 3:
                        break
                    if self.stall_after is not None and len(chunk) >= self.stall_after:
                        self._stall()
                        return
                    if len(chunk) > reported:
                        self._report(bytes(chunk[reported:]))
                        reported = len(chunk)
                    answer = self._answer(pending[2])
                    if not self.mute:
                        sock.sendall(bytes([answer]))
                    pending = pending[3:]
        except OSError:
            return
        finally:
            if len(chunk) > reported:
                self._report(bytes(chunk[reported:]))
            self._open.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()
            with self.changed:
                self.changed.notify_all()

    def _take(self, chunk: bytearray, data: bytes) -> bytes | None:
        """Record ticket bytes; None when a stall or a drop cut them."""
        limit = min((n for n in (self.stall_after, self.drop_after) if n is not None),
                    default=None)  # fmt: skip
        if limit is not None and len(chunk) + len(data) >= limit:
            data = data[: max(0, limit - len(chunk))]
            with self.changed:
                chunk += data
                self.changed.notify_all()
            if self.drop_after is not None and len(chunk) >= self.drop_after:
                return None
            self._stall()
            return None
        with self.changed:
            chunk += data
            self.changed.notify_all()
        return data

    def _stall(self) -> None:
        """Read nothing, answer nothing, until released or stopped."""
        with self.changed:
            self.changed.notify_all()
        self._release.wait()

    def _answer(self, n: int) -> int:
        if self.answer_delay:
            self._stopping.wait(self.answer_delay)
        with self.changed:
            self.queries += 1
            self.changed.notify_all()
        if n == 4:
            return {"ok": PAPER_OK, "low": PAPER_LOW, "out": PAPER_OUT}[self.paper]
        if n == 1:
            return OFFLINE if self.offline or self.paper == "out" else ONLINE
        return ONLINE  # DLE EOT 2/3: no error

    def _report(self, payload: bytes) -> None:
        with self.changed:
            self.tickets.append(payload)
            self.changed.notify_all()
        if self.on_ticket is not None:
            self.on_ticket(payload)
