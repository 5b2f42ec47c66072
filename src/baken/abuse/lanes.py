"""Two lanes for the global argon2 budgets of return codes (issue 16): one for requests that came
with a valid proof-of-work over the JSON API, one for everything else (the no-JavaScript forms).

Every code check costs an argon2 hash, so the checks are bounded across everyone
(ChatService, LeftMessages). With one shared bucket a flood of requests that prove nothing (the
no-JavaScript forms, which cannot carry a proof) would spend the tokens that a real visitor with a
valid proof needs. The gate in web/abuse_guard.py says which lane the current request is in; the
buckets read it here, so the services keep their signatures. A context variable because each
request runs in its own task (and the gates set it on every request that reaches the work).
"""

from __future__ import annotations

from contextvars import ContextVar

from baken.domain.rate import TokenBucket

_PROVEN: ContextVar[bool] = ContextVar("baken_proven_lane", default=False)


def enter_lane(proven: bool) -> None:
    """The current request's lane: True once its proof-of-work (or the JSON gate) has passed."""
    _PROVEN.set(proven)


def in_proven_lane() -> bool:
    return _PROVEN.get()


class LanedBucket:
    """A token bucket per lane, each with the full rate and burst: what one lane spends, the
    other still has."""

    def __init__(self, rate: float, burst: float) -> None:
        self.proven = TokenBucket(rate, burst)
        self.other = TokenBucket(rate, burst)

    def take(self, now: float, cost: float = 1.0) -> bool:
        bucket = self.proven if in_proven_lane() else self.other
        return bucket.take(now, cost)
