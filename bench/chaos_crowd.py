"""Many sockets at once from many loopback addresses, as a crowd comes: `open_many` and the
product's per-address limits the crowd scenarios (storm, db_connections, same_address) run with.
"""

import asyncio
import random

from bench.chaos_client import failure_name, open_socket
from bench.chaos_figures import clock
from bench.loadgen import Target
from bench.wsclient import HandshakeError


async def open_many(
    target: Target,
    specs: list[tuple[str, str]],
    inflight: int,
    *,
    timeout: float = 30.0,
    local_host: str | list[str] | None = None,
    retry_until: float | None = None,
) -> tuple[list, dict, float]:
    """Open a socket per (token, cookie), ``inflight`` handshakes at a time, each waiting for
    its snapshot, from ``local_host`` (a list: in turn). Returns the open connections, the
    failures by kind, and the seconds taken. With ``retry_until`` (a clock time) a refused
    socket tries again with the page's backoff."""
    hosts = local_host if isinstance(local_host, list) else [local_host]
    sem = asyncio.Semaphore(inflight)
    failures: dict[str, int] = {}
    conns = []
    started = clock()

    async def one(token: str, cookie: str, host: str | None) -> None:
        attempt = 0
        while True:
            snapshot = asyncio.get_running_loop().create_future()

            def first(conn, payload, t, snapshot=snapshot):
                if not snapshot.done():
                    snapshot.set_result(payload)
                conn.on_message = lambda *a: None

            try:
                async with sem:
                    conn = await open_socket(
                        target, f"/ws/table/{token}/", cookie=cookie, on_message=first,
                        timeout=timeout, local_host=host, user=(token, cookie),
                    )  # fmt: skip
                    try:
                        await asyncio.wait_for(snapshot, timeout)
                    except BaseException:
                        conn.abort()
                        raise
                conns.append(conn)
                return
            except (OSError, TimeoutError, HandshakeError) as exc:
                name = failure_name(exc)
                failures[name] = failures.get(name, 0) + 1
            if retry_until is None or clock() > retry_until:
                return
            ceiling = min(10.0, 0.5 * 2**attempt)
            attempt += 1
            await asyncio.sleep(ceiling / 2 + random.random() * ceiling / 2)

    await asyncio.gather(
        *(one(token, cookie, hosts[i % len(hosts)]) for i, (token, cookie) in enumerate(specs))
    )
    return conns, failures, round(clock() - started, 2)


# The product's per-address limits (config/settings.py). bench/servers.py lifts them for the
# benchmark (all its sockets come from 127.0.0.1); the scenarios about many sockets run with
# them, and spread their clients over several loopback addresses as a crowd would come.
PRODUCT_ADDRESS_LIMITS = {
    "WS_SOCKETS_PER_ADDRESS": 500, "WS_CONNECT_BURST": 300, "WS_CONNECTS_PER_SECOND": 20,
}  # fmt: skip
CROWD = [f"127.0.1.{i}" for i in range(1, 21)]  # 20 addresses (any 127.x is loopback)


def specs_of(tables) -> list[tuple[str, str]]:
    return [(t.token, cookie) for t in tables for cookie in t.cookies]
