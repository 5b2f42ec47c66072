"""Warm hand-off on two processes (issue 17, item 3): one PostgreSQL database, one Redis.

The visitor and counselor are on process A, the partner professional on process B. A consent
withdrawal (the referrals' broker event, published here as a third process would) and a
counselor ending the access on A both close the partner's chat on B at once.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis

from baken.domain.conversation import Role
from baken.partners.consent import HandoffConsent
from tests.conftest import IN_CI
from tests.support import (
    Server,
    add_organisation,
    add_staff_with_role,
    counselor,
    invite_partner_and_join,
    postgres_available,
    postgres_database,
    start_server,
)
from tests.test_counselor_tools import got, pair
from tests.test_multiprocess import redis_available
from tests.test_partner_access import Handoffs, access_row, partner_service, system_line

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server, str]]:
    if not (postgres_available() and redis_available()):
        if IN_CI:
            pytest.fail("CI must run these against the local PostgreSQL and Redis")
        pytest.skip("needs PostgreSQL on 5432 and Redis on 6379 (CI runs these)")
    tmp: Path = tmp_path_factory.mktemp("partners")
    channel = "baken-test:" + secrets.token_hex(6)
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    with postgres_database() as url:
        common = {
            "database_url": url,
            "redis_url": REDIS_URL,
            "redis_channel": channel,
            "master_key": key,
        }
        a = start_server(tmp / "a", **common)
        b = start_server(tmp / "b", **common)
        try:
            yield a, b, channel
        finally:
            a.stop()
            b.stop()


@pytest.fixture
def handoffs(processes: tuple[Server, Server, str]) -> Iterator[Handoffs]:
    """One table of consents for both processes, as one database would answer them."""
    table = Handoffs()
    services = [partner_service(server) for server in processes[:2]]
    originals = [(s.consent, s.target) for s in services]
    for service in services:
        service.consent, service.target = table.consent, table.target
    try:
        yield table
    finally:
        for service, (consent, target) in zip(services, originals, strict=True):
            service.consent, service.target = consent, target


async def _setup(a: Server, b: Server, handoffs: Handoffs) -> dict[str, Any]:
    conversation_id, v, c, _staff = await pair(a)
    _slug, partner_org = add_organisation(a, "fier", "Fier")
    partner_id, partner_token = add_staff_with_role(
        a, Role.PARTNER, display_name="Sanne (Fier)", organisation_id=partner_org
    )
    referral_id, service_id = secrets.token_hex(16), "svc-" + secrets.token_hex(4)
    handoffs.consents[referral_id] = HandoffConsent(
        referral_id, conversation_id, "org_default", frozenset(), handoffs.now[0], service_id
    )
    handoffs.partners[service_id] = partner_org
    p = await counselor(b, partner_token)  # the partner is on the other process
    await p.expect("partner_invitations")
    # Heard on B through Redis: the invitation shows up on the partner's page at once.
    access_id = await invite_partner_and_join(c, p, conversation_id, referral_id, partner_id)
    await system_line(v, conversation_id, "partner_joined")
    # Messages cross the processes both ways.
    await p.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "p1", "text": "Hoi"}
    )
    assert (await v.expect_message(conversation_id, "partner"))["message"]["text"] == "Hoi"
    await v.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "v1", "text": "Ja"}
    )
    assert (await p.expect_message(conversation_id, "visitor"))["message"]["text"] == "Ja"
    return {
        "conversation_id": conversation_id,
        "visitor": v,
        "counselor": c,
        "partner": p,
        "access_id": access_id,
        "referral_id": referral_id,
    }


async def test_a_withdrawn_consent_closes_the_partners_chat_on_the_other_process(
    processes: tuple[Server, Server, str], handoffs: Handoffs
) -> None:
    a, b, channel = processes
    s = await _setup(a, b, handoffs)
    cid, access_id, p = s["conversation_id"], s["access_id"], s["partner"]
    # The visitor withdraws with their return code (item 2): the referral no longer has consent,
    # and its broker event reaches every process.
    del handoffs.consents[s["referral_id"]]
    redis = Redis.from_url(REDIS_URL)
    try:
        event = {
            "kind": "referral_withdrawn",
            "organisation_id": "org_default",
            "conversation_id": cid,
            "referral_id": s["referral_id"],
            "origin": "another-process",
        }
        await redis.publish(channel, orjson.dumps(event))
    finally:
        await redis.aclose()
    await got(p, "partner_access_ended", access_id=access_id, reason="withdrawn")
    await got(s["counselor"], "partner_access_ended", access_id=access_id, reason="withdrawn")
    await system_line(s["visitor"], cid, "partner_left")
    await p.send({"type": "send", "conversation_id": cid, "client_msg_id": "p2", "text": "nog"})
    assert (await p.expect("error", ref="p2"))["code"] == "not_a_participant"
    await p.send({"type": "partner_join", "access_id": access_id})
    assert (await p.expect("error", ref="partner_join"))["code"] == "not_a_participant"
    assert access_row(a, access_id)["ended_reason"] == "withdrawn"


async def test_the_counselor_on_one_process_ends_the_partners_access_on_the_other(
    processes: tuple[Server, Server, str], handoffs: Handoffs
) -> None:
    a, b, _channel = processes
    s = await _setup(a, b, handoffs)
    cid, access_id, p = s["conversation_id"], s["access_id"], s["partner"]
    await s["counselor"].send(
        {"type": "partner_end", "conversation_id": cid, "access_id": access_id}
    )
    await got(p, "partner_access_ended", access_id=access_id, reason="counselor_ended")
    await p.send({"type": "sync", "conversation_id": cid, "after_seq": 0})
    assert (await p.expect("error", ref="sync"))["code"] == "not_a_participant"
    assert access_row(b, access_id)["ended_reason"] == "counselor_ended"
