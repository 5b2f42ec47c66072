"""Indicator detection: a message and its language in, labels and explainable spans out.

Pure and in memory: nothing is stored, logged or sent from here. A detection is a hint for the
counselor; it never decides anything (docs/signals.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from baken.signals.labels import LABELS, LANGUAGES
from baken.signals.lexicon import Lexicon, load
from baken.signals.normalise import Tokens, tokenize
from baken.signals.rules import Rule, RuleIndex, compile_rules

# A visitor message is at most a few thousand characters; anything longer is cut here so the
# work stays bounded even if a caller forgets its own limit.
MAX_CHARS = 20_000
MAX_SPANS = 64
NEG_BACK = 4
_ORDER = {label: i for i, label in enumerate(LABELS)}


class UnknownLanguage(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    label: str
    rule: str
    words: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "rule": self.rule,
            "words": list(self.words),
        }


@dataclass(frozen=True, slots=True)
class Detection:
    labels: tuple[str, ...]
    spans: tuple[Span, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "spans": [s.as_dict() for s in self.spans]}


EMPTY = Detection((), ())


@dataclass(frozen=True)
class _Compiled:
    lexicon: Lexicon
    index: RuleIndex


@cache
def _compiled(lang: str) -> _Compiled:
    lexicon = load(lang)
    rules = compile_rules(lang, lexicon.rules, lexicon.canonical, lexicon.stem)
    return _Compiled(lexicon, RuleIndex.build(rules))


def language(code: str) -> str:
    """``nl``, ``nl-NL``, ``NL`` → ``nl``; anything else raises UnknownLanguage."""
    base = code.strip().lower().replace("_", "-").split("-")[0] if isinstance(code, str) else ""
    if base not in LANGUAGES:
        raise UnknownLanguage(f"unknown language {code!r}; one of {', '.join(LANGUAGES)}")
    return base


def warm_up() -> None:
    """Compile every lexicon now rather than on the first message of each language."""
    for lang in LANGUAGES:
        _compiled(lang)


def _match(rule: Rule, tokens: Tokens, i: int) -> list[int] | None:
    words = tokens.text
    if not rule.slots[0].matches(words[i]):  # the index is coarse for numbers
        return None
    positions = [i]
    pos = i
    sentences = tokens.sentence
    sentence = sentences[i]
    n = len(words)
    for slot in rule.slots[1:]:
        found = -1
        for j in range(pos + 1, min(pos + 2 + slot.gap, n)):
            if sentences[j] != sentence:
                break
            if slot.matches(words[j]):
                found = j
                break
        if found < 0:
            return None
        positions.append(found)
        pos = found
    return positions


def _negated(rule: Rule, tokens: Tokens, positions: list[int], lex: Lexicon) -> bool:
    if rule.neg == "off":
        return False
    negators = lex.negators
    words, clauses = tokens.text, tokens.clause
    first, last = positions[0], positions[-1]
    clause = clauses[first]
    for j in range(first - 1, max(-1, first - 1 - NEG_BACK), -1):
        if clauses[j] != clause:
            break
        if words[j] in negators:
            return True
    if rule.neg == "back":
        return False
    if rule.neg == "all":
        inside = set(positions)
        for j in range(first + 1, last):
            if j not in inside and words[j] in negators:
                return True
    clause = clauses[last]
    for j in range(last + 1, min(len(words), last + 1 + lex.neg_forward)):
        if clauses[j] != clause:
            break
        if words[j] in negators:
            return True
    return False


def detect(text: str, lang: str) -> Detection:
    """Labels and spans for one message. ``lang`` is the chat's language (nl, en, pl, ro, bg,
    uk, ar). Offsets in the spans are into ``text`` as given (Python string indices)."""
    compiled = _compiled(language(lang))
    if not isinstance(text, str):
        raise TypeError("text must be a string")
    if not text:
        return EMPTY
    lex = compiled.lexicon
    tokens = tokenize(text[:MAX_CHARS], lex.canonical, lex.clause_words, lex.stem)
    if not tokens:
        return EMPTY
    words = set(tokens.text)
    found: list[tuple[Rule, list[int]]] = []
    waiting: list[tuple[Rule, list[int]]] = []
    index = compiled.index
    for i, word in enumerate(tokens.text):
        for rule in index.candidates(word):
            if rule.unless and not rule.unless.isdisjoint(words):
                continue
            if rule.context and rule.context.isdisjoint(words):
                continue
            for need in rule.needs:
                if need.isdisjoint(words):
                    break
            else:
                positions = _match(rule, tokens, i)
                if positions is not None and not _negated(rule, tokens, positions, lex):
                    (waiting if rule.requires else found).append((rule, positions))
    labels = {label for rule, _ in found for label in rule.labels}
    found.extend((rule, pos) for rule, pos in waiting if not rule.requires.isdisjoint(labels))
    if not found:
        return EMPTY
    if not lex.meta_words.isdisjoint(words):
        # Talking about trafficking (a school project, a documentary) is not being trafficked;
        # only an acute danger survives, because missing one costs more.
        found = [(rule, pos) for rule, pos in found if "acute_danger" in rule.labels]
        found = [(Rule(rule.id, ("acute_danger",), rule.slots), pos) for rule, pos in found]
        if not found:
            return EMPTY
    spans: dict[tuple[int, int, str], Span] = {}
    starts, ends = tokens.start, tokens.end
    for rule, positions in found:
        start = starts[positions[0]]
        end = ends[positions[-1]]
        matched = tuple(text[starts[p] : ends[p]] for p in positions)
        for label in rule.labels:
            key = (start, end, label)
            if key not in spans and len(spans) < MAX_SPANS:
                spans[key] = Span(start, end, label, rule.id, matched)
    ordered = sorted(spans.values(), key=lambda s: (s.start, s.end, _ORDER[s.label]))
    out_labels = sorted({s.label for s in ordered}, key=_ORDER.__getitem__)
    return Detection(tuple(out_labels), tuple(ordered))
