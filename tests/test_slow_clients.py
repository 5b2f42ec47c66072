"""Issue 16: slow clients (slowloris). A connection that trickles its headers, or sends nothing,
is closed once the header time is up; one address cannot hold more than a few connections that
are still sending headers; and all the while the server answers a normal request.

Slow sockets come from 127.0.0.2 (all of 127/8 is loopback on Linux), normal requests from
127.0.0.1, so the cap on one address does not touch the other. Nothing here measures time: each
step waits for a state (a socket closed by the server) with a generous bound.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import Server, start_server

SLOW_SOCKETS = 6
HALF_OPEN_CAP = 4
BOUND_SECONDS = 60.0


def _slow_socket(srv: Server) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.2", 0))
    sock.connect(("127.0.0.1", srv.port))
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return sock


def _closed_by_server(sock: socket.socket, trickle: bool) -> bool:
    """Wait (bounded) until the server closes the socket; meanwhile send one more header byte now
    and then, as a slowloris client does. True when the server closed it."""
    sock.settimeout(0.5)
    rounds = int(BOUND_SECONDS / 0.5)
    for n in range(rounds):
        try:
            if trickle:
                sock.sendall(b"X-Slow-%d: a\r\n" % n)
            if sock.recv(1024) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:  # reset or broken pipe: closed by the server too
            return True
    return False


@pytest.fixture
def short_headers(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(
        tmp_path,
        header_timeout_seconds=2,
        body_timeout_seconds=2,
        max_half_open_per_address=HALF_OPEN_CAP,
    )
    yield srv
    srv.stop()


@pytest.fixture
def long_headers(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(
        tmp_path, header_timeout_seconds=300, max_half_open_per_address=HALF_OPEN_CAP
    )
    yield srv
    srv.stop()


def test_slow_headers_are_closed_and_the_server_keeps_serving(short_headers: Server) -> None:
    srv = short_headers
    sockets = [_slow_socket(srv) for _ in range(HALF_OPEN_CAP)]
    closed: list[bool] = []
    served: list[int] = []

    def normal_requests() -> None:
        served.append(httpx.get(srv.base + "/healthz", timeout=30).status_code)

    helper = threading.Thread(target=normal_requests)
    helper.start()
    try:
        closed = [_closed_by_server(sock, trickle=True) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
        helper.join(timeout=BOUND_SECONDS)
    assert closed == [True] * HALF_OPEN_CAP
    assert served == [200]
    # A connection that sends nothing at all is closed too.
    silent = socket.create_connection(("127.0.0.1", srv.port))
    try:
        assert _closed_by_server(silent, trickle=False)
    finally:
        silent.close()
    assert httpx.get(srv.base + "/healthz").status_code == 200


def test_a_body_sent_too_slowly_is_closed(short_headers: Server) -> None:
    sock = socket.create_connection(("127.0.0.1", short_headers.port))
    try:
        sock.sendall(
            b"POST /api/visitor/message HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        assert _closed_by_server(sock, trickle=False)
    finally:
        sock.close()


def test_one_address_holds_only_a_few_half_open_connections(long_headers: Server) -> None:
    srv = long_headers
    held = [_slow_socket(srv) for _ in range(HALF_OPEN_CAP)]
    try:
        extra = [_slow_socket(srv) for _ in range(SLOW_SOCKETS - HALF_OPEN_CAP)]
        try:
            assert all(_closed_by_server(sock, trickle=False) for sock in extra)
        finally:
            for sock in extra:
                sock.close()
        # The ones within the cap are still open: finishing their headers gets an answer.
        last = held.pop()
        last.sendall(b"Connection: close\r\n\r\n")
        last.settimeout(BOUND_SECONDS)
        assert last.recv(64).startswith(b"HTTP/1.1 ")
        last.close()
        # Another address is not held back meanwhile.
        assert httpx.get(srv.base + "/healthz").status_code == 200
    finally:
        for sock in held:
            sock.close()
