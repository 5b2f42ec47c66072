"""Availability for partner sites (issue 18, item 3; fields in docs/protocol.md).

``GET /api/availability[?org=<id>]``: open or closed, the next opening, whether a counselor is
online, and the expected wait in coarse bands. Public and the same for every caller: no cookie is
read, nothing about anyone is in it. One answer per organisation is computed at most once per
cache period and shared by every request in between, so a popular partner page costs the server a
dictionary lookup per request (BAKEN_AVAILABILITY_CACHE_SECONDS, 5 by default); a flood from
one address is refused with 429.

CORS only for the origins in BAKEN_PARTNER_ORIGINS: any other origin gets the same answer without
an Access-Control-Allow-Origin header (its page's script then cannot read it; no error page).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from baken.abuse.address import SCOPE_KEY
from baken.abuse.throttle import KeyedLimit
from baken.domain.conversation import Role
from baken.domain.queue import wait_seconds_at
from baken.store.clock import iso, utcnow
from baken.web.availability_wire import WIRE_MARK, Mark
from baken.web.organisation_entry import SCOPE_KEY as ENTRY_KEY
from baken.web.organisation_entry import Entry, entry_of
from baken.web.service_routes import hours_store
from baken.web.services import services_of

# Staff who take chats; a researcher or an administrator alone online is not "staffed".
CHAT_ROLES = frozenset({Role.COUNSELOR.value, Role.SUPERVISOR.value})
# Organisation ids are ours (e.g. "org_default"); anything else is unknown without asking the
# database, so a flood of invented ids costs nothing.
_ORG_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Wait bands in minutes: (upper bound in seconds, band); beyond the last: "over_30".
BANDS = ((5 * 60, "under_5"), (15 * 60, "5_15"), (30 * 60, "15_30"))
JSON = "application/json"
_JSON_TYPE = JSON.encode()
PATH = "/api/availability"
_NOT_FOUND = orjson.dumps({"error": "not_found"})
_TOO_MANY = orjson.dumps({"error": "try_later"})


def wait_band(wait_seconds: int | None) -> str:
    if wait_seconds is None:
        return "unknown"
    if wait_seconds <= 0:
        return "none"
    for limit, band in BANDS:
        if wait_seconds < limit:
            return band
    return "over_30"


@dataclass
class _Cached:
    body: bytes | None  # None: no such organisation
    until: float


@dataclass
class Availability:
    """The shared answers, and the flood limit (per process, in memory)."""

    per_minute: int
    answers: dict[str, _Cached] = field(default_factory=dict)
    limit: KeyedLimit = field(init=False)

    def __post_init__(self) -> None:
        self.limit = KeyedLimit(self.per_minute, 60.0)


def availability_of(app: Any) -> Availability:
    """The state ``create_app`` made (it also hands the limit to the HTTP protocol's answers)."""
    state: Availability = app.state.availability
    return state


async def _active_organisation(app: Any, id_or_slug: str) -> str | None:
    """The id of the active organisation ``?org=`` names by id or slug; None for any other."""
    organisations = services_of(app).organisations
    found = await organisations.by_id(id_or_slug) or await organisations.by_slug(id_or_slug)
    return found.id if found is not None and found.active else None


async def compute(app: Any, organisation_id: str, now: datetime | None = None) -> dict[str, Any]:
    """The answer for one organisation right now (what the cache holds)."""
    now = now or utcnow()
    chat = services_of(app).chat
    config, _version = await hours_store(app).load(organisation_id)
    is_open = not config.enabled or config.schedule.is_open(now)
    opens = None if is_open else config.schedule.next_opening(now)
    staffed = chat.presence.staffed(organisation_id)
    # Issue 15: open means inside the hours and someone to chat with (BAKEN_OPEN_NEEDS_STAFF).
    if is_open and not staffed and services_of(app).settings.open_needs_staff:
        is_open = False
    wait: str | None = None
    if is_open:
        if not staffed:
            wait = "unknown"
        else:
            waiting = chat.hub.queue_size(organisation_id)
            # Where a visitor who starts now would stand: behind everyone waiting.
            rate = chat.hub.service_rate_of(organisation_id)
            wait = "none" if waiting == 0 else wait_band(wait_seconds_at(waiting + 1, rate))
    return {
        "organisation": organisation_id,
        "open": is_open,
        "opens_at": iso(opens) if opens else None,
        "staffed": staffed,
        "wait": wait,
        "updated_at": iso(now),
        "max_age": services_of(app).settings.availability_cache_seconds,
    }


def _cors_headers(app: Any, origin: str | None) -> dict[str, str]:
    # The answer depends on Origin only in this header; caches must keep them apart.
    headers = {"Vary": "Origin"}
    if origin and origin in services_of(app).settings.partner_origins:
        headers["Access-Control-Allow-Origin"] = origin
    return headers


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]
    # When the answer is the one shared by everyone asking (from the cache): until when it holds,
    # in time.monotonic(). None for an answer to this caller only (429, an impossible id).
    shared_until: float | None = None


async def answer(
    app: Any, key: str | None, origin: str | None, org: str | None, entry: Entry
) -> Answer:
    """Status, body and headers of one request: what the route and the fast path both send."""
    state = availability_of(app)
    headers = _cors_headers(app, origin)
    if key is not None and not state.limit.hit(key, time.monotonic()):
        headers["Retry-After"] = "60"
        return Answer(429, _TOO_MANY, headers)
    # Without ?org=, the organisation of the entry asked: /o/<slug>/api/availability or its host.
    organisation_id = org or entry.organisation.id
    if not _ORG_ID.fullmatch(organisation_id):
        return Answer(404, _NOT_FOUND, headers)
    now = time.monotonic()
    cached = state.answers.get(organisation_id)
    if cached is None or cached.until <= now:
        body: bytes | None = None
        found = await _active_organisation(app, organisation_id)
        if found is not None:
            body = orjson.dumps(await compute(app, found))
        if len(state.answers) >= 1000:
            state.answers.clear()
        seconds = services_of(app).settings.availability_cache_seconds
        cached = state.answers[organisation_id] = _Cached(body, now + seconds)
    if cached.body is None:
        return Answer(404, _NOT_FOUND, headers, cached.until)
    return Answer(200, cached.body, headers, cached.until)


async def availability_api(request: Request) -> Response:
    found = await answer(
        request.app,
        request.scope.get(SCOPE_KEY),
        request.headers.get("origin"),
        request.query_params.get("org"),
        entry_of(request),
    )
    return Response(found.body, status_code=found.status, media_type=JSON, headers=found.headers)


def _org_param(query_string: bytes) -> str | None:
    # The same reading as Starlette's query_params.get: the first value, percent-decoded.
    for pair in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if pair[0] == "org":
            return pair[1]
    return None


class AvailabilityFastPath:
    """``GET /api/availability`` answered before the router (issue 18, Performance).

    A partner page can make this the busiest URL of the service, and the router's walk over every
    route plus Starlette's request and response objects cost several times the answer itself
    (docs/performance.md). Installed inside the security headers, the address hashing and the
    organisation entry, so the answer, its limit and its headers are exactly the route's: both call
    ``answer``. Anything else (another method, another path) goes on to the router.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A plain function handing back the coroutine to run: what passes through keeps no frame
        # of this layer (an open socket would keep it for its whole life; issue 21).
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "GET"
            or not isinstance(scope.get(ENTRY_KEY), Entry)
        ):
            return self.app(scope, receive, send)
        return self._answer(scope, send)

    async def _answer(self, scope: Scope, send: Send) -> None:
        origin: str | None = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value.decode("latin-1")
                break
        found = await answer(
            scope["app"],
            scope.get(SCOPE_KEY),
            origin,
            _org_param(scope.get("query_string", b"")),
            scope[ENTRY_KEY],
        )
        mark = scope.get(WIRE_MARK)
        if isinstance(mark, Mark) and found.shared_until is not None:
            # The HTTP protocol may keep what goes out and send it again until then
            # (web/availability_wire.py).
            mark.until = found.shared_until
        body = found.body
        raw = [(b"content-type", _JSON_TYPE), (b"content-length", str(len(body)).encode())]
        raw.extend(
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in found.headers.items()
        )
        await send({"type": "http.response.start", "status": found.status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
