"""Jinja2 with autoescape, translations per request, and cache-busted static URLs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from baken.i18n import LANGUAGE_NAMES, STAFF_LANGUAGES, VISITOR_LANGUAGES, direction, translations
from baken.web import staff_nav

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"

_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# The staff header's navigation (_staff_header.html) asks the same table the routes check.
_env.globals["staff_pages"] = staff_nav.pages_for
_env.globals["staff_home"] = staff_nav.home_for
_env.globals["is_platform_admin"] = staff_nav.is_platform_admin


@cache
def _static_version(name: str) -> str:
    path = STATIC_DIR / name
    if not path.is_file():
        return "0"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    return f"/static/{name}?v={_static_version(name)}"


def render(
    template: str,
    lang: str,
    strings: Callable[[Callable[[str], str]], dict[str, str]] | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    gettext = translations(lang).gettext
    # Staff pages switch between their two languages; visitor pages list all of theirs.
    other = [code for code in STAFF_LANGUAGES if code != lang]
    # Visitor links start with the organisation's entry, "/o/<slug>" or "" (issue 14).
    context.setdefault("base", "")
    html = _env.get_template(template).render(
        _=gettext,
        lang=lang,
        dir=direction(lang),
        other_lang=other[0] if other else STAFF_LANGUAGES[0],
        visitor_languages=[(code, LANGUAGE_NAMES[code]) for code in VISITOR_LANGUAGES],
        static=static_url,
        strings_json=json.dumps(strings(gettext) if strings else {}, ensure_ascii=False),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
