"""Redis going away mid-chat: no acknowledged message is lost, and it recovers without a restart."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import IN_CI
from tests.faultproxy import FaultProxy
from tests.support import (
    Server,
    counselor,
    postgres_available,
    postgres_database,
    start_server,
    visitor,
)
from tests.test_multiprocess import redis_available


@pytest.fixture
def pair_behind_proxy(tmp_path: Path) -> Iterator[tuple[Server, Server, FaultProxy]]:
    if not (postgres_available() and redis_available()):
        if IN_CI:
            pytest.fail("CI must run these against the local PostgreSQL and Redis")
        pytest.skip("needs PostgreSQL on 5432 and Redis on 6379 (CI runs these)")
    proxy = FaultProxy(6379)
    with postgres_database() as url:
        common = {
            "database_url": url,
            "redis_url": f"redis://127.0.0.1:{proxy.port}/0",
            "redis_channel": "baken-outage:" + secrets.token_hex(6),
            "master_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        a = start_server(tmp_path / "a", **common)
        b = start_server(tmp_path / "b", **common)
        try:
            yield a, b, proxy
        finally:
            a.stop()
            b.stop()
            proxy.close()


async def test_redis_outage_delays_but_loses_nothing(
    pair_behind_proxy: tuple[Server, Server, FaultProxy],
) -> None:
    a, b, proxy = pair_behind_proxy
    conversation_id, vtoken = a.start_visitor()
    _sid, stoken = b.add_staff()
    c = await counselor(b, stoken)
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted", conversation_id=conversation_id)
    v = await visitor(a, vtoken)
    await v.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})

    await v.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": "before",
            "text": "voor de storing",
        }
    )
    await v.expect("ack", client_msg_id="before")
    assert (await c.expect_message(conversation_id, "visitor"))["message"]["text"] == (
        "voor de storing"
    )

    proxy.cut()
    # Storing still works: the database is the truth, Redis only carries the news.
    during = [f"tijdens de storing {n}" for n in range(5)]
    for n, text in enumerate(during):
        await v.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": f"d{n}",
                "text": text,
            }
        )
        await v.expect("ack", client_msg_id=f"d{n}")
    # The other process still gets them: it reads the database while Redis is away.
    for text in during:
        got = await c.expect_message(conversation_id, "visitor", timeout=15)
        assert got["message"]["text"] == text
    not_ready = httpx.get(a.base + "/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["redis"] == "unavailable"

    proxy.restore()
    for _ in range(100):
        if httpx.get(a.base + "/readyz").status_code == 200:
            break
        import asyncio

        await asyncio.sleep(0.1)
    assert httpx.get(a.base + "/readyz").status_code == 200
    assert httpx.get(b.base + "/readyz").status_code == 200
    await c.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": "after",
            "text": "weer terug",
        }
    )
    assert (await v.expect_message(conversation_id, "counselor"))["message"]["text"] == "weer terug"
