"""Statuses across processes (issue 15, item 1): two Baken servers on one PostgreSQL database and
one Redis. A status set on one process reaches a supervisor on the other, and a counselor who
reconnects to the other process keeps it; the chat counts as closed there too."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from baken.domain.conversation import Role
from tests.conftest import IN_CI
from tests.support import (
    Server,
    add_staff_with_role,
    counselor,
    postgres_available,
    postgres_database,
    start_server,
)
from tests.test_multiprocess import redis_available
from tests.test_staff_status import _overview_shows, _set_status

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    if not (postgres_available() and redis_available()):
        if IN_CI:
            pytest.fail("CI must run these against the local PostgreSQL and Redis")
        pytest.skip("needs PostgreSQL on 5432 and Redis on 6379 (CI runs these)")
    tmp: Path = tmp_path_factory.mktemp("statuses")
    common = {
        "redis_url": REDIS_URL,
        "redis_channel": "baken-test:" + secrets.token_hex(6),
        "master_key": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    with postgres_database() as url:
        a = start_server(tmp / "a", database_url=url, **common)
        b = start_server(tmp / "b", database_url=url, **common)
        try:
            yield a, b
        finally:
            a.stop()
            b.stop()


async def test_a_status_set_on_one_process_is_seen_on_the_other(
    processes: tuple[Server, Server],
) -> None:
    a, b = processes
    anna_id, anna_token = add_staff_with_role(a, Role.COUNSELOR, "c-" + secrets.token_hex(4))
    _sup, sup_token = add_staff_with_role(b, Role.SUPERVISOR, "s-" + secrets.token_hex(4))
    sup = await counselor(b, sup_token)
    anna = await counselor(a, anna_token)
    try:
        await sup.send({"type": "overview_subscribe"})
        await _overview_shows(sup, anna_id, status="available")
        await _set_status(anna, "break")
        await _overview_shows(sup, anna_id, status="break")

        # Anna's connection drops; she comes back on the other process, still on her break.
        await anna.close()
        anna = await counselor(b, anna_token)
        assert anna.frames[0]["status"]["status"] == "break"
        await anna.send({"type": "take_next"})
        assert (await anna.expect("error", ref="take_next"))["code"] == "not_available"

        await _set_status(anna, "busy")
        await _overview_shows(sup, anna_id, status="busy")
    finally:
        await anna.close()
        await sup.close()
