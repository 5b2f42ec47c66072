"""Supervision over the wire: overview, silent observe, whisper, take over and consults.

Real WebSocket clients against a real server (SQLite and PostgreSQL for the shared `server`).
Whatever a supervisor does, the visitor's socket must show no trace of it: the tests assert on
every frame the visitor got.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

from baken.auth.passwords import hash_password
from baken.devtools import enrol_second_factor
from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.staff_repo import StaffRepository
from tests.support import (
    PASSWORD,
    Client,
    Server,
    add_staff_with_role,
    assigned_conversation,
    counselor,
    master_key,
    run_async,
    start_server,
)
from tests.test_counselor_tools import got, outcome, pair

# What a visitor's socket may ever carry; anything else would be a trace of supervision.
VISITOR_FRAME_TYPES = {"welcome", "conversation", "messages", "message", "ack", "typing", "receipt"}
SUPERVISOR_NAME = "Toezicht-Rita"


def visitor_is_untouched(v: Client, *secrets_: str, taken_over: bool = False) -> None:
    """Every frame the visitor got is an ordinary chat frame; the supervisor's name shows only
    once they took the chat over (as the new counselor, like after a transfer)."""
    for frame in v.frames:
        assert frame["type"] in VISITOR_FRAME_TYPES, frame
        assert frame["type"] != "receipt" or frame["from"] == "counselor"
        assert taken_over or SUPERVISOR_NAME not in str(frame)
        for secret in secrets_:
            assert secret not in str(frame)
        if frame["type"] in ("message", "messages"):
            batch = [frame["message"]] if frame["type"] == "message" else frame["messages"]
            for message in batch:
                assert message["sender"] in ("visitor", "counselor", "system")
                if message["sender"] == "system":
                    assert message["event"] in ("accepted", "transferred")


async def later(client: Client, predicate: Any, timeout: float = 5.0) -> dict[str, Any]:
    """The first frame from now on (earlier ones do not count) for which predicate is true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        assert left > 0, f"no such frame; last frames: {client.frames[-3:]}"
        frame = await client.recv(left)
        if predicate(frame):
            return frame


async def supervisor(server: Server, name: str = SUPERVISOR_NAME) -> tuple[str, Client]:
    staff_id, token = add_staff_with_role(server, Role.SUPERVISOR, display_name=name)
    return staff_id, await counselor(server, token)


async def observe(sup: Client, conversation_id: str) -> dict[str, Any]:
    await sup.send({"type": "observe", "conversation_id": conversation_id})
    return await sup.expect("observing", conversation_id=conversation_id)


def say(conversation_id: str, client_msg_id: str, text: str) -> dict[str, Any]:
    return {
        "type": "send",
        "conversation_id": conversation_id,
        "client_msg_id": client_msg_id,
        "text": text,
    }


# --- silent observe ------------------------------------------------------------------------------


async def test_observe_is_silent_and_changes_no_receipt(server: Server) -> None:
    conversation_id, v, c, _cid = await pair(server)
    await v.send(say(conversation_id, "v1", "hallo, ik ben er"))
    await c.expect_message(conversation_id, "visitor")
    _sup_id, sup = await supervisor(server)

    observing = await observe(sup, conversation_id)
    assert observing["conversation"]["state"] == "active"
    before = observing["conversation"]
    # The transcript so far, then live lines from both sides.
    first = await sup.expect_message(conversation_id, "visitor")
    assert first["message"]["text"] == "hallo, ik ben er"
    await c.send(say(conversation_id, "c1", "fijn dat je er bent"))
    assert (await sup.expect_message(conversation_id, "counselor"))["message"]["seq"] > 0
    await v.send(say(conversation_id, "v2", "dank je"))
    live = await sup.expect_message(conversation_id, "visitor")
    assert live["message"]["text"] == "dank je"

    # An observer cannot write, type or send receipts into the chat.
    await sup.send(say(conversation_id, "s1", "ik kijk mee"))
    assert (await sup.expect("error", ref="s1"))["code"] == "not_a_participant"
    seq = live["message"]["seq"]
    for kind in ("delivered", "read"):
        await sup.send(
            {"type": "receipt", "conversation_id": conversation_id, "kind": kind, "seq": seq}
        )
        assert (await sup.expect("error", ref="receipt"))["code"] == "not_a_participant"
    await sup.send({"type": "typing", "conversation_id": conversation_id, "active": True})
    assert (await sup.expect("error", ref="typing"))["code"] == "not_a_participant"

    # The stored read/delivered pointers did not move: a second look shows the same values.
    await sup.send({"type": "observe_stop", "conversation_id": conversation_id})
    await sup.expect("observe_stopped", conversation_id=conversation_id)
    await asyncio.sleep(1.2)  # past one receipt flush, so a wrongly accepted receipt would show
    again = await observe(sup, conversation_id)
    assert again["conversation"]["read_seq"] == before["read_seq"]
    assert again["conversation"]["delivered_seq"] == before["delivered_seq"]

    # After stopping, no more live lines for the observer.
    await sup.send({"type": "observe_stop", "conversation_id": conversation_id})
    await sup.expect("observe_stopped", conversation_id=conversation_id)
    await v.send(say(conversation_id, "v3", "nog iets"))
    await c.expect_message(conversation_id, "visitor")
    await sup.send({"type": "ping", "t": 1})
    await sup.expect("pong")
    assert not [
        f
        for f in sup.frames[-3:]
        if f.get("type") == "message" and f["message"]["text"] == "nog iets"
    ]
    visitor_is_untouched(v)


async def test_counselors_and_visitors_cannot_supervise(server: Server) -> None:
    conversation_id, v, _c, _cid = await pair(server)
    _bid, b_token = server.add_staff(display_name="Bert")
    b = await counselor(server, b_token)
    frames: list[dict[str, Any]] = [
        {"type": "overview_subscribe"},
        {"type": "observe", "conversation_id": conversation_id},
        {"type": "observe_stop", "conversation_id": conversation_id},
        {"type": "whisper", "conversation_id": conversation_id, "text": "psst"},
        {"type": "take_over", "conversation_id": conversation_id},
    ]
    for frame in frames:
        await b.send(frame)
        assert (await b.expect("error", ref=frame["type"]))["code"] == "forbidden"
        await v.send(frame)
        assert (await v.expect("error", ref=frame["type"]))["code"] == "unknown_type"
    await v.send({"type": "consult_send", "to": "team", "text": "hoi"})
    assert (await v.expect("error", ref="consult_send"))["code"] == "unknown_type"
    assert not [f for f in b.frames if f.get("type") in ("message", "messages", "overview")]


def foreign_supervisor(server: Server) -> tuple[str, str]:
    """A supervisor of another organisation on the same installation; returns (id, token)."""

    async def create() -> tuple[str, str]:
        db = Database(server.settings)
        try:
            repo = StaffRepository(db)
            organisation = await repo.ensure_organisation("Elders", "org_" + secrets.token_hex(4))
            member = await repo.create(
                "f-" + secrets.token_hex(4),
                SUPERVISOR_NAME,
                hash_password(PASSWORD),
                Role.SUPERVISOR,
                organisation_id=organisation,
            )
            await enrol_second_factor(db, master_key(server.settings), member.id)
            return member.id, await repo.start_session(member.id)
        finally:
            await db.dispose()

    found: tuple[str, str] = run_async(create())
    return found


async def test_another_organisation_is_refused(server: Server) -> None:
    conversation_id, v, c, c_id = await pair(server)
    _fid, token = foreign_supervisor(server)
    foreign = await counselor(server, token)
    frames: list[dict[str, Any]] = [
        {"type": "observe", "conversation_id": conversation_id},
        {"type": "take_over", "conversation_id": conversation_id},
        {"type": "whisper", "conversation_id": conversation_id, "text": "psst"},
    ]
    for frame in frames:
        await foreign.send(frame)
        assert (await foreign.expect("error", ref=frame["type"]))["code"] == "not_a_participant"
    await foreign.send({"type": "consult_send", "to": c_id, "text": "hallo daar"})
    assert (await foreign.expect("error", ref="consult_send"))["code"] == "unknown_colleague"
    await foreign.send({"type": "consult_history", "peer": c_id})
    assert (await foreign.expect("error", ref="consult_history"))["code"] == "unknown_colleague"
    # Their overview holds nothing of this organisation.
    await foreign.send({"type": "overview_subscribe"})
    overview = await foreign.expect("overview")
    assert conversation_id not in str(overview)
    assert c_id not in [x["id"] for x in overview["counselors"]]
    # And their team room is theirs alone.
    await foreign.send({"type": "consult_send", "to": "team", "text": "alleen voor ons"})
    await foreign.expect("consult")
    await c.send({"type": "ping", "t": 2})
    await c.expect("pong")
    assert "alleen voor ons" not in str(c.frames)
    visitor_is_untouched(v)


# --- whisper -------------------------------------------------------------------------------------


async def test_whisper_reaches_the_counselor_tabs_and_supervisors_only(server: Server) -> None:
    conversation_id, v, c, _c_id = await pair(server)
    sup_id, sup = await supervisor(server)
    _other_sup, other_sup = await supervisor(server, "Toezicht-Sam")
    _bid, b_token = server.add_staff(display_name="Bert")
    b = await counselor(server, b_token)

    whisper = "<b>let op</b>: vraag naar de <script>alert(1)</script> woonplek"
    await sup.send({"type": "whisper", "conversation_id": conversation_id, "text": whisper})
    assert (await sup.expect("error", ref="whisper"))["code"] == "not_observing"
    await observe(sup, conversation_id)
    await sup.send({"type": "whisper", "conversation_id": conversation_id, "text": "  "})
    assert (await sup.expect("error", ref="whisper"))["code"] == "text_empty"
    await sup.send({"type": "whisper", "conversation_id": conversation_id, "text": "x" * 4001})
    assert (await sup.expect("error", ref="whisper"))["code"] == "text_too_long"

    await sup.send({"type": "whisper", "conversation_id": conversation_id, "text": whisper})
    own = await sup.expect("whisper", conversation_id=conversation_id)
    assert own["whisper"]["text"] == whisper and own["whisper"]["kind"] == "whisper"
    assert own["whisper"]["author"] == SUPERVISOR_NAME
    got_it = await c.expect("whisper", conversation_id=conversation_id)
    assert got_it["whisper"]["text"] == whisper  # exactly as typed: the client shows it as text

    # It is kept with the chat's notes, marked as a whisper, for the counselor to read back.
    await c.send({"type": "notes_get", "conversation_id": conversation_id})
    notes = (await c.expect("notes", conversation_id=conversation_id))["notes"]
    assert [(n["kind"], n["text"]) for n in notes] == [("whisper", whisper)]

    # Nobody else: not a colleague, not a supervisor who is not observing, never the visitor.
    await c.send(say(conversation_id, "after", "ok"))
    await v.expect_message(conversation_id, "counselor")
    for client in (b, other_sup):
        await client.send({"type": "ping", "t": 3})
        await client.expect("pong")
        assert not [f for f in client.frames if f.get("type") == "whisper"]
    visitor_is_untouched(v, whisper, "let op")
    assert sup_id


async def test_whisper_reaches_every_tab_of_the_counselor(server: Server) -> None:
    conversation_id, _vtoken = server.start_visitor("tabs")
    staff_id, token = server.add_staff(display_name="Anna")
    tabs = [await counselor(server, token) for _ in range(2)]
    await tabs[0].send({"type": "accept", "conversation_id": conversation_id})
    await tabs[0].expect("accepted")
    _sid, sup = await supervisor(server)
    await observe(sup, conversation_id)
    await sup.send({"type": "whisper", "conversation_id": conversation_id, "text": "tab-test"})
    for tab in tabs:
        assert (await tab.expect("whisper"))["whisper"]["text"] == "tab-test"
    assert staff_id


# --- take over -----------------------------------------------------------------------------------


async def test_take_over_makes_the_supervisor_the_counselor(server: Server) -> None:
    conversation_id, v, c, _c_id = await pair(server)
    await v.send(say(conversation_id, "v1", "ben je er nog?"))
    await c.expect_message(conversation_id, "visitor")
    _sid, sup = await supervisor(server)
    await observe(sup, conversation_id)
    await sup.send({"type": "take_over", "conversation_id": conversation_id})
    await sup.expect("taken_over", conversation_id=conversation_id)
    ended = await got(sup, "observe_ended", conversation_id=conversation_id, reason="assigned")
    await got(c, "released", conversation_id=conversation_id, reason="taken_over")
    # The whole chat again, from the first line, as the supervisor's own.
    after = sup.frames.index(ended)
    while not [
        f
        for f in sup.frames[after:]
        if f.get("type") == "messages" and f["messages"] and f["messages"][0]["seq"] == 1
    ]:
        await sup.recv()
    # The visitor sees the neutral transfer line (with the new name, as after a transfer).
    line = await v.seen(
        lambda f: f.get("type") == "message" and f["message"]["event"] == "transferred"
    )
    assert line["message"]["name"] == SUPERVISOR_NAME

    await v.send(say(conversation_id, "v2", "hallo?"))
    assert (await sup.expect_message(conversation_id, "visitor"))["message"]["text"] == "hallo?"
    await sup.send(say(conversation_id, "s1", "Ik neem het over."))
    await sup.expect("ack", client_msg_id="s1")
    await c.send(say(conversation_id, "c9", "nog"))
    assert (await c.expect("error", ref="c9"))["code"] == "not_a_participant"
    await sup.send({"type": "take_over", "conversation_id": conversation_id})
    assert (await sup.expect("error", ref="take_over"))["code"] == "invalid_target"
    visitor_is_untouched(v, taken_over=True)


async def test_take_over_racing_a_transfer_exactly_one_wins(server: Server) -> None:
    for _round in range(3):
        conversation_id, _v, a, _a_id = await pair(server)
        b_id, b_token = server.add_staff(display_name="Bert")
        b = await counselor(server, b_token)
        _sid, sup = await supervisor(server)
        await asyncio.gather(
            a.send({"type": "transfer", "conversation_id": conversation_id, "to_staff_id": b_id}),
            sup.send({"type": "take_over", "conversation_id": conversation_id}),
        )
        results = [
            await outcome(a, "transferred", "transfer"),
            await outcome(sup, "taken_over", "take_over"),
        ]
        assert sorted(r["type"] for r in results).count("error") == 1
        assert next(r for r in results if r["type"] == "error")["code"] == "not_held"
        # Whoever lost holds nothing: only one of Bert and the supervisor now has the chat.
        holders = 0
        for client, ref in ((b, "b1"), (sup, "s1")):
            await client.send(say(conversation_id, ref, "ik?"))
            answer = await outcome(client, "ack", ref)
            holders += answer["type"] == "ack"
        assert holders == 1


async def test_take_over_racing_an_end(server: Server) -> None:
    conversation_id, _v, a, _a_id = await pair(server)
    _sid, sup = await supervisor(server)
    await asyncio.gather(
        a.send({"type": "end", "conversation_id": conversation_id}),
        sup.send({"type": "take_over", "conversation_id": conversation_id}),
    )
    results = [await outcome(a, "ended", "end"), await outcome(sup, "taken_over", "take_over")]
    assert sorted(r["type"] for r in results).count("error") == 1


# --- overview ------------------------------------------------------------------------------------


def test_overview_is_live(tmp_path: Path) -> None:
    server = start_server(tmp_path)

    async def go() -> None:
        _sid, sup = await supervisor(server)
        await sup.send({"type": "overview_subscribe"})
        empty = await sup.expect("overview")
        assert empty["queue"] == {
            "total": 0,
            "urgent": 0,
            "longest_wait_seconds": None,
            "median_wait_seconds": None,
        }
        assert empty["chats"] == []
        assert [c["display_name"] for c in empty["counselors"]] == [SUPERVISOR_NAME]

        for n in range(3):
            server.start_visitor(f"wacht-{n}")
        queued = await sup.seen(lambda f: f.get("type") == "overview" and f["queue"]["total"] == 3)
        assert queued["queue"]["longest_wait_seconds"] >= queued["queue"]["median_wait_seconds"]

        conversation_id, v, c, c_id = await pair(server, "Anna")
        await v.send(say(conversation_id, "v1", "een"))
        await v.send(say(conversation_id, "v2", "twee"))
        await c.expect_message(conversation_id, "visitor")
        live = await sup.seen(
            lambda f: (
                f.get("type") == "overview"
                and any(
                    ch["conversation_id"] == conversation_id and ch["unread_for_counselor"] == 2
                    for ch in f["chats"]
                )
            )
        )
        chat = next(ch for ch in live["chats"] if ch["conversation_id"] == conversation_id)
        assert chat["counselor"] == "Anna" and chat["counselor_id"] == c_id
        assert chat["nickname"] == "bezoeker" and chat["accepted_at"] and chat["last_activity_at"]
        anna = next(x for x in live["counselors"] if x["id"] == c_id)
        assert anna["active_chats"] == 1 and anna["max_chats"] == server.settings.max_chats

        # The counselor reads: unread goes to 0 (after the receipt is saved).
        seq = (await c.expect_message(conversation_id, "visitor"))["message"]["seq"]
        await c.send(
            {"type": "receipt", "conversation_id": conversation_id, "kind": "read", "seq": seq}
        )
        await later(
            sup,
            lambda f: (
                f.get("type") == "overview"
                and any(
                    ch["conversation_id"] == conversation_id and ch["unread_for_counselor"] == 0
                    for ch in f["chats"]
                )
            ),
            timeout=15,
        )
        # Anna closes her console: she leaves the list of who is online.
        await c.close()
        await later(
            sup,
            lambda f: (
                f.get("type") == "overview" and c_id not in [x["id"] for x in f["counselors"]]
            ),
            timeout=10,
        )
        await sup.send({"type": "overview_unsubscribe"})
        await sup.expect("overview_stopped")

    try:
        asyncio.run(go())
    finally:
        server.stop()


# --- consultation --------------------------------------------------------------------------------


async def test_consultation_team_room_and_direct(server: Server) -> None:
    conversation_id, v, a, a_id = await pair(server, "Anna")
    b_id, b_token = server.add_staff(display_name="Bert")
    b = await counselor(server, b_token)
    sup_id, sup = await supervisor(server)

    await a.send({"type": "consult_send", "to": "team", "text": "<i>Wie</i> heeft even tijd?"})
    for client in (a, b, sup):
        frame = await client.expect("consult")
        assert frame["message"]["text"] == "<i>Wie</i> heeft even tijd?"
        assert frame["message"]["to"] == "team" and frame["message"]["from"] == "Anna"

    await a.send(
        {
            "type": "consult_send",
            "to": sup_id,
            "text": "Kun je meekijken bij dit gesprek?",
            "conversation_id": conversation_id,
        }
    )
    direct = await sup.expect("consult")
    assert direct["message"]["conversation_id"] == conversation_id
    assert direct["message"]["to"] == sup_id and direct["message"]["from_staff_id"] == a_id
    await a.expect("consult")  # the sender's own tabs see it too
    await sup.send({"type": "consult_send", "to": a_id, "text": "Ik kijk mee."})
    assert (await a.expect("consult"))["message"]["from_staff_id"] == sup_id

    await b.send({"type": "consult_history", "peer": "team"})
    team = await b.expect("consult_history", peer="team")
    assert [m["text"] for m in team["messages"]][-1] == "<i>Wie</i> heeft even tijd?"
    await a.send({"type": "consult_history", "peer": sup_id})
    thread = await a.expect("consult_history", peer=sup_id)
    assert [m["text"] for m in thread["messages"]] == [
        "Kun je meekijken bij dit gesprek?",
        "Ik kijk mee.",
    ]
    # Bert saw nothing of the direct thread.
    await b.send({"type": "ping", "t": 4})
    await b.expect("pong")
    assert "meekijken" not in str(b.frames)

    # Bad input, and a conversation Bert has nothing to do with.
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"type": "consult_send", "to": "team", "text": " \n "}, "text_empty"),
        ({"type": "consult_send", "to": "team", "text": "x" * 4001}, "text_too_long"),
        ({"type": "consult_send", "to": "s_unknown", "text": "hoi"}, "unknown_colleague"),
        ({"type": "consult_send", "to": b_id, "text": "mezelf"}, "unknown_colleague"),
        (
            {"type": "consult_send", "to": a_id, "text": "hoi", "conversation_id": conversation_id},
            "not_a_participant",
        ),
        ({"type": "consult_send", "to": "team", "text": "hoi", "extra": 1}, "invalid_frame"),
    ]
    for frame, code in refusals:
        await b.send(frame)
        assert (await b.expect("error", ref="consult_send"))["code"] == code
    visitor_is_untouched(v, "meekijken", "tijd?", "Ik kijk mee")


def test_consults_and_whispers_are_encrypted_at_rest(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:

        async def go() -> None:
            conversation_id, _v, c, _cid = await pair(server)
            _sid, sup = await supervisor(server)
            await observe(sup, conversation_id)
            await sup.send(
                {"type": "whisper", "conversation_id": conversation_id, "text": "fluistertekst"}
            )
            await c.expect("whisper")
            await c.send({"type": "consult_send", "to": "team", "text": "overlegtekst"})
            await sup.expect("consult")

        asyncio.run(go())
        raw = (tmp_path / "baken.sqlite3").read_bytes()
        wal = tmp_path / "baken.sqlite3-wal"
        raw += wal.read_bytes() if wal.exists() else b""
        assert b"fluistertekst" not in raw and b"overlegtekst" not in raw
    finally:
        server.stop()


async def test_transfer_to_a_colleague_counts_presence(server: Server) -> None:
    """Warm transfer still refuses a colleague who is not online anywhere."""
    conversation_id, _v, a, _a_id = await pair(server)
    offline_id, _token = server.add_staff(display_name="Weg")
    assigned_conversation(server, offline_id, "Weg")
    await a.send({"type": "colleagues_get"})
    assert offline_id not in [x["id"] for x in (await a.expect("colleagues"))["colleagues"]]
    await a.send(
        {"type": "transfer", "conversation_id": conversation_id, "to_staff_id": offline_id}
    )
    assert (await a.expect("error", ref="transfer"))["code"] == "colleague_offline"


def test_retention_purge_removes_old_consults(tmp_path: Path) -> None:
    from datetime import timedelta

    from baken.retention.job import purge
    from baken.store.clock import utcnow
    from baken.store.tables import consult_messages

    server = start_server(tmp_path)
    try:

        async def write() -> None:
            _sid, sup = await supervisor(server)
            await sup.send({"type": "consult_send", "to": "team", "text": "oud overleg"})
            await sup.expect("consult")

        asyncio.run(write())

        async def count_after_purge(days_ahead: int) -> int:
            db = Database(server.settings)
            try:
                await purge(db, 1, now=utcnow() + timedelta(days=days_ahead))
                async with db.reader.connect() as conn:
                    rows = (await conn.execute(consult_messages.select())).all()
                return len(rows)
            finally:
                await db.dispose()

        assert run_async(count_after_purge(0)) == 1  # younger than the period: kept
        assert run_async(count_after_purge(2)) == 0  # older: gone, key and all
    finally:
        server.stop()
