"""Fan-out of events between the parts of Baken, and later between processes.

Publishing is best effort by contract: a receiver that misses a message event notices the gap in seq
and reads the missing messages from the database. So a broker may drop, never invent.

Every event is declared in wire.py. A part of Baken registers for the kinds it handles with
`broker.on(wire.StatusChanged, handler)`: publishing then costs one dict lookup per event, not a
call to every part that would only look at the kind and return. `subscribe` remains for a listener
of the whole stream (tests, metrics).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from baken.realtime import wire

# What a whole-stream listener gets: any event, also one decoded from another process.
Event = dict[str, Any]
Handler = Callable[[Any], None]
E = TypeVar("E", bound=wire.BrokerEvent)


class Broker(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def subscribe(self, handler: Handler) -> None: ...

    def on(self, declaration: type[E], handler: Callable[[E], None]) -> None:
        """Call ``handler`` for every event of this declaration's kind (wire.py), local or not."""
        ...

    def publish(self, event: wire.BrokerEvent) -> None: ...

    def is_ready(self) -> bool | None:
        """Whether the link to other processes is up; None when there is no such link."""
        ...


class InProcessBroker:
    """One process: events go straight to the local handlers, objects and all."""

    def __init__(self) -> None:
        self._handlers = Handlers()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._handlers.clear()

    def subscribe(self, handler: Handler) -> None:
        self._handlers.subscribe(handler)

    def on(self, declaration: type[E], handler: Callable[[E], None]) -> None:
        self._handlers.on(declaration, handler)

    def publish(self, event: wire.BrokerEvent) -> None:
        for handler in self._handlers.of(event["kind"]):
            handler(event)

    def is_ready(self) -> bool | None:
        return None


class Handlers:
    """The handlers of each kind, in the order they registered; whole-stream listeners are in
    every kind's list (and in the list for kinds nobody registered for), in their order too."""

    def __init__(self) -> None:
        self._by_kind: dict[str, list[Handler]] = {}
        self._everything: list[Handler] = []

    def clear(self) -> None:
        self._by_kind.clear()
        self._everything.clear()

    def subscribe(self, handler: Handler) -> None:
        self._everything.append(handler)
        for handlers in self._by_kind.values():
            handlers.append(handler)

    def on(self, declaration: type[E], handler: Callable[[E], None]) -> None:
        kind = wire.KIND_OF[declaration]
        self._by_kind.setdefault(kind, list(self._everything)).append(handler)

    def of(self, kind: Any) -> list[Handler]:
        """The handlers for this kind (an event from elsewhere may carry anything as its kind)."""
        found = self._by_kind.get(kind) if isinstance(kind, str) else None
        return self._everything if found is None else found
