"""Gzip for the responses that carry no secret (issue 18, item 7; reasoning in docs/security.md).

BREACH: when a compressed response holds a secret (a session token, a return code, a form token) and
also something an attacker can choose (a query parameter, a message they sent), the attacker can
guess the secret byte by byte from the compressed length an observer on the network sees. So this is
an allow-list, not a deny-list: only responses that hold no secret are compressed, and a new route
is left uncompressed until someone decides otherwise here.
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

# Public files, the same for everyone: no secret in them, nothing reflected.
_STATIC_PREFIX = "/static/"
# The partner launcher script (the same bytes for everyone). The availability answer is public too,
# but always far below MINIMUM_SIZE, and it is answered before this middleware's work would matter.
_PUBLIC_JSON = frozenset({"/launcher.js"})
# The visitor start page: compressed only on a request without any cookie, because only then does it
# render nothing secret (no conversation, no code); its one input, ?lang, is mapped onto a fixed
# set. The self-check's questions and the cover's homework page (issue 18) hold no secret at all;
# they are listed here too, so they follow the same rule.
_COOKIELESS_PAGES = frozenset({"/", "/check", "/cover"})
# Small responses gain nothing: headers and the gzip frame outweigh what is saved.
MINIMUM_SIZE = 500


def compressible(scope: Scope) -> bool:
    if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
        return False
    path = str(scope.get("path", ""))
    if path.startswith(_STATIC_PREFIX) or path in _PUBLIC_JSON:
        return True
    if path in _COOKIELESS_PAGES:
        return not any(name == b"cookie" for name, _ in scope.get("headers", []))
    return False


class SelectiveGZip:
    """Starlette's GZipMiddleware, applied only where ``compressible`` says so."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_SIZE, compresslevel=9)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Hands back the chosen app's coroutine instead of awaiting it: an open socket keeps no
        # frame of this layer for its whole life (issue 21).
        if compressible(scope):
            return self.gzip(scope, receive, send)
        return self.app(scope, receive, send)
