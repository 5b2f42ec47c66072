"""Two Baken servers on one PostgreSQL database and one Redis: the production shape (issue 4)."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.support import (
    Server,
    counselor,
    postgres_available,
    postgres_database,
    start_server,
    visitor,
)


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    if not (postgres_available() and redis_available()):
        if IN_CI:
            pytest.fail("CI must run these against the local PostgreSQL and Redis")
        pytest.skip("needs PostgreSQL on 5432 and Redis on 6379 (CI runs these)")
    tmp: Path = tmp_path_factory.mktemp("pair")
    channel = "baken-test:" + secrets.token_hex(6)
    master = secrets.token_bytes(32)
    import base64

    key = base64.b64encode(master).decode()
    with postgres_database() as url:
        common = {
            "database_url": url,
            "redis_url": "redis://127.0.0.1:6379/0",
            "redis_channel": channel,
            "master_key": key,
        }
        a = start_server(tmp / "a", **common)
        b = start_server(tmp / "b", **common)
        try:
            yield a, b
        finally:
            a.stop()
            b.stop()


async def test_visitor_on_one_process_counselor_on_the_other(pair: tuple[Server, Server]) -> None:
    a, b = pair
    conversation_id, vtoken = a.start_visitor("over de brug")
    _sid, stoken = b.add_staff()
    c = await counselor(b, stoken)
    queue = await c.expect("queue")
    while conversation_id not in [e["conversation_id"] for e in queue["entries"]]:
        queue = await c.expect("queue")  # the queue on B learns of a start on A
    v = await visitor(a, vtoken)
    await v.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
    await v.expect("messages")
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted", conversation_id=conversation_id)
    joined = await v.expect_message(conversation_id, "system")
    assert joined["message"]["event"] == "accepted"
    await v.seen(lambda f: f["type"] == "conversation" and f["conversation"]["state"] == "active")

    texts = [f"bericht {n}" for n in range(30)]
    for n, text in enumerate(texts):
        sender, receiver, side = (v, c, "visitor") if n % 2 == 0 else (c, v, "counselor")
        await sender.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": f"p{n}",
                "text": text,
            }
        )
        got = await receiver.expect_message(conversation_id, side)
        assert got["message"]["text"] == text


async def test_simultaneous_accepts_on_two_processes(pair: tuple[Server, Server]) -> None:
    a, b = pair
    for _ in range(5):
        conversation_id, _token = a.start_visitor()
        clients = []
        for srv in (a, b):
            _sid, token = srv.add_staff()
            clients.append(await counselor(srv, token))
        await asyncio.gather(
            *(cl.send({"type": "accept", "conversation_id": conversation_id}) for cl in clients)
        )
        outcomes = []
        for cl in clients:
            while True:
                frame = await cl.recv()
                if frame["type"] == "accepted" or (
                    frame["type"] == "error" and frame["ref"] == "accept"
                ):
                    outcomes.append(frame["type"] if frame["type"] == "accepted" else frame["code"])
                    break
        assert sorted(outcomes) == ["accepted", "not_queued"]


def test_readiness_reports_redis(pair: tuple[Server, Server]) -> None:
    import httpx

    for srv in pair:
        ready = httpx.get(srv.base + "/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
