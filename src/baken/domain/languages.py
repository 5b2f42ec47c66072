"""The languages a counselor speaks (issue 14): take-next prefers a counselor who speaks the
visitor's language, and the console shows each chat's language."""

from __future__ import annotations

from datetime import timedelta

from baken.i18n import VISITOR_LANGUAGES

__all__ = ["LANGUAGE_HOLD", "language_floor", "parse_languages", "speaks"]

# A visitor in a language the counselor asking does not speak waits this long for one who does;
# after that anyone takes them: a wait in the wrong language beats no help at all.
LANGUAGE_HOLD = timedelta(minutes=3)


def parse_languages(raw: str | None) -> tuple[str, ...]:
    """``"nl, en,PL"`` → ``("nl", "en", "pl")``; ValueError naming a code no visitor page has."""
    if not raw:
        return ()
    found: list[str] = []
    for part in raw.split(","):
        code = part.strip().lower()
        if not code:
            continue
        if code not in VISITOR_LANGUAGES:
            known = ", ".join(VISITOR_LANGUAGES)
            raise ValueError(f"{code!r} is not a configured language; choose from: {known}.")
        if code not in found:
            found.append(code)
    return tuple(found)


def speaks(languages: tuple[str, ...], lang: str) -> bool:
    """Whether a counselor with these languages can answer in ``lang``. A counselor who listed
    none is taken to speak the installation's staff languages (Dutch and English)."""
    return lang in languages if languages else lang in ("nl", "en")


def language_floor(waited: timedelta, spoken: bool, position: int) -> int:
    """Seconds a waiting visitor will wait at least because of their language: while nobody
    online speaks it and others wait too, they are taken only once the hold is over."""
    if spoken or position <= 1:
        return 0
    return max(0, int((LANGUAGE_HOLD - waited).total_seconds()))
