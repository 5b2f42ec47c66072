"""How much work a new challenge asks for: more when many chats are starting or many wait.

pressure = max(starts in the last minute / normal starts per minute, waiting / normal queue)
level    = 0 while pressure <= 1, else ceil(log2(pressure)), at most ``max_level``
maxnumber = base << level   (a browser tries maxnumber / 2 numbers on average)

With the defaults (base 20,000, max level 2, 30 starts a minute, 25 waiting): normal load asks
for 20,000, up to twice normal 40,000, anything above that 80,000 — at most four times the normal
work, so that somebody in danger on a cheap phone is never held up for long (docs/security.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

WINDOW_SECONDS = 60


class Difficulty:
    def __init__(
        self,
        base: int,
        max_level: int,
        normal_starts_per_minute: int,
        normal_queue: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base = base
        self.max_level = max_level
        self.normal_starts = normal_starts_per_minute
        self.normal_queue = normal_queue
        self._clock = clock
        # One counter per second of the last minute: bounded memory whatever the rate.
        self._counts = [0] * WINDOW_SECONDS
        self._seconds = [-1] * WINDOW_SECONDS

    def record_start(self) -> None:
        second = int(self._clock())
        slot = second % WINDOW_SECONDS
        if self._seconds[slot] != second:
            self._seconds[slot], self._counts[slot] = second, 0
        self._counts[slot] += 1

    def recent_starts(self) -> int:
        now = int(self._clock())
        return sum(
            count
            for count, second in zip(self._counts, self._seconds, strict=True)
            if now - second < WINDOW_SECONDS
        )

    def level(self, waiting: int) -> int:
        pressure = max(self.recent_starts() / self.normal_starts, waiting / self.normal_queue)
        if pressure <= 1:
            return 0
        return min(self.max_level, math.ceil(math.log2(pressure)))

    def maxnumber(self, waiting: int) -> int:
        return self.base << self.level(waiting)
