"""daphne, with the socket size limit answered by a proper close.

daphne >= 4.2.2 enforces `--websocket-max-message-size`, but autobahn's default `failByDrop`
then drops the TCP connection (the client sees 1006). Turning it off makes autobahn send the
close frame with 1009, as docs/protocol.md promises. Run as `python -m restaurant.core.asgi_server`
with daphne's own arguments.
"""

import sys

import daphne.server
from daphne.cli import CommandLineInterface
from daphne.ws_protocol import WebSocketFactory

MAX_MESSAGE_BYTES = 16 * 1024


class ClosingWebSocketFactory(WebSocketFactory):
    def setProtocolOptions(self, **options):
        super().setProtocolOptions(failByDrop=False, **options)


def main(argv: list[str] | None = None) -> None:
    daphne.server.WebSocketFactory = ClosingWebSocketFactory
    args = list(sys.argv[1:] if argv is None else argv)
    if "--websocket-max-message-size" not in args:
        args[:0] = ["--websocket-max-message-size", str(MAX_MESSAGE_BYTES)]
    CommandLineInterface().run(args)


if __name__ == "__main__":
    main()
