"""The visitor's event stream and the HTTP door (issue 13, item 6; docs/protocol.md, "HTTP door"):
the frames a socket gets, as server-sent events; what a visitor does, posted; against a real server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest

from baken.web.cookies import STAFF_COOKIE, VISITOR_COOKIE
from tests.support import Server, counselor, run_async, send_frame, start_server


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # A short heartbeat: the stream's keep-alive event comes within the test's patience.
    server = start_server(tmp_path_factory.mktemp("event-stream"), heartbeat_seconds=1)
    yield server
    server.stop()


class Stream:
    """One open event stream: its frames, in order, as the page's EventSource gets them."""

    def __init__(self, lines: AsyncIterator[str]) -> None:
        self.lines = lines
        self.heartbeats = 0

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            event = "message"
            async for line in self.lines:
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                elif line.startswith("data: ") and event == "heartbeat":
                    self.heartbeats += 1
                    return {"type": "heartbeat"}  # an event of its own, not a protocol frame
                elif line.startswith("data: "):
                    frame: dict[str, Any] = orjson.loads(line[len("data: ") :])
                    return frame
            raise AssertionError("the stream ended")

        return await asyncio.wait_for(read(), timeout)

    async def expect(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        while True:
            frame = await self.next(timeout)
            if frame["type"] == kind:
                return frame


@asynccontextmanager
async def stream(server: Server, token: str, after_seq: int = 0) -> AsyncIterator[Stream]:
    headers = {"Cookie": f"{VISITOR_COOKIE}={token}", "Origin": server.origin}
    async with (
        httpx.AsyncClient(timeout=20) as client,
        client.stream(
            "GET", f"{server.base}/api/visitor/stream?after_seq={after_seq}", headers=headers
        ) as response,
    ):
        assert response.status_code == 200, response.status_code
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Stream(response.aiter_lines())


def command(server: Server, token: str, frame: dict[str, Any], staff: bool = False) -> Any:
    cookie = STAFF_COOKIE if staff else VISITOR_COOKIE
    path = "/api/staff/command" if staff else "/api/visitor/command"
    answer = httpx.post(
        server.base + path,
        json=frame,
        headers={"Cookie": f"{cookie}={token}", "Origin": server.origin},
        timeout=20,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["frames"]


def _hub_size(server: Server) -> int:
    app: Any = server._server.config.app
    return len(app.state.baken.chat.hub.connections)


def test_a_stream_carries_the_catch_up_and_then_the_chat_live(srv: Server) -> None:
    conversation_id, token = srv.start_visitor("Mila")
    _, staff = srv.add_staff()
    for n in (1, 2):
        [ack] = command(srv, token, send_frame(conversation_id, f"before-{n}", f"Eerder {n}"))
        assert ack["type"] == "ack" and ack["seq"] == n, ack

    async def run() -> None:
        console = await counselor(srv, staff)
        connections = _hub_size(srv)
        # From seq 1: the catch-up holds only what came after it.
        async with stream(srv, token, after_seq=1) as events:
            welcome = await events.expect("welcome")
            assert welcome["role"] == "visitor"
            assert [c["id"] for c in welcome["conversations"]] == [conversation_id]
            caught_up = await events.expect("messages")
            assert [m["text"] for m in caught_up["messages"]] == ["Eerder 2"]
            assert caught_up["more"] is False
            assert _hub_size(srv) == connections + 1
            # The counselor accepts and writes: the stream gets both, live.
            await console.send({"type": "accept", "conversation_id": conversation_id})
            await console.expect("accepted", conversation_id=conversation_id)
            changed = await events.expect("conversation")
            while changed["conversation"]["state"] != "active":
                changed = await events.expect("conversation")
            await console.send(send_frame(conversation_id, "c1", "Hoi Mila."))
            live = await events.expect("message")
            while live["message"]["sender"] == "system":  # the "Anna joined" line first
                live = await events.expect("message")
            assert live["message"]["text"] == "Hoi Mila." and live["message"]["sender"] == (
                "counselor"
            )
            # What the visitor posts comes back on the stream as on a socket (the own echo).
            [ack] = command(srv, token, send_frame(conversation_id, "v3", "Dank je."))
            echo = await events.expect("message")
            assert echo["message"]["seq"] == ack["seq"] and echo["message"]["client_msg_id"] == "v3"
            # A quiet stream keeps its keep-alive coming (heartbeat_seconds=1 here).
            await events.expect("heartbeat", timeout=5)
            assert events.heartbeats >= 1
        # The page went: its connection leaves the hub.
        for _ in range(200):
            if _hub_size(srv) == connections:
                break
            await asyncio.sleep(0.02)  # polls a state the server reaches on its own loop
        assert _hub_size(srv) == connections
        await console.close()

    run_async(run())


def test_the_http_door_answers_as_a_socket_would(srv: Server) -> None:
    conversation_id, token = srv.start_visitor()
    staff_id, staff = srv.add_staff()
    [accepted] = command(
        srv, staff, {"type": "accept", "conversation_id": conversation_id}, staff=True
    )
    assert accepted == {"type": "accepted", "conversation_id": conversation_id}
    [ack] = command(srv, staff, send_frame(conversation_id, "s1", "Hallo."), staff=True)
    assert ack["type"] == "ack" and ack["duplicate"] is False
    # A sync is answered with its page of messages.
    [page] = command(
        srv, token, {"type": "sync", "conversation_id": conversation_id, "after_seq": 0}
    )
    assert page["type"] == "messages" and page["messages"][-1]["text"] == "Hallo."
    assert page["last_seq"] == ack["seq"] and page["more"] is False
    # The same message twice is stored once.
    first = command(srv, token, send_frame(conversation_id, "v1", "Een keer."))
    again = command(srv, token, send_frame(conversation_id, "v1", "Een keer."))
    assert first[0]["seq"] == again[0]["seq"] and again[0]["duplicate"] is True
    # Another chat's id: the same refusal as on a socket.
    other, _ = srv.start_visitor()
    [refused] = command(srv, token, send_frame(other, "v2", "Hallo?"))
    assert refused["code"] == "not_a_participant" and refused["ref"] == "v2"
    # A receipt cannot claim more than there is (on a socket: than it was sent).
    assert (
        command(
            srv,
            token,
            {"type": "receipt", "conversation_id": conversation_id, "kind": "read", "seq": 10**6},
        )
        == []
    )

    async def receipts() -> None:
        console = await counselor(srv, staff)
        await console.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
        await console.expect("messages", conversation_id=conversation_id)
        command(
            srv,
            token,
            {"type": "receipt", "conversation_id": conversation_id, "kind": "read", "seq": 10**6},
        )
        got = await console.expect("receipt", conversation_id=conversation_id)
        assert got["seq"] == latest[0]["seq"], got  # the last message there is, not 10**6
        await console.close()

    # The first receipt above already raised the pointer, so only a new message moves it again.
    latest = command(srv, token, send_frame(conversation_id, "v4", "Nog iets."))
    run_async(receipts())
    # Subscriptions need a live connection; malformed frames get the socket's codes.
    [needs] = command(
        srv, staff, {"type": "observe", "conversation_id": conversation_id}, staff=True
    )
    assert needs["code"] == "needs_socket"
    [bad] = command(srv, token, {"type": "send", "conversation_id": conversation_id})
    assert bad["code"] == "invalid_frame"
    [huge] = command(srv, token, send_frame(conversation_id, "v9", "x" * 200_000))
    assert huge["code"] == "frame_too_large"
    # The end, then a late send: the chat's token died with it; a clear refusal, not a 500.
    assert command(srv, token, {"type": "leave", "conversation_id": conversation_id}) == []
    [late] = command(srv, token, send_frame(conversation_id, "v5", "Te laat."))
    assert late["code"] == "conversation_ended" and late["ref"] == "v5"
    assert staff_id


def test_a_flood_of_commands_is_slowed_down_like_a_socket(srv: Server) -> None:
    _, token = srv.start_visitor()
    codes: set[str] = set()
    with httpx.Client(timeout=20) as client:
        headers = {"Cookie": f"{VISITOR_COOKIE}={token}", "Origin": srv.origin}
        for n in range(300):
            answer = client.post(
                srv.base + "/api/visitor/command", json={"type": "ping", "t": n}, headers=headers
            )
            codes.update(f.get("code", f["type"]) for f in answer.json()["frames"])
            if "rate_limited" in codes:
                break
    assert codes == {"pong", "rate_limited"}, codes


def test_a_stream_is_refused_without_a_chat_from_another_site_or_with_a_bad_cursor(
    srv: Server,
) -> None:
    _, token = srv.start_visitor()
    url = srv.base + "/api/visitor/stream"
    own = {"Origin": srv.origin, "Cookie": f"{VISITOR_COOKIE}={token}"}
    assert httpx.get(url, headers={"Origin": srv.origin}).status_code == 403
    evil = {**own, "Origin": "https://evil.example"}
    assert httpx.get(url, headers=evil).status_code == 403
    for cursor in ("-1", "x", "1e3", "9" * 20):
        answer = httpx.get(url + f"?after_seq={cursor}", headers=own)
        assert answer.status_code == 400 and answer.json() == {"error": "invalid_after_seq"}
