"""Solutions already used, kept until their challenge expires: each one buys a single start.

With Redis configured (BAKEN_REDIS_URL) the set is shared by all processes (``SET … NX EXAT``);
without it, or while Redis is unreachable, each process keeps its own set in memory.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


class UsedSolutions:
    def __init__(
        self, redis_url: str = "", namespace: str = "baken", clock: Callable[[], float] = time.time
    ) -> None:
        self._redis: Redis | None = None
        if redis_url:
            # Imported only with Redis configured: 0.16 s of every start otherwise (issue 21).
            from redis.asyncio import Redis

            self._redis = Redis.from_url(redis_url)
        self._prefix = f"{namespace}:pow-used:"
        self._clock = clock
        self._used: set[str] = set()
        self._expiry: list[tuple[int, str]] = []
        self._redis_failing = False

    async def first_use(self, challenge: str, expires: int) -> bool:
        """True the first time a challenge is presented, False for every later time."""
        if self._redis is not None:
            try:
                stored = await self._redis.set(
                    self._prefix + challenge, b"1", nx=True, exat=expires + 1
                )
            except _redis_error():
                if not self._redis_failing:
                    log.warning("Redis unreachable: used proofs of work are kept per process")
                self._redis_failing = True
            else:
                self._redis_failing = False
                return bool(stored)
        return self._first_use_here(challenge, expires)

    def _first_use_here(self, challenge: str, expires: int) -> bool:
        now = self._clock()
        while self._expiry and self._expiry[0][0] < now:
            self._used.discard(heapq.heappop(self._expiry)[1])
        if challenge in self._used:
            return False
        self._used.add(challenge)
        heapq.heappush(self._expiry, (expires, challenge))
        return True

    def __len__(self) -> int:
        return len(self._used)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


def _redis_error() -> type[Exception]:
    from redis.exceptions import RedisError

    return RedisError
