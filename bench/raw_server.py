"""The floor: a plain `websockets` broadcast server. A socket on `/ws/table/<token>/` joins its
table; every text message it sends goes, unchanged, to every socket of the table (itself too).

    python -m bench.raw_server --port 8765
"""

import argparse
import asyncio
import contextlib
import signal

import websockets
from websockets.asyncio.server import broadcast, serve

tables: dict[str, set] = {}


async def handler(socket) -> None:
    path = socket.request.path
    token = path.strip("/").split("/")[-1]
    members = tables.setdefault(token, set())
    members.add(socket)
    try:
        async for message in socket:
            broadcast(members, message)
    except websockets.ConnectionClosed:
        pass
    finally:
        members.discard(socket)
        if not members:
            tables.pop(token, None)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    # No compression, no size beyond the application's 16 KiB: the same frames as the others.
    async with serve(handler, args.host, args.port, compression=None, max_size=16 * 1024,
                     max_queue=None):  # fmt: skip
        await stop


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
