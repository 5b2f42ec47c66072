"""Issue 18, Performance: the availability answer sent again by the HTTP protocol itself
(web/availability_wire.py), on a real uvicorn server.

What a hit sends must be what the app sent for the same request, for as long as the app's own
answer cache holds it; every request still counts against the per-address limit; anything outside
the plain case (HTTP/1.0, a body, a pipelined request) goes through the app as before.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from baken.web.availability_wire import AvailabilityWire, WireAnsweringProtocol
from tests.support import Server, add_organisation, counselor, run_async, start_server

PARTNER = "https://school.example"
BOUND_SECONDS = 30.0

Answer = tuple[int, list[tuple[str, str]], bytes]


def wire_of(server: Server) -> AvailabilityWire:
    app: Any = server._server.config.app
    wire: AvailabilityWire = app.state.availability_wire
    return wire


def ask(conn: http.client.HTTPConnection, path: str, **headers: str) -> Answer:
    """One request on a kept-alive connection: status, headers without ``date``, body."""
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    kept = [(k.lower(), v) for k, v in response.getheaders() if k.lower() != "date"]
    return response.status, kept, body


@pytest.fixture
def cached(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path, partner_origins=[PARTNER], availability_cache_seconds=60)
    yield server
    server.stop()


def connect(server: Server) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=BOUND_SECONDS)


def test_a_repeated_request_gets_the_apps_answer_from_the_wire(cached: Server) -> None:
    wire = wire_of(cached)
    conn = connect(cached)
    first = ask(conn, "/api/availability", Origin=PARTNER)
    assert first[0] == 200 and wire.hits == 0
    assert ("access-control-allow-origin", PARTNER) in first[1]
    again = [ask(conn, "/api/availability", Origin=PARTNER) for _ in range(5)]
    assert again == [first] * 5
    assert wire.hits == 5
    # Another connection gets the same bytes from the same kept answer.
    assert ask(connect(cached), "/api/availability", Origin=PARTNER) == first
    assert wire.hits == 6


def test_a_hit_carries_a_current_date(cached: Server) -> None:
    conn = connect(cached)
    ask(conn, "/api/availability")
    hits = wire_of(cached).hits
    conn.request("GET", "/api/availability")
    response = conn.getresponse()
    response.read()
    assert wire_of(cached).hits == hits + 1
    assert len(response.getheaders()) == len({k.lower() for k, _ in response.getheaders()})
    stamp = time.mktime(time.strptime(response.getheader("date", ""), "%a, %d %b %Y %H:%M:%S GMT"))
    assert abs(stamp - time.mktime(time.gmtime())) < 5


def test_other_headers_do_not_change_the_answer(cached: Server) -> None:
    """The key is target, Host and Origin: a request with any other headers gets what the app
    sends for it. ``&x=1`` makes a new key, so that answer comes from the app, not the wire."""
    conn = connect(cached)
    via_app = ask(conn, "/api/availability?org=org_default&x=1", Origin=PARTNER)
    hits = wire_of(cached).hits
    others = {
        "Accept-Language": "uk,en;q=0.5",
        "User-Agent": "Mozilla/5.0 (Linux; Android 9)",
        "Cookie": "__Host-baken_v=not-a-token",
        "X-Forwarded-For": "203.0.113.9",
        "Accept-Encoding": "gzip, br",
    }
    from_app = ask(conn, "/api/availability?org=org_default&x=2", Origin=PARTNER, **others)
    assert wire_of(cached).hits == hits
    from_wire = ask(conn, "/api/availability?org=org_default&x=1", Origin=PARTNER, **others)
    assert wire_of(cached).hits == hits + 1
    assert from_wire == via_app == from_app


def test_keys_keep_origins_entries_and_organisations_apart(cached: Server) -> None:
    slug, other = add_organisation(cached, "noord", "Noord")
    conn = connect(cached)
    deadline = time.monotonic() + BOUND_SECONDS
    by_slug = ask(conn, f"/o/{slug}/api/availability")
    while by_slug[0] == 404 and time.monotonic() < deadline:  # organisations are re-read soon
        time.sleep(0.05)
        by_slug = ask(conn, f"/o/{slug}/api/availability")
    requests: list[tuple[str, dict[str, str]]] = [
        ("/api/availability", {"Origin": PARTNER}),
        ("/api/availability", {"Origin": "https://evil.example"}),
        ("/api/availability", {}),
        (f"/o/{slug}/api/availability", {}),
        (f"/api/availability?org={other}", {"Origin": PARTNER}),
        ("/api/availability?org=org_nope", {}),
        ("/api/availability", {"Host": "elsewhere.example"}),
    ]
    first = [ask(conn, path, **headers) for path, headers in requests]
    hits = wire_of(cached).hits
    second = [ask(conn, path, **headers) for path, headers in requests]
    assert wire_of(cached).hits == hits + len(requests)
    assert second == first
    by_origin = [dict(answer[1]).get("access-control-allow-origin") for answer in first[:3]]
    assert by_origin == [PARTNER, None, None]
    organisations = [_organisation(answer) for answer in first]
    assert organisations == ["org_default"] * 3 + [other, other, None, "org_default"]
    assert first[5][0] == 404


def _organisation(answer: Answer) -> Any:
    return json.loads(answer[2]).get("organisation")


def test_every_hit_counts_against_the_address_limit(tmp_path: Path) -> None:
    server = start_server(
        tmp_path, address_availability_per_minute=5, availability_cache_seconds=60
    )
    try:
        conn = connect(server)
        statuses = [ask(conn, "/api/availability")[0] for _ in range(8)]
        assert statuses == [200] * 5 + [429] * 3
        assert wire_of(server).hits == 4  # the first one came from the app
        refused = ask(connect(server), "/api/availability")
        assert refused[0] == 429 and refused[2] == b'{"error":"try_later"}'
    finally:
        server.stop()


def test_clients_behind_a_trusted_proxy_keep_their_own_limits(tmp_path: Path) -> None:
    """One proxy connection carries several clients: the limit follows X-Forwarded-For."""
    server = start_server(
        tmp_path,
        address_availability_per_minute=3,
        availability_cache_seconds=60,
        trusted_proxies=["127.0.0.1"],
    )
    try:
        conn = connect(server)
        seen: dict[str, list[int]] = {"198.51.100.1": [], "198.51.100.2": []}
        for _ in range(5):
            for client in seen:
                seen[client].append(
                    ask(conn, "/api/availability", **{"X-Forwarded-For": client})[0]
                )
        assert seen == {client: [200] * 3 + [429] * 2 for client in seen}
        assert wire_of(server).hits == 5
    finally:
        server.stop()


def test_a_change_shows_once_the_apps_cache_period_is_over(tmp_path: Path) -> None:
    server = start_server(tmp_path, availability_cache_seconds=1)
    try:
        conn = connect(server)
        assert _staffed(ask(conn, "/api/availability")) is False
        _, token = server.add_staff()

        async def with_console() -> None:
            console = await counselor(server, token)
            try:
                deadline = time.monotonic() + BOUND_SECONDS
                while not _staffed(ask(conn, "/api/availability")):
                    assert time.monotonic() < deadline, "the answer never changed"
                    time.sleep(0.05)
            finally:
                await console.close()

        run_async(with_console())
        assert wire_of(server).hits > 0
    finally:
        server.stop()


def _staffed(answer: Answer) -> Any:
    return json.loads(answer[2])["staffed"]


def _raw(server: Server, request: bytes, expect: int) -> bytes:
    """Send raw bytes; read until ``expect`` complete responses (or the server closes)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=BOUND_SECONDS) as sock:
        # The Host http.client sends, so the key is the one ``ask`` made.
        sock.sendall(request.replace(b"@HOST@", b"127.0.0.1:%d" % server.port))
        data = b""
        while not _complete(data, expect):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def _complete(data: bytes, expect: int) -> bool:
    rest, done = data, 0
    while done < expect:
        head, sep, rest = rest.partition(b"\r\n\r\n")
        if not sep:
            return False
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(rest) < length:
            return False
        rest, done = rest[length:], done + 1
    return True


def test_a_long_target_is_not_kept(cached: Server) -> None:
    """Made-up query strings or hosts cannot fill the kept answers with kilobytes each."""
    conn = connect(cached)
    path = "/api/availability?x=" + "a" * 3000
    first = ask(conn, path)
    assert first[0] == 200
    assert ask(conn, path) == first
    assert wire_of(cached).hits == 0 and wire_of(cached).answers == {}


def test_a_header_given_twice_is_never_a_key(cached: Server) -> None:
    """The app reads the first Host and Origin; a key made from another one would let one request
    store an answer under a key that is not what the app answered."""
    host = b"127.0.0.1:%d" % cached.port
    for twice in (
        b"Host: %s\r\nHost: other.example\r\n" % host,
        b"Host: %s\r\nOrigin: https://evil.example\r\nOrigin: %s\r\n" % (host, PARTNER.encode()),
    ):
        for _ in range(2):
            answer = _raw(cached, b"GET /api/availability HTTP/1.1\r\n" + twice + b"\r\n", 1)
            assert answer.startswith(b"HTTP/1.1 ")
    assert wire_of(cached).hits == 0 and wire_of(cached).answers == {}


def test_outside_the_plain_case_the_app_answers(cached: Server) -> None:
    wire = wire_of(cached)
    ask(connect(cached), "/api/availability")
    hits = wire.hits
    old = _raw(cached, b"GET /api/availability HTTP/1.0\r\nHost: @HOST@\r\n\r\n", 1)
    assert old.startswith(b"HTTP/1.1 200") and b'"organisation"' in old
    body = _raw(
        cached,
        b"GET /api/availability HTTP/1.1\r\nHost: @HOST@\r\nContent-Length: 5\r\n\r\nhello",
        1,
    )
    assert body.startswith(b"HTTP/1.1 200")
    closing = _raw(
        cached, b"GET /api/availability HTTP/1.1\r\nHost: @HOST@\r\nConnection: close\r\n\r\n", 1
    )
    assert b"connection: close" in closing.lower()
    assert wire.hits == hits
    # The same request in the plain case is a hit: the key above was the kept one.
    plain = _raw(cached, b"GET /api/availability HTTP/1.1\r\nHost: @HOST@\r\n\r\n", 1)
    assert plain.startswith(b"HTTP/1.1 200") and wire.hits == hits + 1


def test_pipelined_requests_are_answered_in_order(cached: Server) -> None:
    ask(connect(cached), "/api/availability")
    request = b"GET %s HTTP/1.1\r\nHost: @HOST@\r\n\r\n"
    paths = [b"/healthz", b"/api/availability", b"/healthz", b"/api/availability"]
    data = _raw(cached, b"".join(request % path for path in paths), len(paths))
    answers = data.split(b"HTTP/1.1 ")[1:]
    assert len(answers) == 4
    assert [b'"organisation"' in answer for answer in answers] == [False, True, False, True]


def test_an_idle_connection_after_a_hit_is_still_closed(cached: Server) -> None:
    """A hit completes the response as uvicorn would, keep-alive timer included."""
    ask(connect(cached), "/api/availability")
    hits = wire_of(cached).hits
    with socket.create_connection(("127.0.0.1", cached.port), timeout=BOUND_SECONDS) as sock:
        sock.sendall(b"GET /api/availability HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % cached.port)
        data = b""
        while not _complete(data, 1):
            data += sock.recv(65536)
        assert wire_of(cached).hits == hits + 1
        # Nothing more is sent: the server closes the connection when keep-alive runs out.
        assert sock.recv(65536) == b""


def test_a_request_after_a_hit_in_the_same_read_is_not_cut_off(cached: Server) -> None:
    """A hit completes its response inside the read and arms uvicorn's keep-alive timer; a request
    that came in the same read must not run under that timer (it would close the connection
    while the request is still being served)."""
    ask(connect(cached), "/api/availability")
    hits = wire_of(cached).hits
    start = b'{"nickname": "x", "lang": "nl"}'
    request = (
        b"GET /api/availability HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
        b"POST /api/visitor/start HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: %s\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    ) % (cached.port, cached.port, cached.origin.encode(), len(start))
    with socket.create_connection(("127.0.0.1", cached.port), timeout=BOUND_SECONDS) as sock:
        sock.sendall(request + start[:5])  # the start's body only begun: it is being served
        # The server thread parses both requests; wait for the state in which the first has been
        # answered here and the second is being served.
        deadline = time.monotonic() + BOUND_SECONDS
        serving = _serving(cached)
        while wire_of(cached).hits == hits or not serving:
            assert time.monotonic() < deadline, "the two requests never reached that state"
            time.sleep(0.01)
            serving = _serving(cached)
        assert len(serving) == 1
        assert serving[0].timeout_keep_alive_task is None
        sock.sendall(start[5:])
        data = b""
        while not _complete(data, 2):
            chunk = sock.recv(65536)
            assert chunk, "the server closed the connection"
            data += chunk
        assert data.count(b"HTTP/1.1 200") == 2


def _serving(server: Server) -> list[WireAnsweringProtocol]:
    """The server's connections with a request being served (a copy: the set is the server's)."""
    return [
        p
        for p in list(server._server.server_state.connections)
        if isinstance(p, WireAnsweringProtocol)
        and p.cycle is not None
        and not p.cycle.response_complete
    ]
