"""Languages of the user interface: choosing one per request and loading its catalogue.

The catalogues are plain ``.po`` files under ``baken/locale/<lang>/LC_MESSAGES/messages.po``; the
English source text is the msgid. They are compiled in memory on first use (no ``.mo`` files to keep
in sync) and cached for the life of the process. Dutch is the default: most visitors write Dutch.

Two sets of languages (issue 14). Visitors can read Baken in seven languages; staff pages exist in
Dutch and English only, so a staff route negotiates among ``STAFF_LANGUAGES`` (the default of
``negotiate``) and a visitor route passes ``VISITOR_LANGUAGES``. The catalogues of the languages
that are only for visitors hold just the visitor texts (docs/languages.md).
"""

from __future__ import annotations

import functools
import gettext
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCALE_DIR",
    "STAFF_LANGUAGES",
    "VISITOR_LANGUAGES",
    "direction",
    "negotiate",
    "staff_language",
    "translations",
    "visitor_language",
]

# Staff pages, the console and the posters: every msgid is translated in these.
STAFF_LANGUAGES: tuple[str, ...] = ("nl", "en")
# Every page a visitor can see. The order is the order of the language picker.
VISITOR_LANGUAGES: tuple[str, ...] = ("nl", "en", "pl", "ro", "bg", "uk", "ar")
# Kept for callers that mean "the languages with a full catalogue".
LANGUAGES = STAFF_LANGUAGES
DEFAULT_LANGUAGE = "nl"
# Each language in its own name: a visitor who cannot read the current page still finds theirs.
LANGUAGE_NAMES: dict[str, str] = {
    "nl": "Nederlands",
    "en": "English",
    "pl": "Polski",
    "ro": "Română",
    "bg": "Български",
    "uk": "Українська",
    "ar": "العربية",
}
RIGHT_TO_LEFT = frozenset({"ar"})
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

# An Accept-Language header is short in practice; anything longer is not worth parsing.
_MAX_HEADER_CHARS = 1000
_MAX_RANGES = 32


def _known(tag: str, languages: tuple[str, ...]) -> str | None:
    """Map a language tag such as ``nl-BE`` or ``EN`` to one of ``languages``, or None."""
    primary = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in languages else None


def direction(lang: str) -> str:
    """The writing direction of a language, for ``<html dir>``: "rtl" or "ltr"."""
    return "rtl" if lang in RIGHT_TO_LEFT else "ltr"


def visitor_language(raw: object) -> str | None:
    """A language code posted by a visitor's form or JSON, if it is one of theirs."""
    return raw if isinstance(raw, str) and raw in VISITOR_LANGUAGES else None


def staff_language(lang: str) -> str:
    """The language for a staff page when all we have is a visitor's choice."""
    return lang if lang in STAFF_LANGUAGES else "en"


def _quality(params: list[str]) -> float | None:
    """The q-value from the parameters of one Accept-Language range; None when malformed."""
    for param in params:
        name, sep, value = param.partition("=")
        if name.strip().lower() != "q":
            continue
        if not sep:
            return None
        try:
            q = float(value.strip())
        except ValueError:
            return None
        if not 0.0 <= q <= 1.0:
            return None
        return q
    return 1.0


def negotiate(
    query_lang: str | None,
    accept_language: str | None,
    languages: tuple[str, ...] = STAFF_LANGUAGES,
) -> str:
    """Choose the language for one request among ``languages`` (staff's unless told otherwise).

    ``?lang=`` wins when it names a known language; otherwise the known language the browser
    prefers most (q-values honoured, ``q=0`` means "not this one", ties keep header order, ``*``
    means any language not refused, the default first); otherwise Dutch.
    """
    if query_lang:
        chosen = _known(query_lang, languages)
        if chosen is not None:
            return chosen
    if not accept_language:
        return DEFAULT_LANGUAGE

    ranked: list[tuple[float, int, str]] = []
    refused: set[str] = set()
    ranges = accept_language[:_MAX_HEADER_CHARS].split(",")[:_MAX_RANGES]
    for index, item in enumerate(ranges):
        tag, *params = item.split(";")
        tag = tag.strip()
        if not tag:
            continue
        q = _quality(params)
        if q is None:
            continue
        lang = "*" if tag == "*" else _known(tag, languages)
        if lang is None:
            continue
        if q == 0.0:
            refused.add(lang)
            continue
        ranked.append((-q, index, lang))

    for _q, _index, lang in sorted(ranked):
        if lang == "*":
            # Any language the browser did not refuse; the default first.
            for candidate in (DEFAULT_LANGUAGE, *languages):
                if candidate not in refused:
                    return candidate
        elif lang not in refused:
            return lang
    return DEFAULT_LANGUAGE


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue for ``lang`` (unknown languages get Dutch).

    A visitor-only language has no staff texts: asked for one, it answers the English msgid.
    """
    if lang not in VISITOR_LANGUAGES:
        lang = DEFAULT_LANGUAGE
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=lang, domain="messages")
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
