"""Referrals with recorded consent (issue 17, items 2 and 5; docs/referrals.md), on a real
server, on SQLite and PostgreSQL: the counselor proposes, the visitor gets the card in their
language and answers (contact details, a warm hand-off with a scope, or no), the console sees the
consent; refusals for a foreign or ended chat, a second answer and an answer after withdrawal;
withdrawal with the return code (a wrong code like an unknown referral) announced on the broker;
the outcome page and its follow-up list.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from baken.audit.kinds import SYSTEM
from baken.directory import synthetic
from baken.directory.hsds_file import dump, parse
from baken.directory.repository import DirectoryRepository
from baken.domain.conversation import Role
from baken.realtime.broker import Event
from baken.realtime.chat_service import ChatService
from baken.referrals.model import (
    HANDOFF,
    ReferralRefused,
    checked_answer,
    may_answer,
    may_withdraw,
)
from baken.referrals.repository import handoff_consent
from baken.referrals.service_lookup import ServiceInfo
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.tables import referrals
from tests.authz_world import in_db
from tests.support import (
    Client,
    Server,
    add_organisation,
    add_staff_with_role,
    counselor,
    run_async,
    visitor,
)

SUMMARY = "Werkt in een kas, paspoort ingehouden, wil praten met iemand over opvang."

SHELTER = ServiceInfo(
    id="svc-shelter-1",
    name="Opvang Noord",
    organization_name="Stichting Veilig Thuis Noord",
    description="Veilige opvang voor slachtoffers van uitbuiting.",
    service_type="shelter",
    phones=("0800-1234",),
    email="opvang@example.org",
    url=None,
    opening_hours_text="Dag en nacht",
    accepts_warm_handoff=True,
)


async def _fake_directory(
    _db: Database, _organisation_id: str, service_id: str
) -> ServiceInfo | None:
    return SHELTER if service_id == SHELTER.id else None


def _chat(server: Server) -> ChatService:
    app: Any = server._server.config.app
    chat: ChatService = app.state.baken.chat
    return chat


@pytest.fixture
def events(server: Server) -> Iterator[list[Event]]:
    """The server's directory replaced by one known service; the broker's referral events."""
    chat = _chat(server)
    original = chat.referrals.lookup
    chat.referrals.lookup = _fake_directory
    seen: list[Event] = []
    chat.broker.subscribe(
        lambda e: seen.append(e) if str(e.get("kind", "")).startswith("referral") else None
    )
    try:
        yield seen
    finally:
        chat.referrals.lookup = original


def staff(server: Server, role: Role = Role.COUNSELOR) -> tuple[str, str]:
    return add_staff_with_role(
        server, role, f"{role.value[:3]}-" + secrets.token_hex(4), "Sam " + secrets.token_hex(2)
    )


async def take(server: Server, client: Client) -> tuple[str, str]:
    conversation_id, token = server.start_visitor()
    await client.send({"type": "accept", "conversation_id": conversation_id})
    await client.expect("accepted", conversation_id=conversation_id)
    return conversation_id, token


async def propose(client: Client, conversation_id: str, summary: str | None = SUMMARY) -> str:
    frame: dict[str, Any] = {
        "type": "referral_propose",
        "conversation_id": conversation_id,
        "service_id": SHELTER.id,
    }
    if summary is not None:
        frame["summary"] = summary
    await client.send(frame)
    proposed = await client.expect("referral_proposed", conversation_id=conversation_id)
    referral_id: str = proposed["referral"]["id"]
    assert proposed["referral"]["status"] == "proposed"
    return referral_id


async def error_for(client: Client, frame: dict[str, Any]) -> dict[str, Any]:
    await client.send(frame)
    return await client.expect("error", ref=frame["type"])


# --- the rules, without a server ------------------------------------------------------------------


def test_answers_and_scopes() -> None:
    assert checked_answer("handoff", ["age_band", "summary"]) == {"age_band", "summary"}
    assert checked_answer("handoff", []) == frozenset()
    assert checked_answer("contact", []) == frozenset()
    with pytest.raises(ReferralRefused):
        checked_answer("contact", ["age_band"])  # only a hand-off shares anything
    with pytest.raises(ReferralRefused):
        checked_answer("handoff", ["address"])
    with pytest.raises(ReferralRefused):
        checked_answer("maybe", [])
    assert may_answer("proposed") and not may_answer("contact") and not may_answer("withdrawn")
    assert may_withdraw("handoff") and not may_withdraw("declined")


# --- on a real server ----------------------------------------------------------------------------


def test_propose_card_answer_and_console(server: Server, events: list[Event]) -> None:
    _staff_id, token = staff(server)

    async def run() -> dict[str, str]:
        client = await counselor(server, token)
        made: dict[str, str] = {}
        try:
            # 1. Contact details only.
            conversation_id, visitor_token = await take(server, client)
            guest = await visitor(server, visitor_token)
            try:
                referral_id = await propose(client, conversation_id, summary=None)
                card = await guest.expect("referral_card", referral_id=referral_id)
                assert card["service"]["name"] == "Opvang Noord"
                assert card["service"]["phones"] == ["0800-1234"]
                assert card["lang"] == "nl" and card["status"] == "proposed"
                assert card["texts"]["contact"] == "Alleen de contactgegevens voor mij"
                assert "112" in card["texts"]["danger"]
                assert card["summary"] is None and card["handoff_possible"] is True
                await guest.send(
                    {
                        "type": "referral_answer",
                        "conversation_id": conversation_id,
                        "referral_id": referral_id,
                        "answer": "contact",
                    }
                )
                answered = await guest.expect("referral_answered", referral_id=referral_id)
                assert (answered["status"], answered["consent_level"]) == ("contact", "contact")
                update_frame = await client.seen(
                    lambda f: (
                        f.get("type") == "referral_update"
                        and f["referral"]["id"] == referral_id
                        and f["referral"]["status"] == "contact"
                    )
                )
                assert update_frame["referral"]["consent_scope"] == []
                # Answering twice: refused, nothing changes.
                again = await error_for(
                    guest,
                    {
                        "type": "referral_answer",
                        "conversation_id": conversation_id,
                        "referral_id": referral_id,
                        "answer": "handoff",
                        "scope": ["summary"],
                    },
                )
                assert again["code"] == "referral_closed"
                made["contact"] = referral_id
            finally:
                await guest.close()

            # 2. A warm hand-off with a chosen scope; 3. a decline, in the same chat.
            conversation_id, visitor_token = await take(server, client)
            guest = await visitor(server, visitor_token)
            try:
                handoff_id = await propose(client, conversation_id)
                card = await guest.expect("referral_card", referral_id=handoff_id)
                assert card["summary"] == SUMMARY
                assert "Stichting Veilig Thuis Noord" in card["texts"]["handoff_explain"]
                await guest.send(
                    {
                        "type": "referral_answer",
                        "conversation_id": conversation_id,
                        "referral_id": handoff_id,
                        "answer": "handoff",
                        "scope": ["age_band", "summary"],
                    }
                )
                answered = await guest.expect("referral_answered", referral_id=handoff_id)
                assert answered["consent_scope"] == ["age_band", "summary"]
                declined_id = await propose(client, conversation_id, summary=None)
                await guest.expect("referral_card", referral_id=declined_id)
                await guest.send(
                    {
                        "type": "referral_answer",
                        "conversation_id": conversation_id,
                        "referral_id": declined_id,
                        "answer": "declined",
                    }
                )
                answered = await guest.expect("referral_answered", referral_id=declined_id)
                assert (answered["status"], answered["consent_level"]) == ("declined", None)
                # The console's side panel: both, with their consent.
                await client.send({"type": "referrals_get", "conversation_id": conversation_id})
                listed = await client.expect("referrals", conversation_id=conversation_id)
                by_id = {r["id"]: r for r in listed["referrals"]}
                assert by_id[handoff_id]["consent_level"] == "handoff"
                assert by_id[handoff_id]["consent_scope"] == ["age_band", "summary"]
                assert by_id[handoff_id]["summary"] == SUMMARY
                assert by_id[declined_id]["status"] == "declined"
                made["handoff"], made["conversation"] = handoff_id, conversation_id
            finally:
                await guest.close()
        finally:
            await client.close()
        return made

    made = run_async(run())

    # The consent is stored, sealed: the summary is not readable in the row.
    async def read(db: Database) -> Any:
        async with db.reader.connect() as conn:
            return (
                await conn.execute(select(referrals).where(referrals.c.id == made["handoff"]))
            ).one()

    row = in_db(server, read)
    assert row.consent_level == "handoff" and row.service_type == "shelter"
    assert SUMMARY.encode() not in row.consent_text and b"Opvang" not in row.consent_text
    consent = in_db(server, lambda db: handoff_consent(db, made["handoff"]))
    assert consent is not None and consent.scope == {"age_band", "summary"}
    assert consent.conversation_id == made["conversation"]
    assert in_db(server, lambda db: handoff_consent(db, made["contact"])) is None
    assert all(e["kind"] == "referral_changed" for e in events)


def test_refusals_for_foreign_ended_and_unknown(server: Server, events: list[Event]) -> None:
    _a, token = staff(server)
    _b, colleague_token = staff(server)

    async def run() -> str:
        client = await counselor(server, token)
        colleague = await counselor(server, colleague_token)
        try:
            conversation_id, visitor_token = await take(server, client)
            frame = {
                "type": "referral_propose",
                "conversation_id": conversation_id,
                "service_id": SHELTER.id,
            }
            foreign = await error_for(colleague, frame)
            missing = await error_for(colleague, {**frame, "conversation_id": "c_nothing_here"})
            assert foreign["code"] == missing["code"] == "not_a_participant"
            assert foreign["message"] == missing["message"]
            unknown = await error_for(client, {**frame, "service_id": "svc-nope"})
            assert unknown["code"] == "unknown_service"
            too_long = await error_for(client, {**frame, "summary": "x" * 2001})
            assert too_long["code"] == "summary_too_long"
            # A colleague cannot read the chat's referrals either.
            listed = await error_for(
                colleague, {"type": "referrals_get", "conversation_id": conversation_id}
            )
            assert listed["code"] == "not_a_participant"
            # Another visitor cannot answer this chat's referral.
            referral_id = await propose(client, conversation_id)
            _other_conversation, other_token = server.start_visitor()
            other = await visitor(server, other_token)
            try:
                wrong = await error_for(
                    other,
                    {
                        "type": "referral_answer",
                        "conversation_id": conversation_id,
                        "referral_id": referral_id,
                        "answer": "handoff",
                    },
                )
                assert wrong["code"] == "not_a_participant"
            finally:
                await other.close()
            # A scope with a decline: refused whole.
            guest = await visitor(server, visitor_token)
            try:
                bad = await error_for(
                    guest,
                    {
                        "type": "referral_answer",
                        "conversation_id": conversation_id,
                        "referral_id": referral_id,
                        "answer": "declined",
                        "scope": ["summary"],
                    },
                )
                assert bad["code"] == "invalid_scope"
            finally:
                await guest.close()
            # Ended: the same refusal as a missing chat.
            await client.send({"type": "end", "conversation_id": conversation_id})
            await client.expect("ended", conversation_id=conversation_id)
            ended = await error_for(client, frame)
            assert ended["code"] == "not_a_participant"
        finally:
            await client.close()
            await colleague.close()
        return conversation_id

    conversation_id = run_async(run())
    stored = [r for r in in_db(server, _all_referrals) if r.conversation_id == conversation_id]
    assert [r.status for r in stored] == ["proposed"], "the refused attempts wrote nothing"


async def _all_referrals(db: Database) -> list[Any]:
    async with db.reader.connect() as conn:
        return list((await conn.execute(select(referrals))).all())


def _json(server: Server, path: str, body: dict[str, Any]) -> httpx.Response:
    if server.settings.proof_of_work:
        body = {**body, "pow": server.proof_of_work()}
    return httpx.post(f"{server.base}{path}", json=body, headers={"Origin": server.origin})


def test_withdraw_with_the_return_code(server: Server, events: list[Event]) -> None:
    _staff_id, token = staff(server)

    async def run() -> tuple[str, str, str]:
        client = await counselor(server, token)
        try:
            conversation_id, visitor_token = await take(server, client)
            guest = await visitor(server, visitor_token)
            try:
                referral_id = await propose(client, conversation_id)
                await guest.expect("referral_card", referral_id=referral_id)
                await guest.send(
                    {
                        "type": "referral_answer",
                        "conversation_id": conversation_id,
                        "referral_id": referral_id,
                        "answer": "handoff",
                        "scope": ["first_name"],
                    }
                )
                await guest.expect("referral_answered", referral_id=referral_id)
                await guest.send({"type": "request_code", "conversation_id": conversation_id})
                code: str = (await guest.expect("return_code", timeout=20))["code"]
                # The counselor keeps a proposal open until the visitor has gone.
                pending = await propose(client, conversation_id, summary=None)
                await guest.expect("referral_card", referral_id=pending)
            finally:
                await guest.close()
            return code, referral_id, conversation_id
        finally:
            await client.close()

    code, referral_id, conversation_id = run_async(run())
    listed = _json(server, "/api/visitor/referrals", {"code": code})
    assert listed.status_code == 200, listed.text
    shown = {r["id"]: r for r in listed.json()["referrals"]}
    assert shown[referral_id]["consent_level"] == "handoff"
    assert shown[referral_id]["service"] == "Opvang Noord"

    wrong = _json(
        server,
        "/api/visitor/referrals/withdraw",
        {"code": "appel banaan citroen druif", "referral_id": referral_id},
    )
    unknown = _json(
        server, "/api/visitor/referrals/withdraw", {"code": code, "referral_id": "0" * 32}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert in_db(server, lambda db: handoff_consent(db, referral_id)) is not None

    done = _json(
        server, "/api/visitor/referrals/withdraw", {"code": code, "referral_id": referral_id}
    )
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    assert in_db(server, lambda db: handoff_consent(db, referral_id)) is None
    withdrawn = [e for e in events if e["kind"] == "referral_withdrawn"]
    assert withdrawn and withdrawn[-1]["referral_id"] == referral_id
    assert withdrawn[-1]["conversation_id"] == conversation_id
    assert withdrawn[-1]["wire"]["organisation_id"] == "org_default"
    again = _json(
        server, "/api/visitor/referrals/withdraw", {"code": code, "referral_id": referral_id}
    )
    assert again.status_code == 404

    # An answer after the withdrawal is refused (the visitor comes back with the code).
    async def answer_late() -> None:
        back = _json(server, "/api/visitor/return", {"code": code, "lang": "nl"})
        assert back.status_code == 200, back.text
        new_token = back.headers["set-cookie"].split("=", 1)[1].split(";", 1)[0]
        guest = await visitor(server, new_token)
        try:
            refused = await error_for(
                guest,
                {
                    "type": "referral_answer",
                    "conversation_id": conversation_id,
                    "referral_id": referral_id,
                    "answer": "contact",
                },
            )
            # Not their socket's chat any more: refused before the referral is even looked at.
            assert refused["code"] == "not_a_participant"
        finally:
            await guest.close()

    run_async(answer_late())


def test_answer_after_withdrawal_is_refused(server: Server, events: list[Event]) -> None:
    _staff_id, token = staff(server)

    async def run() -> None:
        client = await counselor(server, token)
        try:
            conversation_id, visitor_token = await take(server, client)
            guest = await visitor(server, visitor_token)
            try:
                referral_id = await propose(client, conversation_id)
                await guest.expect("referral_card", referral_id=referral_id)
                await guest.send({"type": "request_code", "conversation_id": conversation_id})
                code: str = (await guest.expect("return_code", timeout=20))["code"]
                withdrawn = _json(
                    server,
                    "/api/visitor/referrals/withdraw",
                    {"code": code, "referral_id": referral_id},
                )
                assert withdrawn.status_code == 200, withdrawn.text
                state = await guest.expect("referral_state", referral_id=referral_id)
                assert state["status"] == "withdrawn"
                late = await error_for(
                    guest,
                    {
                        "type": "referral_answer",
                        "conversation_id": conversation_id,
                        "referral_id": referral_id,
                        "answer": "handoff",
                    },
                )
                assert late["code"] == "referral_closed"
                await client.seen(
                    lambda f: (
                        f.get("type") == "referral_update"
                        and f["referral"]["status"] == "withdrawn"
                    )
                )
            finally:
                await guest.close()
        finally:
            await client.close()

    run_async(run())


def test_outcome_page_and_follow_up(server: Server, events: list[Event]) -> None:
    staff_id, token = staff(server)
    _colleague_id, colleague_token = staff(server)
    _sup_id, supervisor_token = staff(server, Role.SUPERVISOR)

    async def run() -> str:
        client = await counselor(server, token)
        try:
            conversation_id, _visitor_token = await take(server, client)
            return await propose(client, conversation_id, summary=None)
        finally:
            await client.close()

    referral_id = run_async(run())

    def page(session: str) -> httpx.Response:
        return httpx.get(
            f"{server.base}/staff/referrals", cookies={"__Host-baken_s": session}, timeout=20
        )

    def outcome(session: str, value: str) -> httpx.Response:
        return httpx.post(
            f"{server.base}/staff/referrals/{referral_id}/outcome",
            data={"outcome": value},
            headers={"Origin": server.origin, "Cookie": f"__Host-baken_s={session}"},
            follow_redirects=False,
            timeout=20,
        )

    own = page(token)
    assert own.status_code == 200 and referral_id in own.text
    assert 'id="referrals-due-none"' in own.text  # proposed just now: not due yet
    assert referral_id not in page(colleague_token).text
    assert referral_id in page(supervisor_token).text

    # Older than the follow-up period and without outcome: on the reminder list.
    async def age(db: Database) -> None:
        async with db.writer.begin() as conn:
            await conn.execute(
                update(referrals)
                .where(referrals.c.id == referral_id)
                .values(proposed_at=utcnow() - timedelta(days=15))
            )

    in_db(server, age)
    due = page(token).text
    assert 'id="referrals-due"' in due and due.index(referral_id) < due.index("referrals-all")
    # A colleague's referral: the same 404 as one that does not exist.
    assert outcome(colleague_token, "arrived").status_code == 404
    bad = httpx.post(
        f"{server.base}/staff/referrals/{'f' * 32}/outcome",
        data={"outcome": "arrived"},
        headers={"Origin": server.origin, "Cookie": f"__Host-baken_s={token}"},
        follow_redirects=False,
    )
    assert bad.status_code == 404
    assert outcome(token, "teleported").status_code == 400
    saved = outcome(token, "appointment")
    assert saved.status_code == 303
    stored = next(r for r in in_db(server, _all_referrals) if r.id == referral_id)
    assert (stored.outcome, stored.outcome_by) == ("appointment", staff_id)
    assert 'id="referrals-due-none"' in page(token).text
    assert HANDOFF == "handoff"


def test_the_card_without_javascript(server: Server, events: list[Event]) -> None:
    _staff_id, token = staff(server)

    async def run() -> tuple[str, str, str]:
        client = await counselor(server, token)
        try:
            conversation_id, visitor_token = await take(server, client)
            referral_id = await propose(client, conversation_id)
            return conversation_id, visitor_token, referral_id
        finally:
            await client.close()

    conversation_id, visitor_token, referral_id = run_async(run())
    cookie = {"Cookie": f"__Host-baken_v={visitor_token}"}
    page = httpx.get(f"{server.base}/chat?lang=nl", headers=cookie, timeout=20)
    assert page.status_code == 200
    assert f'id="referral-{referral_id}"' in page.text
    assert "Opvang Noord" in page.text and "0800-1234" in page.text
    assert "Alleen de contactgegevens voor mij" in page.text
    assert 'name="scope_age_band"' in page.text and 'name="scope_summary"' in page.text

    def answer(**fields: str) -> httpx.Response:
        return httpx.post(
            f"{server.base}/chat/referral",
            data={"lang": "nl", "referral_id": referral_id, **fields},
            headers={**cookie, "Origin": server.origin},
            timeout=20,
        )

    saved = answer(answer="handoff", scope_age_band="1", scope_summary="1")
    assert saved.status_code == 200, saved.text
    assert "Dank je. Je keuze is opgeslagen." in saved.text
    assert f'id="referral-{referral_id}"' not in saved.text
    consent = in_db(server, lambda db: handoff_consent(db, referral_id))
    assert consent is not None and consent.scope == {"age_band", "summary"}
    again = answer(answer="declined")
    assert again.status_code == 409
    assert "Op dit voorstel kun je niet meer antwoorden." in again.text
    cross = httpx.post(
        f"{server.base}/chat/referral",
        data={"lang": "nl", "referral_id": referral_id, "answer": "declined"},
        headers={**cookie, "Origin": "http://evil.example"},
        timeout=20,
    )
    assert cross.status_code == 403
    assert conversation_id


def _import(server: Server, organisation_id: str, items: list[dict[str, Any]]) -> None:
    parsed = parse(dump(items))

    async def work(db: Database) -> None:
        await DirectoryRepository(db).import_items(organisation_id, parsed, SYSTEM)

    in_db(server, work)


def test_with_the_real_directory(server: Server) -> None:
    """No fake: the service comes from the organisation's own partner directory, and another
    organisation's service is unknown here."""
    own = synthetic.services(1, seed=5, prefix="ref" + secrets.token_hex(3))
    _other_id, other_org = add_organisation(server, "refo", "Andere lijn")
    foreign = synthetic.services(1, seed=6, prefix="far" + secrets.token_hex(3))
    _import(server, "org_default", own)
    _import(server, other_org, foreign)
    _staff_id, token = staff(server)

    async def run() -> None:
        client = await counselor(server, token)
        try:
            conversation_id, visitor_token = await take(server, client)
            guest = await visitor(server, visitor_token)
            try:
                await client.send(
                    {
                        "type": "referral_propose",
                        "conversation_id": conversation_id,
                        "service_id": own[0]["id"],
                    }
                )
                proposed = await client.expect("referral_proposed")
                card = await guest.expect("referral_card")
                assert card["service"]["name"] == own[0]["name"]
                assert proposed["referral"]["service_type"]
                unknown = await error_for(
                    client,
                    {
                        "type": "referral_propose",
                        "conversation_id": conversation_id,
                        "service_id": foreign[0]["id"],
                    },
                )
                assert unknown["code"] == "unknown_service"
            finally:
                await guest.close()
        finally:
            await client.close()

    run_async(run())


def test_my_referrals_page_with_the_code(server: Server, events: list[Event]) -> None:
    """The "My referrals" page from the start page's code box: the list, a withdrawal, and a
    wrong code answered like an unknown referral."""
    _staff_id, token = staff(server)

    async def run() -> tuple[str, str]:
        client = await counselor(server, token)
        try:
            conversation_id, visitor_token = await take(server, client)
            guest = await visitor(server, visitor_token)
            try:
                referral_id = await propose(client, conversation_id)
                await guest.expect("referral_card", referral_id=referral_id)
                await guest.send(
                    {
                        "type": "referral_answer",
                        "conversation_id": conversation_id,
                        "referral_id": referral_id,
                        "answer": "contact",
                    }
                )
                await guest.expect("referral_answered", referral_id=referral_id)
                await guest.send({"type": "request_code", "conversation_id": conversation_id})
                code: str = (await guest.expect("return_code", timeout=20))["code"]
            finally:
                await guest.close()
            return code, referral_id
        finally:
            await client.close()

    code, referral_id = run_async(run())

    def post(path: str, **form: str) -> httpx.Response:
        return httpx.post(
            f"{server.base}{path}",
            data={"lang": "nl", **form},
            headers={"Origin": server.origin},
            timeout=20,
        )

    listed = post("/return/referrals", code=code)
    assert listed.status_code == 200, listed.text
    assert f'data-referral="{referral_id}"' in listed.text and "Opvang Noord" in listed.text
    assert "Alleen de contactgegevens voor jou" in listed.text
    assert listed.headers["cache-control"].startswith("no-store")
    wrong = post(
        "/return/referrals/withdraw", code="appel banaan citroen druif", referral_id=referral_id
    )
    unknown = post("/return/referrals/withdraw", code=code, referral_id="0" * 32)
    assert wrong.status_code == unknown.status_code == 404
    assert (
        "Dit kon niet worden ingetrokken." in wrong.text
        and "Dit kon niet worden ingetrokken." in unknown.text
    )
    done = post("/return/referrals/withdraw", code=code, referral_id=referral_id)
    assert done.status_code == 200, done.text
    assert "Ingetrokken. Vanaf nu wordt er niets meer gedeeld." in done.text
    assert any(
        e["kind"] == "referral_withdrawn" and e["referral_id"] == referral_id for e in events
    )
    again = post("/return/referrals/withdraw", code=code, referral_id=referral_id)
    assert again.status_code == 404
