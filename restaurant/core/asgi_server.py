"""daphne, as production runs it: the size limit answered by a proper close, and a bound on
what a socket that stops reading can make the process hold.

- daphne >= 4.2.2 enforces `--websocket-max-message-size`, but autobahn's default `failByDrop`
  then drops the TCP connection (the client sees 1006). Turning it off makes autobahn send the
  close frame with 1009, as docs/protocol.md promises.
- autobahn applies that limit to what the server sends too: a snapshot of a busy table or a
  kitchen at dinner rush (easily over 16 KiB) would kill its socket. The limit is for what
  clients send; the server's own messages are exempt.
- Twisted never refuses a write: what the peer does not read piles up in the process, without
  limit, and a phone that froze mid-dinner (or a client that reads nothing on purpose) would
  grow the worker until it dies. A socket whose unsent output passes WS_SEND_BUFFER_BYTES is
  aborted; its diner reconnects when it reads again and resyncs from the snapshot, as after
  any drop. (uvicorn needs none of this: its send waits for the peer, and the keep-alive ping
  closes a peer that stops reading.)
- A request must arrive whole within HTTP_READ_TIMEOUT seconds (default 15), counted from when
  the connection opens or its previous response ends, so that also bounds an idle keep-alive
  connection. Twisted's own timeout is an idle one, reset by every byte (a client trickling a
  header byte now and then holds its connection for ever) and 60 s long: 3,000 half-sent
  requests held 3,000 connections. daphne's `--http-timeout` does not help: it bounds the
  application's answer, counted from a request that has fully arrived.
- No `Server: daphne` header (nor the version autobahn would add to a handshake): it tells an
  attacker which bugs to try. `--server-name NAME` still sets one.

Run as `python -m restaurant.core.asgi_server` with daphne's own arguments.
"""

import asyncio
import logging
import os
import sys

# Before daphne is imported: it makes the event loop of its Twisted reactor on import.
if os.environ.get("ASGI_LOOP", "uvloop") == "uvloop":
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

import daphne.server
from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.web import http

MAX_MESSAGE_BYTES = 16 * 1024
SEND_BUFFER_BYTES = 1024 * 1024
HTTP_READ_TIMEOUT = 15.0

logger = logging.getLogger(__name__)


def unsent_bytes(transport) -> int:
    """Bytes a Twisted TCP transport has taken but not yet handed to the kernel."""
    buffered = len(getattr(transport, "dataBuffer", b"")) - getattr(transport, "offset", 0)
    return buffered + getattr(transport, "_tempDataLen", 0)


class BoundedWebSocketProtocol(WebSocketProtocol):
    def sendMessage(self, payload, *args, **kwargs):
        limit, self.maxMessagePayloadSize = self.maxMessagePayloadSize, 0
        try:
            super().sendMessage(payload, *args, **kwargs)
        finally:
            self.maxMessagePayloadSize = limit

    def serverSend(self, content, binary=False):
        if self.state == self.STATE_CLOSED:
            return  # dropped below; the application hears of it with its disconnect
        super().serverSend(content, binary)
        if self.state != self.STATE_OPEN or self.transport is None:
            return
        unsent = unsent_bytes(self.transport)
        if unsent > self.factory.send_buffer_bytes:
            peer = ":".join(map(str, self.client_addr or ()))
            logger.warning("dropping %s: it stopped reading (%d bytes unsent)", peer, unsent)
            from restaurant.realtime import metrics  # Django is set up once a socket is open

            metrics.CLOSES.labels("slow_reader").inc()
            self.dropConnection(abort=True)


class ClosingWebSocketFactory(WebSocketFactory):
    protocol = BoundedWebSocketProtocol
    send_buffer_bytes = SEND_BUFFER_BYTES

    def setProtocolOptions(self, **options):
        super().setProtocolOptions(failByDrop=False, **options)


class DeadlineHTTPChannel(http.HTTPChannel):
    """An HTTP/1.1 connection that must deliver each request whole (head and body) within
    ``read_timeout`` seconds of waiting for it; the clock stops while the request is served."""

    read_timeout = HTTP_READ_TIMEOUT
    _read_deadline = None

    def connectionMade(self):
        super().connectionMade()
        self._wait_for_request()

    def allContentReceived(self):
        self._stop_waiting()
        super().allContentReceived()

    def requestDone(self, request):
        # Started before the base class reads a pipelined request, which then stops it.
        if self.persistent:
            self._wait_for_request()
        super().requestDone(request)

    def connectionLost(self, reason):
        self._stop_waiting()
        super().connectionLost(reason)

    def _wait_for_request(self):
        self._stop_waiting()
        self._read_deadline = self.callLater(self.read_timeout, self._too_slow)

    def _stop_waiting(self):
        if self._read_deadline is not None and self._read_deadline.active():
            self._read_deadline.cancel()
        self._read_deadline = None

    def _too_slow(self):
        self._read_deadline = None
        self.timeoutConnection()  # closes; aborts after abortTimeout if the peer lingers


class DeadlineHTTPFactory(HTTPFactory):
    def protocol(self):
        # Twisted's own factory, with our channel inside its protocol-negotiating wrapper.
        return http._GenericHTTPChannelProtocol(DeadlineHTTPChannel())


def main(argv: list[str] | None = None) -> None:
    ClosingWebSocketFactory.send_buffer_bytes = int(
        os.environ.get("WS_SEND_BUFFER_BYTES", SEND_BUFFER_BYTES)
    )
    DeadlineHTTPChannel.read_timeout = float(os.environ.get("HTTP_READ_TIMEOUT", HTTP_READ_TIMEOUT))
    daphne.server.WebSocketFactory = ClosingWebSocketFactory
    daphne.server.HTTPFactory = DeadlineHTTPFactory
    CommandLineInterface().run(daphne_args(list(sys.argv[1:] if argv is None else argv)))


def daphne_args(args: list[str]) -> list[str]:
    """daphne's arguments with our defaults in front (an explicit argument still wins: for
    the server name, the last one given counts)."""
    args = ["--no-server-name", *args]
    if "--websocket-max-message-size" not in args:
        args[:0] = ["--websocket-max-message-size", str(MAX_MESSAGE_BYTES)]
    return args


if __name__ == "__main__":
    main()
