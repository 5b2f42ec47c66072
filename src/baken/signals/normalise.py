"""Text to tokens: the same folding for the message and for the lexicon, with offsets kept.

Every token remembers where it came from in the original text, so a highlight can be drawn on the
message as the visitor wrote it, whatever was folded away (zero-width joiners, bidi overrides,
diacritics, repeated letters, full-width forms).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Apostrophes vanish inside a word: "m'n" = "mn", "can't" = "cant", "б'є" = "бє" (chat spelling).
# Sentence ends bound a rule; clause ends (these plus commas and the like) bound a negation.
_SENTENCE_END = frozenset(".!?\n;؟…")
_CLAUSE_END = _SENTENCE_END | frozenset(',:()[]–—/،"')  # not "-": "m-a", "id-kaart"
# Letters NFD does not decompose but a visitor may type without their stroke.
_EXTRA_FOLD = {"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "ı": "i", "æ": "ae", "œ": "oe"}
# Arabic: one spelling of alef, yeh and teh marbuta; tatweel is decoration.
_ARABIC_FOLD = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
    "ة": "ه",
    "ـ": "",
    "ؤ": "و",
    "ئ": "ي",
}


@lru_cache(maxsize=4096)
def fold_char(ch: str) -> str:
    """One character as the matcher sees it: '' for invisible format characters."""
    if unicodedata.category(ch) == "Cf":  # zero-width joiners, bidi overrides, soft hyphen
        return ""
    out = []
    for c in unicodedata.normalize("NFKC", ch).casefold():
        c = _ARABIC_FOLD.get(c, c)
        for d in unicodedata.normalize("NFD", c):
            if unicodedata.category(d) == "Mn":  # accents, Arabic short vowels
                continue
            dec = unicodedata.decimal(d, None)
            if dec is not None:
                out.append(str(dec))
            else:
                out.append(_EXTRA_FOLD.get(d, d))
    return "".join(out)


_REPEAT = re.compile(r"([^\W\d])\1+")  # a letter and its repeats; digits keep theirs
# A word: letters and digits, and an apostrophe only between two of them. No nested
# quantifiers, so matching is linear in the text whatever it holds.
_WORD = re.compile(r"\w+(?:['’‘ʼ`´]\w+)*")
_APOSTROPHE_RUN = re.compile(r"['’‘ʼ`´]")


def squeeze(word: str) -> str:
    """Collapse repeated letters ("heeeelp" = "help" = "hellp"); lexicon words get the same."""
    return _REPEAT.sub(r"\1", word)


@dataclass(slots=True)
class Tokens:
    """The words of a message as parallel lists (cheaper than an object per word)."""

    text: list[str]  # folded, squeezed, canonical
    start: list[int]  # offsets into the original message
    end: list[int]
    sentence: list[int]
    clause: list[int]

    def __len__(self) -> int:
        return len(self.text)


def fold_text(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, per folded character, its index in the original (None: the same
    index, nothing was added or removed)."""
    if text.isascii():
        return text.lower(), None
    parts = list(map(fold_char, text))
    folded = "".join(parts)
    if len(folded) == len(text) and min(map(len, parts)) == 1:
        return folded, None
    index: list[int] = []
    for i, part in enumerate(parts):
        index.extend([i] * len(part))
    return folded, index


def _squeeze_text(folded: str) -> tuple[str, list[int] | None]:
    """Repeated letters collapsed over the whole text at once, and where each kept letter is
    in ``folded`` (None: nothing collapsed)."""
    squeezed = _REPEAT.sub(r"\1", folded)
    if len(squeezed) == len(folded):
        return folded, None
    keep: list[int] = []
    at = 0
    for m in _REPEAT.finditer(folded):
        keep.extend(range(at, m.start() + 1))
        at = m.end()
    keep.extend(range(at, len(folded)))
    return squeezed, keep


def tokenize(
    text: str,
    canonical: dict[str, str],
    clause_words: frozenset[str],
    stem: bool = False,
) -> Tokens:
    """Words of ``text``; ``canonical`` maps chat spellings to one form ("mn" → "mijn")."""
    folded, index = fold_text(text)
    squeezed, keep = _squeeze_text(folded)
    size = len(folded)
    out = Tokens([], [], [], [], [])
    sentence = 0
    clause = 0
    previous_end = 0
    for m in _WORD.finditer(squeezed):
        start, end = m.span()
        if start > previous_end:
            between = squeezed[previous_end:start]
            if not _SENTENCE_END.isdisjoint(between):
                sentence += 1
                clause += 1
            elif not _CLAUSE_END.isdisjoint(between):
                clause += 1
        previous_end = end
        word = m.group()
        if not word.isalnum():  # an apostrophe or an underscore inside
            word = _APOSTROPHE_RUN.sub("", word).replace("_", "")
            if not word:
                continue
        raw = word
        if stem:
            raw = arabic_light_stem(raw)
        form = canonical.get(raw, raw)
        if form in clause_words:
            clause += 1
        out.text.append(form)
        if keep is not None:  # back to the folded text; a collapsed run belongs to the word
            start, end = keep[start], keep[end] if end < len(keep) else size
        if index is None:
            out.start.append(start)
            out.end.append(end)
        else:  # back to the original text
            out.start.append(index[start])
            out.end.append(index[end - 1] + 1)
        out.sentence.append(sentence)
        out.clause.append(clause)
    return out


def arabic_light_stem(word: str) -> str:
    """Strip the article and the clitics "and"/"with"/"for" so "والمستودع" matches "مستودع"."""
    for prefix in ("وال", "بال", "فال", "كال", "لل", "ال"):
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix) :]
    if len(word) >= 4 and word[0] in "وف":
        return word[1:]
    return word


def fold_word(word: str, canonical: dict[str, str], stem: bool = False) -> str:
    """A lexicon word folded exactly like a message word."""
    folded, _ = fold_text(word)
    raw = squeeze("".join(c for c in folded if c.isalnum()))
    if stem:
        raw = arabic_light_stem(raw)
    return canonical.get(raw, raw)
