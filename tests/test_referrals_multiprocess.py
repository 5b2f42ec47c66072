"""Referrals across processes (issue 17, items 2 and 3): two Baken servers on one PostgreSQL
database and one Redis. A proposal made on one process reaches the visitor on the other as a card,
the answer reaches the console back, and a withdrawal with the return code on one process is
announced (`referral_withdrawn`) on the other, where a partner's access would end."""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from baken.realtime.broker import Event
from baken.realtime.chat_service import ChatService
from tests.conftest import IN_CI
from tests.support import (
    Server,
    counselor,
    postgres_available,
    postgres_database,
    start_server,
    visitor,
)
from tests.test_multiprocess import redis_available
from tests.test_referrals import SHELTER, _fake_directory, staff

REDIS_URL = "redis://127.0.0.1:6379/0"


def _chat(server: Server) -> ChatService:
    app: Any = server._server.config.app
    chat: ChatService = app.state.baken.chat
    return chat


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    if not (postgres_available() and redis_available()):
        if IN_CI:
            pytest.fail("CI must run these against the local PostgreSQL and Redis")
        pytest.skip("needs PostgreSQL on 5432 and Redis on 6379 (CI runs these)")
    tmp: Path = tmp_path_factory.mktemp("referrals")
    common = {
        "redis_url": REDIS_URL,
        "redis_channel": "baken-test:" + secrets.token_hex(6),
        "master_key": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    with postgres_database() as url:
        a = start_server(tmp / "a", database_url=url, **common)
        b = start_server(tmp / "b", database_url=url, **common)
        for server in (a, b):
            _chat(server).referrals.lookup = _fake_directory
        try:
            yield a, b
        finally:
            a.stop()
            b.stop()


async def test_card_answer_and_withdrawal_cross_processes(
    processes: tuple[Server, Server],
) -> None:
    a, b = processes
    heard: list[Event] = []
    _chat(a).broker.subscribe(
        lambda e: heard.append(e) if e.get("kind") == "referral_withdrawn" else None
    )
    _staff_id, token = staff(a)
    conversation_id, visitor_token = a.start_visitor()
    anna = await counselor(a, token)
    guest = await visitor(b, visitor_token)
    try:
        await anna.send({"type": "accept", "conversation_id": conversation_id})
        await anna.expect("accepted", conversation_id=conversation_id)
        await anna.send(
            {
                "type": "referral_propose",
                "conversation_id": conversation_id,
                "service_id": SHELTER.id,
            }
        )
        referral_id = (await anna.expect("referral_proposed"))["referral"]["id"]
        card = await guest.expect("referral_card", referral_id=referral_id, timeout=10)
        assert card["service"]["name"] == SHELTER.name
        await guest.send(
            {
                "type": "referral_answer",
                "conversation_id": conversation_id,
                "referral_id": referral_id,
                "answer": "handoff",
                "scope": ["age_band"],
            }
        )
        await guest.expect("referral_answered", referral_id=referral_id)
        await anna.seen(
            lambda f: f.get("type") == "referral_update" and f["referral"]["status"] == "handoff",
            timeout=10,
        )
        await guest.send({"type": "request_code", "conversation_id": conversation_id})
        code = (await guest.expect("return_code", timeout=20))["code"]
        body: dict[str, Any] = {"code": code, "referral_id": referral_id}
        if b.settings.proof_of_work:
            body["pow"] = b.proof_of_work()
        response = await asyncio.to_thread(
            httpx.post,
            f"{b.base}/api/visitor/referrals/withdraw",
            json=body,
            headers={"Origin": b.origin},
            timeout=20,
        )
        assert response.status_code == 200, response.text
        await anna.seen(
            lambda f: f.get("type") == "referral_update" and f["referral"]["status"] == "withdrawn",
            timeout=10,
        )
        assert any(e["referral_id"] == referral_id for e in heard), "not announced on process a"
        assert all(e["conversation_id"] == conversation_id for e in heard)
    finally:
        await guest.close()
        await anna.close()
