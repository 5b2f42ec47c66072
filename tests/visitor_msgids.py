"""Which msgids a visitor can see (issue 14): the texts the visitor-only catalogues must hold.

Found from the code, not listed by hand: the msgids in the visitor templates, the strings handed
to visitor.js (``visitor_strings``), the ``_()``/``gettext()`` calls in the visitor modules and in
the visitor functions of ``service_routes``, and the few English texts that reach a visitor through
an exception (``_(exc.message)``), whose constructors are found the same way.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

from baken.i18n import LOCALE_DIR
from baken.web.ui_strings import visitor_strings

SRC = Path(__file__).resolve().parents[1] / "src" / "baken"
TEMPLATES = SRC / "web" / "templates"

VISITOR_TEMPLATES = (
    "base.html",
    "visitor.html",
    "nojs_chat.html",
    "nojs_log.html",
    "error.html",
    "_langs.html",
    "check.html",  # issue 18: the self-check
    "cover.html",  # issue 18: the disguise's cover
    "visitor_referrals.html",  # issue 17: "My referrals" with the return code
)
# Modules whose every text is for visitors.
VISITOR_MODULES = (
    "web/visitor_forms.py",
    "web/visitor_routes.py",
    "web/nojs_chat_routes.py",
    # Issue 18: the partner launcher's texts, in every visitor language.
    "web/launcher_routes.py",
    # Issue 17: the referral card a visitor reads (its texts, in every visitor language).
    "referrals/consent.py",
    "web/nojs_referral_routes.py",
    "web/visitor_referral_forms.py",
)
# Visitor functions in modules that also serve staff.
VISITOR_FUNCTIONS = {
    "web/service_routes.py": {
        "opens_text",
        "closed_error",
        "_message_text",
        "leave_message",
        "read_answers",
    },
}
# English texts raised deep down and translated with ``_(exc.message)`` on the way to a visitor.
# Checked against the code by test_visitor_catalogues (they must still be raised there).
RAISED_FOR_VISITORS = {
    "A message cannot be empty.": "domain/text.py",
    "The message contains a character that cannot be sent.": "domain/text.py",
    "Type your code.": "domain/return_code.py",
}

# {{ _("…") }} and {% … _("…") … %} in templates; no concatenation is used there.
_TEMPLATE_CALL = re.compile(r"""\b_\(\s*(["'])((?:\\.|(?!\1).)*)\1\s*[,)]""", re.S)
# Exceptions whose message argument is an English msgid the visitor may read.
_MESSAGE_EXCEPTIONS = {"TextError": 1, "VisitorRefused": 2, "CodeError": 1}


def template_msgids(name: str) -> set[str]:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    return {
        m.group(2).replace('\\"', '"').replace("\\'", "'") for m in _TEMPLATE_CALL.finditer(text)
    }


def _is_gettext_call(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in ("_", "gettext")
    return isinstance(func, ast.Attribute) and func.attr == "gettext"


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def python_msgids(tree: ast.AST) -> set[str]:
    """Literal texts passed to gettext, or raised as a visitor-readable exception message."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        if _is_gettext_call(node):
            text = _literal(node.args[0])
        elif isinstance(node.func, ast.Name) and node.func.id in _MESSAGE_EXCEPTIONS:
            index = _MESSAGE_EXCEPTIONS[node.func.id]
            text = _literal(node.args[index]) if len(node.args) > index else None
        else:
            continue
        if text is not None:
            found.add(text)
    return found


def _module(path: str) -> ast.Module:
    return ast.parse((SRC / path).read_text(encoding="utf-8"))


def visitor_msgids() -> set[str]:
    found: set[str] = set()
    for name in VISITOR_TEMPLATES:
        found |= template_msgids(name)
    found |= {text for text in visitor_strings(lambda m: m).values() if text}
    for path in VISITOR_MODULES:
        found |= python_msgids(_module(path))
    for path, functions in VISITOR_FUNCTIONS.items():
        for node in ast.walk(_module(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in functions:
                found |= python_msgids(node)
    found |= set(RAISED_FOR_VISITORS)
    # Raised in visitor_routes for API clients only (no page shows them); not prose for people.
    found -= {
        "The nickname must be text.",
        "danger must be true or false.",
        "age_band must be under_16, 16_17 or 18_plus.",
    }
    return found


def catalogue(lang: str) -> dict[str, str]:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    return {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.id, str)}
