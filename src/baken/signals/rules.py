"""Lexicon rules: a tiny pattern language compiled to token matchers (no regular expressions).

A pattern is slots separated by spaces; a slot is alternatives separated by ``|``:

- ``slaat`` the word itself (after folding: lower case, no accents, repeated letters once)
- ``geslag*`` any word that starts so
- ``#`` any number, ``#12`` a number of at least 12
- ``^`` before a slot: it must follow the previous one directly (default: up to ``gap`` words
  may come between)
- ``...`` between slots: up to ``WIDE_GAP`` words may come between

Each slot is tried at a bounded number of positions, so the work per message is linear in its
length times a small constant, whatever the text (no backtracking).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from baken.signals.labels import ALIASES
from baken.signals.normalise import fold_word

DEFAULT_GAP = 3
WIDE_GAP = 6
HEAD = 3
# Where a negation is looked for: "all" = before, between and after the matched words;
# "outer" = only before and after (the rule itself holds a "niet" that belongs to it, or a
# condition like "als ik niet terugkom"); "back" = only before (a trailing "nooit" belongs to
# something else: "de schuld wordt nooit minder"); "off" = never (the rule is a negative fact).
NEG_MODES = ("all", "outer", "back", "off")


@dataclass(frozen=True, slots=True)
class Slot:
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    min_number: int | None
    gap: int

    def matches(self, word: str) -> bool:
        if word in self.exact:
            return True
        if self.prefixes and word.startswith(self.prefixes):
            return True
        if self.min_number is not None and word.isdigit() and len(word) <= 9:
            return int(word) >= self.min_number
        return False


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    labels: tuple[str, ...]
    slots: tuple[Slot, ...]
    unless: frozenset[str] = frozenset()
    neg: str = "all"
    # Fires only if one of these labels came from another rule in the same message.
    requires: frozenset[str] = frozenset()
    # Fires only if one of these words is somewhere in the message.
    context: frozenset[str] = frozenset()
    # Words of the slots that have no prefix or number: one of each must be in the message,
    # a cheap test that rules most candidates out before matching.
    needs: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule as written in a lexicon module, before folding."""

    labels: tuple[str, ...]
    pattern: str
    unless: tuple[str, ...] = ()
    neg: str = "all"
    gap: int = DEFAULT_GAP
    requires: tuple[str, ...] = ()
    name: str = ""
    context: tuple[str, ...] = ()


def r(
    labels: str,
    pattern: str,
    *,
    unless: str = "",
    neg: str = "all",
    gap: int = DEFAULT_GAP,
    requires: str = "",
    name: str = "",
    context: str = "",
) -> RuleSpec:
    """Shorthand used by the lexicon modules: labels (short names, see ALIASES), ``unless``,
    ``context`` and ``requires`` are space-separated."""
    return RuleSpec(
        tuple(ALIASES[a] for a in labels.split()),
        pattern,
        tuple(unless.split()),
        neg,
        gap,
        tuple(ALIASES[a] for a in requires.split()),
        name,
        tuple(context.split()),
    )


def compile_slot(text: str, canonical: dict[str, str], gap: int, stem: bool) -> Slot:
    if text.startswith("^"):
        gap = 0
        text = text[1:]
    exact: set[str] = set()
    prefixes: list[str] = []
    min_number: int | None = None
    for alt in text.split("|"):
        if not alt:
            raise ValueError(f"empty alternative in {text!r}")
        if alt.startswith("#"):
            min_number = int(alt[1:]) if len(alt) > 1 else 0
        elif alt.endswith("*"):
            prefixes.append(fold_word(alt[:-1], {}, stem))
        else:
            exact.add(fold_word(alt, canonical, stem))
    return Slot(frozenset(exact), tuple(prefixes), min_number, gap)


def compile_rules(
    lang: str, specs: Iterable[RuleSpec], canonical: dict[str, str], stem: bool
) -> list[Rule]:
    rules: list[Rule] = []
    for n, spec in enumerate(specs, start=1):
        if spec.neg not in NEG_MODES:
            raise ValueError(f"{lang} rule {n}: neg must be one of {NEG_MODES}")
        parts: list[str] = []
        gaps: list[int] = []
        wide = False
        for part in spec.pattern.split():
            if part == "...":
                wide = True
                continue
            gaps.append(max(spec.gap, WIDE_GAP) if wide else spec.gap)
            parts.append(part)
            wide = False
        if not parts:
            raise ValueError(f"{lang} rule {n}: empty pattern")
        slots = tuple(
            compile_slot(p, canonical, gaps[i] if i else 0, stem) for i, p in enumerate(parts)
        )
        unless = frozenset(fold_word(w, canonical, stem) for w in spec.unless)
        context = frozenset(fold_word(w, canonical, stem) for w in spec.context)
        slug = spec.name or "-".join(p.split("|")[0].strip("^*#") for p in parts[:3])
        rule_id = f"{lang}.{spec.labels[0]}.{n}:{slug}"
        rules.append(
            Rule(
                rule_id,
                spec.labels,
                slots,
                unless,
                spec.neg,
                frozenset(spec.requires),
                context,
                tuple(
                    slot.exact
                    for slot in slots[1:]
                    if not slot.prefixes and slot.min_number is None
                ),
            )
        )
    return rules


@dataclass
class RuleIndex:
    """Rules by the words that can start them, so a message only tries rules it could match."""

    by_word: dict[str, list[Rule]] = field(default_factory=dict)
    by_prefix: dict[str, list[Rule]] = field(default_factory=dict)
    by_number: list[Rule] = field(default_factory=list)
    # Prefixes grouped by their first HEAD characters: one lookup per word, then startswith.
    by_head: dict[str, list[tuple[str, list[Rule]]]] = field(default_factory=dict)
    short_lengths: tuple[int, ...] = ()

    @classmethod
    def build(cls, rules: Iterable[Rule]) -> RuleIndex:
        index = cls()
        for rule in rules:
            first = rule.slots[0]
            for word in first.exact:
                index.by_word.setdefault(word, []).append(rule)
            for prefix in first.prefixes:
                index.by_prefix.setdefault(prefix, []).append(rule)
            if first.min_number is not None:
                index.by_number.append(rule)
        for prefix, prefixed in index.by_prefix.items():
            if len(prefix) >= HEAD:
                index.by_head.setdefault(prefix[:HEAD], []).append((prefix, prefixed))
        index.short_lengths = tuple(sorted({len(p) for p in index.by_prefix if len(p) < HEAD}))
        return index

    def candidates(self, word: str) -> list[Rule]:
        found = list(self.by_word.get(word, ()))
        for prefix, prefixed in self.by_head.get(word[:HEAD], ()):
            if word.startswith(prefix):
                found.extend(prefixed)
        for k in self.short_lengths:
            hit = self.by_prefix.get(word[:k]) if len(word) >= k else None
            if hit:
                found.extend(hit)
        if self.by_number and word.isdigit():
            found.extend(self.by_number)
        return found
