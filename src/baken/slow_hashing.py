"""Hashing that is slow on purpose (argon2id for passwords and return codes), kept off the chat.

One such hash takes 19–64 MiB and tens of milliseconds of CPU, so two rules:

- At most `HASH_WORKERS` hashes run at once; the others wait their turn. A burst of sign-ins or code
  tries (an attack, or a shift starting) cannot take the server's memory, as the default executor's
  threads (CPU count + 4) × 64 MiB could.
- The hashing threads run at a lower CPU priority than the event loop (nice +10 on Linux). On a busy
  core the chat's messages go first and a sign-in waits a little longer, not the other way round.
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
    # Linux keeps a nice value per thread (the argon2 lanes it starts inherit it); elsewhere this
    # is not available and the hashes simply run at normal priority.
    if not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError):
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + NICENESS))


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
