"""Hashing that is slow on purpose (argon2id for passwords and return codes), kept off the chat.

One such hash takes 19–64 MiB and 30–200 ms of CPU, so two rules:

- At most `HASH_WORKERS` hashes run at once; the others wait their turn. A burst of sign-ins or code
  tries (an attack, or a shift starting) cannot take the server's memory, as the default executor's
  threads (CPU count + 4) × 64 MiB could.
- The hashing threads run only on CPU time nobody else wants (Linux `SCHED_IDLE`; elsewhere, or if
  that is refused, nice +10). On a busy core the chats' messages go first and a sign-in waits a
  little longer, not the other way round. Nice +10 alone was not enough: with the server near a
  full core, a sign-in's 200 ms of argon2 still took a tenth of the core from the event loop for
  about two seconds, and the chats' p99 rose by 39 % (docs/performance.md, cost of the security
  work).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

HASH_WORKERS = 2
NICENESS = 10

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _lower_priority() -> None:
    # Linux keeps the scheduling policy and nice value per thread, and the argon2 lanes a hashing
    # thread starts inherit both. Elsewhere neither is available and hashes run at normal priority.
    if not hasattr(os, "setpriority"):
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + NICENESS))
    if hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(thread, os.SCHED_IDLE, os.sched_param(0))


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                HASH_WORKERS, thread_name_prefix="baken-hash", initializer=_lower_priority
            )
        return _executor


async def run_hash(fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)` in a low-priority hashing thread; the caller awaits the result."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), functools.partial(fn, *args))
