"""Same-origin checks for state-changing requests (forms, JSON posts, WebSockets)."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import HTTPConnection


def origin_allowed(origin: str | None, host: str | None, extra: list[str]) -> bool:
    """True when the page that sent this is our own site (or explicitly allowed).

    Compared on host and port: behind a TLS proxy the scheme we see may differ from the browser's.
    """
    if not origin or origin == "null":
        return False
    if origin in extra:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc == host


def same_origin(connection: HTTPConnection, extra: list[str]) -> bool:
    headers = connection.headers
    origin = headers.get("origin")
    if origin_allowed(origin, headers.get("host"), extra):
        return True
    # Under Referrer-Policy: no-referrer, browsers send "Origin: null" even on a page's own form
    # posts. Fetch metadata, which page scripts cannot forge, then tells where the request began.
    return origin in (None, "null") and headers.get("sec-fetch-site") == "same-origin"
