"""Both catalogues hold every text the templates and the Python code mark for translation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from baken.i18n import LANGUAGES, LOCALE_DIR

SRC = Path(__file__).resolve().parents[1] / "src" / "baken"
# {{ _("…") }} and {% … _("…") … %} in templates; no concatenation is used there.
_TEMPLATE_CALL = re.compile(r"""\b_\(\s*(["'])((?:\\.|(?!\1).)*)\1\s*[,)]""", re.S)


def _template_msgids() -> set[str]:
    found: set[str] = set()
    for path in (SRC / "web" / "templates").glob("*.html"):
        for match in _TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(2).replace('\\"', '"').replace("\\'", "'"))
    return found


def _python_msgids() -> set[str]:
    """Literal first arguments of calls to ``_``, ``gettext`` or ``t`` in the package."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "gettext")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def _catalogue(lang: str) -> dict[str, str]:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    return {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.id, str)}


def test_the_code_marks_texts_for_translation() -> None:
    # Guards the extraction itself: if it found nothing, the next test would pass vacuously.
    assert len(_template_msgids()) > 50
    assert len(_python_msgids()) > 50


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_marked_text_is_translated(lang: str) -> None:
    catalogue = _catalogue(lang)
    wanted = _template_msgids() | _python_msgids()
    missing = sorted(m for m in wanted if not catalogue.get(m))
    assert not missing, f"{len(missing)} texts missing from {lang}: {missing[:20]}"
