"""Return codes: the visitor's only key back to their conversations and mailbox.

Six words from a 2,048-word list give 66 bits of entropy: far beyond guessing at any rate we allow,
and easier to remember (and to whisper to oneself) than a string of digits.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from functools import cache

from mnemonic import Mnemonic

WORDS_PER_CODE = 6
MAX_CODE_CHARS = 128
_SEPARATORS = re.compile(r"[\s\-_.,;:/]+")


class CodeError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@cache
def wordlist() -> tuple[str, ...]:
    # The BIP-39 list: short, common, unambiguous words, no two sharing their first four letters.
    return tuple(Mnemonic("english").wordlist)


def new_code() -> str:
    words = wordlist()
    return " ".join(secrets.choice(words) for _ in range(WORDS_PER_CODE))


def normalize(raw: str) -> str:
    """One spelling for every way a person may type the same code.

    Case, extra spaces, hyphens between words and NFC/NFD forms do not matter. Too long is refused
    before any work is done.
    """
    if len(raw) > MAX_CODE_CHARS:
        raise CodeError("code_too_long", f"A code has at most {MAX_CODE_CHARS} characters.")
    text = unicodedata.normalize("NFKC", raw).casefold()
    words = [w for w in _SEPARATORS.split(text) if w]
    if not words:
        raise CodeError("code_empty", "Type your code.")
    return " ".join(words)


def is_well_formed(normalized: str) -> bool:
    words = normalized.split(" ")
    known = set(wordlist())
    return len(words) == WORDS_PER_CODE and all(word in known for word in words)
