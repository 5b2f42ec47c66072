"""Build the Dutch return-code word list (src/baken/domain/wordlists/nl.txt) from frequency data.

A development tool, never imported by Baken. It needs two packages that are not Baken dependencies:

    python3 -m venv /tmp/wordlist-venv
    /tmp/wordlist-venv/bin/pip install wordfreq==3.1.1 spacy-lookups-data==1.0.5
    /tmp/wordlist-venv/bin/python scripts/wordlists/build_nl.py            # writes nl.txt
    /tmp/wordlist-venv/bin/python scripts/wordlists/build_nl.py --check    # compares only

Sources: word frequencies from wordfreq (its data: CC BY-SA 4.0, by Robyn Speer et al.) and the
Dutch part-of-speech index of spaCy's lookup tables (MIT). Only the choice of words comes from
them; a word list of common words carries none of their text.

What a word must be, and why (the readers are often frightened children on a cheap phone):
- 3 to 8 letters a-z, without q, x, y and with c only in ch or sch: short and spelled the Dutch
  way, no loanword spellings;
- a noun in its base form (not a verb, not a plural): things are easier to picture and remember;
- common in Dutch (wordfreq's Zipf value), and not mostly an English word in Dutch text;
- not on the block list (nl-blocklist.txt beside this file): names, violence, fear, sadness,
  sex, drugs, money, body, family, anything that could hurt or give the topic away;
- not one slip away from a word already taken: two letters swapped, a doubled letter added or
  dropped (boom, bom), or one letter changed into one that is easy to mix up with it
  (CONFUSABLE); not sounding like one (ei/ij, au/ou, d/t at the end, ...); and not the same
  word with one or two letters more or less at the end (plan, plant; kat, kater): the ending a
  child forgets. Compounds of chosen words are fine (ijs, beer, ijsbeer): words are typed with
  spaces between them, and a code with a space too few or too many is refused either way.

Words are taken greedily from the best score (frequency, plus a bonus for having a diminutive,
a sign of a concrete, countable thing) until SIZE are chosen; the file is sorted. The result was
then read in full by a person and every unfit word added to the block list, until a run chose no
word that a person would remove. The same inputs always give the same file.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import sys
from pathlib import Path

import spacy_lookups_data  # type: ignore[import-not-found]
from wordfreq import get_frequency_dict, zipf_frequency  # type: ignore[import-not-found]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "src" / "baken" / "domain" / "wordlists" / "nl.txt"
BLOCKLIST = HERE / "nl-blocklist.txt"

# The fewest words for 64 bits in a six-word code (6 x log2(1626) = 64.0). The list is as short as
# that allows: every further word would be a rarer one.
SIZE = math.ceil(2 ** (64 / 6))
# 3 to 8 letters a-z without q, x, y, and c only in ch (school, licht): no loanword spellings.
SHAPE = re.compile(r"^(?:[abd-pr-wz]|ch){3,8}$")
LENGTH = re.compile(r"^[a-z]{3,8}$")
MIN_ZIPF = 1.5  # about once in thirty million words
MIN_PLURAL_ZIPF = 1.5  # a noun without a diminutive must have a plural this common
ENGLISH_MARGIN = 0.5  # drop words at least this much more common in English than in Dutch
DIMINUTIVE_BONUS = 0.7
VOWELS = "aeiou"


def read_blocklist(path: Path = BLOCKLIST) -> set[str]:
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0]
        words.update(text.split())
    return words


def diminutives(word: str) -> set[str]:
    """Possible diminutive spellings: huis-je, boom-pje, bal-letje, glas-glaasje, auto-otje."""
    forms = {word + "je", word + "tje", word + "pje", word + "etje", word + "kje"}
    forms.add(word + word[-1] + "etje")
    if word[-1] in VOWELS:
        forms.add(word + word[-1] + "tje")
    if word.endswith("ng"):
        forms.add(word[:-1] + "kje")
    if len(word) >= 3 and word[-1] not in VOWELS and word[-2] in VOWELS and word[-3] not in VOWELS:
        forms.add(word[:-1] + word[-2] + word[-1] + "je")
    return forms


def plurals(word: str) -> set[str]:
    """Possible plural spellings: boom-bomen, bal-ballen, huis-huizen, brief-brieven, kind-eren."""
    forms = {word + "en", word + "s", word + "'s", word + "n", word + word[-1] + "en"}
    forms.add(word + "eren")
    stem = word
    if word[-1] in "fs":
        stem = word[:-1] + {"f": "v", "s": "z"}[word[-1]]
        forms.add(stem + "en")
    if len(word) >= 3 and word[-2] == word[-3] and word[-2] in VOWELS:
        forms.add(stem[:-3] + stem[-2] + stem[-1] + "en")  # a long vowel is written once
    if word.endswith("heid"):
        forms.add(word[:-4] + "heden")
    if word.endswith("um"):
        forms.add(word[:-2] + "a")
    return forms


def sound_key(word: str) -> str:
    """One spelling for words a child may hear or write alike."""
    key = word.replace("ij", "ei").replace("ou", "au").replace("ch", "g").replace("dt", "t")
    key = key.replace("v", "f").replace("z", "s")
    if key.endswith("d"):
        key = key[:-1] + "t"
    return re.sub(r"(.)\1+", r"\1", key)


# Letters a child may mix up when reading their own handwriting (a-o, b-d, n-u, ...) or hearing
# a word (d-t, f-v, s-z, e-i): a word may differ from another by one letter only when the two
# letters are not such a pair (bal, bel and bol may all be chosen; bal and bol not both).
CONFUSABLE = frozenset(
    frozenset(pair)
    for pair in (
        *("ao", "bd", "bp", "dp", "dt", "ei", "fv", "hk", "ij", "il", "mn", "nu", "sz", "uv"),
        "vw",
    )
)


def confusable(a: str, b: str) -> bool:
    return frozenset((a, b)) in CONFUSABLE


def slippery(word: str, i: int) -> bool:
    """Whether the letter at i is one a child may leave out or add when spelling: a doubled
    letter (boom, bom; kaas, kas; bel, bell). Others change the word too much (kat, kast)."""
    return word[i] == word[i - 1 : i] or word[i] == word[i + 1 : i + 2]


class Chosen:
    """The words taken so far, with what makes a new word too close to one of them."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self._exact: set[str] = set()
        self._changed: dict[str, list[str]] = {}
        self._sounds: set[str] = set()
        # Words by their beginnings of 3 letters or more (plant: pla, plan).
        self._starts: dict[str, list[str]] = {}

    def conflict(self, word: str) -> str | None:
        if word in self._exact:
            return "duplicate"
        for i in range(len(word)):
            for other in self._changed.get(word[:i] + "*" + word[i + 1 :], ()):
                if confusable(other[i], word[i]):
                    return f"one letter changed ({other})"
        for i in range(len(word)):
            if word[:i] + word[i + 1 :] in self._exact and slippery(word, i):
                return "one letter added"
        for i in range(len(word) + 1):
            for other in self._changed.get(word[:i] + "*" + word[i:], ()):
                if slippery(other, i):
                    return f"one letter dropped ({other})"
        for i in range(len(word) - 1):
            if word[:i] + word[i + 1] + word[i] + word[i + 2 :] in self._exact:
                return "two letters swapped"
        if sound_key(word) in self._sounds:
            return "sounds alike"
        if any(word[:i] in self._exact for i in range(max(3, len(word) - 2), len(word))):
            return "a word with its end cut off"
        if any(len(other) - len(word) <= 2 for other in self._starts.get(word, ())):
            return "the start of a word"
        return None

    def add(self, word: str) -> None:
        self.words.append(word)
        self._exact.add(word)
        for i in range(len(word)):
            self._changed.setdefault(word[:i] + "*" + word[i + 1 :], []).append(word)
        self._sounds.add(sound_key(word))
        for i in range(3, len(word)):
            self._starts.setdefault(word[:i], []).append(word)


def _lookup(name: str) -> object:
    path = Path(spacy_lookups_data.__file__).parent / "data" / name
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def candidates(blocked: set[str]) -> list[tuple[float, str]]:
    zipf = {w: math.log10(f) + 9 for w, f in get_frequency_dict("nl", wordlist="large").items()}
    index = _lookup("nl_lemma_index.json.gz")
    lemmas = _lookup("nl_lemma_lookup.json.gz")
    assert isinstance(index, dict) and isinstance(lemmas, dict)
    nouns = set(index["noun"])
    # The verb index also holds nouns (sok, kalkoen); a verb's own form ends in -en (lopen).
    verbs = {w for w in index["verb"] if w.endswith("en")}
    not_nouns = verbs | set(index["adp"]) | set(index["det"])
    scored: list[tuple[float, str]] = []
    for word, z in zipf.items():
        if z < MIN_ZIPF or not SHAPE.match(word) or not LENGTH.match(word) or word in blocked:
            continue
        if word not in nouns or word in not_nouns or lemmas.get(word, word) != word:
            continue
        if zipf_frequency(word, "en") >= z + ENGLISH_MARGIN:
            continue
        # Function words slip into the noun index; a real noun has a diminutive or a plural.
        has_diminutive = any(zipf.get(d, 0.0) > 0 for d in diminutives(word))
        plural = max(zipf.get(p, 0.0) for p in plurals(word))
        if not has_diminutive and plural < MIN_PLURAL_ZIPF:
            continue
        scored.append((z + (DIMINUTIVE_BONUS if has_diminutive else 0.0), word))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored


def choose(size: int, verbose: bool) -> list[str]:
    blocked = read_blocklist()
    chosen = Chosen()
    for _score, word in candidates(blocked):
        why = chosen.conflict(word)
        if why is None:
            chosen.add(word)
            if len(chosen.words) == size:
                break
        elif verbose:
            print(f"skip {word}: {why}", file=sys.stderr)
    if len(chosen.words) < size:
        raise SystemExit(f"only {len(chosen.words)} words qualify; {size} are needed")
    return sorted(chosen.words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--check", action="store_true", help="compare with nl.txt, write nothing")
    parser.add_argument("--verbose", action="store_true", help="say why each candidate was skipped")
    args = parser.parse_args()
    words = choose(args.size, args.verbose)
    old = OUT.read_text(encoding="utf-8").split() if OUT.exists() else []
    added = sorted(set(words) - set(old))
    removed = sorted(set(old) - set(words))
    print(f"{len(words)} words; {len(added)} new: {' '.join(added)}")
    print(f"{len(removed)} gone: {' '.join(removed)}")
    if args.check:
        raise SystemExit(1 if added or removed else 0)
    OUT.write_text("\n".join(words) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
