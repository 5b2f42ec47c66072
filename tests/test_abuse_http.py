"""Abuse without identity (issue 5) on a real server: the proof-of-work before a start or return,
throttles per address hash (X-Forwarded-For believed only from a trusted proxy), the tight limit on
the no-JavaScript form, sign-in failures per address, and the global visitor message limit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from baken.abuse.proof_of_work import issue, solve
from baken.store.database import Database
from baken.store.installation_secret import InstallationSecret
from baken.web.abuse_guard import POW_SECRET_NAME
from tests.browser_support import t
from tests.support import PASSWORD, Server, master_key, run_async, start_server, visitor

BASE = 1_000
BUSY = "It is very busy right now. Please try again in a minute. In danger now? Call 112."


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Proof-of-work on, 127.0.0.1 a trusted proxy (so X-Forwarded-For picks the address), and
    small limits that a test reaches quickly."""
    srv = start_server(
        tmp_path_factory.mktemp("abuse"),
        proof_of_work=True,
        trusted_proxies=["127.0.0.1"],
        pow_base_number=BASE,
        address_starts_per_10min=3,
        address_login_failures_per_10min=2,
        form_starts_per_minute=2,
        visitor_messages_per_second=1,
    )
    yield srv
    srv.stop()


def start(srv: Server, body: dict[str, Any], address: str | None = None) -> httpx.Response:
    headers = {"Origin": srv.origin}
    if address:
        headers["X-Forwarded-For"] = f"192.0.2.250, {address}"  # the left one is made up
    return httpx.post(srv.base + "/api/visitor/start", json=body, headers=headers, timeout=10)


def server_key(srv: Server) -> bytes:
    async def read() -> bytes:
        db = Database(srv.settings)
        try:
            return await InstallationSecret(db, master_key(srv.settings), POW_SECRET_NAME).get()
        finally:
            await db.dispose()

    key: bytes = run_async(read())
    return key


def error_of(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["message"]
    return str(body["error"])


def test_challenge_has_the_altcha_fields_and_one_solution_buys_one_start(guarded: Server) -> None:
    challenge = httpx.get(guarded.base + "/api/visitor/challenge").json()
    assert set(challenge) == {"algorithm", "challenge", "salt", "maxnumber", "signature"}
    assert challenge["algorithm"] == "SHA-256"
    assert challenge["maxnumber"] == BASE
    expires = int(challenge["salt"].rsplit("?expires=", 1)[1])
    assert time.time() < expires <= time.time() + 601
    proof = solve(challenge)
    first = start(guarded, {"lang": "nl", "pow": proof}, "198.51.100.1")
    assert first.status_code == 200, first.text
    assert first.json()["conversation"]["state"] == "queued"
    again = start(guarded, {"lang": "nl", "pow": proof}, "198.51.100.1")
    assert error_of(again) == "pow_used"


def test_bad_solutions_get_clear_errors_and_start_nothing(guarded: Server) -> None:
    # Each from its own address: every attempt counts against the address throttle.
    addresses = iter(f"198.51.100.{n}" for n in range(100, 200))

    def refused(body: dict[str, Any]) -> str:
        return error_of(start(guarded, body, next(addresses)))

    assert refused({"lang": "nl"}) == "pow_required"
    assert refused({"lang": "nl", "pow": None}) == "pow_required"
    proof = guarded.proof_of_work()
    assert refused({"pow": {**proof, "number": (proof["number"] + 1) % (BASE + 1)}}) == "pow_wrong"
    assert refused({"pow": {**proof, "signature": "0" * 64}}) == "pow_invalid"
    for bad in ({**proof, "number": "1"}, {**proof, "extra": 1}, "pow", [proof], {}, 1e308):
        assert refused({"pow": bad}) == "pow_invalid"
    # Signed with the server's own key, but its time is over.
    old = solve(issue(server_key(guarded), 100, time.time() - 700, 600))
    assert refused({"pow": old}) == "pow_expired"
    # The untouched solution still works: none of the refusals used it up.
    assert start(guarded, {"pow": proof}, next(addresses)).status_code == 200


def test_return_with_a_code_needs_a_proof_too(guarded: Server) -> None:
    headers = {"Origin": guarded.origin, "X-Forwarded-For": "198.51.100.6"}
    url = guarded.base + "/api/visitor/return"
    missing = httpx.post(url, json={"code": "appel peer"}, headers=headers)
    assert error_of(missing) == "pow_required"
    body = {"code": "appel peer", "pow": guarded.proof_of_work()}
    checked = httpx.post(url, json=body, headers=headers, timeout=10)
    assert error_of(checked) == "code_not_accepted"  # past the proof: the code itself is wrong


def test_starts_are_throttled_per_address_behind_a_trusted_proxy(guarded: Server) -> None:
    address = "203.0.113.21"
    for _ in range(3):
        assert start(guarded, {"pow": guarded.proof_of_work()}, address).status_code == 200
    refused = start(guarded, {"pow": guarded.proof_of_work()}, address)
    assert error_of(refused, 429) == "try_later"
    # Another address behind the same proxy is not held back.
    assert start(guarded, {"pow": guarded.proof_of_work()}, "203.0.113.22").status_code == 200


def test_the_form_without_javascript_has_a_tight_global_limit(guarded: Server) -> None:
    def form(address: str) -> httpx.Response:
        headers = {"Origin": guarded.origin, "X-Forwarded-For": address}
        return httpx.post(guarded.base + "/start", data={"lang": "en"}, headers=headers)

    assert form("203.0.113.31").status_code == 303
    assert form("203.0.113.32").status_code == 303
    busy = form("203.0.113.33")  # a new address, but the form's budget is spent for everyone
    assert busy.status_code == 429
    assert t("nl", BUSY) in busy.text
    assert "set-cookie" not in busy.headers


def test_sign_in_failures_are_throttled_per_address(guarded: Server) -> None:
    username = "c-throttle"
    guarded.add_staff(username=username)

    def sign_in(password: str, address: str) -> httpx.Response:
        headers = {"Origin": guarded.origin, "X-Forwarded-For": address}
        form = {"username": username, "password": password}
        return httpx.post(guarded.base + "/staff/login", data=form, headers=headers)

    assert sign_in("wrong password 1", "203.0.113.41").status_code == 401
    assert sign_in("wrong password 2", "203.0.113.41").status_code == 401
    # Even the right password waits now, from that address; the account is not locked.
    assert sign_in(PASSWORD, "203.0.113.41").status_code == 429
    elsewhere = sign_in(PASSWORD, "203.0.113.42")
    assert elsewhere.status_code == 303
    assert elsewhere.headers["location"] == "/staff/login/code"


async def test_all_visitors_messages_together_have_a_limit_with_a_clear_error(
    guarded: Server,
) -> None:
    response = await asyncio.to_thread(
        start, guarded, {"pow": await asyncio.to_thread(guarded.proof_of_work)}, "203.0.113.51"
    )
    conversation_id = response.json()["conversation"]["id"]
    token = response.headers["set-cookie"].split("=", 1)[1].split(";", 1)[0]
    client = await visitor(guarded, token)
    ids = [f"m{n}" for n in range(8)]
    for client_msg_id in ids:
        await client.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": client_msg_id,
                "text": "hallo",
            }
        )
    answers: dict[str, str] = {}
    while len(answers) < len(ids):
        frame = await client.recv()
        if frame["type"] == "ack":
            answers[frame["client_msg_id"]] = "ack"
        elif frame["type"] == "error":
            assert frame["code"] == "busy", frame
            assert "not stored" in frame["message"]
            answers[frame["ref"]] = "busy"
    assert set(answers) == set(ids)  # one answer for each message
    assert "busy" in answers.values()
    assert "ack" in answers.values()
    await client.send({"type": "ping", "t": 7})  # the socket stays open
    assert (await client.expect("pong"))["t"] == 7
    await client.close()


# --- servers of their own ------------------------------------------------------------------------


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(
        tmp_path,
        proof_of_work=True,
        pow_base_number=BASE,
        pow_max_level=2,
        pow_normal_starts_per_minute=1_000,
        pow_normal_queue=1,
        address_starts_per_10min=2,
    )
    yield srv
    srv.stop()


def test_difficulty_rises_with_the_queue_and_stops_at_the_cap(fresh: Server) -> None:
    def maxnumber() -> int:
        return int(httpx.get(fresh.base + "/api/visitor/challenge").json()["maxnumber"])

    assert maxnumber() == BASE
    fresh.start_visitor()
    assert maxnumber() == BASE  # one waiting: normal
    fresh.start_visitor()
    assert maxnumber() == 2 * BASE  # two waiting: twice normal


def test_forwarded_for_from_an_untrusted_peer_is_not_believed(fresh: Server) -> None:
    # No trusted proxies: every request is 127.0.0.1, whatever it claims.
    made_up = ["198.51.100.61", "198.51.100.62", "198.51.100.63"]
    codes = [start(fresh, {"pow": fresh.proof_of_work()}, a).status_code for a in made_up]
    assert codes == [200, 200, 429]
