"""Issue 16, item 2: nobody locks a counselor out of the console from the same network.

Every request here comes from 127.0.0.1 with no trusted proxy: one address for everyone, as
behind a proxy without BAKEN_TRUSTED_PROXIES. An attacker spends the per-address and per-account
sign-in budgets of the owner's account; the owner's browser with its device cookie still signs
in, and so does a colleague with the right password; a new browser for the owner's account waits.
Also the start-up warning about X-Forwarded-For from an untrusted peer, and /readyz reporting it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path

import httpx
import pytest

from baken.abuse.address import AddressKeys
from tests.staff_login_helpers import StaffBrowser
from tests.support import Server, start_server

ADDRESS_LIMIT = 3
ACCOUNT_LIMIT = 5


@pytest.fixture
def one_address(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(
        tmp_path,
        address_login_failures_per_10min=ADDRESS_LIMIT,
        login_failure_limit=ACCOUNT_LIMIT,
    )
    yield srv
    srv.stop()


def _attack(srv: Server, username: str, tries: int) -> list[int]:
    """Wrong passwords from a browser without any cookie, as an attacker on the network."""
    return [
        StaffBrowser(srv).password(username, f"wrong password {n}").status_code
        for n in range(tries)
    ]


def test_the_owner_with_the_device_cookie_is_never_locked_out(one_address: Server) -> None:
    srv = one_address
    owner = "c-owner"
    srv.add_staff(username=owner)
    browser = StaffBrowser(srv)
    browser.sign_in(owner)  # this browser now holds the device cookie for the account
    assert "__Host-baken_d" in browser.cookies

    statuses = _attack(srv, owner, ACCOUNT_LIMIT + 3)
    assert statuses[:ADDRESS_LIMIT] == [401] * ADDRESS_LIMIT
    assert statuses[-1] == 429  # the attacker is held back from now on
    # A new browser for the same account, even with the right password, waits: the limit holds.
    assert StaffBrowser(srv).password(owner).status_code == 429

    # The owner's own browser is not: both steps go through.
    browser.sign_in(owner)
    assert browser.get("/staff").status_code == 200


def test_a_colleague_on_the_same_address_still_signs_in(one_address: Server) -> None:
    srv = one_address
    srv.add_staff(username="c-target")
    srv.add_staff(username="c-colleague")
    statuses = _attack(srv, "c-target", ADDRESS_LIMIT + 2)
    assert statuses[-1] == 429
    # A different account from the same address, first time on this browser, right password.
    colleague = StaffBrowser(srv)
    colleague.sign_in("c-colleague")
    assert colleague.get("/staff").status_code == 200
    # And wrong passwords for that other account are counted on their own.
    assert StaffBrowser(srv).password("c-colleague", "wrong").status_code == 401


def test_forwarded_for_from_an_untrusted_peer_warns_once_and_readyz_says_so(
    one_address: Server,
) -> None:
    srv = one_address
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("baken.abuse.address")
    handler = Keep(level=logging.WARNING)
    logger.addHandler(handler)
    try:
        assert httpx.get(srv.base + "/readyz").json()["untrusted_forwarded_for"] is False
        assert not records
        for _ in range(3):
            headers = {"X-Forwarded-For": "198.51.100.7"}
            assert httpx.get(srv.base + "/healthz", headers=headers).status_code == 200
    finally:
        logger.removeHandler(handler)
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert "BAKEN_TRUSTED_PROXIES" in records[0].getMessage()
    assert "198.51.100.7" not in records[0].getMessage()  # no address in any log
    ready = httpx.get(srv.base + "/readyz").json()
    assert ready["untrusted_forwarded_for"] is True


def test_a_trusted_proxy_causes_no_warning() -> None:
    keys = AddressKeys(["10.0.0.0/8"])
    scope = {"client": ("10.0.0.5", 443), "headers": [(b"x-forwarded-for", b"198.51.100.7")]}
    assert keys.key_of(scope) == keys.hash_of(ip_address("198.51.100.7"))
    assert keys.untrusted_forwarding is False
    keys.key_of({"client": ("192.0.2.9", 443), "headers": [(b"x-forwarded-for", b"1.2.3.4")]})
    assert keys.untrusted_forwarding is True
