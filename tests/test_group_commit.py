"""GroupCommit: writes asked for at once go in one batch, in order; a failed batch reaches each of
its callers and the next batch is written as usual."""

from __future__ import annotations

import asyncio

import pytest

from baken.store.group_commit import GroupCommit


async def test_writes_asked_for_at_once_share_batches_in_order() -> None:
    batches: list[list[int]] = []

    async def write_all(items: list[int]) -> list[str]:
        batches.append(items)
        await asyncio.sleep(0)  # a transaction: others ask meanwhile
        return [f"ok {i}" for i in items]

    group = GroupCommit(write_all, batch_max=30, name="test")
    results = await asyncio.gather(*(group.submit(i) for i in range(100)))
    assert results == [f"ok {i}" for i in range(100)]
    assert [i for batch in batches for i in batch] == list(range(100))
    assert max(len(batch) for batch in batches) == 30
    assert len(batches) == 4  # 100 asked at once, 30 at most per batch


async def test_a_failed_batch_reaches_each_caller_and_the_next_one_is_written() -> None:
    async def write_all(items: list[str]) -> list[str]:
        if "bad" in items:
            raise RuntimeError("disk full")
        return items

    group = GroupCommit(write_all, batch_max=10, name="test")
    outcomes = await asyncio.gather(
        group.submit("a"), group.submit("bad"), group.submit("c"), return_exceptions=True
    )
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    assert await group.submit("d") == "d"


async def test_a_writer_answering_the_wrong_number_fails_loudly() -> None:
    async def write_all(items: list[int]) -> list[int]:
        return items[:-1]

    group = GroupCommit(write_all, batch_max=10, name="test")
    with pytest.raises(ValueError):
        await asyncio.gather(group.submit(1), group.submit(2))
