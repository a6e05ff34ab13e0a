"""Per-socket flood control: a token bucket, and strikes that end an abusive socket."""

import time
from collections import deque


class TokenBucket:
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

    def __init__(
        self, rate: float, burst: int, strikes: int, window: float, clock=time.monotonic
    ) -> None:
        self.bucket = TokenBucket(rate, burst, clock)
        self.strikes = strikes
        self.window = window
        self.clock = clock
        self.refused: deque[float] = deque()

    def allow(self) -> bool:
        if self.bucket.take():
            return True
        now = self.clock()
        self.refused.append(now)
        while self.refused and self.refused[0] < now - self.window:
            self.refused.popleft()
        return False

    @property
    def abusive(self) -> bool:
        return len(self.refused) >= self.strikes
