"""The `signals` frame (issue 19, item 2; docs/protocol.md): the chat's counselor gets the
detections of each visitor message; the visitor never does, and counselor messages are not read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import Server, counselor, send_frame, start_server, visitor


def _is_signals(frame: dict[str, Any]) -> bool:
    return frame.get("type") == "signals"


async def test_the_counselor_gets_signals_and_the_visitor_never(sqlite_server: Server) -> None:
    conversation_id, visitor_token = sqlite_server.start_visitor("Roos")
    _staff_id, staff_token = sqlite_server.add_staff()
    c = await counselor(sqlite_server, staff_token)
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted", conversation_id=conversation_id)
    v = await visitor(sqlite_server, visitor_token)
    await v.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
    await v.expect("messages", conversation_id=conversation_id)
    try:
        text = "de baas heeft mijn paspoort en hij staat nu voor de deur"
        await v.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": "m1",
                "text": text,
            }
        )
        ack = await v.expect("ack", client_msg_id="m1")
        frame = await c.seen(_is_signals)
        assert frame["conversation_id"] == conversation_id
        assert frame["seq"] == ack["seq"]
        assert frame["labels"] == ["retention_of_documents", "acute_danger"]
        for span in frame["spans"]:
            assert set(span) == {"start", "end", "label", "rule", "words"}
            assert text[span["start"] : span["end"]].startswith(span["words"][0])

        # The counselor's own words are not read, and a plain visitor message gives no frame.
        await c.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": "s1",
                "text": "Moet je met mannen mee? Heeft hij je paspoort?",
            }
        )
        await c.expect("ack", client_msg_id="s1")
        await v.expect_message(conversation_id, "counselor")
        await v.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": "m2",
                "text": "ok",
            }
        )
        second = await v.expect("ack", client_msg_id="m2")
        # The visitor's own echo of m2 comes after anything the server did for m1 and s1.
        await v.seen(lambda f: f.get("type") == "message" and f["message"]["seq"] == second["seq"])
        await c.seen(lambda f: f.get("type") == "message" and f["message"]["seq"] == second["seq"])
        assert not [f for f in v.frames if _is_signals(f)]
        assert len([f for f in c.frames if _is_signals(f)]) == 1
    finally:
        await v.close()
        await c.close()


async def test_another_counselor_is_not_told(sqlite_server: Server) -> None:
    conversation_id, visitor_token = sqlite_server.start_visitor("Lisa")
    _a, token_a = sqlite_server.add_staff()
    _b, token_b = sqlite_server.add_staff(display_name="Bram")
    a = await counselor(sqlite_server, token_a)
    b = await counselor(sqlite_server, token_b)
    v = await visitor(sqlite_server, visitor_token)
    try:
        await a.send({"type": "accept", "conversation_id": conversation_id})
        await a.expect("accepted", conversation_id=conversation_id)
        await v.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": "m1",
                "text": "hij slaat me",
            }
        )
        await a.seen(_is_signals)
        # Bram's socket hears the queue change that follows; by then the frame had gone out.
        await b.send({"type": "ping", "t": 1})
        await b.expect("pong")
        assert not [f for f in b.frames if _is_signals(f)]
    finally:
        for client in (v, a, b):
            await client.close()


async def test_off_means_no_frames(tmp_path: Path) -> None:
    server = start_server(tmp_path, signals=False)
    try:
        conversation_id, visitor_token = server.start_visitor("Mila")
        _staff_id, staff_token = server.add_staff()
        c = await counselor(server, staff_token)
        await c.send({"type": "accept", "conversation_id": conversation_id})
        await c.expect("accepted", conversation_id=conversation_id)
        v = await visitor(server, visitor_token)
        await v.send(send_frame(conversation_id, "m1", "hij slaat me"))
        ack = await v.expect("ack", client_msg_id="m1")
        await c.seen(lambda f: f.get("type") == "message" and f["message"]["seq"] == ack["seq"])
        await c.send({"type": "ping", "t": 1})
        await c.expect("pong")
        assert not [f for f in c.frames if _is_signals(f)]
        await v.close()
        await c.close()
    finally:
        server.stop()


def test_the_budget_bounds_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond its characters per second the push reads nothing, and counts what it skipped."""
    from types import SimpleNamespace

    from baken.domain.conversation import Role, Sender
    from baken.realtime.connection import StaffIdentity
    from baken.realtime.signals_push import CHARS_PER_SECOND, SignalsPush
    from baken.store.records import StoredMessage
    from baken.store.staff_repo import StaffMember

    sent: list[dict[str, Any]] = []
    member = StaffMember("s_1", "org", "anna", "Anna", Role.COUNSELOR, True)
    conn = SimpleNamespace(identity=StaffIdentity(member, "token"), send=sent.append)
    hub = SimpleNamespace(
        message_listeners=[],
        conversation_listeners=[],
        open={"c_1": SimpleNamespace(counselor_id="s_1", lang="nl")},
        by_conversation={"c_1": [conn]},
    )
    push = SignalsPush(hub)  # type: ignore[arg-type]
    monkeypatch.setattr("baken.realtime.signals_push.time.monotonic", lambda: 1000.0)  # no refill
    text = ("hij slaat me " * 400)[:4000]
    message = StoredMessage("c_1", 1, "v", Sender.VISITOR, None, None, "m", None, text, 0)
    rounds = 2 * CHARS_PER_SECOND // len(text) + 20
    for _ in range(rounds):
        push._detect(message)
    assert push.sent == len(sent) == 2 * CHARS_PER_SECOND // len(text)
    assert push.skipped == 20
    assert all(frame["type"] == "signals" for frame in sent)
