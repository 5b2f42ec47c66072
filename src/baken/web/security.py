"""Headers on every response, and the client's address dropped before any code can see it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from baken.abuse.address import SCOPE_KEY, AddressKeys

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)

_COMMON = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
]
# Issue 13: the transcript of the chat without JavaScript refreshes itself in a frame on our own
# /chat page (docs/protocol.md); only that one page may be framed, and only by this origin.
FRAMED_BY_SELF_PATHS = frozenset({"/chat/log"})
_FRAMED_BY_SELF = [
    (k, v.replace(b"frame-ancestors 'none'", b"frame-ancestors 'self'"))
    if k == b"content-security-policy"
    else ((k, b"SAMEORIGIN") if k == b"x-frame-options" else (k, v))
    for k, v in _COMMON
]
# Issue 18: the partner launcher is loaded by other sites' pages (docs/reach.md). The same bytes for
# everyone and no secret in them, so other origins may load it and caches may keep it (its route
# sets Cache-Control); everything else about the headers stays.
PUBLIC_SCRIPTS = frozenset({"/launcher.js"})
_PUBLIC_SCRIPT = [
    (k, b"cross-origin") if k == b"cross-origin-resource-policy" else (k, v) for k, v in _COMMON
]
# Everything else, static files included: a shared or inspected phone should keep no copy of any
# of it.
_NO_STORE = (b"cache-control", b"no-store")
# A year, names under this host included (ASVS 5.0 V3.4.1, level 2): on a network the exploiter
# controls, no plain-HTTP page can pose as a subdomain of the helpline's own name.
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")

# The page for an exception no route handled.
ErrorPageFor = Callable[[Scope, Exception], Awaitable[Response]]


class SecurityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        hsts: bool = False,
        addresses: AddressKeys | None = None,
        error_page: ErrorPageFor | None = None,
    ) -> None:
        self.app = app
        self.hsts = hsts
        self.addresses = addresses or AddressKeys()
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # Throttles (issue 5) get only a keyed hash of the address, under a key no log reads.
        scope[SCOPE_KEY] = self.addresses.key_of(scope)
        # In place on purpose: the server's own log lines read this same dict later.
        scope["client"] = None
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        hsts = self.hsts
        path = scope.get("path")
        public = path in PUBLIC_SCRIPTS
        common = _PUBLIC_SCRIPT if public else _COMMON
        if path in FRAMED_BY_SELF_PATHS:
            common = _FRAMED_BY_SELF
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                dropped = (b"server",) if public else (b"cache-control", b"server")
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in dropped
                ]
                headers.extend(common)
                if not any(k.lower() == b"cache-control" for k, _v in headers):
                    headers.append(_NO_STORE)
                if hsts:
                    headers.append(_HSTS)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # Starlette's ServerErrorMiddleware, which would send the 500 page, sits outside this
            # middleware: its page would go out without the CSP and no-store. So the page is
            # sent from here, through the headers; the exception goes on up to be logged, and
            # ServerErrorMiddleware sees that a response has started and sends nothing more.
            if started or self.error_page is None:
                raise
            response = await self.error_page(scope, exc)
            await response(scope, receive, send_with_headers)
            raise
