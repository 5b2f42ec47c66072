"""The first line against the visitor's identity in a police signal: a draft is refused when a
field holds the visitor's return code, their nickname, long verbatim passages of what they wrote,
or an e-mail address or phone number they typed — in the free-text fields. The second line is the
colleague who must approve it (workflow.py). docs/police-signals.md says what this cannot catch.

Pure: the caller reads the conversation (repository.py) and hands over ``VisitorTraces``; a
return code is known only by its peppered hash, so the caller also hands over ``is_code``, which
hashes a candidate six words and compares.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from baken.domain.return_code import WORDS_PER_CODE, is_well_formed
from baken.police_signals.fields import SignalFields

# A passage this many words long, identical to one in a visitor's message, is theirs verbatim.
VERBATIM_WORDS = 8
# At most this many candidate codes are hashed per draft (argon2, tens of milliseconds each);
# a draft with more runs of code words than this is refused as a whole, see ``too_many_codes``.
MAX_CODE_CANDIDATES = 40
# Fields meant for the perpetrators' numbers and handles: an e-mail address or phone number the
# visitor typed may be the perpetrator's, so there it is a warning for the approver, not a refusal.
IDENTIFIER_FIELDS = frozenset({"phones", "online_handles"})

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CODE_SEPARATORS = re.compile(r"[\s\-_.,;:/]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


@dataclass(frozen=True, slots=True)
class VisitorTraces:
    nickname: str | None = None
    messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    field: str
    reason: str  # "return_code", "nickname", "verbatim", "contact", "too_many_codes"


@dataclass(slots=True)
class Result:
    refusals: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refusals


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _contains_run(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def code_candidates(text: str) -> list[str]:
    """Every six consecutive words (split as a code is typed back, domain/return_code.py) that
    could be a code Baken made, normalized as codes are hashed."""
    found = [w for w in _CODE_SEPARATORS.split(unicodedata.normalize("NFKC", text).casefold()) if w]
    out: list[str] = []
    for i in range(len(found) - WORDS_PER_CODE + 1):
        candidate = " ".join(found[i : i + WORDS_PER_CODE])
        if is_well_formed(candidate) and candidate not in out:
            out.append(candidate)
    return out


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def contact_details(messages: Iterable[str]) -> tuple[set[str], set[str]]:
    """E-mail addresses (casefolded) and phone numbers (digits only) in the visitor's messages."""
    emails: set[str] = set()
    phones: set[str] = set()
    for message in messages:
        emails.update(m.casefold() for m in _EMAIL.findall(message))
        phones.update(d for m in _PHONE.findall(message) if len(d := _digits(m)) >= 8)
    return emails, phones


def _has_contact(text: str, emails: set[str], phones: set[str]) -> bool:
    if any(m.casefold() in emails for m in _EMAIL.findall(text)):
        return True
    # Compare the last eight digits: +31 6 12345678 and 06-12345678 are one number.
    tails = {p[-8:] for p in phones}
    return any(len(d := _digits(m)) >= 8 and d[-8:] in tails for m in _PHONE.findall(text))


def check(
    fields: SignalFields, traces: VisitorTraces, is_code: Callable[[str], bool] | None
) -> Result:
    """Refusals and warnings for a draft, field by field (``is_code`` None: the conversation
    has no return code, or no conversation is linked)."""
    result = Result()
    nickname = words(traces.nickname or "")
    if sum(len(w) for w in nickname) < 2:
        nickname = []
    passages: set[tuple[str, ...]] = set()
    for message in traces.messages:
        said = words(message)
        for i in range(len(said) - VERBATIM_WORDS + 1):
            passages.add(tuple(said[i : i + VERBATIM_WORDS]))
    emails, phones = contact_details(traces.messages)
    hashed = 0
    for name, text in fields.texts().items():
        if not text:
            continue
        typed = words(text)
        if is_code is not None:
            candidates = code_candidates(text)
            hashed += len(candidates)
            if hashed > MAX_CODE_CANDIDATES:
                result.refusals.append(Finding(name, "too_many_codes"))
            elif any(is_code(c) for c in candidates):
                result.refusals.append(Finding(name, "return_code"))
        if nickname and _contains_run(typed, nickname):
            result.refusals.append(Finding(name, "nickname"))
        if any(
            tuple(typed[i : i + VERBATIM_WORDS]) in passages
            for i in range(len(typed) - VERBATIM_WORDS + 1)
        ):
            result.refusals.append(Finding(name, "verbatim"))
        if _has_contact(text, emails, phones):
            target = result.warnings if name in IDENTIFIER_FIELDS else result.refusals
            target.append(Finding(name, "contact"))
    return result
