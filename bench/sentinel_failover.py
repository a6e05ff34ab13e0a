"""Redis Sentinel failover under the project's channel layers (docs/redis-sentinel.md).

```
.venv/bin/python -m bench.sentinel_failover [--layer pubsub|redis] [--seconds 20]
```

Starts its own Redis primary and replica and three Sentinels (redis-server processes on
loopback ports of their own, in a temporary directory; the machine's Redis is not touched),
then two instances of the project's layer (`restaurant.realtime.layers`) configured with a
Sentinel host entry, as two worker processes would be: one joins a group, the other sends to
it every 10 ms. The primary gets SIGKILL; the Sentinels promote the replica. Printed: when the
sends fail and succeed again, when messages arrive again, how many were lost (the layer
delivers at most once: the app's clients resync from a snapshot, docs/reliability.md) and
whether the receiving layer reports that its subscription was cut off (`forgot()`, which
makes a worker close its sockets with 4503 so that they resync).

Every process started here is stopped on the way out (errors and Ctrl-C too).
"""

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

from tests.support.sentinel import MASTER, SentinelGroup

clock = time.perf_counter


async def run(layer_kind: str, seconds: float, work: Path) -> dict:
    import redis.asyncio as aioredis

    from restaurant.realtime.layers import RedisChannelLayer, RedisPubSubChannelLayer

    r = SentinelGroup(work)
    try:
        r.start()
        sentinel_hosts = [("127.0.0.1", p) for p in r.sentinels]
        await asyncio.to_thread(r.wait_ready, 30)
        host = {"master_name": MASTER, "sentinels": sentinel_hosts, "socket_timeout": 10}
        cls = RedisPubSubChannelLayer if layer_kind == "pubsub" else RedisChannelLayer
        receiver, sender = cls(hosts=[host], prefix="ro-sent"), cls(hosts=[host], prefix="ro-sent")
        channel = await receiver.new_channel()
        await receiver.group_add("table", channel)
        received: list[tuple[float, int]] = []
        sent: list[tuple[float, int]] = []
        failures: list[tuple[float, str]] = []
        stop = asyncio.Event()

        async def receive() -> None:
            while not stop.is_set():
                try:
                    message = await receiver.receive(channel)
                    received.append((clock(), message["n"]))
                except Exception as exc:  # the layer raises while Redis is away
                    failures.append((clock(), f"receive {type(exc).__name__}"))
                    await asyncio.sleep(0.05)

        async def send() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    await asyncio.wait_for(sender.group_send("table", {"type": "x", "n": n}), 5)
                    sent.append((clock(), n))
                except Exception as exc:
                    failures.append((clock(), f"send {type(exc).__name__}"))
                await asyncio.sleep(0.01)

        forgot_seen: list[float] = []

        async def watch_forgot() -> None:
            while not stop.is_set():
                with contextlib.suppress(Exception):
                    if await receiver.forgot("ro-sent-watch", 30):
                        forgot_seen.append(clock())
                await asyncio.sleep(0.5)

        tasks = [asyncio.create_task(f()) for f in (receive, send, watch_forgot)]
        await asyncio.sleep(2)
        t_kill = clock()
        r.kill("primary")
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.sleep(0.3)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        promoted = await aioredis.Redis(port=r.sentinels[0]).sentinel_get_master_addr_by_name(
            MASTER
        )
        sent_after = [t for t, _ in sent if t > t_kill]
        got_after = [t for t, _ in received if t > t_kill]
        sent_ns = {n for _, n in sent}
        got_ns = {n for _, n in received}
        fail_after = [t for t, _ in failures if t > t_kill]
        kinds: dict[str, int] = {}
        for _, kind in failures:
            kinds[kind] = kinds.get(kind, 0) + 1
        # the first send after the kill that came after a failure: sending works again
        last_fail = max(fail_after) if fail_after else t_kill
        first_ok = min((t for t in sent_after if t > last_fail), default=None)
        gaps = [b - a for a, b in zip([t_kill, *got_after], got_after, strict=False)]
        return {
            "layer": layer_kind,
            "primary_port": r.primary,
            "promoted": f"{_text(promoted[0])}:{promoted[1]}" if promoted else None,
            "replica_port": r.replica,
            "sent": len(sent),
            "received": len(received),
            "sent_not_received": len(sent_ns - got_ns),
            "failures": kinds,
            "sending_again_after_s": round(first_ok - t_kill, 2) if first_ok else None,
            "receiving_again_after_s": round(
                min((t for t in got_after if t > last_fail), default=t_kill) - t_kill, 2
            )
            if got_after
            else None,
            "longest_silence_s": round(max(gaps), 2) if gaps else None,
            "received_in_last_second": sum(1 for t in got_after if t > clock() - 1.5),
            "forgot_reported_after_s": [round(t - t_kill, 2) for t in forgot_seen],
        }
    finally:
        r.stop()


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sentinel_failover")
    p.add_argument("--layer", choices=["pubsub", "redis"], default="pubsub")
    p.add_argument("--seconds", type=float, default=20.0, help="watched after the kill")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ro-sentinel-") as tmp:
        try:
            result = asyncio.run(run(args.layer, args.seconds, Path(tmp)))
        except KeyboardInterrupt:
            print("interrupted: every redis-server stopped", file=sys.stderr)
            return 130
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
