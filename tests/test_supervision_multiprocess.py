"""Presence across processes: two Baken servers on one PostgreSQL database and one Redis.

A counselor on one process is online for the other (overview, colleagues, warm transfer), and the
counselors of a process that stops announcing itself (killed: no goodbye) disappear.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from redis.asyncio import Redis

from baken.domain.conversation import Role
from baken.realtime import presence
from tests.conftest import IN_CI
from tests.support import (
    Client,
    Server,
    add_staff_with_role,
    counselor,
    postgres_available,
    postgres_database,
    start_server,
)
from tests.test_counselor_tools import pair as chat_pair
from tests.test_multiprocess import redis_available

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server, str]]:
    if not (postgres_available() and redis_available()):
        if IN_CI:
            pytest.fail("CI must run these against the local PostgreSQL and Redis")
        pytest.skip("needs PostgreSQL on 5432 and Redis on 6379 (CI runs these)")
    tmp: Path = tmp_path_factory.mktemp("presence")
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


def online_ids(frame: dict[str, object]) -> list[str]:
    return [str(c["id"]) for c in frame["counselors"]]  # type: ignore[attr-defined]


async def next_overview(client: Client, online: str, present: bool, timeout: float) -> None:
    """Wait for an overview frame, from now on, in which this staff member is (not) online."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        assert left > 0, f"{online} never became {'online' if present else 'offline'}"
        frame = await client.recv(left)
        if frame.get("type") == "overview" and (online in online_ids(frame)) == present:
            return


async def test_a_counselor_on_another_process_is_online_and_can_be_handed_a_chat(
    processes: tuple[Server, Server, str],
) -> None:
    a, b, _channel = processes
    _sup, sup_token = add_staff_with_role(a, Role.SUPERVISOR, display_name="Toezicht")
    sup = await counselor(a, sup_token)
    await sup.send({"type": "overview_subscribe"})
    await sup.expect("overview")

    far_id, far_token = b.add_staff(display_name="Ver")
    far = await counselor(b, far_token)
    await next_overview(sup, far_id, True, timeout=10)

    # Process A's counselor may hand a chat to the colleague on process B.
    conversation_id, _v, near, _near_id = await chat_pair(a, "Dichtbij")
    await near.send({"type": "colleagues_get"})
    colleagues = (await near.expect("colleagues"))["colleagues"]
    assert far_id in [c["id"] for c in colleagues]
    await near.send({"type": "transfer", "conversation_id": conversation_id, "to_staff_id": far_id})
    await near.expect("transferred", conversation_id=conversation_id, to_staff_id=far_id)
    await far.expect("transfer_in", conversation_id=conversation_id, timeout=10)

    # Closing the last tab on B takes the colleague off A's list.
    await far.close()
    await next_overview(sup, far_id, False, timeout=15)


async def test_a_killed_process_disappears_after_its_last_heartbeat(
    processes: tuple[Server, Server, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _b, channel = processes
    # A short expiry for the test; the servers run in this process and read it at each check.
    monkeypatch.setattr(presence, "PRESENCE_TTL_SECONDS", 3.0)
    ghost_id, _token = a.add_staff(display_name="Spook")
    _sup, sup_token = add_staff_with_role(a, Role.SUPERVISOR, display_name="Toezicht")
    sup = await counselor(a, sup_token)
    await sup.send({"type": "overview_subscribe"})
    await sup.expect("overview")

    # A process that announces one counselor once, then dies without saying goodbye.
    redis = Redis.from_url(REDIS_URL)
    try:
        announcement = {
            "kind": "presence",
            "process": "killed-" + secrets.token_hex(4),
            "state": "alive",
            "staff": [[ghost_id, "org_default", "counselor"]],
            "origin": "killed-process",
        }
        await redis.publish(channel, orjson.dumps(announcement))
    finally:
        await redis.aclose()
    await next_overview(sup, ghost_id, True, timeout=10)
    await sup.send({"type": "colleagues_get"})
    assert ghost_id in [c["id"] for c in (await sup.expect("colleagues"))["colleagues"]]

    await next_overview(sup, ghost_id, False, timeout=20)
    await sup.send({"type": "colleagues_get"})
    assert ghost_id not in [c["id"] for c in (await sup.expect("colleagues"))["colleagues"]]
