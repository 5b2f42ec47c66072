"""The waiting page without JavaScript tells a visitor moved back by the risk-ranked queue (issue
19, item 3) the same calm note as the live page: its refresh address carries the place it showed,
so the next refresh knows the place went up. The note stays while the place holds, goes when the
line moves forward, and a forged address changes nothing but this note."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from baken.web.nojs_chat_routes import moved_back
from tests.browser_support import t
from tests.support import Server, counselor, run_async, start_server

MOVED = (
    "Someone went ahead of you, for example because they are in danger. "
    "You stay in line; we have not forgotten you."
)


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path)
    yield server
    server.stop()


def _page(server: Server, path: str, token: str) -> tuple[str, str]:
    """The page's text and the address it refreshes itself to."""
    response = httpx.get(
        server.base + path, headers={"Cookie": f"__Host-baken_v={token}"}, timeout=20
    )
    assert response.status_code == 200, response.text
    found = re.search(r'<meta http-equiv="refresh" content="5; url=([^"]+)">', response.text)
    assert found, "the waiting page does not refresh itself"
    return html.unescape(response.text), html.unescape(found.group(1))


def _start_in_danger(server: Server) -> str:
    body: dict[str, Any] = {"nickname": "haast", "lang": "nl", "danger": True}
    response = httpx.post(
        f"{server.base}/api/visitor/start", json=body, headers={"Origin": server.origin}
    )
    response.raise_for_status()
    return str(response.json()["conversation"]["id"])


def test_the_rule_is_the_live_pages() -> None:
    assert not moved_back(None, 3, noted=True)  # the first look: nothing to compare
    assert moved_back(1, 2, noted=False)
    assert moved_back(2, 2, noted=True)  # stays while the place holds
    assert not moved_back(2, 2, noted=False)
    assert not moved_back(3, 2, noted=True)  # the line moved forward: it goes
    assert not moved_back(2, None, noted=True)


def test_a_visitor_moved_back_reads_the_note_until_the_line_moves(srv: Server) -> None:
    note = t("nl", MOVED)
    _calm, token = srv.start_visitor("rustig")
    text, url = _page(srv, "/chat?lang=nl", token)
    assert t("nl", "You are next in line.") in text and note not in text
    assert url == "/chat?lang=nl&shown=1"
    assert f'href="{url}"' in text  # the "Refresh" link goes there too
    # Nothing changed: the next refresh shows no note either.
    text, url = _page(srv, url, token)
    assert note not in text and url == "/chat?lang=nl&shown=1"

    urgent = _start_in_danger(srv)
    text, url = _page(srv, url, token)
    assert t("nl", "You are number {n} in line.", n=2) in text
    assert note in text and 'id="queue-moved"' in text
    assert url == "/chat?lang=nl&shown=2&moved=1"
    # The place holds: the note stays.
    text, url = _page(srv, url, token)
    assert note in text and url == "/chat?lang=nl&shown=2&moved=1"

    _sid, staff = srv.add_staff()

    async def take_next() -> str:
        c = await counselor(srv, staff)
        await c.send({"type": "take_next"})
        taken = str((await c.expect("accepted"))["conversation_id"])
        await c.close()
        return taken

    assert run_async(take_next()) == urgent
    text, url = _page(srv, url, token)
    assert t("nl", "You are next in line.") in text and note not in text
    assert url == "/chat?lang=nl&shown=1"


def test_a_forged_refresh_address_changes_only_the_note(srv: Server) -> None:
    note = t("nl", MOVED)
    _calm, token = srv.start_visitor("rustig")
    for forged in (
        "shown=abc&moved=1",
        "shown=-1&moved=1",
        "shown=0&moved=1",
        "shown=99999999999&moved=1",
        "shown=1&moved=yes",
        "shown=%3Cb%3E&moved=1",
    ):
        text, url = _page(srv, f"/chat?lang=nl&{forged}", token)
        assert note not in text, forged
        assert url == "/chat?lang=nl&shown=1", forged
    # An address that asks for the note at the real place: the note shows, nothing else changes.
    text, url = _page(srv, "/chat?lang=nl&shown=1&moved=1", token)
    assert note in text and t("nl", "You are next in line.") in text
