"""Per-counselor figures for supervisors (issue 15, item 7; docs/wellbeing.md, "Per counselor"),
on SQLite and PostgreSQL: a hand-computed day of two counselors, of whom one chose to share her
wellbeing figures. The operational figures are exact for both, the wellbeing figures of the one
who did not share appear nowhere (page and CSV), rows are alphabetical, sharing and stopping take
effect at once and are audited, and another organisation sees nothing of it."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import insert, inspect, select, text

from baken.audit import kinds
from baken.domain.conversation import Role
from baken.figures.per_counselor import FirstReply, Shared, longest_stretch, rows
from baken.registration import codebook
from baken.store.database import Database, engine_for_migrations
from baken.store.migrate import alembic_config
from baken.store.tables import (
    audit_log,
    cases,
    conversations,
    heavy_marks,
    messages,
    participants,
    registrations,
)
from baken.wellbeing.day import Stint
from baken.wellbeing.repository import WellbeingRepository
from tests.authz_world import in_db
from tests.conftest import server_on
from tests.support import Server, add_organisation, add_staff_with_role, run_async

DAY = "2026-11-02"  # CET: the local day is 2026-11-01 23:00 UTC to 2026-11-02 23:00 UTC
START = datetime(2026, 11, 1, 23, 0, tzinfo=UTC)
END = datetime(2026, 11, 2, 23, 0, tzinfo=UTC)
GAP = timedelta(minutes=10)  # BAKEN_WELLBEING_PAUSE_MINUTES' default


def at(hour: int, minute: int, second: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


# --- the rules, without a server -----------------------------------------------------------------


def test_rows_are_alphabetical_and_wellbeing_only_for_who_shares() -> None:
    stints = [
        Stint("a", "c1", at(9, 0), at(9, 30), heavy=True),
        Stint("a", "c2", at(9, 35), at(10, 5), heavy=False),
        Stint("b", "d1", at(10, 0), at(11, 0), heavy=True),
        Stint("b", "late", at(23, 30), None, heavy=False),  # after the period: not counted
    ]
    replies = [
        FirstReply("a", "c1", at(9, 0), at(9, 1)),
        FirstReply("a", "c2", at(9, 35), at(9, 35, 30)),
        FirstReply("b", "d1", at(10, 0), None),  # never wrote: no wait to count
    ]
    since = at(8, 0)
    found = rows(
        {"b": "bram", "a": "Anna", "z": "Zoë"},
        stints,
        replies,
        {"a": 1},
        {"a": since},
        START,
        END,
        GAP,
    )
    assert [r.name for r in found] == ["Anna", "bram", "Zoë"]
    anna, bram, zoe = found
    assert (anna.chats, anna.first_reply_median, anna.pending) == (2, 45, 1)
    assert anna.shared == Shared(since=since, heavy=1, seconds=3600, longest_seconds=65 * 60)
    # Bram's hour in chats stays his: he did not share (issue 15, item 6).
    assert (bram.chats, bram.first_reply_median, bram.shared) == (1, None, None)
    assert (zoe.chats, zoe.pending, zoe.shared) == (0, 0, None)


def test_the_longest_stretch_joins_chats_closer_than_a_pause() -> None:
    spans = [(at(9, 0), at(9, 30)), (at(9, 39), at(10, 0)), (at(10, 10), at(10, 20))]
    # 9:30 → 9:39 is shorter than a pause: one stretch of an hour; 10:00 → 10:10 is a pause.
    assert longest_stretch(spans, GAP) == 3600
    assert longest_stretch([], GAP) == 0


# --- on a real server ----------------------------------------------------------------------------


def _conversation(
    organisation_id: str, staff_id: str, joined: datetime, left: datetime
) -> dict[str, object]:
    return {
        "id": "cf_" + secrets.token_hex(8),
        "organisation_id": organisation_id,
        "state": "ended",
        "lang": "nl",
        "created_at": joined - timedelta(minutes=1),
        "accepted_at": joined,
        "ended_at": left,
        "ended_by": "counselor",
        "counselor_id": staff_id,
        "wrapped_key": b"\0" * 40,
        "key_id": "test",
        "last_seq": 0,
    }


def seed_day(server: Server, organisation_id: str, anna: str, bram: str, olga: str) -> None:
    """The hand-computed day (UTC times; see the expectations in the test below)."""

    async def work(db: Database) -> None:
        chats: list[tuple[str, datetime, datetime, datetime, str | None, bool]] = [
            # staff, joined, left, first own message, registration, heavy mark
            (anna, at(22, 30, day=1), at(23, 30, day=1), at(22, 31, day=1), "done", False),
            (anna, at(9, 0), at(9, 30), at(9, 1), "acute", False),
            (anna, at(9, 35), at(10, 5), at(9, 35, 30), "draft", True),
            (anna, at(13, 0), at(13, 20), at(13, 2), None, False),
            (bram, at(10, 0), at(11, 0), at(10, 0, 20), "acute", True),
            (bram, at(11, 5), at(11, 50), at(11, 5, 40), None, False),
            (bram, at(22, 50), at(0, 10, day=3), at(22, 51), None, False),
        ]
        async with db.writer.begin() as conn:
            for staff_id, joined, left, first, registration, marked in chats:
                row = _conversation(organisation_id, staff_id, joined, left)
                cid = str(row["id"])
                await conn.execute(insert(conversations).values(**row))
                await conn.execute(
                    insert(participants).values(
                        conversation_id=cid,
                        staff_id=staff_id,
                        role="counselor",
                        joined_at=joined,
                        left_at=left,
                    )
                )
                lines: list[tuple[str, str, str | None, datetime]] = [
                    ("v", "visitor", None, joined + timedelta(seconds=5)),
                    (f"s:{staff_id}", "counselor", staff_id, first),
                ]
                for seq, (author, sender, by, moment) in enumerate(lines, start=1):
                    await conn.execute(
                        insert(messages).values(
                            conversation_id=cid,
                            seq=seq,
                            author=author,
                            sender=sender,
                            staff_id=by,
                            body=b"\0",
                            sent_at_ms=int(moment.timestamp() * 1000),
                        )
                    )
                if marked:
                    await conn.execute(
                        insert(heavy_marks).values(staff_id=staff_id, conversation_id=cid)
                    )
                if registration is not None:
                    case_id = "case_" + secrets.token_hex(8)
                    await conn.execute(
                        insert(cases).values(
                            id=case_id,
                            organisation_id=organisation_id,
                            first_seen_at=joined,
                            created_at=joined,
                        )
                    )
                    await conn.execute(
                        insert(registrations).values(
                            conversation_id=cid,
                            organisation_id=organisation_id,
                            case_id=case_id,
                            codebook_version=codebook.CODEBOOK_VERSION,
                            version=1,
                            started_at=joined,
                            created_at=left,
                            updated_at=left,
                            risk_level=(
                                codebook.code("risk_level", "acute")
                                if registration == "acute"
                                else None
                            ),
                            completed_at=None if registration == "draft" else left,
                        )
                    )
            # Another organisation's counselor, the same morning: never on this page.
            other = _conversation(organisation_id, olga, at(9, 0), at(10, 0))
            other["organisation_id"] = "org_default"
            await conn.execute(insert(conversations).values(**other))
            await conn.execute(
                insert(participants).values(
                    conversation_id=other["id"],
                    staff_id=olga,
                    role="counselor",
                    joined_at=at(9, 0),
                    left_at=at(10, 0),
                )
            )

    in_db(server, work)


def get(server: Server, token: str, path: str) -> httpx.Response:
    return httpx.get(server.base + path, cookies={"__Host-baken_s": token}, timeout=20)


def share(server: Server, token: str, choice: str) -> httpx.Response:
    return httpx.post(
        server.base + "/staff/wellbeing/share",
        data={"share": choice},
        cookies={"__Host-baken_s": token},
        headers={"Origin": server.origin},
        timeout=20,
    )


def table_rows(html: str) -> list[list[str]]:
    body = html.split('id="counselor-figures"')[1].split("</tbody>")[0].split("<tbody>")[1]
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        found.append([re.sub(r"\s+", " ", c).strip() for c in cells])
    return found


def audited(server: Server, kind: str, actor: str) -> list[str | None]:
    async def work(db: Database) -> list[str | None]:
        async with db.reader.connect() as conn:
            found = await conn.execute(
                select(audit_log.c.detail)
                .where(audit_log.c.kind == kind, audit_log.c.actor_id == actor)
                .order_by(audit_log.c.id)
            )
            return [r.detail for r in found]

    return in_db(server, work)


def test_per_counselor_figures_hand_computed(server: Server) -> None:
    _slug, organisation_id = add_organisation(server, "cf", "Jeugdlijn")
    tag = secrets.token_hex(3)
    anna_name, bram_name, sara_name = f"Anna {tag}", f"Bram {tag}", f"Sara {tag}"
    # Made in another order than the alphabet: the page must not follow the order of creation.
    sara, sara_token = add_staff_with_role(
        server, Role.SUPERVISOR, display_name=sara_name, organisation_id=organisation_id
    )
    bram, bram_token = add_staff_with_role(
        server, Role.COUNSELOR, display_name=bram_name, organisation_id=organisation_id
    )
    anna, anna_token = add_staff_with_role(
        server, Role.COUNSELOR, display_name=anna_name, organisation_id=organisation_id
    )
    olga, _olga_token = add_staff_with_role(server, Role.COUNSELOR, display_name=f"Olga {tag}")
    _outsider, outsider_token = add_staff_with_role(server, Role.SUPERVISOR)
    seed_day(server, organisation_id, anna, bram, olga)

    assert share(server, anna_token, "yes").status_code == 303
    assert share(server, anna_token, "yes").status_code == 303  # again: nothing changes
    mine = get(server, anna_token, "/staff/wellbeing?lang=en")
    assert "your supervisors also see your heavy chats" in mine.text
    assert audited(server, kinds.WELLBEING_SHARE, anna) == ["share=yes"]
    assert (
        "For planning, your supervisors see"
        in get(server, bram_token, "/staff/wellbeing?lang=en").text
    )

    query = f"/staff/figures/counselors?from={DAY}&to={DAY}&lang=en"
    page = get(server, sara_token, query)
    assert page.status_code == 200
    assert "Never for ranking or assessing anyone." in page.text
    found = table_rows(page.text)
    # Anna: 4 chats (the one from before midnight counts its 30 minutes after it); 30+30+30+20
    # minutes; first replies 60, 30, 120 s (the chat joined before the period is not counted);
    # pending: the draft and the unregistered one; heavy: acute danger and her mark; longest
    # stretch 09:00-10:05 (5 minutes between two chats is no pause).
    # Bram: 3 chats; 60+45 minutes and the 10 minutes before the period's end; first replies 20,
    # 40, 60 s; pending: the one without registration (the late one ended after the period).
    assert found == [
        [anna_name, "4", "60", "2", "2", "1 h 50 min", "1 h 5 min"],
        [bram_name, "3", "40", "1", "Not shared"],
        [sara_name, "0", "–", "0", "Not shared"],
    ]
    assert f"Olga {tag}" not in page.text
    bram_row = page.text.split(bram_name)[1].split("</tr>")[0]
    assert 'class="shared"' not in bram_row and "1 h 55 min" not in bram_row

    export = get(server, sara_token, f"/staff/figures/counselors.csv?from={DAY}&to={DAY}")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(export.text)))
    assert [line["name"] for line in lines] == [anna_name, bram_name, sara_name]
    assert lines[0] == {
        "name": anna_name,
        "chats": "4",
        "first_reply_median_s": "60",
        "registrations_pending": "2",
        "shares_wellbeing": "1",
        "heavy_chats": "2",
        "chat_seconds": "6600",
        "longest_without_break_s": "3900",
    }
    assert lines[1] == {
        "name": bram_name,
        "chats": "3",
        "first_reply_median_s": "40",
        "registrations_pending": "1",
        "shares_wellbeing": "0",
        "heavy_chats": "",
        "chat_seconds": "",
        "longest_without_break_s": "",
    }
    assert audited(server, kinds.FIGURES_COUNSELORS, sara) == [
        f"from={DAY} to={DAY} fmt=html",
        f"from={DAY} to={DAY} fmt=csv",
    ]

    # Stopping takes effect at once, and is kept as the end of the consent.
    assert share(server, anna_token, "no").status_code == 303
    after = table_rows(get(server, sara_token, query).text)
    assert after[0] == [anna_name, "4", "60", "2", "Not shared"]
    assert audited(server, kinds.WELLBEING_SHARE, anna) == ["share=yes", "share=no"]

    # A counselor may not open it; another organisation's supervisor sees only their own.
    assert get(server, anna_token, query).status_code == 403
    assert get(server, bram_token, query.replace("counselors", "counselors.csv")).status_code == 403
    theirs = get(server, outsider_token, query)
    assert theirs.status_code == 200
    assert anna_name not in theirs.text and bram_name not in theirs.text
    assert f"Olga {tag}" in theirs.text
    assert get(server, sara_token, "/staff/figures/counselors?from=2026-13-01").status_code == 400


# --- the migration --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_migration_asks_everyone_again_going_up_and_down(kind: str, tmp_path: Path) -> None:
    """0025 gives the choice to share its moment; a choice made under 0024's narrower words is
    not carried up, and none is carried down either (docs/wellbeing.md, "What is kept")."""
    from alembic import command

    with server_on(kind, tmp_path) as srv:
        staff_id, token = add_staff_with_role(srv, Role.COUNSELOR)
        config = alembic_config(srv.settings)

        def look() -> tuple[set[str], int]:
            async def read() -> tuple[set[str], int]:
                engine = engine_for_migrations(srv.settings)
                try:
                    async with engine.connect() as conn:
                        columns = await conn.run_sync(
                            lambda c: {
                                col["name"] for col in inspect(c).get_columns("wellbeing_shares")
                            }
                        )
                        count = await conn.scalar(text("SELECT COUNT(*) FROM wellbeing_shares"))
                        return set(columns), int(count or 0)
                finally:
                    await engine.dispose()

            found: tuple[set[str], int] = run_async(read())
            return found

        assert share(srv, token, "yes").status_code == 303
        assert look() == ({"staff_id", "since"}, 1)
        srv.stop()
        command.downgrade(config, "0024")
        assert look() == ({"staff_id"}, 0)

        async def old_choice() -> None:
            engine = engine_for_migrations(srv.settings)
            try:
                async with engine.begin() as conn:
                    await conn.execute(
                        text("INSERT INTO wellbeing_shares (staff_id) VALUES (:s)"),
                        {"s": staff_id},
                    )
            finally:
                await engine.dispose()

        run_async(old_choice())
        assert look() == ({"staff_id"}, 1)
        command.upgrade(config, "head")
        assert look() == ({"staff_id", "since"}, 0)


def test_a_day_that_starts_in_amsterdam_finds_the_chat_that_ended_after_midnight(
    server: Server,
) -> None:
    """A bound in Amsterdam time is compared in UTC: on SQLite, times compare as text, and a chat
    that ended at 00:30 local (23:30 UTC) once fell out of the day that began at 00:00 local."""
    _slug, organisation_id = add_organisation(server, "cf", "Jeugdlijn")
    staff_id, _token = add_staff_with_role(server, Role.COUNSELOR, organisation_id=organisation_id)
    joined, left = at(22, 30, day=1), at(23, 30, day=1)
    row = _conversation(organisation_id, staff_id, joined, left)

    async def work(db: Database) -> list[Stint]:
        async with db.writer.begin() as conn:
            await conn.execute(insert(conversations).values(**row))
            await conn.execute(
                insert(participants).values(
                    conversation_id=row["id"],
                    staff_id=staff_id,
                    role="counselor",
                    joined_at=joined,
                    left_at=left,
                )
            )
        midnight = datetime(2026, 11, 2, tzinfo=ZoneInfo("Europe/Amsterdam"))
        return await WellbeingRepository(db).stints(organisation_id, midnight, staff_id)

    found = in_db(server, work)
    assert [(s.conversation_id, s.start, s.end) for s in found] == [(row["id"], joined, left)]
