"""Abuse without identity (issue 5), the parts without a server: the proof-of-work check, the
difficulty curve, the address hash and its trust rules, the throttles, the used-solution set."""

from __future__ import annotations

import asyncio
import secrets
import time
from ipaddress import ip_address
from typing import Any

import pytest

from baken.abuse.address import AddressKeys, client_address, parse_networks
from baken.abuse.difficulty import Difficulty
from baken.abuse.proof_of_work import ProofError, issue, solve, verify
from baken.abuse.replay import UsedSolutions
from baken.abuse.throttle import KeyedLimit
from tests.support import run_async

KEY = b"k" * 32
NOW = 1_800_000_000.0


def solved(maxnumber: int = 2_000, now: float = NOW, ttl: int = 600) -> dict[str, Any]:
    return solve(issue(KEY, maxnumber, now, ttl))


def code_of(payload: object, now: float = NOW, key: bytes = KEY) -> str:
    with pytest.raises(ProofError) as caught:
        verify(key, payload, now)
    return caught.value.code


# --- proof of work -------------------------------------------------------------------------------


def test_a_solved_challenge_verifies_and_names_its_expiry() -> None:
    payload = solved()
    result = verify(KEY, payload, NOW + 599)
    assert result.challenge == payload["challenge"]
    assert result.expires == int(NOW) + 600
    assert payload["salt"].endswith(f"?expires={int(NOW) + 600}")


def test_the_hidden_number_is_within_maxnumber_and_random() -> None:
    numbers = {solved(maxnumber=50)["number"] for _ in range(40)}
    assert all(0 <= n <= 50 for n in numbers)
    assert len(numbers) > 5


def test_wrong_number_tampered_signature_and_other_key_are_refused() -> None:
    payload = solved()
    assert code_of({**payload, "number": payload["number"] + 1}) == "pow_wrong"
    flipped = ("0" if payload["signature"][0] != "0" else "1") + payload["signature"][1:]
    assert code_of({**payload, "signature": flipped}) == "pow_invalid"
    assert code_of(payload, key=b"x" * 32) == "pow_invalid"


def test_a_changed_salt_or_challenge_breaks_the_signature_or_the_hash() -> None:
    payload = solved()
    # A later expiry written into the salt: the hash over the salt no longer matches.
    later = payload["salt"].replace("?expires=", "?expires=9")[: len(payload["salt"])]
    assert code_of({**payload, "salt": later}) == "pow_wrong"
    other = solved()
    assert code_of({**payload, "challenge": other["challenge"]}) == "pow_invalid"


def test_an_expired_solution_is_refused() -> None:
    payload = solved(ttl=60)
    assert code_of(payload, now=NOW + 61) == "pow_expired"


@pytest.mark.parametrize(
    "change",
    [
        {"number": "1"},
        {"number": True},
        {"number": -1},
        {"number": 1e309},
        {"number": 10**30},
        {"number": None},
        {"number": []},
        {"algorithm": "SHA-1"},
        {"challenge": "ABC"},
        {"challenge": {}},
        {"signature": 5},
        {"salt": "no-expiry"},
        {"salt": "a" * 24 + "?expires=abc"},
        {"extra": 1},
    ],
)
def test_malformed_fields_are_refused_as_invalid(change: dict[str, Any]) -> None:
    assert code_of({**solved(), **change}) == "pow_invalid"


@pytest.mark.parametrize("payload", [[], "x", 5, {}, {"number": 1}])
def test_a_malformed_payload_is_invalid_and_a_missing_one_required(payload: object) -> None:
    assert code_of(payload) == "pow_invalid"
    assert code_of(None) == "pow_required"


def test_a_missing_field_is_invalid() -> None:
    payload = solved()
    del payload["salt"]
    assert code_of(payload) == "pow_invalid"


# --- difficulty ----------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_difficulty_rises_with_the_start_rate_and_the_queue_up_to_its_cap() -> None:
    clock = Clock()
    curve = Difficulty(10_000, 2, normal_starts_per_minute=10, normal_queue=20, clock=clock)
    assert curve.maxnumber(waiting=0) == 10_000
    for _ in range(10):
        curve.record_start()
    assert curve.maxnumber(waiting=0) == 10_000  # at normal load: the base
    curve.record_start()
    assert curve.maxnumber(waiting=0) == 20_000  # above normal: doubled
    for _ in range(30):
        curve.record_start()
    assert curve.maxnumber(waiting=0) == 40_000  # four times normal: the cap
    for _ in range(500):
        curve.record_start()
    assert curve.maxnumber(waiting=0) == 40_000  # never more than the cap
    clock.now += 61  # the minute has passed
    assert curve.recent_starts() == 0
    assert curve.maxnumber(waiting=0) == 10_000
    assert curve.maxnumber(waiting=21) == 20_000  # the queue alone raises it too
    assert curve.maxnumber(waiting=10_000) == 40_000


# --- addresses -----------------------------------------------------------------------------------

PROXIES = parse_networks(["10.0.0.0/8", "2001:db8:ffff::/48"])


def addr(peer: str | None, *xff: str) -> str | None:
    found = client_address(peer, list(xff), PROXIES)
    return None if found is None else str(found)


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    assert addr("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert client_address("203.0.113.9", ["198.51.100.1"], ()) == ip_address("203.0.113.9")


def test_the_rightmost_untrusted_hop_is_the_client() -> None:
    # The client wrote "1.2.3.4" itself; the proxies appended what they saw.
    assert addr("10.0.0.1", "1.2.3.4, 198.51.100.7, 10.0.0.2") == "198.51.100.7"
    assert addr("10.0.0.1", "1.2.3.4", "198.51.100.7") == "198.51.100.7"  # two header lines
    assert addr("10.0.0.1", " 198.51.100.7:4711 ") == "198.51.100.7"
    assert addr("10.0.0.1", "[2001:db8::7]:443") == "2001:db8::7"


def test_a_chain_of_only_proxies_or_no_header_gives_the_last_proxy() -> None:
    assert addr("10.0.0.1") == "10.0.0.1"
    assert addr("10.0.0.1", "10.0.0.3, 10.0.0.2") == "10.0.0.3"


def test_an_unreadable_hop_stops_at_the_last_trusted_one() -> None:
    assert addr("10.0.0.1", "198.51.100.7, garbage") == "10.0.0.1"
    assert addr("10.0.0.1", "garbage, 198.51.100.7") == "198.51.100.7"
    assert addr(None, "198.51.100.7") is None
    assert addr("not-an-ip") is None


def test_invalid_proxy_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        parse_networks(["10.0.0.0/33"])


def scope(peer: str, *xff: str) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", value.encode()) for value in xff]
    return {"type": "http", "client": (peer, 50000), "headers": headers}


def test_address_hash_is_stable_within_a_day_and_rotates_at_midnight() -> None:
    clock = Clock(19_000 * 86_400 + 10.0)
    keys = AddressKeys(["127.0.0.1"], clock=clock)
    first = keys.key_of(scope("127.0.0.1", "198.51.100.7"))
    assert first is not None and len(first) == 32
    assert "198.51.100.7" not in first
    clock.now += 86_000  # same UTC day
    assert keys.key_of(scope("127.0.0.1", "198.51.100.7")) == first
    assert keys.key_of(scope("127.0.0.1", "198.51.100.8")) != first
    clock.now += 500  # the next day: a new random key
    assert keys.day == 19_001
    assert keys.key_of(scope("127.0.0.1", "198.51.100.7")) != first


def test_the_key_is_random_per_process_and_a_v6_host_is_one_slash_64() -> None:
    clock = Clock(5.0)
    one, two = AddressKeys(clock=clock), AddressKeys(clock=clock)
    assert one.key_of(scope("198.51.100.7")) != two.key_of(scope("198.51.100.7"))
    assert one.key_of(scope("2001:db8:1:2::1")) == one.key_of(scope("2001:db8:1:2:ffff::9"))
    assert one.key_of(scope("2001:db8:1:2::1")) != one.key_of(scope("2001:db8:1:3::1"))
    assert one.key_of(scope("::ffff:198.51.100.7")) == one.key_of(scope("198.51.100.7"))
    assert one.key_of({"type": "http", "client": None, "headers": []}) is None


# --- throttles -----------------------------------------------------------------------------------


def test_keyed_limit_counts_per_key_and_refills_over_the_window() -> None:
    limit = KeyedLimit(3, window_seconds=60)
    assert [limit.hit("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert limit.hit("b", 0.0)
    assert not limit.allowed("a", 0.0)
    assert limit.allowed("a", 20.0)  # one event back after a third of the window
    assert limit.hit("a", 20.0) and not limit.hit("a", 20.0)


def test_keyed_limit_memory_is_bounded() -> None:
    limit = KeyedLimit(2, window_seconds=60, max_keys=100)
    for n in range(1000):
        limit.hit(f"k{n}", float(n))
    assert len(limit) <= 100


# --- single use ----------------------------------------------------------------------------------


def test_used_solutions_in_memory_are_single_use_until_expiry() -> None:
    clock = Clock(100.0)
    used = UsedSolutions(clock=clock)

    async def go() -> list[bool]:
        return [
            await used.first_use("a", 200),
            await used.first_use("a", 200),
            await used.first_use("b", 150),
        ]

    assert asyncio.run(go()) == [True, False, True]
    clock.now = 201.0
    assert asyncio.run(used.first_use("c", 300))
    assert len(used) == 1  # a and b expired and were forgotten


def test_used_solutions_are_shared_between_processes_through_redis() -> None:
    namespace = "baken-test-" + secrets.token_hex(4)

    async def go() -> list[bool]:
        one = UsedSolutions("redis://127.0.0.1:6379/0", namespace)
        two = UsedSolutions("redis://127.0.0.1:6379/0", namespace)
        try:
            expires = int(time.time()) + 60  # Redis forgets it a minute later
            return [await one.first_use("x", expires), await two.first_use("x", expires)]
        finally:
            await one.close()
            await two.close()

    assert run_async(go()) == [True, False]


def test_used_solutions_fall_back_to_memory_when_redis_is_down() -> None:
    async def go() -> list[bool]:
        used = UsedSolutions("redis://127.0.0.1:9/0", "baken-test")
        try:
            return [await used.first_use("y", 2**40), await used.first_use("y", 2**40)]
        finally:
            await used.close()

    assert run_async(go()) == [True, False]
