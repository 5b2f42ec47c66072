"""The realtime protocol: real WebSocket clients against a real server (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support import Client, Server, counselor, open_socket, start_server, visitor


def mid() -> str:
    return uuid.uuid4().hex


async def accepted_pair(server: Server) -> tuple[str, Client, Client, str]:
    """A visitor and a counselor in one active conversation, both synced."""
    conversation_id, vtoken = server.start_visitor()
    _staff_id, stoken = server.add_staff()
    v = await visitor(server, vtoken)
    c = await counselor(server, stoken)
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted", conversation_id=conversation_id)
    for client in (v, c):
        await client.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
        await client.expect("messages", conversation_id=conversation_id)
    return conversation_id, v, c, vtoken


async def test_chat_both_ways_with_acks_after_commit(server: Server) -> None:
    conversation_id, v, c, _ = await accepted_pair(server)
    await v.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": "a1",
            "text": "hallo, is daar iemand?",
        }
    )
    ack = await v.expect("ack", client_msg_id="a1")
    got = await c.expect_message(conversation_id, "visitor")
    assert got["message"]["text"] == "hallo, is daar iemand?"
    assert got["message"]["seq"] == ack["seq"]
    assert got["message"]["sender"] == "visitor"
    assert got["message"]["client_msg_id"] is None  # the other side never sees it
    assert ack["duplicate"] is False

    await c.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": "b1",
            "text": "Ja, ik ben er. Fijn dat je er bent.",
        }
    )
    ack2 = await c.expect("ack", client_msg_id="b1")
    back = await v.expect_message(conversation_id, "counselor")
    assert back["message"]["seq"] == ack2["seq"] == ack["seq"] + 1
    assert back["message"]["sender"] == "counselor"
    assert back["message"]["name"] == "Anna"


async def test_seq_has_no_gaps_and_resend_returns_the_original(server: Server) -> None:
    conversation_id, v, _c, _ = await accepted_pair(server)
    seqs = []
    for n in range(5):
        await v.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": f"m{n}",
                "text": f"bericht {n}",
            }
        )
    for n in range(5):
        seqs.append((await v.expect("ack", client_msg_id=f"m{n}"))["seq"])
    assert seqs == list(range(seqs[0], seqs[0] + 5))

    await v.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": "m2",
            "text": "bericht 2",
        }
    )
    again = await v.expect("ack", client_msg_id="m2")
    assert again["duplicate"] is True
    assert again["seq"] == seqs[2]


async def test_reconnect_gets_exactly_what_was_missed(server: Server) -> None:
    conversation_id, v, c, vtoken = await accepted_pair(server)
    await v.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "x1", "text": "een"}
    )
    first = await v.expect("ack", client_msg_id="x1")
    await v.close()
    for n in range(3):
        await c.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": f"y{n}",
                "text": f"terwijl je weg was {n}",
            }
        )
        await c.expect("ack", client_msg_id=f"y{n}")

    v2 = await visitor(server, vtoken)
    await v2.send({"type": "sync", "conversation_id": conversation_id, "after_seq": first["seq"]})
    batch = await v2.expect("messages", conversation_id=conversation_id)
    assert [m["text"] for m in batch["messages"]] == [f"terwijl je weg was {n}" for n in range(3)]
    assert [m["seq"] for m in batch["messages"]] == list(range(first["seq"] + 1, first["seq"] + 4))
    assert batch["more"] is False


async def test_connection_killed_mid_send_loses_and_doubles_nothing(server: Server) -> None:
    conversation_id, v, c, vtoken = await accepted_pair(server)
    # Fire messages and drop the TCP connection before reading any ack.
    texts = [f"snel {n}" for n in range(20)]
    for n, text in enumerate(texts):
        await v.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": f"k{n}",
                "text": text,
            }
        )
    v.ws.transport.abort()

    # The client resends everything it has no ack for, with the same ids.
    v2 = await visitor(server, vtoken)
    for n, text in enumerate(texts):
        await v2.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": f"k{n}",
                "text": text,
            }
        )
    acks = {}
    for _ in texts:
        ack = await v2.expect("ack")
        acks[ack["client_msg_id"]] = ack["seq"]
    assert len(set(acks.values())) == len(texts)

    await v2.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
    batch = await v2.expect("messages", conversation_id=conversation_id)
    visitor_texts = [m["text"] for m in batch["messages"] if m["sender"] == "visitor"]
    assert visitor_texts == texts  # each exactly once, in order

    # And the counselor saw each exactly once, in seq order, without asking.
    seen: list[str] = []
    while len(seen) < len(texts):
        frame = await c.expect_message(conversation_id, "visitor")
        seen.append(frame["message"]["text"])
    assert seen == texts


async def test_typing_and_receipts_reach_the_other_side(server: Server) -> None:
    conversation_id, v, c, _ = await accepted_pair(server)
    await v.send({"type": "typing", "conversation_id": conversation_id, "active": True})
    typing = await c.expect("typing", conversation_id=conversation_id)
    assert typing["from"] == "visitor" and typing["active"] is True

    await c.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": "r1",
            "text": "lees je dit?",
        }
    )
    message = await v.expect_message(conversation_id, "counselor")
    seq = message["message"]["seq"]
    await v.send(
        {"type": "receipt", "conversation_id": conversation_id, "kind": "read", "seq": seq}
    )
    receipt = await c.expect("receipt", conversation_id=conversation_id)
    assert receipt == {
        "type": "receipt",
        "conversation_id": conversation_id,
        "from": "visitor",
        "kind": "read",
        "seq": seq,
    }


async def test_read_implies_delivered(server: Server) -> None:
    """One `read` raises both pointers; a `delivered` it already covers reaches nobody."""
    conversation_id, v, c, vtoken = await accepted_pair(server)
    await c.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": mid(), "text": "hoi"}
    )
    seq = (await v.expect_message(conversation_id, "counselor"))["message"]["seq"]
    await v.send(
        {"type": "receipt", "conversation_id": conversation_id, "kind": "read", "seq": seq}
    )
    receipt = await c.expect("receipt", conversation_id=conversation_id)
    assert (receipt["kind"], receipt["seq"]) == ("read", seq)
    await v.send(
        {"type": "receipt", "conversation_id": conversation_id, "kind": "delivered", "seq": seq}
    )
    # The visitor's frames are handled in order: once its typing frame arrives, the covered
    # delivered receipt has been handled, and it must not have reached the counselor.
    await v.send({"type": "typing", "conversation_id": conversation_id, "active": True})
    while (frame := await c.recv())["type"] != "typing":
        assert frame["type"] != "receipt", frame
    # Both pointers are saved (receipts are written about once a second): a new socket's
    # welcome shows them.
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        again = await visitor(server, vtoken)
        info = next(
            i
            for f in again.frames
            if f["type"] == "welcome"
            for i in f["conversations"]
            if i["id"] == conversation_id
        )
        await again.close()
        if info["read_seq"]["visitor"] == seq or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)  # polling for the saved state, not timing anything
    assert info["read_seq"]["visitor"] == seq
    assert info["delivered_seq"]["visitor"] == seq


async def test_queue_positions_update_live(server: Server) -> None:
    _sid, stoken = server.add_staff()
    c = await counselor(server, stoken)
    first_id, first_token = server.start_visitor("eerste")
    second_id, second_token = server.start_visitor("tweede")
    v2 = await open_socket(server, "/ws/visitor", second_token)
    welcome = await v2.expect("welcome")
    before = welcome["conversations"][0]["position"]
    assert before is not None and before >= 2

    queue = await c.expect("queue")
    while second_id not in [e["conversation_id"] for e in queue["entries"]]:
        queue = await c.expect("queue")
    ids = [e["conversation_id"] for e in queue["entries"]]
    assert ids.index(first_id) < ids.index(second_id)

    await c.send({"type": "accept", "conversation_id": first_id})
    await c.expect("accepted", conversation_id=first_id)
    # Only the place moved: a small `place` frame, not the whole conversation.
    update = await v2.expect("place")
    assert update["conversation_id"] == second_id
    assert update["position"] == before - 1
    assert not [f for f in v2.frames if f.get("type") == "conversation"]
    # Clean up for the other tests sharing this server.
    await c.send({"type": "end", "conversation_id": first_id})
    await c.expect("ended", conversation_id=first_id)
    await c.send({"type": "accept", "conversation_id": second_id})
    await c.expect("accepted", conversation_id=second_id)
    await c.send({"type": "end", "conversation_id": second_id})
    await c.expect("ended", conversation_id=second_id)
    del first_token


async def test_two_counselors_accept_at_once_exactly_one_wins(server: Server) -> None:
    conversation_id, _ = server.start_visitor()
    clients = []
    for _ in range(2):
        _sid, token = server.add_staff()
        clients.append(await counselor(server, token))
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
                outcomes.append(frame)
                break
    kinds = sorted(f["type"] for f in outcomes)
    assert kinds == ["accepted", "error"]
    loser = next(f for f in outcomes if f["type"] == "error")
    assert loser["code"] == "not_queued"


async def test_counselor_is_limited_to_max_chats(server: Server) -> None:
    _sid, stoken = server.add_staff()
    c = await counselor(server, stoken)
    ids = [server.start_visitor()[0] for _ in range(server.settings.max_chats + 1)]
    for cid in ids[:-1]:
        await c.send({"type": "accept", "conversation_id": cid})
        await c.expect("accepted", conversation_id=cid)
    await c.send({"type": "accept", "conversation_id": ids[-1]})
    error = await c.expect("error", ref="accept")
    assert error["code"] == "at_capacity"
    for cid in ids[:-1]:
        await c.send({"type": "end", "conversation_id": cid})
        await c.expect("ended", conversation_id=cid)


async def test_ending_is_seen_by_the_other_side(server: Server) -> None:
    conversation_id, v, c, _ = await accepted_pair(server)
    await v.send({"type": "leave", "conversation_id": conversation_id})
    update = await c.expect("conversation")
    while update["conversation"]["state"] != "ended":
        update = await c.expect("conversation")
    assert update["conversation"]["ended_by"] == "visitor"
    event = await c.expect_message(conversation_id, "system")
    assert event["message"]["event"] == "ended_visitor"
    await c.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": "late",
            "text": "ben je er nog?",
        }
    )
    error = await c.expect("error", ref="late")
    assert error["code"] in ("conversation_ended", "not_a_participant")


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_json"),
        ('"hallo"', "invalid_json"),
        ('{"type": "fly"}', "unknown_type"),
        ('{"no_type": 1}', "unknown_type"),
        ('{"type": "accept", "conversation_id": "c_x"}', "unknown_type"),  # counselor-only
        ('{"type": "end", "conversation_id": "c_x"}', "unknown_type"),
        ('{"type": "sync", "conversation_id": 1, "after_seq": 0}', "invalid_frame"),
        ('{"type": "sync", "conversation_id": "c", "after_seq": "1"}', "invalid_frame"),
        ('{"type": "sync", "conversation_id": "c", "after_seq": true}', "invalid_frame"),
        ('{"type": "sync", "conversation_id": "c", "after_seq": -1}', "invalid_frame"),
        ('{"type": "sync", "conversation_id": null, "after_seq": 0}', "invalid_frame"),
        ('{"type": "sync", "conversation_id": [], "after_seq": 0}', "invalid_frame"),
        ('{"type": "sync", "conversation_id": {}, "after_seq": 0}', "invalid_frame"),
        ('{"type": "sync", "conversation_id": "c", "after_seq": 1e309}', "invalid_json"),
        ('{"type": "ping", "t": 1, "extra": 2}', "invalid_frame"),
        (
            '{"type": "send", "conversation_id": "c", "client_msg_id": "<x>", "text": "a"}',
            "invalid_frame",
        ),
        (
            '{"type": "send", "conversation_id": "c", "client_msg_id": "a\\ud800", "text": "a"}',
            "invalid_json",
        ),
    ],
)
async def test_bad_frames_get_a_clear_error_and_the_socket_stays(
    server: Server, raw: str, code: str
) -> None:
    conversation_id, token = server.start_visitor()
    v = await visitor(server, token)
    await v.ws.send(raw)
    error = await v.expect("error")
    assert error["code"] == code, error
    assert error["message"]
    await v.send({"type": "ping", "t": 7})
    assert (await v.expect("pong"))["t"] == 7
    await v.send({"type": "leave", "conversation_id": conversation_id})


async def test_message_limits_and_binary_frames(server: Server) -> None:
    conversation_id, v, c, _ = await accepted_pair(server)
    limit = server.settings.max_message_chars
    for text, code in [
        ("", "text_empty"),
        ("   \n ", "text_empty"),
        ("x" * (limit + 1), "text_too_long"),
    ]:
        await v.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": f"bad{len(text)}",
                "text": text,
            }
        )
        error = await v.expect("error", ref=f"bad{len(text)}")
        assert error["code"] == code
    await v.ws.send(b"\x00\x01binary")
    assert (await v.expect("error"))["code"] == "binary_not_supported"
    await v.ws.send('{"type": "ping", "pad": "' + "x" * 70_000 + '"}')
    assert (await v.expect("error"))["code"] == "frame_too_large"
    # Exactly at the limit is fine, and nothing of the rejected ones was stored.
    await v.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": "max",
            "text": "y" * limit,
        }
    )
    ack = await v.expect("ack", client_msg_id="max")
    await v.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
    batch = await v.expect("messages", conversation_id=conversation_id)
    texts = [m["text"] for m in batch["messages"] if m["sender"] == "visitor"]
    assert texts == ["y" * limit]
    assert batch["last_seq"] == ack["seq"]
    del c


async def test_markup_is_carried_as_plain_text(server: Server) -> None:
    payloads = [
        "<img src=x onerror=alert(1)>",
        "</script><script>alert(1)</script>",
        "{{7*7}}",
        "\u202eevil",
        "zero\u200bwidth",
    ]
    conversation_id, v, c, _ = await accepted_pair(server)
    for n, text in enumerate(payloads):
        await v.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": f"x{n}",
                "text": text,
            }
        )
        got = await c.expect_message(conversation_id, "visitor")
        assert got["message"]["text"] == text


async def test_frames_for_someone_elses_conversation_are_refused(server: Server) -> None:
    other_id, _ = server.start_visitor()
    conversation_id, v, c, _ = await accepted_pair(server)
    for frame in (
        {"type": "send", "conversation_id": other_id, "client_msg_id": "z", "text": "hoi"},
        {"type": "sync", "conversation_id": other_id, "after_seq": 0},
        {"type": "typing", "conversation_id": other_id, "active": True},
        {"type": "receipt", "conversation_id": other_id, "kind": "read", "seq": 1},
        {"type": "leave", "conversation_id": other_id},
    ):
        await v.send(frame)
        assert (await v.expect("error"))["code"] == "not_a_participant", frame
    # A counselor cannot act on a chat that is not theirs.
    for frame in (
        {"type": "send", "conversation_id": other_id, "client_msg_id": "z", "text": "hoi"},
        {"type": "sync", "conversation_id": other_id, "after_seq": 0},
        {"type": "end", "conversation_id": other_id},
    ):
        await c.send(frame)
        assert (await c.expect("error"))["code"] == "not_a_participant", frame
    del conversation_id


async def test_handshake_needs_our_origin_and_a_session(server: Server) -> None:
    _cid, token = server.start_visitor()
    _sid, stoken = server.add_staff()
    refused = [
        ("/ws/visitor", token, None),
        ("/ws/visitor", token, "null"),
        ("/ws/visitor", token, "https://evil.example"),
        ("/ws/visitor", None, "same"),
        ("/ws/visitor", "forged-token", "same"),
        ("/ws/staff", token, "same"),  # a visitor cookie does not open the staff socket
        ("/ws/visitor", stoken, "same"),
        ("/ws/staff", stoken, "https://evil.example"),
    ]
    for path, cred, origin in refused:
        with pytest.raises(InvalidStatus) as info:
            await open_socket(server, path, cred, origin)
        assert info.value.response.status_code == 403, (path, origin)


async def test_silent_sockets_are_closed_and_pings_keep_them(tmp_path: Path) -> None:
    srv = start_server(tmp_path, heartbeat_seconds=1)
    try:
        _cid, token = srv.start_visitor()
        quiet = await visitor(srv, token)
        chatty = await visitor(srv, token)
        for _ in range(8):
            await chatty.send({"type": "ping", "t": 1})
            await asyncio.sleep(0.5)
        with pytest.raises(ConnectionClosed) as info:
            while True:
                await quiet.recv(timeout=10)
        assert info.value.rcvd is not None and info.value.rcvd.code == 4000
        await chatty.send({"type": "ping", "t": 2})
        assert (await chatty.expect("pong", t=2))["t"] == 2
    finally:
        srv.stop()
