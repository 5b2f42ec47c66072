"""Warm hand-off (issue 17, item 3): a partner professional invited into one conversation, on a
real server, on SQLite and PostgreSQL.

The referral's consent and the directory's partner organisation come from the referrals and the
directory (items 1 and 2); here the server's two lookups are replaced by a table the test fills,
and its clock by one the test moves, so that expiry is tested without waiting.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, select

from baken.domain.conversation import Role
from baken.partners.consent import HandoffConsent, HandoffTarget
from baken.realtime.partner_access import PartnerAccessService
from baken.registration import codebook
from baken.registration.repository import RegistrationRepository
from baken.store import tables
from baken.store.database import Database, engine_for_migrations
from baken.store.migrate import alembic_config
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.authz_world import in_db
from tests.conftest import server_on
from tests.support import (
    Client,
    Server,
    add_organisation,
    add_staff_with_role,
    counselor,
    run_async,
)
from tests.test_counselor_tools import got, pair

STAFF_COOKIE = "__Host-baken_s"


@dataclass
class Handoffs:
    """What the referrals and the directory would answer, as the test sets it."""

    consents: dict[str, HandoffConsent] = field(default_factory=dict)
    partners: dict[str, str] = field(default_factory=dict)  # service id → partner organisation
    now: list[datetime] = field(default_factory=lambda: [datetime.now(UTC)])

    async def consent(self, _db: Database, referral_id: str) -> HandoffConsent | None:
        return self.consents.get(referral_id)

    async def target(
        self, _db: Database, _organisation_id: str, service_id: str
    ) -> HandoffTarget | None:
        organisation = self.partners.get(service_id)
        return None if organisation is None else HandoffTarget(service_id, organisation)


def partner_service(server: Server) -> PartnerAccessService:
    app: Any = server._server.config.app
    found: PartnerAccessService = app.state.baken.chat.partners
    return found


@pytest.fixture
def handoffs(server: Server) -> Iterator[Handoffs]:
    service = partner_service(server)
    table = Handoffs()
    original = (service.consent, service.target, service.clock)
    service.consent, service.target = table.consent, table.target
    service.clock = lambda: table.now[0]
    try:
        yield table
    finally:
        service.consent, service.target, service.clock = original


@dataclass
class Scene:
    conversation_id: str
    visitor: Client
    counselor: Client
    partner: Client
    partner_id: str
    partner_token: str
    partner_organisation_id: str
    referral_id: str
    service_id: str


async def scene(
    server: Server, handoffs: Handoffs, scope: frozenset[str] = frozenset({"first_name"})
) -> Scene:
    """A visitor and counselor who already talked; a partner professional online; a referral
    whose visitor consented to a hand-off with this scope."""
    conversation_id, v, c, _staff_id = await pair(server)
    await v.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "b1", "text": "VOOR"}
    )
    await c.expect_message(conversation_id, "visitor")
    _slug, partner_org = add_organisation(server, "fier", "Fier")
    partner_id, partner_token = add_staff_with_role(
        server, Role.PARTNER, display_name="Sanne (Fier)", organisation_id=partner_org
    )
    referral_id, service_id = secrets.token_hex(16), "svc-" + secrets.token_hex(4)
    handoffs.consents[referral_id] = HandoffConsent(
        referral_id, conversation_id, DEFAULT_ORGANISATION, scope, handoffs.now[0], service_id
    )
    handoffs.partners[service_id] = partner_org
    p = await counselor(server, partner_token)
    assert p.frames[0]["role"] == "partner"
    assert p.frames[0]["conversations"] == []
    await p.expect("partner_invitations")
    return Scene(
        conversation_id, v, c, p, partner_id, partner_token, partner_org, referral_id, service_id
    )


async def invite(s: Scene, minutes: int | None = None) -> str:
    frame: dict[str, Any] = {
        "type": "partner_invite",
        "conversation_id": s.conversation_id,
        "referral_id": s.referral_id,
        "partner_staff_id": s.partner_id,
    }
    if minutes is not None:
        frame["minutes"] = minutes
    await s.counselor.send(frame)
    invited = await s.counselor.expect("partner_invited")
    access_id: str = invited["access"]["id"]
    # The partner's open socket hears of it at once (their "Invitations" list).
    await s.partner.seen(
        lambda f: (
            f.get("type") == "partner_invitations"
            and [i["id"] for i in f["invitations"]] == [access_id]
        )
    )
    return access_id


async def join(s: Scene, access_id: str) -> dict[str, Any]:
    await s.partner.send({"type": "partner_join", "access_id": access_id})
    return await s.partner.expect("partner_joined")


async def run_on_server(server: Server, work: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine on the server's event loop (its thread) and wait for it here."""
    sweeper = partner_service(server)._sweeper
    assert sweeper is not None
    done = asyncio.run_coroutine_threadsafe(work, sweeper.get_loop())
    await asyncio.wrap_future(done)


async def system_line(client: Client, conversation_id: str, event: str) -> dict[str, Any]:
    """The next system line with this event in the conversation (other lines skipped)."""
    while True:
        line = await client.expect_message(conversation_id, "system")
        if line["message"]["event"] == event:
            return line


def access_row(server: Server, access_id: str) -> dict[str, Any]:
    async def read(db: Database) -> dict[str, Any]:
        async with db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(tables.partner_access).where(tables.partner_access.c.id == access_id)
                )
            ).one()
        return dict(row._mapping)

    return in_db(server, read)


def audited(server: Server, access_id: str) -> list[tuple[str, str | None]]:
    async def read(db: Database) -> list[tuple[str, str | None]]:
        log = tables.audit_log.c
        async with db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(log.kind, log.detail).where(log.object_id == access_id).order_by(log.id)
                )
            ).all()
        return [(row.kind, row.detail) for row in rows]

    return in_db(server, read)


def texts(client: Client, conversation_id: str) -> list[str]:
    """Every message text this socket was sent for the conversation, live or caught up."""
    found = []
    for frame in client.frames:
        if frame.get("conversation_id") != conversation_id:
            continue
        if frame.get("type") == "message":
            found.append(frame["message"]["text"])
        elif frame.get("type") == "messages":
            found.extend(m["text"] for m in frame["messages"])
    return found


async def test_a_partner_joins_sees_only_from_then_on_chats_and_leaves(
    server: Server, handoffs: Handoffs
) -> None:
    s = await scene(server, handoffs)
    cid = s.conversation_id
    access_id = await invite(s)
    joined = await join(s, access_id)
    assert joined["conversation"]["shared"] == {"first_name": "bezoeker"}
    assert joined["conversation"]["scope"] == ["first_name"]
    # The catch-up starts at the join: the "joined" line, not the earlier words.
    first = await s.partner.expect("messages", conversation_id=cid)
    assert [m["event"] for m in first["messages"]] == ["partner_joined"]
    assert first["messages"][0]["seq"] == joined["conversation"]["joined_seq"] + 1
    # The visitor sees who joined (translated by the page from the event code).
    line = await s.visitor.expect_message(cid, "system")
    assert line["message"]["event"] == "partner_joined"
    assert line["message"]["name"] == "Sanne (Fier)"

    await s.partner.send(
        {
            "type": "send",
            "conversation_id": cid,
            "client_msg_id": "p1",
            "text": "Hallo, ik ben Sanne",
        }
    )
    await s.partner.expect("ack", client_msg_id="p1")
    from_partner = await s.visitor.expect_message(cid, "partner")
    assert from_partner["message"]["text"] == "Hallo, ik ben Sanne"
    await s.counselor.expect_message(cid, "partner")
    await s.visitor.send(
        {"type": "send", "conversation_id": cid, "client_msg_id": "v2", "text": "Fijn"}
    )
    await s.partner.expect_message(cid, "visitor")
    assert "VOOR" not in texts(s.partner, cid)

    # The earlier transcript stays closed, with the answer of a conversation that is not theirs.
    await s.partner.send({"type": "sync", "conversation_id": cid, "after_seq": 0})
    refused = await s.partner.expect("error", ref="sync")
    assert refused["code"] == "not_a_participant"
    assert "VOOR" not in texts(s.partner, cid)

    await s.partner.send({"type": "partner_leave", "access_id": access_id})
    await s.partner.expect("partner_access_ended", access_id=access_id, reason="left")
    await system_line(s.visitor, cid, "partner_left")
    await s.counselor.expect("partner_access_ended", access_id=access_id, reason="left")
    await s.partner.send(
        {"type": "send", "conversation_id": cid, "client_msg_id": "p2", "text": "nog iets"}
    )
    assert (await s.partner.expect("error", ref="p2"))["code"] == "not_a_participant"

    row = access_row(server, access_id)
    assert row["ended_reason"] == "left" and row["joined_at"] is not None
    kinds = [kind for kind, _detail in audited(server, access_id)]
    assert kinds == ["partner.invite", "partner.join", "partner.end"]
    assert audited(server, access_id)[-1][1] == "reason=left"


async def test_a_partner_sees_nothing_of_the_chat_without_joining(
    server: Server, handoffs: Handoffs
) -> None:
    s = await scene(server, handoffs, scope=frozenset())
    cid = s.conversation_id
    for frame in (
        {"type": "sync", "conversation_id": cid, "after_seq": 0},
        {"type": "send", "conversation_id": cid, "client_msg_id": "x1", "text": "hoi"},
        {"type": "typing", "conversation_id": cid, "active": True},
    ):
        await s.partner.send(frame)
        error = await s.partner.expect("error")
        assert error["code"] == "not_a_participant", frame
    # Counselor frames are not a partner's: unknown here, like any frame that is not allowed.
    for kind in ("accept", "take_next", "notes_get", "observe", "partner_invite"):
        await s.partner.send({"type": kind, "conversation_id": cid})
        assert (await s.partner.expect("error"))["code"] == "unknown_type", kind
    access_id = await invite(s)
    joined = await join(s, access_id)
    assert joined["conversation"]["shared"] == {}  # no scope: not even the nickname
    assert not any(f.get("type") == "conversation" for f in s.partner.frames)


async def test_without_hand_off_consent_nobody_is_invited(
    server: Server, handoffs: Handoffs
) -> None:
    s = await scene(server, handoffs)
    other_conversation, _v2, _c2, _id2 = await pair(server)
    before = len(audited(server, "%"))  # nothing: a placeholder id

    async def refused(frame: dict[str, Any], code: str) -> None:
        await s.counselor.send({"type": "partner_invite", **frame})
        assert (await s.counselor.expect("error", ref="partner_invite"))["code"] == code

    base = {
        "conversation_id": s.conversation_id,
        "referral_id": s.referral_id,
        "partner_staff_id": s.partner_id,
    }
    # The consent withdrawn (the lookup answers None), or unknown.
    withdrawn = handoffs.consents.pop(s.referral_id)
    await refused(base, "no_handoff_consent")
    await refused({**base, "referral_id": secrets.token_hex(16)}, "no_handoff_consent")
    handoffs.consents[s.referral_id] = withdrawn
    # Another chat's referral, or a chat that is not this counselor's.
    await refused({**base, "conversation_id": other_conversation}, "not_a_participant")
    # A counselor of the helpline, or a partner of another organisation, is not invitable.
    colleague, _t = server.add_staff()
    await refused({**base, "partner_staff_id": colleague}, "invalid_target")
    _slug, elsewhere = add_organisation(server, "ander", "Ander")
    stranger, _t2 = add_staff_with_role(server, Role.PARTNER, organisation_id=elsewhere)
    await refused({**base, "partner_staff_id": stranger}, "invalid_target")
    # A service that takes no hand-offs through Baken.
    del handoffs.partners[s.service_id]
    await refused(base, "no_handoff_partner")

    async def count(db: Database) -> int:
        async with db.reader.connect() as conn:
            rows = await conn.execute(
                select(tables.partner_access.c.id).where(
                    tables.partner_access.c.conversation_id == s.conversation_id
                )
            )
            return len(rows.all())

    assert in_db(server, count) == 0
    assert len(audited(server, "%")) == before


async def test_access_runs_out_on_the_clock(server: Server, handoffs: Handoffs) -> None:
    s = await scene(server, handoffs)
    cid = s.conversation_id
    access_id = await invite(s, minutes=5)
    await join(s, access_id)
    handoffs.now[0] += timedelta(minutes=4, seconds=59)
    await s.partner.send(
        {"type": "send", "conversation_id": cid, "client_msg_id": "t1", "text": "a"}
    )
    await s.partner.expect("ack", client_msg_id="t1")
    handoffs.now[0] += timedelta(seconds=1)
    await s.partner.send(
        {"type": "send", "conversation_id": cid, "client_msg_id": "t2", "text": "b"}
    )
    assert (await s.partner.expect("error", ref="t2"))["code"] == "not_a_participant"
    await got(s.partner, "partner_access_ended", access_id=access_id, reason="expired")
    await got(s.counselor, "partner_access_ended", access_id=access_id, reason="expired")
    assert access_row(server, access_id)["ended_reason"] == "expired"
    # Joining again after the time is refused like an invitation that does not exist.
    await s.partner.send({"type": "partner_join", "access_id": access_id})
    assert (await s.partner.expect("error", ref="partner_join"))["code"] == "not_a_participant"


async def test_the_sweep_ends_an_access_nobody_touches(server: Server, handoffs: Handoffs) -> None:
    s = await scene(server, handoffs)
    access_id = await invite(s, minutes=1)
    await join(s, access_id)
    handoffs.now[0] += timedelta(minutes=2)
    await s.partner.send({"type": "partner_invitations"})
    listed = await s.partner.expect("partner_invitations")
    assert listed["invitations"] == []  # run out: no longer listed
    # The sweep runs every BAKEN_PARTNER_SWEEP_SECONDS; run one now on the server's own loop.
    await run_on_server(server, partner_service(server).sweep())
    await got(s.partner, "partner_access_ended", access_id=access_id, reason="expired")
    await system_line(s.visitor, s.conversation_id, "partner_left")
    assert access_row(server, access_id)["ended_reason"] == "expired"


async def test_the_visitor_says_no(server: Server, handoffs: Handoffs) -> None:
    s = await scene(server, handoffs)
    access_id = await invite(s)
    await join(s, access_id)
    await s.visitor.send({"type": "partner_refuse", "conversation_id": s.conversation_id})
    await s.visitor.expect("partner_refused", conversation_id=s.conversation_id)
    await got(s.partner, "partner_access_ended", access_id=access_id, reason="visitor_refused")
    await got(s.counselor, "partner_access_ended", access_id=access_id, reason="visitor_refused")
    assert access_row(server, access_id)["ended_reason"] == "visitor_refused"
    # Another visitor cannot end this chat's partner access.
    _other, other_token = server.start_visitor()
    from tests.support import visitor as visitor_socket

    other = await visitor_socket(server, other_token)
    await other.send({"type": "partner_refuse", "conversation_id": s.conversation_id})
    assert (await other.expect("error", ref="partner_refuse"))["code"] == "not_a_participant"


async def test_the_counselor_ends_access_and_the_chat_end_ends_it(
    server: Server, handoffs: Handoffs
) -> None:
    s = await scene(server, handoffs)
    first = await invite(s)
    await join(s, first)
    await s.counselor.send(
        {"type": "partner_end", "conversation_id": s.conversation_id, "access_id": first}
    )
    await got(s.partner, "partner_access_ended", access_id=first, reason="counselor_ended")
    second = await invite(s)
    await join(s, second)
    await s.counselor.send({"type": "end", "conversation_id": s.conversation_id})
    await got(s.partner, "partner_access_ended", access_id=second, reason="conversation_ended")
    await s.partner.send({"type": "partner_join", "access_id": second})
    assert (await s.partner.expect("error", ref="partner_join"))["code"] == "not_a_participant"
    assert access_row(server, second)["ended_reason"] == "conversation_ended"


async def test_the_partner_leaves_an_appointment_in_the_mailbox(
    server: Server, handoffs: Handoffs
) -> None:
    s = await scene(server, handoffs)
    await s.visitor.send({"type": "request_code", "conversation_id": s.conversation_id})
    code = (await s.visitor.expect("return_code"))["code"]
    access_id = await invite(s)
    # Not before joining.
    await s.partner.send(
        {"type": "partner_mailbox_send", "access_id": access_id, "text": "Afspraak"}
    )
    assert (await s.partner.expect("error"))["code"] == "not_a_participant"
    await join(s, access_id)
    await s.partner.send(
        {
            "type": "partner_mailbox_send",
            "access_id": access_id,
            "text": "Afspraak dinsdag 10:00 bij Fier, bel 088-1234567 als het niet lukt.",
        }
    )
    await s.partner.expect("partner_mailbox_sent", access_id=access_id)
    assert [k for k, _d in audited(server, access_id)][-1] == "partner.mailbox"

    # Sealed at rest: the words are not in the table.
    async def bodies(db: Database) -> list[bytes]:
        async with db.reader.connect() as conn:
            rows = await conn.execute(select(tables.mailbox_messages))
            return [bytes(v) for row in rows for v in row if isinstance(v, bytes | bytearray)]

    assert not any(b"Afspraak" in body for body in in_db(server, bodies))
    # The visitor reads it when they come back with their code.
    body: dict[str, Any] = {"code": code, "lang": "nl"}
    response = httpx.post(
        f"{server.base}/api/visitor/return", json=body, headers={"Origin": server.origin}
    )
    assert response.status_code == 200, response.text
    texts_back = [m["text"] for m in response.json()["mailbox"]]
    assert any("Afspraak dinsdag" in t for t in texts_back)


def test_a_partner_account_reaches_no_staff_page(server: Server) -> None:
    _slug, partner_org = add_organisation(server, "fier", "Fier")
    _id, token = add_staff_with_role(server, Role.PARTNER, organisation_id=partner_org)
    cookie = {"Cookie": f"{STAFF_COOKIE}={token}"}
    for path in ("/staff", "/staff/audit", "/staff/accounts", "/research", "/staff/left-messages"):
        response = httpx.get(f"{server.base}{path}", headers=cookie)
        assert response.status_code == 404, path
    assert httpx.get(f"{server.base}/staff/partner", headers=cookie).status_code == 200
    login = httpx.get(f"{server.base}/staff/login", headers=cookie)
    assert login.status_code == 303 and login.headers["location"] == "/staff/partner"


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_migration_goes_down_and_up_again(kind: str, tmp_path: Path) -> None:
    """0023 adds organisations.kind (existing ones stay helplines) and partner_access; taken back
    to 0022 both are gone, and up again they are back, empty."""
    from alembic import command

    with server_on(kind, tmp_path) as srv:
        config = alembic_config(srv.settings)

        def columns() -> tuple[set[str], set[str]]:
            async def read() -> tuple[set[str], set[str]]:
                engine = engine_for_migrations(srv.settings)
                try:
                    async with engine.connect() as conn:

                        def look(c: Any) -> tuple[set[str], set[str]]:
                            found = inspect(c)
                            kinds = {col["name"] for col in found.get_columns("organisations")}
                            return set(found.get_table_names()), kinds

                        return await conn.run_sync(look)
                finally:
                    await engine.dispose()

            found: tuple[set[str], set[str]] = run_async(read())
            return found

        tables_now, organisation_columns = columns()
        assert "partner_access" in tables_now and "kind" in organisation_columns
        srv.stop()
        command.downgrade(config, "0022")
        tables_now, organisation_columns = columns()
        assert "partner_access" not in tables_now and "kind" not in organisation_columns
        command.upgrade(config, "0023")
        tables_now, organisation_columns = columns()
        assert "partner_access" in tables_now and "kind" in organisation_columns


def test_a_partner_organisation_has_no_visitor_entry(server: Server) -> None:
    async def add(db: Database) -> tuple[str, str]:
        repo = OrganisationRepository(db)
        partner = await repo.add("fier-" + secrets.token_hex(3), "Fier", kind="partner")
        helpline = await repo.add("hulp-" + secrets.token_hex(3), "Hulp")
        assert partner.kind == "partner" and helpline.kind == "helpline"
        return partner.slug, helpline.slug

    partner_slug, helpline_slug = in_db(server, add)
    # Both reach the server's entry in the same snapshot: once the helpline answers, the partner
    # organisation is known too, and still answers like an unknown one.
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.base}/o/{helpline_slug}/").status_code != 200:
        assert time.monotonic() < deadline, "the new helpline never answered"
    assert httpx.get(f"{server.base}/o/{partner_slug}/").status_code == 404


async def test_the_partner_sees_only_what_the_scope_allows(
    server: Server, handoffs: Handoffs
) -> None:
    s = await scene(server, handoffs, scope=frozenset({"age_band", "exploitation_type"}))
    types = codebook.mask("exploitation_types", "sexual", "labour")

    async def register(db: Database) -> None:
        values = {"age": 15, "exploitation_types": types}
        await RegistrationRepository(db).save(s.conversation_id, 0, values, None)

    in_db(server, register)
    joined = await join(s, await invite(s))
    # The age as a band, the types as codes; not the nickname, which the scope leaves out.
    assert joined["conversation"]["shared"] == {
        "age_band": "under_16",
        "exploitation_type": ["sexual", "labour"],
    }


def test_the_directory_names_the_partner_organisation_by_id_or_slug(server: Server) -> None:
    from baken.audit.kinds import SYSTEM
    from baken.directory import synthetic
    from baken.directory.hsds_file import dump, parse
    from baken.directory.model import TAXONOMY_ORGANISATION, TAXONOMY_WARM_HANDOFF
    from baken.directory.repository import DirectoryRepository
    from baken.partners.consent import handoff_target

    def attribute(sid: str, taxonomy: str, code: str, value: str) -> dict[str, Any]:
        term = {"id": f"{taxonomy}:{code}", "code": code, "name": code, "description": code}
        return {
            "id": f"{sid}-{code}",
            "value": value,
            "taxonomy_term": {**term, "taxonomy": taxonomy},
        }

    async def run(db: Database) -> list[str | None]:
        orgs = OrganisationRepository(db)
        partner = await orgs.add("fier-" + secrets.token_hex(3), "Fier", kind="partner")
        helpline = await orgs.add("hulp-" + secrets.token_hex(3), "Hulp")
        named = [partner.id, partner.slug, helpline.id, "org_nowhere"]
        items = synthetic.services(len(named) + 1, seed=9, prefix="t" + secrets.token_hex(3))
        for item, value in zip(items, [*named, None], strict=True):
            sid = str(item["id"])
            kept = [
                a
                for a in item["attributes"]
                if a["taxonomy_term"]["taxonomy"]
                not in (TAXONOMY_WARM_HANDOFF, TAXONOMY_ORGANISATION)
            ]
            kept.append(attribute(sid, TAXONOMY_WARM_HANDOFF, "warm_handoff", "true"))
            if value is not None:
                kept.append(attribute(sid, TAXONOMY_ORGANISATION, "organisation", value))
            item["attributes"] = kept
        parsed = parse(dump(items))
        await DirectoryRepository(db).import_items(DEFAULT_ORGANISATION, parsed, SYSTEM)
        found = []
        for entry in parsed:
            target = await handoff_target(db, DEFAULT_ORGANISATION, entry.service.id)
            found.append(None if target is None else target.partner_organisation_id)
        # Another organisation's directory does not have the service at all.
        assert await handoff_target(db, "org_other", parsed[0].service.id) is None
        return [partner.id, *found]

    partner_id, *targets = in_db(server, run)
    # By id and by slug: the partner organisation; a helpline, an unknown one, none: no hand-off.
    assert targets == [partner_id, partner_id, None, None, None]
