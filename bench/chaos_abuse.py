"""Chaos scenarios of a hostile or unlucky client: `same_address` (a restaurant's shared Wi-Fi
connects while one address opening thousands of sockets is capped) and `big_frames` (frames of
1 MiB and 16 MiB and a deflate bomb: closed with 1009, memory bounded).
"""

import asyncio
import zlib

from bench import procstats
from bench.chaos_base import Chaos, Check
from bench.chaos_client import open_socket
from bench.chaos_crowd import PRODUCT_ADDRESS_LIMITS, open_many, specs_of
from bench.chaos_figures import RssSampler, clock, log_problems, stop_all, targets_of
from bench.loadgen import Target
from bench.wsclient import text_frame


# --- 8. same_address -----------------------------------------------------------------------------
async def same_address(chaos: Chaos) -> dict:
    """One address: a restaurant's shared Wi-Fi connects; an abuser's thousands are capped."""
    s = chaos.sizes
    extra = dict(PRODUCT_ADDRESS_LIMITS)
    if s.per_address_limit:
        extra["WS_SOCKETS_PER_ADDRESS"] = s.per_address_limit
    env = chaos.env("same_address", **extra)
    limit = extra["WS_SOCKETS_PER_ADDRESS"]
    wifi_tables = chaos.seated(-(-s.wifi_diners // 4), 4)
    abuser_tables = chaos.seated(10, 4)
    workers = await chaos.workers(env, 1)
    wifi, abuser = [], []
    try:
        target = targets_of(workers)[0]
        # The dining room: every phone from 127.0.0.1, all at once, retrying as the page does.
        first_try, wifi_failures, _ = await open_many(
            target, specs_of(wifi_tables)[: s.wifi_diners], 50, local_host="127.0.0.1"
        )
        wifi = list(first_try)
        todo = s.wifi_diners - len(wifi)
        if todo:
            # (the refused ones: which spec does not matter for counting)
            more, _, _ = await open_many(
                target, specs_of(wifi_tables)[:todo], 50, local_host="127.0.0.1",
                retry_until=clock() + 60,
            )  # fmt: skip
            wifi += more
        # The abuser: another address (127.0.0.2), thousands of sockets, no retry.
        cookies = specs_of(abuser_tables)
        specs = [cookies[i % len(cookies)] for i in range(s.abuser_sockets)]
        abuser, abuser_failures, abuser_seconds = await open_many(
            target, specs, 100, local_host="127.0.0.2", timeout=30
        )
        refused = abuser_failures.get("status 403", 0)
        # The restaurant is still served: one op at a few of its tables reaches the table.
        still_open = sum(1 for c in wifi if not c.closed)
        figures = {
            "workers": 1, "per_address_limit": limit,
            "connect_burst": extra["WS_CONNECT_BURST"],
            "connects_per_second_limit": extra["WS_CONNECTS_PER_SECOND"],
            "wifi_diners": s.wifi_diners, "wifi_connected_first_try": len(first_try),
            "wifi_refusals_first_try": wifi_failures, "wifi_connected": len(wifi),
            "wifi_still_open_after_abuse": still_open,
            "abuser_sockets": s.abuser_sockets, "abuser_accepted": len(abuser),
            "abuser_refused_403": refused, "abuser_failures": abuser_failures,
            "abuser_seconds": abuser_seconds,
            "server_log_problems": log_problems(workers)[:10],
        }  # fmt: skip
        figures["checks"] = [
            Check("shared Wi-Fi diners connected (one address)",
                  f"{len(wifi)}/{s.wifi_diners} ({len(first_try)} at the first try)", "all",
                  len(wifi) == s.wifi_diners and still_open == s.wifi_diners),
            Check("one address opening many sockets is capped",
                  f"{len(abuser)} accepted, {refused} refused of {s.abuser_sockets}",
                  f"<= {limit} accepted", len(abuser) <= limit and refused > 0),
        ]  # fmt: skip
        return figures
    finally:
        for conn in [*wifi, *abuser]:
            conn.abort()
        stop_all(workers)


# --- 9. big_frames -------------------------------------------------------------------------------
MAX_MESSAGE_BYTES = 16 * 1024
BOMB_BYTES = 8 << 20  # inflates from about 8 KiB on the wire: well under the limit compressed


async def _one_frame(target: Target, token: str, cookie: str, frame: bytes, pid: int) -> dict:
    """Send one raw frame after the snapshot; the close code the client gets, and the
    server's RSS growth while it deals with it (sampled every 5 ms)."""
    got = asyncio.get_running_loop().create_future()

    def first(conn, payload, t):
        if not got.done():
            got.set_result(payload)

    closed = asyncio.get_running_loop().create_future()

    def on_close(conn, by_us):
        if not closed.done():
            closed.set_result(conn.close_code)

    conn = await open_socket(target, f"/ws/table/{token}/", cookie=cookie, on_message=first,
                             on_close=on_close)  # fmt: skip
    try:
        await asyncio.wait_for(got, 10)
        await asyncio.sleep(0.3)
        before = procstats.rss_kib(pid)
        with RssSampler([pid], interval=0.005) as rss:
            conn.transport.write(frame)
            try:
                code = await asyncio.wait_for(closed, 10)
            except TimeoutError:
                code = "open after 10 s"
            await asyncio.sleep(0.3)
        return {"close_code": code if code is not None else "dropped (no close frame)",
                "rss_growth_kib": (rss.peak.get(pid) or 0) - (before or 0)}  # fmt: skip
    finally:
        conn.abort()


def _big_text_frame(size: int) -> bytes:
    pad = size - len(b'{"type":"sync","id":"big","pad":""}')
    return text_frame(b'{"type":"sync","id":"big","pad":"' + b"x" * pad + b'"}')


async def _deflate_bomb(target: Target, token: str, cookie: str, size: int, pid: int) -> dict:
    """permessage-deflate, through the `websockets` client: ``size`` bytes of JSON that
    compress to a few KiB. Returns whether it was negotiated, the close code, RSS growth."""
    import websockets

    url = f"ws://{target.host}:{target.port}/ws/table/{token}/"
    async with websockets.connect(
        url, origin=target.origin, additional_headers={"Cookie": f"sessionid={cookie}"},
        compression="deflate", max_size=None, open_timeout=10,
    ) as socket:  # fmt: skip
        extensions = socket.response.headers.get("Sec-WebSocket-Extensions")
        await socket.recv()
        await asyncio.sleep(0.3)
        body = '{"type":"sync","id":"bomb","pad":"' + " " * (size - 40) + '"}'
        compressed = len(zlib.compress(body.encode(), 9))
        before = procstats.rss_kib(pid)
        code = None
        with RssSampler([pid], interval=0.005) as rss:
            try:
                await socket.send(body)
                while True:
                    await asyncio.wait_for(socket.recv(), 10)
            except websockets.ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else "dropped (no close frame)"
            except TimeoutError:
                code = "open after 10 s"
            await asyncio.sleep(0.3)
    return {"negotiated": extensions, "decompressed_bytes": size,
            "compressed_bytes_about": compressed, "close_code": code,
            "rss_growth_kib": (rss.peak.get(pid) or 0) - (before or 0)}  # fmt: skip


async def big_frames(chaos: Chaos) -> dict:
    """Frames of 1 MiB and 16 MiB, and a compressed bomb: closed with 1009, memory bounded."""
    s = chaos.sizes
    env = chaos.env("big_frames")
    tables = chaos.seated(4, 4)
    specs = specs_of(tables)
    results, checks = {}, []
    for server in ("daphne", "uvicorn"):
        workers = await chaos.workers(env, 1, server=server)
        try:
            worker = workers[0]
            target = targets_of(workers)[0]
            rows = []
            # One round first, unmeasured: the first socket's imports and caches.
            await _one_frame(target, *specs[0], _big_text_frame(64 * 1024), worker.pid)
            for i, size in enumerate(s.frame_sizes):
                row = await _one_frame(target, *specs[1 + i], _big_text_frame(size), worker.pid)
                rows.append({"frame_bytes": size, **row})
                checks.append(Check(
                    f"{server}: a {size >> 20} MiB frame", f"close {row['close_code']}, RSS "
                    f"+{row['rss_growth_kib']} KiB", "1009, RSS <= +32 KiB (2 x 16 KiB)",
                    row["close_code"] == 1009 and row["rss_growth_kib"] <= 2 * 16,
                ))  # fmt: skip
            bomb = await _deflate_bomb(target, *specs[5], BOMB_BYTES, worker.pid)
            if server == "daphne":
                ok = bomb["negotiated"] is None
                measured = f"not negotiated (close {bomb['close_code']} for it uncompressed)"
                mark = "no compression offered"
            else:
                ok = bomb["close_code"] == 1009 and bomb["rss_growth_kib"] <= 2 * 16
                measured = (f"negotiated, close {bomb['close_code']}, RSS "
                            f"+{bomb['rss_growth_kib']} KiB")  # fmt: skip
                mark = "1009, RSS <= +32 KiB"
            wire = bomb["compressed_bytes_about"] >> 10
            checks.append(Check(f"{server}: an 8 MiB deflate bomb (~{wire} KiB on the wire)",
                                measured, mark, ok))  # fmt: skip
            results[server] = {"frames": rows, "deflate_bomb": bomb,
                               "server_log_problems": log_problems(workers)[:10]}  # fmt: skip
        finally:
            stop_all(workers)
    return {"limit_bytes": MAX_MESSAGE_BYTES, **results, "checks": checks}
