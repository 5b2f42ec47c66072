"""Slow clients (issue 16): time limits for reading a request's headers and body, and a cap on
connections per address that have not yet sent their headers ("half-open", slowloris).

uvicorn closes a connection that stays idle between requests (``timeout_keep_alive``), but not
one that trickles its headers a byte at a time, nor one that connects and sends nothing: each
holds a socket and memory for as long as the client likes. This protocol, uvicorn's own httptools
protocol with timers, closes such a connection once the time is up:

- headers: from the connection (or the first byte of the next request on a kept-alive one) until
  the blank line after the headers, at most ``header_seconds``;
- body: from the end of the headers until the body is complete, at most ``body_seconds`` (no
  upgrade to WebSocket is timed: that socket has its own heartbeat);
- at most ``max_half_open`` connections per address may be waiting for their headers at once;
  another one from that address is closed at once. Trusted proxies (BAKEN_TRUSTED_PROXIES) are
  not capped: all clients come from them, and they buffer headers themselves.

Addresses are only counted, in memory, as keyed hashes under a per-process random key, and never
logged; a count goes when it drops to zero.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from ipaddress import ip_address
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from baken.abuse.address import Network, is_trusted, parse_networks

_KEY = secrets.token_bytes(32)


def _hashed(host: str) -> str:
    return hashlib.blake2b(host.encode(), key=_KEY, digest_size=16).hexdigest()


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    header_seconds: ClassVar[float] = 10.0
    body_seconds: ClassVar[float] = 30.0
    max_half_open: ClassVar[int] = 64
    trusted: ClassVar[tuple[Network, ...]] = ()
    # Per subclass (one per server, see ``guarded_protocol``): address hash → half-open count.
    half_open: ClassVar[dict[str, int]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._counted: str | None = None
        self._capped = False

    # --- the half-open count --------------------------------------------------------------------

    def _peer_key(self) -> str | None:
        if self.client is None:
            return None
        host = self.client[0]
        try:
            address = ip_address(host)
        except ValueError:
            return None
        if is_trusted(address, self.trusted):
            return None
        return _hashed(host)

    def _count(self) -> bool:
        """Count this connection as half-open; False when its address is at the cap."""
        if self._counted is not None:
            return True
        key = self._peer_key()
        if key is None:
            return True
        if self.half_open.get(key, 0) >= self.max_half_open:
            return False
        self.half_open[key] = self.half_open.get(key, 0) + 1
        self._counted = key
        return True

    def _uncount(self) -> None:
        key, self._counted = self._counted, None
        if key is None:
            return
        left = self.half_open.get(key, 1) - 1
        if left > 0:
            self.half_open[key] = left
        else:
            self.half_open.pop(key, None)

    # --- timers ---------------------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _too_slow(self) -> None:
        self._timer = None
        self._uncount()
        if not self.transport.is_closing():
            self.transport.close()

    def _waiting_for_headers(self) -> None:
        if not self._count():
            self._capped = True
            self.transport.close()
            return
        self._arm(self.header_seconds)

    # --- uvicorn's protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._waiting_for_headers()

    def data_received(self, data: bytes) -> None:
        if self._capped:
            return  # closed at once: nothing it sent is read
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._timer is None:  # the next request on a kept-alive connection
            self._waiting_for_headers()

    def on_headers_complete(self) -> None:
        self._disarm()
        self._uncount()
        upgrading = self.parser.should_upgrade()
        super().on_headers_complete()
        if not upgrading and not self.transport.is_closing():
            self._arm(self.body_seconds)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._uncount()
        super().connection_lost(exc)


def guarded_protocol(
    header_seconds: float, body_seconds: float, max_half_open: int, trusted: list[str]
) -> type[GuardedHttpToolsProtocol]:
    """A protocol class with these limits and a count of its own (one per server)."""
    return type(
        "BakenHttpProtocol",
        (GuardedHttpToolsProtocol,),
        {
            "header_seconds": float(header_seconds),
            "body_seconds": float(body_seconds),
            "max_half_open": max_half_open,
            "trusted": parse_networks(trusted),
            "half_open": {},
        },
    )
