"""``GET /api/availability`` sent again from the bytes the app last sent (issue 18, Performance).

A partner page can make the availability answer the busiest URL of the service, and it is the same
bytes for everyone for seconds at a time. Through the app (security headers, address hashing,
organisation entry, ``AvailabilityFastPath``) a request costs ≈ 70 µs of the one core that also
carries the chat; written straight from the HTTP protocol it costs ≈ 18 µs (docs/performance.md).

How it stays the app's answer:

- **Nothing is made up here.** When a request misses, it goes through the whole app as before; the
  protocol keeps what the app sent (status, every header after uvicorn's ``date``, body) only when
  ``AvailabilityFastPath`` marked the answer as the shared one from its cache, with that cache
  entry's expiry. A hit writes those bytes with the current ``date`` and nothing else.
- **The key is everything the answer depends on**: the request target as sent (path and query, so
  ``/o/<slug>/…`` and ``?org=`` stay apart), ``Host`` (organisations' own host names) and
  ``Origin`` (the CORS header). No other header changes the answer (tests/test_availability_wire.py
  sends others and compares).
- **The per-address limit still counts every request**, in the same bucket as the app, under the
  same keyed hash (``AddressKeys``, computed once per connection and forwarded-for chain). A request
  over the limit goes through the app, which answers 429.
- **Only the plain case**: GET over HTTP/1.1 with keep-alive, no body, no upgrade, and nothing
  else in flight on the connection (a pipelined request waits its turn through the app). An answer
  with ``Content-Encoding`` or without ``Content-Length`` is never kept.

The stored answers live as long as the app's own answer cache (BAKEN_AVAILABILITY_CACHE_SECONDS),
at most ``MAX_ANSWERS`` of them; no address or other personal detail is part of a key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, RequestResponseCycle

from baken.abuse.address import AddressKeys
from baken.abuse.throttle import KeyedLimit
from baken.web.slow_clients import GuardedHttpToolsProtocol

# The scope key of a request the protocol could answer next time: a ``Mark`` on which
# AvailabilityFastPath notes until when its answer is the shared one. An object, not a value in
# the scope: layers inside may copy the scope (OrganisationEntry does), and the copy shares it.
WIRE_MARK = "baken.wire_mark"
PATH_SUFFIX = b"/api/availability"
MAX_ANSWERS = 1000
# Target, Host and Origin together: a partner's request is far shorter. Longer ones (made-up hosts
# or query strings) go through the app every time, so the kept answers stay small.
MAX_KEY_BYTES = 2048
# Statuses of shared answers: the organisation's answer, or "no such organisation".
KEPT_STATUSES = frozenset({200, 404})

Key = tuple[bytes, bytes | None, bytes | None]


@dataclass(slots=True)
class Mark:
    key: Key
    until: float | None = None  # time.monotonic(); set by AvailabilityFastPath


@dataclass(slots=True)
class Stored:
    status_line: bytes
    rest: bytes  # the header lines after uvicorn's default ones, the blank line and the body
    until: float  # time.monotonic()


class AvailabilityWire:
    """The kept answers, and what a hit must pass: the per-address limit."""

    def __init__(self, addresses: AddressKeys, limit: KeyedLimit) -> None:
        self.addresses = addresses
        self.limit = limit
        self.answers: dict[Key, Stored] = {}
        self.hits = 0  # answered here; read by tests and benchmarks

    def fresh(self, key: Key, now: float) -> Stored | None:
        stored = self.answers.get(key)
        if stored is None or stored.until <= now:
            return None
        return stored

    def keep(
        self, key: Key, status: int, headers: list[tuple[bytes, bytes]], body: bytes, until: float
    ) -> None:
        names = {name.lower() for name, _value in headers}
        if (
            status not in KEPT_STATUSES
            or b"content-encoding" in names
            or b"content-length" not in names
        ):
            return
        # As uvicorn writes them (RequestResponseCycle.send): lower-case names, one line each.
        lines = [name.lower() + b": " + value + b"\r\n" for name, value in headers]
        if len(self.answers) >= MAX_ANSWERS:
            self.answers.clear()
        self.answers[key] = Stored(STATUS_LINE[status], b"".join(lines) + b"\r\n" + body, until)


def key_of(url: bytes, headers: list[tuple[bytes, bytes]]) -> Key | None:
    """The key of a request the wire may answer; None when its target is not the availability."""
    if not url.partition(b"?")[0].endswith(PATH_SUFFIX):
        return None
    host: bytes | None = None
    origin: bytes | None = None
    for name, value in headers:
        if name == b"host":
            if host is not None:
                return None  # twice: the app reads the first, a key must not hold another
            host = value
        elif name == b"origin":
            if origin is not None:
                return None
            origin = value
        elif name in (b"content-length", b"transfer-encoding"):
            return None  # a body: not the plain case
    if len(url) + len(host or b"") + len(origin or b"") > MAX_KEY_BYTES:
        return None
    return url, host, origin


def _keeping(wire: AvailabilityWire, mark: Mark, app: ASGIApp) -> ASGIApp:
    """The app, with what it sends for this request kept when it marks the answer as shared."""

    async def run(scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        body: list[bytes] = []

        async def keep_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                # Kept before the last part goes out, so a request that follows the answer finds
                # it. The mark is set before anything is sent, or not at all.
                if not message.get("more_body", False) and mark.until is not None:
                    headers = list(start.get("headers", []))
                    wire.keep(mark.key, start["status"], headers, b"".join(body), mark.until)
            await send(message)

        await app(scope, receive, keep_send)

    return run


class WireAnsweringProtocol(GuardedHttpToolsProtocol):
    """Baken's HTTP protocol, answering kept availability answers itself."""

    wire: ClassVar[AvailabilityWire | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answered = False
        # The address key of this connection, for the forwarded-for chain it was made from and
        # the day of AddressKeys' key (it changes at midnight UTC).
        self._address: tuple[int, tuple[bytes, ...], str | None] | None = None
        self._date: tuple[list[tuple[bytes, bytes]], bytes] | None = None

    def on_message_begin(self) -> None:
        # A request that follows an answer written here in the same read: the keep-alive timer
        # that answer armed (uvicorn's own step) is for an idle connection, and would close this
        # one with the request still being served.
        self._unset_keepalive_if_required()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        wire = self.wire
        key = key_of(self.url, self.headers) if wire is not None else None
        if wire is not None and key is not None and self._plain_case():
            stored = wire.fresh(key, time.monotonic())
            if stored is not None and self._within_limit(wire):
                wire.hits += 1  # before the write: a test may read it once the answer is in
                self._write(stored)
                return
            self.scope[WIRE_MARK] = Mark(key)  # type: ignore[literal-required]
        super().on_headers_complete()

    def _plain_case(self) -> bool:
        parser = self.parser
        return (
            parser.get_method() == b"GET"
            and parser.get_http_version() == "1.1"
            and parser.should_keep_alive()
            and not parser.should_upgrade()
            and (self.cycle is None or self.cycle.response_complete)
            and not self.pipeline
        )

    def _within_limit(self, wire: AvailabilityWire) -> bool:
        forwarded = tuple(value for name, value in self.headers if name == b"x-forwarded-for")
        day = wire.addresses.day
        known = self._address
        if known is None or known[0] != day or known[1] != forwarded:
            scope: Scope = {"client": self.client, "headers": self.headers}
            known = self._address = (day, forwarded, wire.addresses.key_of(scope))
        address = known[2]
        return address is None or wire.limit.hit(address, time.monotonic())

    def _write(self, stored: Stored) -> None:
        # What GuardedHttpToolsProtocol.on_headers_complete does first: the headers are in.
        self._disarm()
        self._uncount()
        defaults = self.server_state.default_headers
        if self._date is None or self._date[0] is not defaults:
            self._date = (
                defaults,
                b"".join(name + b": " + value + b"\r\n" for name, value in defaults),
            )
        self.transport.write(stored.status_line + self._date[1] + stored.rest)
        self._answered = True
        # The response is complete: count it, arm keep-alive, read on (uvicorn's own step).
        self.on_response_complete()

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        mark: Mark | None = cycle.scope.get(WIRE_MARK)  # type: ignore[assignment]
        if mark is not None and self.wire is not None:
            app = _keeping(self.wire, mark, app)
        super()._start_asgi_task(cycle, app)

    def on_body(self, body: bytes) -> None:
        if not self._answered:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._answered:
            self._answered = False
            self._disarm()
            return
        super().on_message_complete()


def answering_availability(
    protocol: type[GuardedHttpToolsProtocol], wire: AvailabilityWire
) -> type[GuardedHttpToolsProtocol]:
    """``protocol`` (one server's, see ``guarded_protocol``) that also answers from ``wire``."""
    return type(protocol.__name__, (WireAnsweringProtocol, protocol), {"wire": wire})
