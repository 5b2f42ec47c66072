"""Fan-out of events between the parts of Baken, and later between processes.

Publishing is best effort by contract: a receiver that misses a message event notices the gap in seq
and reads the missing messages from the database. So a broker may drop, never invent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Event = dict[str, Any]
Handler = Callable[[Event], None]


class Broker(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def subscribe(self, handler: Handler) -> None: ...

    def publish(self, event: Event) -> None: ...

    def is_ready(self) -> bool | None:
        """Whether the link to other processes is up; None when there is no such link."""
        ...


class InProcessBroker:
    """One process: events go straight to the local handlers, objects and all."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._handlers.clear()

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def publish(self, event: Event) -> None:
        for handler in self._handlers:
            handler(event)

    def is_ready(self) -> bool | None:
        return None
