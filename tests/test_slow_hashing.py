"""The hashing pool: HASH_WORKERS hashes at most at once, below the event loop's CPU priority."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time

import pytest

from baken import slow_hashing
from baken.auth.passwords import hash_password, verify_password


async def test_a_hash_runs_off_the_event_loop_and_returns_its_result() -> None:
    loop_thread = threading.get_ident()
    stored = await slow_hashing.run_hash(hash_password, "a long enough passphrase")
    assert await slow_hashing.run_hash(verify_password, stored, "a long enough passphrase")
    assert not await slow_hashing.run_hash(verify_password, stored, "another passphrase!")
    assert await slow_hashing.run_hash(threading.get_ident) != loop_thread


async def test_no_more_than_hash_workers_run_at_once() -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    jobs = 4 * slow_hashing.HASH_WORKERS
    await asyncio.gather(*(slow_hashing.run_hash(work) for _ in range(jobs)))
    assert most == slow_hashing.HASH_WORKERS


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux")
async def test_hashing_threads_yield_the_cpu_to_the_event_loop() -> None:
    def own_niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    loop_niceness = own_niceness()
    hashing_niceness = await slow_hashing.run_hash(own_niceness)
    assert hashing_niceness == min(19, loop_niceness + slow_hashing.NICENESS)
    assert own_niceness() == loop_niceness  # the event loop's own thread is left alone


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SCHED_IDLE is Linux")
async def test_hashing_threads_run_only_on_idle_cpu_time() -> None:
    def own_policy() -> int:
        return os.sched_getscheduler(threading.get_native_id())

    assert await slow_hashing.run_hash(own_policy) == os.SCHED_IDLE
    assert own_policy() == os.SCHED_OTHER  # not the event loop's thread


def test_the_timing_equaliser_costs_what_a_real_password_hash_costs() -> None:
    """An unknown username is checked against a fixed hash (auth/passwords.py, written out so a
    start does not spend an argon2 hash on it): it must carry this module's parameters, or an
    unknown name would answer faster than a wrong password."""
    from argon2 import extract_parameters

    from baken.auth import passwords

    assert extract_parameters(passwords._DUMMY_HASH) == passwords._hasher._parameters
    assert passwords._hasher.verify(passwords._DUMMY_HASH, "baken-timing-equaliser")
    assert not passwords.verify_password(None, "baken-timing-equaliser")
