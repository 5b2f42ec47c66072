"""Short-term limits per address hash, held in memory only (and per process)."""

from __future__ import annotations

from dataclasses import dataclass

# Beyond this many tracked addresses the idle ones are forgotten first, then the oldest.
MAX_KEYS = 50_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


class KeyedLimit:
    """At most ``limit`` events per ``window`` seconds per key: a token bucket per key that holds
    ``limit`` and refills evenly over the window."""

    def __init__(self, limit: int, window_seconds: float, max_keys: int = MAX_KEYS) -> None:
        self.limit = float(limit)
        self.rate = limit / window_seconds
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def _level(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(self.limit, now)
        else:
            bucket.tokens = min(self.limit, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
        return bucket

    def allowed(self, key: str, now: float) -> bool:
        """Whether one more event would be allowed; counts nothing."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return True
        return min(self.limit, bucket.tokens + (now - bucket.stamp) * self.rate) >= 1

    def hit(self, key: str, now: float) -> bool:
        """Count one event; False when it is over the limit (and then it is not counted)."""
        bucket = self._level(key, now)
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def _prune(self, now: float) -> None:
        full = [
            key
            for key, b in self._buckets.items()
            if b.tokens + (now - b.stamp) * self.rate >= self.limit
        ]
        for key in full:
            del self._buckets[key]
        while len(self._buckets) >= self.max_keys:
            del self._buckets[next(iter(self._buckets))]

    def clear(self) -> None:
        self._buckets.clear()

    def __len__(self) -> int:
        return len(self._buckets)
