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

from baken.i18n import LANGUAGES, translations
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
    other = [code for code in LANGUAGES if code != lang]
    html = _env.get_template(template).render(
        _=gettext,
        lang=lang,
        other_lang=other[0] if other else lang,
        static=static_url,
        strings_json=json.dumps(strings(gettext) if strings else {}, ensure_ascii=False),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
