"""Sockets per client address, per process: a cap on how many are open at once and on how
fast new ones come.

A restaurant's diners often share one address (the restaurant's Wi-Fi behind NAT, or a
carrier's NAT), so the limits are sized for a full dining room reconnecting at once (after a
Wi-Fi blip or a worker restart), not for one phone: SOCKETS_PER_ADDRESS open, and a connect
burst of CONNECT_BURST refilled at CONNECTS_PER_SECOND. What they stop is one machine opening
thousands of sockets to exhaust a worker. Refused handshakes get 403, like any other refusal;
the page retries with backoff. The address is the client's as restaurant/core/client_address.py
decided it (behind nginx, from the X-Forwarded-For that nginx overwrote).
"""

import time

from django.conf import settings

from restaurant.realtime import metrics
from restaurant.realtime.deny import Denier
from restaurant.realtime.ratelimit import TokenBucket

# Forget an address's bucket once it is idle this long with no socket open (bounded memory).
IDLE_SECONDS = 300
PRUNE_EVERY = 1024


class AddressLimitMiddleware:
    def __init__(self, app, clock=time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self.open: dict[str, int] = {}
        self.buckets: dict[str, TokenBucket] = {}
        self.connects = 0

    def admit(self, address: str) -> bool:
        limits = settings.RESTAURANT
        if self.open.get(address, 0) >= limits["SOCKETS_PER_ADDRESS"]:
            return False
        bucket = self.buckets.get(address)
        if bucket is None:
            bucket = TokenBucket(limits["CONNECTS_PER_SECOND"], limits["CONNECT_BURST"], self.clock)
            self.buckets[address] = bucket
        return bucket.take()

    def prune(self) -> None:
        stale = self.clock() - IDLE_SECONDS
        for address in [a for a, b in self.buckets.items() if b.updated < stale]:
            if not self.open.get(address):
                del self.buckets[address]

    async def __call__(self, scope, receive, send):
        address = (scope.get("client") or ("-",))[0] or "-"
        self.connects += 1
        if self.connects % PRUNE_EVERY == 0:
            self.prune()
        if not self.admit(address):
            metrics.CLOSES.labels("address_limit").inc()
            return await Denier()(scope, receive, send)
        self.open[address] = self.open.get(address, 0) + 1
        try:
            return await self.app(scope, receive, send)
        finally:
            left = self.open[address] - 1
            if left:
                self.open[address] = left
            else:
                del self.open[address]
