"""The languages a counselor speaks (issue 14): take-next prefers a counselor who speaks the
visitor's language, and the console shows each chat's language."""

from __future__ import annotations

from baken.i18n import VISITOR_LANGUAGES

__all__ = ["parse_languages", "speaks"]


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
