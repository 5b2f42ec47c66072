"""Searching an organisation's directory in memory: by need (service type), age, language,
region and free text. The index is built from the organisation's services and kept per
process; ``DirectoryIndexes`` rebuilds it when the organisation's directory version moved (one
primary-key read per search), so a change made in any process is seen at the next search."""

from __future__ import annotations

import asyncio
import bisect
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from baken.directory.model import DirectoryService
from baken.directory.repository import DirectoryRepository
from baken.store.database import Database

MAX_RESULTS = 50


def fold(text: str) -> str:
    """Lower case without accents, so "Zoë" finds "zoe" and "ZOE"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class Query:
    need: str | None = None
    age: int | None = None
    language: str | None = None
    region: str | None = None
    text: str | None = None


MAX_AGE = 120


@dataclass(frozen=True, slots=True)
class _Entry:
    service: DirectoryService
    haystack: str  # name, description, organisation, regions: folded


def _bits(positions: Iterable[int]) -> int:
    found = 0
    for n in positions:
        found |= 1 << n
    return found


class DirectoryIndex:
    """One organisation's services, ready to search.

    The services are kept in name order; each filter value has a bit set (a Python int, bit n
    for the n-th service) of the services it lets through, so a search is a few big-integer ANDs
    and a walk over the lowest set bits, however few services match. Free text is found with
    ``str.find`` over all haystacks joined in one string (C speed) instead of a Python loop."""

    SEPARATOR = "\x00"  # no word holds it

    def __init__(self, found: Iterable[DirectoryService]) -> None:
        services = sorted(found, key=lambda s: (fold(s.name), s.id))
        self.entries = [
            _Entry(
                s,
                fold(" ".join((s.name, s.description, s.organization_name, *s.regions))),
            )
            for s in services
        ]
        self.everything = (1 << len(self.entries)) - 1
        by_type: dict[str, list[int]] = {}
        by_language: dict[str, list[int]] = {}
        by_region: dict[str, list[int]] = {}
        no_language: list[int] = []
        no_region: list[int] = []
        opens: list[list[int]] = [[] for _ in range(MAX_AGE + 2)]
        closes: list[list[int]] = [[] for _ in range(MAX_AGE + 2)]
        for n, service in enumerate(services):
            by_type.setdefault(service.service_type, []).append(n)
            for language in {fold(x) for x in service.languages}:
                by_language.setdefault(language, []).append(n)
            if not service.languages:
                no_language.append(n)
            for region in {fold(x) for x in service.regions}:
                by_region.setdefault(region, []).append(n)
            if not service.regions:
                no_region.append(n)
            low = 0 if service.age_min is None else min(max(service.age_min, 0), MAX_AGE + 1)
            high = MAX_AGE if service.age_max is None else min(service.age_max, MAX_AGE)
            if low <= high:
                opens[low].append(n)
                closes[high].append(n)
        self.types = {k: _bits(v) for k, v in by_type.items()}
        # A service without languages (regions) listed is not limited by them.
        unlimited_language, unlimited_region = _bits(no_language), _bits(no_region)
        self.languages = {k: _bits(v) | unlimited_language for k, v in by_language.items()}
        self.unlimited_language = unlimited_language
        self.regions = {k: _bits(v) | unlimited_region for k, v in by_region.items()}
        self.unlimited_region = unlimited_region
        self.ages: list[int] = []
        current = 0
        for age in range(MAX_AGE + 1):
            current |= _bits(opens[age])
            self.ages.append(current)
            current &= ~_bits(closes[age])
        self.starts: list[int] = []
        at = 0
        for entry in self.entries:
            self.starts.append(at)
            at += len(entry.haystack) + 1
        self.text = self.SEPARATOR.join(e.haystack for e in self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def _containing(self, word: str) -> Iterator[int]:
        """Positions of the services whose haystack holds ``word``, in name order."""
        at = self.text.find(word)
        while at >= 0:
            n = bisect.bisect_right(self.starts, at) - 1
            yield n
            following = self.starts[n + 1] if n + 1 < len(self.starts) else len(self.text)
            at = self.text.find(word, following)

    def search(self, query: Query, limit: int = MAX_RESULTS) -> list[DirectoryService]:
        """Matching services in name order. A service without languages or regions listed is
        not limited by them (a national service); without an age bound it is open on that side."""
        mask = self.everything
        if query.need:
            mask &= self.types.get(query.need, 0)
        if query.age is not None:
            mask &= self.ages[query.age] if 0 <= query.age <= MAX_AGE else 0
        if query.language:
            mask &= self.languages.get(fold(query.language), self.unlimited_language)
        if query.region:
            mask &= self.regions.get(fold(query.region), self.unlimited_region)
        out: list[DirectoryService] = []
        words = fold(query.text).split() if query.text else []
        if words:
            for n in self._containing(max(words, key=len)):
                if mask >> n & 1 and all(w in self.entries[n].haystack for w in words):
                    out.append(self.entries[n].service)
                    if len(out) >= limit:
                        break
            return out
        while mask and len(out) < limit:
            lowest = mask & -mask
            out.append(self.entries[lowest.bit_length() - 1].service)
            mask ^= lowest
        return out


class DirectoryIndexes:
    """The per-process indexes of all organisations, each rebuilt when its version moved."""

    def __init__(self, db: Database) -> None:
        self.repo = DirectoryRepository(db)
        self._indexes: dict[str, tuple[int, DirectoryIndex]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def index(self, organisation_id: str) -> DirectoryIndex:
        version = await self.repo.version(organisation_id)
        held = self._indexes.get(organisation_id)
        if held is not None and held[0] == version:
            return held[1]
        async with self._locks.setdefault(organisation_id, asyncio.Lock()):
            held = self._indexes.get(organisation_id)
            if held is not None and held[0] >= version:
                return held[1]
            loaded_version, found = await self.repo.load(organisation_id)
            index = DirectoryIndex(found)
            self._indexes[organisation_id] = (loaded_version, index)
            return index

    async def search(
        self, organisation_id: str, query: Query, limit: int = MAX_RESULTS
    ) -> list[DirectoryService]:
        return (await self.index(organisation_id)).search(query, limit)
