"""Writes asked for at the same moment, committed together: one transaction, one disk sync.

SQLite has one writer and every commit waits for the disk (`synchronous=FULL`). A thousand
consoles re-opening their chats after a restart, or a campaign's burst of visitors starting at
once, each took the writer for a transaction and a sync of their own and queued behind one another
(issue 21). Here whatever is asked for while a batch is being written goes in the next batch, in
the order asked; each caller returns only once the transaction holding its write has committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """``write_all`` writes a batch in one transaction and returns one result per item, in
    order; an exception from it reaches every caller of that batch (as it would have alone)."""

    def __init__(
        self,
        write_all: Callable[[list[Item]], Awaitable[list[Result]]],
        batch_max: int,
        name: str,
    ) -> None:
        self.task_name = f"group-commit:{name}"  # its writes' task, for whoever counts them
        self._write_all = write_all
        self._batch_max = batch_max
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((item, future))
        flusher = self._flusher
        # A flusher of another event loop (tests run servers one after another in one process)
        # is never waited for.
        if flusher is None or flusher.done() or flusher.get_loop() is not loop:
            self._flusher = loop.create_task(self._flush(), name=self.task_name)
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            size = self._batch_max
            batch, self._waiting = self._waiting[:size], self._waiting[size:]
            try:
                results = await self._write_all([item for item, _ in batch])
                if len(results) != len(batch):
                    raise ValueError(f"{len(batch)} writes answered with {len(results)} results")
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
