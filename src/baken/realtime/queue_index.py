"""The waiting visitors of each organisation in queue order, kept sorted as they come and go.

Issue 21, item 3: a start must not cost more when 15,000 wait than when 10 do. The hub used to
sort the whole queue again after every change and walk every waiting visitor to find whose place
had moved. This index keeps one sorted list of queue keys per organisation instead: a start, a
leave or a changed rank is a binary search plus one insertion or deletion (a memmove of pointers,
no Python work per waiting visitor), a place is a binary search, and every change says from which
place on the line moved, so the broadcast visits only those visitors. The keys themselves come from
domain/queue.py (`queue_key`); the index never decides the order.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from heapq import merge

from baken.domain.queue import QueueKey


class QueueIndex:
    __slots__ = ("_entries", "_lines", "_positions")

    def __init__(self) -> None:
        # Per organisation: its waiting visitors' keys, sorted (place 1 first).
        self._lines: dict[str, list[QueueKey]] = {}
        # Per waiting conversation: its organisation and key.
        self._entries: dict[str, tuple[str, QueueKey]] = {}
        # Every place at once, in the whole queue's order; built only when asked, until a change.
        self._positions: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, conversation_id: object) -> bool:
        return conversation_id in self._entries

    def put(self, organisation_id: str, key: QueueKey) -> tuple[str, int] | None:
        """Add a waiting conversation or move it to a new key (its id is ``key[2]``).

        Returns the organisation and the first place whose holder changed (everyone from there
        on has a new place), or None when nothing changed."""
        conversation_id = key[2]
        old = self._entries.get(conversation_id)
        if old == (organisation_id, key):
            return None
        first: int | None = None
        if old is not None:
            moved = self.remove(conversation_id)
            if moved is not None and moved[0] == organisation_id:
                first = moved[1]
        line = self._lines.setdefault(organisation_id, [])
        index = bisect_left(line, key)
        line.insert(index, key)
        self._entries[conversation_id] = (organisation_id, key)
        self._positions = None
        place = index + 1
        return organisation_id, place if first is None else min(first, place)

    def remove(self, conversation_id: str) -> tuple[str, int] | None:
        """Take a conversation out of the queue; its organisation and the place it had."""
        entry = self._entries.pop(conversation_id, None)
        if entry is None:
            return None
        organisation_id, key = entry
        line = self._lines[organisation_id]
        index = bisect_left(line, key)
        del line[index]
        if not line:
            del self._lines[organisation_id]
        self._positions = None
        return organisation_id, index + 1

    def position(self, conversation_id: str) -> int | None:
        """Place in their own organisation's line, 1 being next."""
        entry = self._entries.get(conversation_id)
        if entry is None:
            return None
        organisation_id, key = entry
        return bisect_left(self._lines[organisation_id], key) + 1

    def organisation_of(self, conversation_id: str) -> str | None:
        entry = self._entries.get(conversation_id)
        return None if entry is None else entry[0]

    def size(self, organisation_id: str) -> int:
        return len(self._lines.get(organisation_id, ()))

    def organisations(self) -> list[str]:
        return list(self._lines)

    def head(self, organisation_id: str, count: int) -> list[tuple[str, int]]:
        """The first ``count`` of an organisation's line: (conversation id, place)."""
        return self.slice(organisation_id, 0, count)

    def tail(self, organisation_id: str, first: int) -> Iterator[tuple[str, int]]:
        """An organisation's line from place ``first`` on: (conversation id, place)."""
        line = self._lines.get(organisation_id, [])
        for index in range(max(0, first - 1), len(line)):
            yield line[index][2], index + 1

    def slice(self, organisation_id: str, start: int, count: int) -> list[tuple[str, int]]:
        """``count`` of an organisation's line from index ``start`` (place ``start + 1``) on."""
        line = self._lines.get(organisation_id, [])
        return [(key[2], place) for place, key in enumerate(line[start : start + count], start + 1)]

    def positions(self) -> dict[str, int]:
        """Every waiting conversation's place in its own line, in the whole queue's order (the
        order `domain.queue.positions_per_group` gives). O(n): for the rare readers that need the
        whole queue (take next, metrics), never on a start."""
        if self._positions is None:
            counters: dict[str, int] = {}
            places: dict[str, int] = {}
            tagged = [
                _tagged(line, organisation_id) for organisation_id, line in self._lines.items()
            ]
            for key, organisation_id in merge(*tagged):
                place = counters.get(organisation_id, 0) + 1
                counters[organisation_id] = place
                places[key[2]] = place
            self._positions = places
        return self._positions


def _tagged(line: list[QueueKey], organisation_id: str) -> Iterator[tuple[QueueKey, str]]:
    # A function, not a generator expression in a loop: each needs its own organisation bound.
    for key in line:
        yield key, organisation_id
