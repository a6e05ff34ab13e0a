"""Flood control: token buckets per socket, and shared ones per diner and per table (one
diner's twenty sockets, or a table full of cookies, draw on one allowance), and strikes
that end an abusive socket."""

import time
from collections import deque


class TokenBucket:
    # Slots: every socket has one, and a worker holds thousands of idle sockets.
    __slots__ = ("burst", "clock", "rate", "tokens", "updated")

    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.clock = clock
        self.updated = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class FloodGuard:
    """`allow()` says whether a message may be handled; `abusive` once refusals pile up."""

    __slots__ = ("bucket", "clock", "refused", "strikes", "window")

    def __init__(
        self, rate: float, burst: int, strikes: int, window: float, clock=time.monotonic
    ) -> None:
        self.bucket = TokenBucket(rate, burst, clock)
        self.strikes = strikes
        self.window = window
        self.clock = clock
        self.refused: deque[float] | None = None  # made at the first refusal: most sockets see none

    def allow(self, *shared: TokenBucket) -> bool:
        """Whether one message may be handled: a token from the socket's own bucket and from
        each of ``shared`` (a refusal by any counts as a strike of this socket)."""
        if self.bucket.take() and all(bucket.take() for bucket in shared):
            return True
        now = self.clock()
        if self.refused is None:
            self.refused = deque()
        self.refused.append(now)
        while self.refused and self.refused[0] < now - self.window:
            self.refused.popleft()
        return False

    @property
    def abusive(self) -> bool:
        return self.refused is not None and len(self.refused) >= self.strikes


class SharedBuckets:
    """One bucket per key (a diner, a table) for all the process's sockets of that key;
    buckets idle past IDLE_SECONDS are forgotten (bounded memory)."""

    IDLE_SECONDS = 300
    PRUNE_EVERY = 4096

    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.buckets: dict = {}
        self.takes = 0

    def __call__(self, key) -> TokenBucket:
        self.takes += 1
        if self.takes % self.PRUNE_EVERY == 0:
            stale = self.clock() - self.IDLE_SECONDS
            self.buckets = {k: b for k, b in self.buckets.items() if b.updated >= stale}
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = TokenBucket(self.rate, self.burst, self.clock)
        return bucket


_shared: dict[tuple, SharedBuckets] = {}


def shared_buckets(kind: str, rate: float, burst: int) -> SharedBuckets:
    """The process's buckets of ``kind`` at this rate (new ones when settings change)."""
    key = (kind, rate, burst)
    if key not in _shared:
        _shared[key] = SharedBuckets(rate, burst)
    return _shared[key]
