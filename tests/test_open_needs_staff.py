"""Open means staffed (issue 15): inside the opening hours, the chat is open to visitors only while
a counselor or supervisor of the organisation is signed in to the console; otherwise visitors get
the closed page — leave a message, the numbers, 112 — instead of waiting for no one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from baken.domain.conversation import Role
from baken.i18n import translations
from tests.support import Server, add_staff_with_role, counselor, open_socket, start_server

START_HIDDEN = '<section id="view-start" class="view view--start" hidden>'


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path, open_needs_staff=True, availability_cache_seconds=0)
    yield server
    server.stop()


def _start(srv: Server) -> httpx.Response:
    return httpx.post(
        srv.base + "/api/visitor/start",
        json={"lang": "nl"},
        headers={"Origin": srv.origin},
        timeout=30,
    )


def _status(srv: Server) -> tuple[bool, bool]:
    availability = httpx.get(srv.base + "/api/availability", timeout=30).json()
    status = httpx.get(srv.base + "/api/service/status", timeout=30).json()
    assert availability["open"] == status["open"]
    return availability["open"], availability["staffed"]


async def _until(srv: Server, wanted: tuple[bool, bool]) -> None:
    """Presence is announced when a socket opens or closes: wait for that state, not a time."""
    for _ in range(500):
        if await asyncio.to_thread(_status, srv) == wanted:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never {wanted}; now {_status(srv)}")


async def test_nobody_signed_in_means_the_closed_page(srv: Server) -> None:
    assert _status(srv) == (False, False)
    page = httpx.get(srv.base + "/?lang=nl", timeout=30)
    assert page.status_code == 200
    closed_lead = translations("nl").gettext("We are not online right now.")
    assert closed_lead in page.text and START_HIDDEN in page.text
    refused = _start(srv)
    assert refused.status_code == 503 and refused.json()["error"] == "closed"

    # An administrator signed in does not take chats: still closed.
    _aid, admin_token = add_staff_with_role(srv, Role.ADMIN)
    admin = await open_socket(srv, "/ws/staff", admin_token)
    await admin.expect("welcome")
    assert _status(srv) == (False, False)

    _cid, token = add_staff_with_role(srv, Role.COUNSELOR)
    anna = await counselor(srv, token)
    await _until(srv, (True, True))
    entry = httpx.get(srv.base + "/?lang=nl", timeout=30).text
    assert START_HIDDEN not in entry and closed_lead not in entry
    started = _start(srv)
    assert started.status_code == 200, started.text
    await anna.expect("queue")

    await anna.close()  # the last counselor signs off: new visitors get the closed page again
    await _until(srv, (False, False))
    assert _start(srv).json()["error"] == "closed"
    await admin.close()
