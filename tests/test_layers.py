"""The rules that keep the code's shape (docs/architecture.md, "Where code lives"), checked on the
imports of every module so that a break fails here and not in a review.

- ``domain/`` is pure: it imports no storage, no live layer, no web, no SQL library.
- ``realtime/`` (the live layer) and ``store/`` never import ``web/``: HTTP and WebSocket doors sit
  on top of them, never underneath.
- SQL lives in ``store/`` and in a feature package's own repository modules; never in a route
  (``web/``), in the live layer (``realtime/``) or in ``domain/``. "SQL" means SQLAlchemy's
  statement API or the table definitions; catching ``sqlalchemy.exc`` errors is not SQL.

- Every state-changing route (POST, PUT, PATCH, DELETE) has an origin guard, and every staff route
  a staff guard (web/guards.py, issue 13 item 4), read from the app's routes and their FastAPI
  dependencies; the staff routes that open without a session say why in ``OPEN_STAFF_ROUTES``.

That the guards answer as they should is proven by behaviour, route by route, in
tests/test_authorization_matrix.py (``test_cross_origin_writes_are_refused`` and
``test_every_route_has_an_entry``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from baken.config import Settings
from baken.web.app import create_app
from baken.web.guards import OriginGuard, SameOrigin, StaffGuard

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


# --- the routes' guards (web/guards.py) ----------------------------------------------------------

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Where staff routes live: pages, downloads and the staff's JSON APIs.
STAFF_PREFIXES = (
    "/staff",
    "/research",
    "/api/staff",
    "/api/canned",
    "/api/registrations",
    "/api/conversations",
    "/api/left-messages",
    "/api/service-hours",
)
_SIGN_IN = "a step of signing in, before any session: the pending-step cookie is checked"
# Staff routes that answer without a staff session, on purpose.
OPEN_STAFF_ROUTES = {
    ("GET", "/staff/login"): "the sign-in page itself",
    ("POST", "/staff/login"): _SIGN_IN,
    ("GET", "/staff/login/code"): _SIGN_IN,
    ("POST", "/staff/login/code"): _SIGN_IN,
    ("GET", "/staff/enrol"): _SIGN_IN,
    ("POST", "/staff/enrol"): _SIGN_IN,
    ("GET", "/staff/enrol/qr.svg"): _SIGN_IN,
    ("POST", "/staff/login/passkey/options"): _SIGN_IN,
    ("POST", "/staff/login/passkey"): _SIGN_IN,
    ("GET", "/staff/login/new-passkey"): _SIGN_IN,
    ("POST", "/staff/logout"): "ends whatever session the cookie names, and clears the cookie",
    ("GET", "/staff/invite/{token}"): "the one-time link: its token is the credential",
    ("POST", "/staff/invite/{token}"): "the one-time link: its token is the credential",
    # A new passkey is registered with a session, or at the sign-in step that requires one
    # (passkey_routes._registrant): either is checked in the handler.
    ("POST", "/staff/passkeys/options"): "a session or the passkey step of signing in",
    ("POST", "/staff/passkeys"): "a session or the passkey step of signing in",
}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _guards(app: FastAPI) -> dict[tuple[str, str], tuple[bool, bool]]:
    """(method, path) → (has an origin guard, has a staff guard), from the routes' dependencies."""
    found = {}
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        calls = list(_calls(route.dependant))
        origin = any(isinstance(call, OriginGuard) for call in calls)
        staff = any(isinstance(call, StaffGuard) for call in calls)
        for method in route.methods or ():
            found[(method, route.path)] = (origin, staff)
    return found


def _unguarded(app: FastAPI) -> list[str]:
    missing = []
    for (method, path), (origin, staff) in sorted(_guards(app).items()):
        if method in STATE_CHANGING and not origin:
            missing.append(f"{method} {path}: no origin guard")
        staff_route = any(path == p or path.startswith(p + "/") for p in STAFF_PREFIXES)
        if staff_route and not staff and (method, path) not in OPEN_STAFF_ROUTES:
            missing.append(f"{method} {path}: no staff guard")
    return missing


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    # The routes are built without starting the app: no database is opened.
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("layers")), migrate=False)


def test_every_route_has_its_guards(app: FastAPI) -> None:
    assert _unguarded(app) == []


def test_the_open_staff_routes_are_still_open(app: FastAPI) -> None:
    # A listed route that got a staff guard, or went away, leaves the list: it must not keep
    # excusing a route added later under the same path.
    guards = _guards(app)
    stale = [key for key in OPEN_STAFF_ROUTES if key not in guards or guards[key][1]]
    assert stale == []


def test_the_guard_check_sees_a_missing_guard() -> None:
    # As for the imports above: the check must find an unguarded route when there is one.
    async def handler() -> None:
        return None

    async def guarded(_origin: SameOrigin) -> None:
        return None

    probe = FastAPI()
    probe.add_api_route("/api/visitor/probe", handler, methods=["POST"])
    probe.add_api_route("/staff/probe", guarded, methods=["POST"])
    probe.add_api_route("/staff/probe", handler, methods=["GET"])
    probe.add_api_route(
        "/api/visitor/deep", handler, methods=["PUT"], dependencies=[Depends(guarded)]
    )
    assert _unguarded(probe) == [
        "GET /staff/probe: no staff guard",
        "POST /api/visitor/probe: no origin guard",
        "POST /staff/probe: no staff guard",
    ]
