"""Return codes: the visitor's only way back, and the mailbox behind it (issue 3)."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from baken.domain.return_code import (
    MAX_CODE_CHARS,
    WORDS_PER_CODE,
    CodeError,
    is_well_formed,
    new_code,
    normalize,
    wordlist,
)
from tests.support import Server, counselor, run_async, start_server, visitor


def test_codes_have_at_least_64_bits() -> None:
    import math

    # Issue 12: a list per language (Dutch 1,626 words, English BIP-39's 2,048); each gives 64+.
    for lang in ("nl", "en"):
        assert len(set(wordlist(lang))) == len(wordlist(lang)) >= 1626
        assert WORDS_PER_CODE * math.log2(len(wordlist(lang))) >= 64
        code = new_code(lang)
        assert is_well_formed(normalize(code))
        assert len({new_code(lang) for _ in range(200)}) == 200


@given(st.sampled_from(["  ", "\t", " - ", "\n", "  ,"]), st.booleans(), st.booleans())
def test_spelling_variants_normalise_to_one_code(sep: str, upper: bool, nfd: bool) -> None:
    words = ["école", "abandon", "zoo", "ability", "able", "about"]
    typed = sep.join(w.upper() if upper else w for w in words)
    if nfd:
        typed = unicodedata.normalize("NFD", typed)
    assert normalize(typed) == "école abandon zoo ability able about"


@pytest.mark.parametrize(
    ("raw", "code"),
    [("", "code_empty"), ("  - ", "code_empty"), ("x" * (MAX_CODE_CHARS + 1), "code_too_long")],
)
def test_bad_codes_are_refused_before_any_work(raw: str, code: str) -> None:
    with pytest.raises(CodeError) as info:
        normalize(raw)
    assert info.value.code == code


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path)
    yield server
    server.stop()


def post(srv: Server, path: str, body: object) -> httpx.Response:
    return httpx.post(srv.base + path, json=body, headers={"Origin": srv.origin}, timeout=10)


async def test_visitor_returns_with_code_reads_follow_up_and_lands_with_same_counselor(
    srv: Server,
) -> None:
    conversation_id, vtoken = srv.start_visitor()
    anna_id, anna_token = srv.add_staff(display_name="Anna")
    _other_id, other_token = srv.add_staff(display_name="Bram")
    anna = await counselor(srv, anna_token)
    await anna.send({"type": "accept", "conversation_id": conversation_id})
    await anna.expect("accepted")
    v = await visitor(srv, vtoken)
    await v.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": "x",
            "text": "dit mag niemand lezen",
        }
    )
    await v.expect("ack")
    await v.send({"type": "request_code", "conversation_id": conversation_id})
    code = (await v.expect("return_code"))["code"]
    assert is_well_formed(normalize(code))
    await anna.send({"type": "end", "conversation_id": conversation_id})
    await anna.expect("ended")

    # The counselor leaves a follow-up in the mailbox after the chat ended.
    await anna.send(
        {
            "type": "mailbox_send",
            "conversation_id": conversation_id,
            "text": "Hoi, ik denk aan je. Kom gerust terug.",
        }
    )
    await anna.expect("mailbox_sent")

    # Another counselor online must not take the returning visitor first.
    bram = await counselor(srv, other_token)
    typed = "  " + code.upper().replace(" ", "  -  ") + " "
    back = post(srv, "/api/visitor/return", {"code": typed})
    assert back.status_code == 200, back.text
    body = back.json()
    assert [m["text"] for m in body["mailbox"]] == ["Hoi, ik denk aan je. Kom gerust terug."]
    new_id = body["conversation"]["id"]
    assert new_id != conversation_id
    await bram.send({"type": "take_next"})
    assert (await bram.expect("error", ref="take_next"))["code"] == "queue_empty"
    await anna.send({"type": "take_next"})
    assert (await anna.expect("accepted"))["conversation_id"] == new_id

    # The returning visitor is not shown the earlier transcript.
    token = back.headers["set-cookie"].split("=", 1)[1].split(";", 1)[0]
    v2 = await visitor(srv, token)
    await v2.send({"type": "sync", "conversation_id": new_id, "after_seq": 0})
    batch = await v2.expect("messages")
    assert "dit mag niemand lezen" not in str(batch)
    await v2.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
    assert (await v2.expect("error"))["code"] == "not_a_participant"
    # Mailbox messages are shown once.
    again = post(srv, "/api/visitor/return", {"code": code})
    assert again.status_code == 200 and again.json()["mailbox"] == []
    del anna_id


async def test_wrong_unknown_destroyed_and_compromised_codes_answer_alike(srv: Server) -> None:
    conversation_id, vtoken = srv.start_visitor()
    _sid, stoken = srv.add_staff()
    c = await counselor(srv, stoken)
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted")
    v = await visitor(srv, vtoken)
    await v.send({"type": "request_code", "conversation_id": conversation_id})
    code = (await v.expect("return_code"))["code"]
    wrong = " ".join(reversed(code.split()))
    answers = [
        post(srv, "/api/visitor/return", {"code": c})
        for c in (wrong, "abandon " * 6, "niet echt een code")
    ]
    assert {(a.status_code, a.text) for a in answers} == {(400, answers[0].text)}
    assert answers[0].json()["error"] == "code_not_accepted"

    # A counselor marks it compromised: it stops working, with the same answer.
    await c.send({"type": "mark_compromised", "conversation_id": conversation_id})
    await c.expect("code_compromised")
    refused = post(srv, "/api/visitor/return", {"code": code})
    assert (refused.status_code, refused.text) == (400, answers[0].text)

    # A new code for the thread works; destroying it ends it for good.
    conversation2, vtoken2 = srv.start_visitor()
    v2 = await visitor(srv, vtoken2)
    await v2.send({"type": "request_code", "conversation_id": conversation2})
    code2 = (await v2.expect("return_code"))["code"]
    assert post(srv, "/api/visitor/code/destroy", {"code": code2}).json() == {"status": "done"}
    assert post(srv, "/api/visitor/code/destroy", {"code": code2}).json() == {"status": "done"}
    assert post(srv, "/api/visitor/return", {"code": code2}).status_code == 400


def test_code_input_errors_and_rate_limit(srv: Server) -> None:
    assert post(srv, "/api/visitor/return", {"code": ""}).json()["error"] == "code_empty"
    assert post(srv, "/api/visitor/return", {"code": 5}).json()["error"] == "code_empty"
    long = post(srv, "/api/visitor/return", {"code": "a" * 129})
    assert long.json()["error"] == "code_too_long"
    assert post(srv, "/api/visitor/return", {"code": "x", "extra": 1}).status_code == 400

    # All at once: the bucket is checked before the slow hash, so timing cannot refill it.
    async def flood() -> list[int]:
        async with httpx.AsyncClient(base_url=srv.base, headers={"Origin": srv.origin}) as c:
            answers = await asyncio.gather(
                *(c.post("/api/visitor/return", json={"code": f"probeer {n}"}) for n in range(40))
            )
        return [a.status_code for a in answers]

    statuses = run_async(flood())
    assert 429 in statuses  # a flood is slowed down
    assert set(statuses) <= {400, 429}
