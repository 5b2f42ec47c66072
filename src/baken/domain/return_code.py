"""Return codes: the visitor's only key back to their conversations and mailbox.

A code is six words from the word list of the visitor's language (issue 12): a Dutch child gets
Dutch words it can picture and spell, not "mom panic logic solve certain hand". Every list is long
enough for at least 64 bits (six words from N: 6 x log2(N) bits; Dutch 1,626 words, English the
2,048 of BIP-39 = 66 bits): far beyond guessing at any rate we allow, and easier to remember (and
to whisper to oneself) than a string of digits.

The lists are plain text files, one word a line, in ``wordlists/<language>.txt`` beside this
module: a language gets its own words by adding its file, no code. A language without a file gets
the default language's words. How the Dutch list was made: ``scripts/wordlists/build_nl.py``.
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from functools import cache
from importlib.resources import files

from baken.i18n import DEFAULT_LANGUAGE

WORDS_PER_CODE = 6
MIN_BITS = 64
MAX_CODE_CHARS = 128
_SEPARATORS = re.compile(r"[\s\-_.,;:/]+")


class CodeError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@cache
def wordlists() -> dict[str, tuple[str, ...]]:
    """Every word list by language code, read and checked on first use: a list that would weaken
    codes or make one impossible to type back is an error, never used."""
    lists: dict[str, tuple[str, ...]] = {}
    for entry in files("baken.domain").joinpath("wordlists").iterdir():
        if entry.name.endswith(".txt"):
            language = entry.name.removesuffix(".txt")
            lists[language] = _checked(language, entry.read_text(encoding="utf-8").split())
    if DEFAULT_LANGUAGE not in lists:
        raise RuntimeError(f"No return-code word list for the default language {DEFAULT_LANGUAGE}.")
    return lists


def _checked(language: str, words: list[str]) -> tuple[str, ...]:
    if len(set(words)) != len(words):
        raise RuntimeError(f"The {language} return-code word list has a word twice.")
    if WORDS_PER_CODE * math.log2(max(len(words), 1)) < MIN_BITS:
        raise RuntimeError(
            f"The {language} return-code word list gives fewer than {MIN_BITS} bits."
        )
    # A word must come out of normalize() as itself, or a code made with it would never match.
    unfit = [w for w in words if _normalized_words(w) != [w]]
    if unfit:
        raise RuntimeError(f"The {language} return-code word list has unusable words: {unfit[:5]}.")
    return tuple(words)


def wordlist(lang: str = DEFAULT_LANGUAGE) -> tuple[str, ...]:
    """The words for codes made for a visitor in this language (the default's if it has none)."""
    lists = wordlists()
    return lists.get(lang, lists[DEFAULT_LANGUAGE])


@cache
def _word_sets() -> tuple[frozenset[str], ...]:
    return tuple(frozenset(words) for words in wordlists().values())


def new_code(lang: str) -> str:
    """A new code in the visitor's page language (lang: "nl", "en", ...)."""
    words = wordlist(lang)
    return " ".join(secrets.choice(words) for _ in range(WORDS_PER_CODE))


def _normalized_words(text: str) -> list[str]:
    return [w for w in _SEPARATORS.split(unicodedata.normalize("NFKC", text).casefold()) if w]


def normalize(raw: str) -> str:
    """One spelling for every way a person may type the same code.

    Case, extra spaces, hyphens between words and NFC/NFD forms do not matter. Too long is refused
    before any work is done. This text is what is hashed (crypto/code_hash.py): it must stay the
    same for codes already handed out, whatever their language.
    """
    if len(raw) > MAX_CODE_CHARS:
        raise CodeError("code_too_long", f"A code has at most {MAX_CODE_CHARS} characters.")
    words = _normalized_words(raw)
    if not words:
        raise CodeError("code_empty", "Type your code.")
    return " ".join(words)


def is_well_formed(normalized: str) -> bool:
    """Six words that all come from one list: a code Baken could have made.

    Codes made before the visitor's language counted are English and keep working on every page.
    A code mixing lists cannot have been made, so it is refused. A word may be in two lists
    (Dutch and English share "film", "water", ...): that is harmless, because a code is found by
    the hash of its normalized text alone, which is the same whichever list a word was drawn from;
    a shared word only means that one text can be a code in either language, and it is still one
    code with one hash. Drawing from one list keeps each code's entropy that list's.
    """
    words = normalized.split(" ")
    return len(words) == WORDS_PER_CODE and any(
        all(word in known for word in words) for known in _word_sets()
    )
