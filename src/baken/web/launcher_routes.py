"""``/launcher.js`` (issue 18): the button a partner site pastes in with one script tag.

The script is the same for everyone and holds no secret: its texts in every visitor language are
built into it from the catalogues once per process, so a partner's page asks Baken for nothing but
this file and, where the partner is listed in BAKEN_PARTNER_ORIGINS, ``/api/availability``. It is
cacheable and may be loaded from other origins (web/security.py, PUBLIC_SCRIPTS); the snippet, the
host's CSP lines and the plain-link variant are in docs/reach.md.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import orjson
from starlette.requests import Request
from starlette.responses import Response

from baken.i18n import VISITOR_LANGUAGES, direction, translations

SOURCE = Path(__file__).parent / "templates" / "launcher.js"
PLACEHOLDER = "__BAKEN_TEXTS__"
# An hour: a changed launcher reaches partner pages within the hour, and a popular page costs one
# request per visitor and hour at most.
CACHE_CONTROL = "public, max-age=3600"


def _(text: str) -> str:
    """Marks a text for the catalogues (tests/test_catalogues.py, tests/visitor_msgids.py)."""
    return text


# key in the script → English msgid
TEXTS = {
    "chat": _("Chat anonymously"),
    "tab": _("opens in a new tab"),
    "open": _("Open now"),
    "closed": _("Closed now"),
    "opens": _("Opens {when}"),
    "none": _("No wait"),
    "under_5": _("Wait: less than 5 minutes"),
    "5_15": _("Wait: 5 to 15 minutes"),
    "15_30": _("Wait: 15 to 30 minutes"),
    "over_30": _("Wait: more than 30 minutes"),
}


def texts() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for lang in VISITOR_LANGUAGES:
        gettext = translations(lang).gettext
        table[lang] = {key: gettext(msgid) for key, msgid in TEXTS.items()}
        if direction(lang) == "rtl":
            table[lang]["dir"] = "rtl"
    return table


@cache
def launcher_body() -> tuple[bytes, str]:
    """The script, and its ETag."""
    source = SOURCE.read_text(encoding="utf-8")
    body = source.replace(PLACEHOLDER, orjson.dumps(texts()).decode()).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def launcher_js(request: Request) -> Response:
    body, etag = launcher_body()
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)
