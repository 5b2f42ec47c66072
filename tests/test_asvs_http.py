"""What the OWASP ASVS 5.0 checklist (docs/asvs.md) claims about the HTTP layer, on a real server.

Each test names the requirements it stands for; docs/asvs.md names the test back. Most of these
are properties of the whole app (headers, methods, paths no route serves), so one shared server
is enough.
"""

from __future__ import annotations

import logging
import socket

import httpx
import pytest

from baken.domain.conversation import Role
from baken.logging_setup import TextFormatter
from tests.staff_login_helpers import StaffBrowser
from tests.support import Server, add_staff_with_role

# A page, a form endpoint, a JSON API, a static file and a path no route serves.
EVERY_KIND_OF_RESPONSE = ("/", "/staff/login", "/api/service/status", "/static/common.js", "/nope")
FOREIGN = "https://evil.example"


def test_hsts_covers_subdomains_and_the_csp_allows_no_plugins_or_base(
    sqlite_server: Server,
) -> None:
    """V3.4.1 (a year, subdomains too at level 2), V3.4.3 (object-src and base-uri 'none'),
    V3.7.1 (no plugin content can load)."""
    for path in EVERY_KIND_OF_RESPONSE:
        headers = httpx.get(sqlite_server.base + path).headers
        hsts = [part.strip().lower() for part in headers["strict-transport-security"].split(";")]
        assert "max-age=31536000" in hsts and "includesubdomains" in hsts, path
        policy = [part.strip() for part in headers["content-security-policy"].split(";")]
        assert "object-src 'none'" in policy and "base-uri 'none'" in policy, path
        assert "script-src 'self'" in policy, path


def test_no_cross_origin_read_is_ever_allowed(sqlite_server: Server) -> None:
    """V3.4.2: no Access-Control-Allow-Origin, not even when another site asks or preflights."""
    answers = [
        httpx.get(sqlite_server.base + path, headers={"Origin": FOREIGN})
        for path in EVERY_KIND_OF_RESPONSE
    ]
    answers.append(
        httpx.options(
            sqlite_server.base + "/api/visitor/start",
            headers={"Origin": FOREIGN, "Access-Control-Request-Method": "POST"},
        )
    )
    for response in answers:
        assert not [name for name in response.headers if name.startswith("access-control-")]


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "PATCH"])
def test_methods_no_route_takes_are_refused(sqlite_server: Server, method: str) -> None:
    """V13.4.4 (no TRACE): a method no route lists gets 405 and echoes nothing back."""
    response = httpx.request(method, sqlite_server.base + "/", headers={"X-Echo-Me": "canary"})
    assert response.status_code == 405
    assert "canary" not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/static/",  # a directory listing
        "/.git/HEAD",  # source control metadata
        "/.git/config",
        "/static/%2e%2e/app.py",  # the module next to the static folder, by path traversal
        "/static/%2e%2e/%2e%2e/config.py",
        "/docs",  # API documentation the framework would serve
        "/redoc",
        "/openapi.json",
    ],
)
def test_no_listing_source_or_api_documentation_is_served(sqlite_server: Server, path: str) -> None:
    """V13.4.1 (no .git), V13.4.3 (no directory listing), V13.4.5 (no API docs), V5.3.2 (a
    request path cannot walk out of the static folder)."""
    response = httpx.get(sqlite_server.base + path)
    assert response.status_code == 404
    assert "import " not in response.text and "[core]" not in response.text


def _raw_exchange(server: Server, request: bytes) -> bytes:
    """Send bytes as they are (httpx would fix the framing) and read until the server closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
        b"Content-Length: 4\r\nContent-Length: 5\r\n",
    ],
    ids=["length-and-chunked", "two-lengths"],
)
def test_a_request_with_ambiguous_framing_is_refused(sqlite_server: Server, framing: bytes) -> None:
    """V4.2.1: a body whose length two headers disagree on is refused, not guessed at, so a
    proxy and Baken can never read two different requests out of one stream."""
    request = (
        b"POST /api/visitor/start HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + framing
        + b"\r\n0\r\n\r\n"
        + b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    answer = _raw_exchange(sqlite_server, request)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]
    assert answer.count(b"HTTP/1.1 ") == 1  # the smuggled second request was never served


def _set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def test_every_cookie_is_host_bound_secure_http_only_and_strict(sqlite_server: Server) -> None:
    """V3.3.1–V3.3.4: every cookie Baken writes or clears, on both sides, carries the __Host-
    prefix, Secure, HttpOnly and SameSite=Strict, with Path=/ and no Domain."""
    written: list[str] = []
    origin = {"Origin": sqlite_server.origin}
    start = httpx.post(sqlite_server.base + "/start", data={"lang": "nl"}, headers=origin)
    assert start.status_code == 303
    written += _set_cookies(start)
    visitor = written[-1].split(";", 1)[0]
    leave = httpx.get(sqlite_server.base + "/exit", headers={"Cookie": visitor})
    written += _set_cookies(leave)

    username = "asvs-cookies"
    add_staff_with_role(sqlite_server, Role.COUNSELOR, username)
    browser = StaffBrowser(sqlite_server)
    written += _set_cookies(browser.password(username))
    written += _set_cookies(browser.code(sqlite_server.totp_code(username)))
    written += _set_cookies(browser.post("/staff/logout", {}))

    names = {header.split("=", 1)[0] for header in written}
    # The visitor's session, the staff session, the step between password and code, the device.
    assert names == {"__Host-baken_v", "__Host-baken_s", "__Host-baken_p", "__Host-baken_d"}
    for header in written:
        attributes = {part.strip().split("=", 1)[0].lower() for part in header.split(";")[1:]}
        lowered = header.lower()
        assert {"secure", "httponly", "samesite", "path"} <= attributes, header
        assert "samesite=strict" in lowered and "path=/" in lowered, header
        assert "domain" not in attributes, header
        assert len(header.split(";", 1)[0]) < 4096


def test_text_log_lines_are_utc_and_cannot_be_split_by_a_client() -> None:
    """V16.2.2 (UTC timestamps) and V16.4.1 (no log injection) for the default text format; the
    JSON format is encoded by orjson (tests/test_log_privacy.py)."""
    forged = "/a\n2026-01-01T00:00:00.000+00:00 INFO baken.web: signed in\r\u2028\x1b[2J"
    record = logging.LogRecord(
        "baken.web.app",
        logging.ERROR,
        __file__,
        1,
        "unhandled error on %s: %s",
        (forged, "E"),
        None,
    )
    line = TextFormatter().format(record)
    assert "\n" not in line and "\r" not in line and "\u2028" not in line and "\x1b" not in line
    assert "\\n2026-01-01" in line and "\\x1b[2J" in line
    stamp = line.split(" ", 1)[0]
    assert stamp.endswith("+00:00") and "T" in stamp
