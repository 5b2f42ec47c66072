"""The socket, the chat without JavaScript and the HTTP door are three doors to the same commands
(issue 13): a visitor's send, resend, refused send and end give the same result through each, as
the counselor sees it and as it is stored. (Every frame of the authorization matrix goes through
the socket and the HTTP door in tests/test_authorization_matrix.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from baken.web.nojs_chat_routes import _send_problem
from tests.support import Client, Server, counselor, run_async, start_server, visitor


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("two-doors"))
    yield server
    server.stop()


def _post(server: Server, path: str, token: str, form: dict[str, str]) -> httpx.Response:
    headers = {"Origin": server.origin, "Cookie": f"__Host-baken_v={token}"}
    return httpx.post(
        server.base + path, data=form, headers=headers, follow_redirects=False, timeout=20
    )


class Door:
    """One door: `send` answers ("stored", seq, duplicate) or ("refused", code)."""

    name = ""

    def __init__(self, server: Server, conversation_id: str, token: str) -> None:
        self.server = server
        self.conversation_id = conversation_id
        self.token = token

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(self, client_msg_id: str, text: str) -> tuple[Any, ...]:
        raise NotImplementedError

    async def end(self) -> None:
        raise NotImplementedError


class SocketDoor(Door):
    name = "socket"
    client: Client

    async def open(self) -> None:
        self.client = await visitor(self.server, self.token)

    async def close(self) -> None:
        await self.client.close()

    async def send(self, client_msg_id: str, text: str) -> tuple[Any, ...]:
        await self.client.send(
            {
                "type": "send",
                "conversation_id": self.conversation_id,
                "client_msg_id": client_msg_id,
                "text": text,
            }
        )
        while True:
            frame = await self.client.recv()
            if frame["type"] == "ack" and frame["client_msg_id"] == client_msg_id:
                return ("stored", frame["seq"], bool(frame.get("duplicate")))
            if frame["type"] == "error" and frame.get("ref") == client_msg_id:
                return ("refused", frame["code"])

    async def end(self) -> None:
        await self.client.send({"type": "leave", "conversation_id": self.conversation_id})


class FormDoor(Door):
    name = "form"

    async def open(self) -> None:
        self.posted: set[str] = set()

    async def send(self, client_msg_id: str, text: str) -> tuple[Any, ...]:
        form = {"text": text, "client_msg_id": client_msg_id, "lang": "nl"}
        answer = _post(self.server, "/chat/send", self.token, form)
        if answer.status_code == 303:
            seq, duplicate = await self._stored(client_msg_id)
            return ("stored", seq, duplicate)
        for code in ("text_empty", "text_too_long", "busy", "conversation_ended"):
            if _send_problem("nl", code) in answer.text:
                return ("refused", code)
        raise AssertionError(f"{answer.status_code}: no known problem on the page")

    async def _stored(self, client_msg_id: str) -> tuple[int, bool]:
        """The seq the form's message got, read from the store (the form door answers with a
        page, not an ack). Stored exactly once, whatever was posted; "a resend" is this door's
        own record of having posted the id before, and the story's expectations check that
        the seq and the counselor's view agree with the socket's."""
        chat = _chat(self.server)
        stored = [
            m
            for m in await _on_server(
                self.server, chat.repo.messages_after(self.conversation_id, 0)
            )
            if m.client_msg_id == client_msg_id
        ]
        assert len(stored) == 1, stored
        duplicate = client_msg_id in self.posted
        self.posted.add(client_msg_id)
        return stored[0].seq, duplicate

    async def end(self) -> None:
        assert _post(self.server, "/chat/end", self.token, {"lang": "nl"}).status_code == 303


class HttpDoor(Door):
    """The HTTP door of the JavaScript client when WebSockets are blocked: the frame posted."""

    name = "http"

    async def send(self, client_msg_id: str, text: str) -> tuple[Any, ...]:
        frame = {
            "type": "send",
            "conversation_id": self.conversation_id,
            "client_msg_id": client_msg_id,
            "text": text,
        }
        for answered in _command(self.server, self.token, frame):
            if answered["type"] == "ack" and answered["client_msg_id"] == client_msg_id:
                return ("stored", answered["seq"], bool(answered.get("duplicate")))
            if answered["type"] == "error" and answered.get("ref") == client_msg_id:
                return ("refused", answered["code"])
        raise AssertionError("neither an ack nor an error")

    async def end(self) -> None:
        assert (
            _command(
                self.server, self.token, {"type": "leave", "conversation_id": self.conversation_id}
            )
            == []
        )


def _command(server: Server, token: str, frame: dict[str, Any]) -> list[dict[str, Any]]:
    headers = {"Origin": server.origin, "Cookie": f"__Host-baken_v={token}"}
    answer = httpx.post(
        server.base + "/api/visitor/command", json=frame, headers=headers, timeout=20
    )
    assert answer.status_code == 200, answer.text
    frames: list[dict[str, Any]] = answer.json()["frames"]
    return frames


def _chat(server: Server) -> Any:
    app: Any = server._server.config.app
    return app.state.baken.chat


async def _on_server(server: Server, work: Any) -> Any:
    """Run a coroutine on the server's own event loop (its database engines live there)."""
    loop = _chat(server).timeouts.loop
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, loop))


async def _story(server: Server, door_type: type[Door]) -> list[tuple[Any, ...]]:
    """The same steps through one door, on a chat of its own; what each step gave, and what the
    counselor saw."""
    conversation_id, token = server.start_visitor()
    _, staff = server.add_staff()
    console = await counselor(server, staff)
    await console.send({"type": "accept", "conversation_id": conversation_id})
    await console.expect("accepted", conversation_id=conversation_id)
    await console.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
    await console.expect("messages", conversation_id=conversation_id)
    door = door_type(server, conversation_id, token)
    await door.open()
    seen: list[tuple[Any, ...]] = []
    too_long = "x" * (server.settings.max_message_chars + 1)
    try:
        for client_msg_id, text in (
            ("m1", "Hallo, is daar iemand?"),
            ("m1", "Hallo, is daar iemand?"),  # the same message again
            ("m2", "   "),
            ("m3", too_long),
            ("m4", "Nog een vraag."),
        ):
            result = await door.send(client_msg_id, text)
            seen.append(result)
            if result[0] == "stored" and not result[2]:
                message = await console.expect_message(conversation_id, "visitor")
                seen.append(
                    ("counselor sees", message["message"]["seq"], message["message"]["text"])
                )
        await door.end()
        ended = await console.expect("conversation")
        while ended["conversation"]["state"] != "ended":
            ended = await console.expect("conversation")
        seen.append(("ended by", ended["conversation"]["ended_by"]))
        seen.append(await door.send("m5", "Te laat."))
    finally:
        await door.close()
        await console.close()
    return seen


def test_every_visitor_command_gives_the_same_result_through_both_doors(srv: Server) -> None:
    by_socket = run_async(_story(srv, SocketDoor))
    by_form = run_async(_story(srv, FormDoor))
    by_http = run_async(_story(srv, HttpDoor))
    assert by_socket == by_form
    assert by_socket == by_http
    # And what they agree on is right, not merely equal.
    assert by_socket == [
        ("stored", 2, False),
        ("counselor sees", 2, "Hallo, is daar iemand?"),
        ("stored", 2, True),
        ("refused", "text_empty"),
        ("refused", "text_too_long"),
        ("stored", 3, False),
        ("counselor sees", 3, "Nog een vraag."),
        ("ended by", "visitor"),
        ("refused", "conversation_ended"),
    ]
