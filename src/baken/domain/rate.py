"""Token buckets: the rate limit for frames on one socket, and one per key for HTTP doors."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self, now: float, cost: float = 1.0) -> bool:
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


class BucketsByKey:
    """One token bucket per key (a conversation, a staff member), the least recently used
    dropped beyond ``kept``: a dropped one starts full again, which only matters for a key
    silent long enough to be dropped."""

    def __init__(self, rate: float, burst: float, kept: int) -> None:
        self.rate = rate
        self.burst = burst
        self.kept = kept
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def of(self, key: str) -> TokenBucket:
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = TokenBucket(self.rate, self.burst)
        self._buckets[key] = bucket
        while len(self._buckets) > self.kept:
            self._buckets.popitem(last=False)
        return bucket

    def take(self, key: str, now: float) -> bool:
        return self.of(key).take(now)
