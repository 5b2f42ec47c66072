"""Rules of the counselor tools: why a chat ended, blocks, and what a canned response may hold.

No I/O here; the store and the realtime layer apply these.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from enum import StrEnum

from baken.domain.text import TextError
from baken.i18n import VISITOR_LANGUAGES


class EndReason(StrEnum):
    """Why a counselor ended a chat: a small fixed set, so it can be counted, never free text."""

    HELPED = "helped"
    VISITOR_LEFT = "visitor_left"
    ABUSIVE = "abusive"
    TEST_PRANK = "test_prank"
    OTHER = "other"


class BlockReason(StrEnum):
    ABUSIVE = "abusive"
    THREATS = "threats"
    SEXUAL = "sexual"
    SPAM = "spam"
    OTHER = "other"


BLOCK_DEFAULT = timedelta(hours=24)
BLOCK_MIN_HOURS = 24
# Long enough for a persistent abuser, short enough that a code is never shut for good.
BLOCK_MAX_HOURS = 24 * 90

# Issue 14: a canned answer can be written in any visitor language, so it can be inserted in the
# visitor's own language.
CANNED_LANGS = VISITOR_LANGUAGES
CANNED_TITLE_MAX = 60
CANNED_BODY_MAX = 2000
NOTE_MAX_CHARS = 4000

# System events of the transcript added by the tools (docs/protocol.md).
EVENT_TRANSFERRED = "transferred"
EVENT_REQUEUED = "requeued"
EVENT_ENDED_BLOCKED = "ended_blocked"


def block_duration(hours: int | None) -> timedelta:
    if hours is None:
        return BLOCK_DEFAULT
    if not BLOCK_MIN_HOURS <= hours <= BLOCK_MAX_HOURS:
        raise TextError(
            "invalid_duration",
            f"A block lasts {BLOCK_MIN_HOURS} to {BLOCK_MAX_HOURS} hours.",
        )
    return timedelta(hours=hours)


def _single_line(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ")
    return " ".join(text.split())


def clean_canned(lang: object, title: object, body: object) -> tuple[str, str, str]:
    """Validate a canned response. The body is kept exactly as typed (it is plain text, shown
    with textContent); only NUL is refused, as in messages."""
    if not isinstance(lang, str) or lang not in CANNED_LANGS:
        raise TextError("invalid_lang", "The language must be one of the visitor languages.")
    if not isinstance(title, str) or not _single_line(title):
        raise TextError("title_empty", "Give the text a short title.")
    clean_title = _single_line(title)
    if len(clean_title) > CANNED_TITLE_MAX:
        raise TextError("title_too_long", f"A title can be at most {CANNED_TITLE_MAX} characters.")
    if not isinstance(body, str) or not body.strip():
        raise TextError("body_empty", "The text cannot be empty.")
    if len(body) > CANNED_BODY_MAX:
        raise TextError("body_too_long", f"A text can be at most {CANNED_BODY_MAX} characters.")
    if "\x00" in body:
        raise TextError("invalid_text", "The text contains a character that cannot be stored.")
    return lang, clean_title, body
