"""What counts as a valid message text or nickname."""

from __future__ import annotations

import unicodedata

NICKNAME_MAX_CHARS = 40


class TextError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def validate_message_text(text: str, max_chars: int) -> str:
    """Return the text to store (exactly as written), or raise TextError."""
    if not text.strip():
        raise TextError("text_empty", "A message cannot be empty.")
    if len(text) > max_chars:
        raise TextError("text_too_long", f"A message can be at most {max_chars} characters.")
    if "\x00" in text:
        # NUL truncates text in some drivers and viewers; refusing it keeps what is stored exact.
        raise TextError("invalid_text", "The message contains a character that cannot be sent.")
    return text


def clean_nickname(raw: str | None) -> str | None:
    """A nickname is optional; blank means none. Control characters are dropped, length capped."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ")
    text = " ".join(text.split())
    if not text:
        return None
    if len(text) > NICKNAME_MAX_CHARS:
        raise TextError(
            "nickname_too_long", f"A nickname can be at most {NICKNAME_MAX_CHARS} characters."
        )
    return text
