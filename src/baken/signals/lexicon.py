"""What a language brings: its rules, chat spellings, negation words and clause words."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from baken.signals.normalise import fold_word
from baken.signals.rules import RuleSpec


@dataclass(frozen=True)
class Lexicon:
    lang: str
    rules: tuple[RuleSpec, ...]
    canonical: dict[str, str]
    negators: frozenset[str]
    clause_words: frozenset[str]
    meta_words: frozenset[str]
    neg_forward: int
    stem: bool


_MODULES = {
    "nl": "baken.signals.lexicon_nl",
    "en": "baken.signals.lexicon_en",
    "pl": "baken.signals.lexicon_pl",
    "ro": "baken.signals.lexicon_ro",
    "bg": "baken.signals.lexicon_bg",
    "uk": "baken.signals.lexicon_uk",
    "ar": "baken.signals.lexicon_ar",
}


def load(lang: str) -> Lexicon:
    module = importlib.import_module(_MODULES[lang])
    stem: bool = getattr(module, "STEM", False)
    # Chat spellings are folded like everything else, so "m'n", "mn" and "MN" meet.
    canonical = {
        fold_word(k, {}, stem): fold_word(v, {}, stem) for k, v in module.CANONICAL.items()
    }

    def words(text: str) -> frozenset[str]:
        return frozenset(fold_word(w, canonical, stem) for w in text.split())

    return Lexicon(
        lang=lang,
        rules=tuple(module.RULES),
        canonical=canonical,
        negators=words(module.NEGATORS),
        clause_words=words(module.CLAUSE_WORDS),
        meta_words=words(module.META_WORDS),
        neg_forward=module.NEG_FORWARD,
        stem=stem,
    )
