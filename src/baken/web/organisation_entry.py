"""Which organisation a visitor came to (issue 14): ``/o/<slug>/…``, a host name of its own, or
the default organisation behind ``/``.

The entry is resolved once, at the door, for every request and socket. ``/o/<slug>/x`` is then
served by the same route as ``/x`` — one set of visitor routes for every helpline — and the
routes read the organisation with ``entry_of(request)``. An unknown or disabled slug gets the same
neutral 404 as any unknown page: nothing tells a visitor (or someone watching them) that a
helpline of that name exists, or existed.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from baken.domain.organisation import Organisation
from baken.i18n import VISITOR_LANGUAGES, negotiate
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.web.pages import error_page
from baken.web.services import services_of

__all__ = ["ENTRY_PREFIX", "Entry", "OrganisationEntry", "entry_of"]

ENTRY_PREFIX = "/o/"
SCOPE_KEY = "baken.entry"
# Only the visitor's side of Baken answers under /o/<slug>/: staff pages, static files and
# health checks have one address per installation.
VISITOR_PREFIXES = (
    "/start",
    "/chat",
    "/closed/",
    "/return",
    "/exit",
    "/c/",
    "/api/visitor/",
    "/api/service/status",
    "/api/availability",
    "/ws/visitor",
    "/check",  # issue 18: the self-check
    "/cover",  # issue 18: the disguise's homework page, fetched by cover.js
)


@dataclass(frozen=True, slots=True)
class Entry:
    organisation: Organisation
    # What the visitor's links start with: "/o/<slug>" at a slug entry, "" otherwise.
    base: str


def entry_of(conn: HTTPConnection) -> Entry:
    entry = conn.scope.get(SCOPE_KEY)
    if not isinstance(entry, Entry):  # a route reached without the middleware: a wiring bug
        raise RuntimeError("OrganisationEntry middleware is not installed")
    return entry


def _is_visitor_path(path: str) -> bool:
    return path == "/" or path.startswith(VISITOR_PREFIXES)


def _host_of(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = value.decode("latin-1").strip().lower()
            if host.startswith("["):  # an IPv6 literal is never an organisation's host
                return None
            return host.rsplit(":", 1)[0].rstrip(".") or None
    return None


class OrganisationEntry:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        organisations = services_of(scope["app"]).organisations
        path: str = scope["path"]
        if path == "/o" or path.startswith(ENTRY_PREFIX):
            slug, _, rest = path[len(ENTRY_PREFIX) :].partition("/")
            organisation = await organisations.by_slug(slug) if slug else None
            inner = "/" + rest
            # A partner organisation (issue 17) has no visitor entry: the same 404.
            if (
                organisation is None
                or not organisation.takes_visitors
                or not _is_visitor_path(inner)
            ):
                await _not_found(scope, receive, send)
                return
            scope = dict(scope, path=inner, raw_path=inner.encode())
            scope[SCOPE_KEY] = Entry(organisation, ENTRY_PREFIX + slug)
            await self.app(scope, receive, send)
            return
        host = _host_of(scope)
        organisation = await organisations.by_host(host) if host else None
        if organisation is not None and not organisation.takes_visitors:
            organisation = None
        if organisation is None:
            organisation = await organisations.by_id(DEFAULT_ORGANISATION)
        if organisation is None:  # the default organisation is made at start-up
            raise RuntimeError("the default organisation is missing")
        scope[SCOPE_KEY] = Entry(organisation, "")
        await self.app(scope, receive, send)


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 4404})
        return
    conn = HTTPConnection(scope)
    lang = negotiate(
        conn.query_params.get("lang"), conn.headers.get("accept-language"), VISITOR_LANGUAGES
    )
    await error_page(lang, 404)(scope, receive, send)
