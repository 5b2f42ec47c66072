"""The rules that keep the code's shape (docs/architecture.md, "Where code lives"), checked on the
imports of every module so that a break fails here and not in a review.

- ``domain/`` is pure: it imports no storage, no live layer, no web, no SQL library.
- ``realtime/`` (the live layer) and ``store/`` never import ``web/``: HTTP and WebSocket doors sit
  on top of them, never underneath.
- SQL lives in ``store/`` and in a feature package's own repository modules; never in a route
  (``web/``), in the live layer (``realtime/``) or in ``domain/``. "SQL" means SQLAlchemy's
  statement API or the table definitions; catching ``sqlalchemy.exc`` errors is not SQL.

That every state-changing route checks the origin (and the staff session) is proven by behaviour,
route by route, in tests/test_authorization_matrix.py (``test_cross_origin_writes_are_refused`` and
``test_every_route_has_an_entry``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "baken"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def _is_sql(module: str) -> bool:
    if module == "sqlalchemy" or module.startswith("sqlalchemy."):
        return not (module == "sqlalchemy.exc" or module.startswith("sqlalchemy.exc."))
    return module == "baken.store.tables" or module.startswith("baken.store.tables.")


def _breaks(package: str, forbidden: Callable[[str], bool]) -> list[str]:
    broken = []
    for path in _modules(package):
        for module in sorted(_imports(path)):
            if forbidden(module):
                broken.append(f"{path.relative_to(SRC)} imports {module}")
    return broken


def _under(*prefixes: str) -> Callable[[str], bool]:
    return lambda module: any(module == p or module.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("package", ["domain"])
def test_the_domain_is_pure(package: str) -> None:
    io = _under("baken.store", "baken.realtime", "baken.web", "sqlalchemy", "starlette")
    assert _breaks(package, io) == []


@pytest.mark.parametrize("package", ["realtime", "store", "domain", "registration", "reports"])
def test_nothing_below_the_doors_imports_web(package: str) -> None:
    assert _breaks(package, _under("baken.web")) == []


@pytest.mark.parametrize("package", ["web", "realtime", "domain"])
def test_no_sql_outside_repositories(package: str) -> None:
    assert _breaks(package, _is_sql) == []


def test_the_rules_see_what_they_forbid() -> None:
    # The checker itself must find an import when there is one, or every rule above passes by
    # seeing nothing.
    store_modules = _imports(SRC / "store" / "conversation_repo.py")
    assert any(_is_sql(m) for m in store_modules)
    assert not _is_sql("sqlalchemy.exc.SQLAlchemyError")
