"""The client's address, turned at the door into a keyed hash whose key changes every day.

The key is random, made in memory when a UTC day starts and never written anywhere: yesterday's
hashes cannot be recomputed by anyone, the server included. Throttles use the hash, nothing else
ever sees the address (web/security.py drops it right after).

``X-Forwarded-For`` is believed only when the direct peer is one of BAKEN_TRUSTED_PROXIES; the
client is then the right-most address in the chain that is not itself a trusted proxy (everything
left of it was written by the client and may be made up).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from starlette.types import Scope

log = logging.getLogger(__name__)

# The ASGI scope key that holds the keyed hash (or None). Only this, never the address.
SCOPE_KEY = "baken.address_key"
SECONDS_PER_DAY = 86_400

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """IPs and CIDRs (``10.0.0.1``, ``10.0.0.0/8``, ``fd00::/8``); ValueError for anything else."""
    return tuple(ip_network(value.strip(), strict=False) for value in values)


def _parse_hop(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("["):  # "[2001:db8::1]:443"
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # "192.0.2.1:443"
        text = text.split(":", 1)[0]
    try:
        return ip_address(text)
    except ValueError:
        return None


def is_trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]
) -> Address | None:
    """The address to throttle by: the direct peer, or from a trusted proxy the right-most
    untrusted hop of X-Forwarded-For. An unreadable hop ends the walk at the last trusted one."""
    if peer is None:
        return None
    current = _parse_hop(peer)
    if current is None or not is_trusted(current, proxies):
        return current
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse_hop(hop)
        if address is None:
            return current
        current = address
        if not is_trusted(address, proxies):
            return address
    return current


def _canonical(address: Address) -> bytes:
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped.packed
        # One device gets a whole /64: throttle by the prefix, not by one of its 2^64 addresses.
        return ip_network(f"{address}/64", strict=False).network_address.packed
    return address.packed


class AddressKeys:
    def __init__(
        self, trusted_proxies: Iterable[str] = (), clock: Callable[[], float] = time.time
    ) -> None:
        self.proxies = parse_networks(trusted_proxies)
        self._clock = clock
        self._day = -1
        self._key = b""
        # Issue 16: set by the first request with X-Forwarded-For from a peer that is not a
        # trusted proxy; /readyz reports it.
        self.untrusted_forwarding = False

    @property
    def day(self) -> int:
        """The UTC day whose key is in use; throttles forget everything when it changes."""
        self._rotate()
        return self._day

    def _rotate(self) -> bytes:
        day = int(self._clock() // SECONDS_PER_DAY)
        if day != self._day:
            self._day, self._key = day, secrets.token_bytes(32)
        return self._key

    def hash_of(self, address: Address) -> str:
        key = self._rotate()
        return hmac.new(key, _canonical(address), hashlib.sha256).hexdigest()[:32]

    def key_of(self, scope: Scope) -> str | None:
        client = scope.get("client")
        peer = client[0] if client else None
        forwarded = [
            value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name == b"x-forwarded-for"
        ]
        if forwarded and not self.untrusted_forwarding:
            direct = _parse_hop(peer) if peer is not None else None
            if direct is None or not is_trusted(direct, self.proxies):
                self._warn_untrusted_forwarding()
        address = client_address(peer, forwarded if self.proxies else (), self.proxies)
        return None if address is None else self.hash_of(address)

    def _warn_untrusted_forwarding(self) -> None:
        """Once: behind a proxy that is not in BAKEN_TRUSTED_PROXIES every visitor and counselor
        has the proxy's address, so one person's wrong passwords or code guesses would spend
        everyone's budget. No address in the message: logs never hold one."""
        self.untrusted_forwarding = True
        log.warning(
            "Requests arrive with X-Forwarded-For from a peer that is not in "
            "BAKEN_TRUSTED_PROXIES: the header is ignored and all clients behind that proxy "
            "share one address for the throttles. Set BAKEN_TRUSTED_PROXIES to the proxy's "
            "address (docs/operations.md)."
        )
