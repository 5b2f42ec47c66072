"""The server's garbage-collector tuning: configuration and what start-up does to the collector."""

from __future__ import annotations

import gc
import os
import re
import weakref
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from baken.config import Settings
from baken.web import gc_tuning
from tests.support import free_port
from tests.test_failover import Process


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_thresholds_default_and_parse() -> None:
    assert gc_tuning.parse_thresholds("") == gc_tuning.DEFAULT_THRESHOLDS
    assert gc_tuning.parse_thresholds(" 5000, 5 ,20") == (5000, 5, 20)


@pytest.mark.parametrize("bad", ["1,2", "a,b,c", "50,10,10", "1000,0,10", "-1,10,10", "1,2,3,4"])
def test_bad_thresholds_are_refused_with_a_clear_error(bad: str) -> None:
    with pytest.raises(ValidationError, match="BAKEN_GC_THRESHOLDS"):
        Settings(gc_thresholds=bad)


def test_freeze_moves_the_start_up_heap_out_of_the_collectors_way(restore_gc: None) -> None:
    gc.unfreeze()
    kept = [[i] for i in range(1000)]  # live objects that a start-up would hold on to
    frozen = gc_tuning.freeze_startup_heap()
    # Other threads of the test session may allocate meanwhile: only a lower bound is exact.
    assert frozen >= len(kept) and gc.get_freeze_count() >= len(kept)
    gc_tuning.apply_thresholds((12_345, 7, 9))
    assert gc.get_threshold() == (12_345, 7, 9)
    # Garbage made after start-up (a closed chat's reference cycle) is still collected.
    cycle = _Node()
    cycle.me = cycle
    ref = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert ref() is None


class _Node:
    me: object


def test_baken_serve_freezes_its_start_up_heap_and_sets_the_thresholds(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BAKEN_DATA_DIR": str(tmp_path),
        "BAKEN_LOG_LEVEL": "warning",
        "BAKEN_GC_THRESHOLDS": "15000,10,10",
    }
    server = Process(env, free_port(), tmp_path / "serve.log")
    try:
        metrics = httpx.get(server.base + "/metrics").text
    finally:
        server.stop()
    frozen = re.search(r"^baken_heap_frozen_objects (\d+)$", metrics, re.M)
    assert frozen is not None and int(frozen.group(1)) > 10_000
    assert re.search(r'^baken_garbage_collections_total\{generation="2"\} \d+$', metrics, re.M)
