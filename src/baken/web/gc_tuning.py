"""Garbage-collector settings for a long-running chat server.

CPython's full collection walks every tracked object while holding the GIL. With a thousand open
chats the heap holds ~450,000 objects (each WebSocket costs a few hundred: coroutines, frames,
queues), and a full pass then stops every chat for ~200 ms, every few seconds under load
(docs/performance.md). Two measures bring the tail back below 50 ms without hiding leaks:

- ``gc.freeze()`` once the server has started: modules, classes and the app are never garbage, so
  the collector need not walk them again (a third of the heap).
- A larger young generation: a message's objects live for milliseconds; with the default threshold
  of 700 allocations many of them are still alive at a young collection and get promoted, so the
  old generation fills and full passes come often. With 20,000 they die young.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)

DEFAULT_THRESHOLDS = (20_000, 10, 10)


def parse_thresholds(value: str) -> tuple[int, int, int]:
    """``"20000,10,10"`` → thresholds; ``""`` → the defaults. Raises ValueError when malformed."""
    if not value.strip():
        return DEFAULT_THRESHOLDS
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError("BAKEN_GC_THRESHOLDS must be three whole numbers, e.g. 20000,10,10")
    first, second, third = (int(p) for p in parts)
    if first < 100 or second < 1 or third < 1:
        raise ValueError("BAKEN_GC_THRESHOLDS: the first must be ≥ 100, the others ≥ 1")
    return first, second, third


def apply_thresholds(thresholds: tuple[int, int, int]) -> None:
    gc.set_threshold(*thresholds)


def freeze_startup_heap() -> int:
    """Collect once, then move everything alive to the permanent generation. Returns its size."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("garbage collector: %d start-up objects frozen", frozen)
    return frozen
