"""Cases and registrations in the database (SQLite and PostgreSQL): versions, audit, cases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from baken.config import Settings
from baken.registration.codebook import CODEBOOK_VERSION, code, mask
from baken.registration.repository import VersionConflict
from baken.registration.validation import validate
from baken.store.tables import cases, conversations, registration_changes, registrations
from tests.registration_helpers import World, database_settings, utc


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with database_settings(request.param, tmp_path) as migrated:
        yield migrated


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    w = await World(settings).start()
    try:
        yield w
    finally:
        await w.close()


async def _row(world: World, conversation_id: str) -> object:
    async with world.db.reader.connect() as conn:
        return (
            await conn.execute(
                select(registrations).where(registrations.c.conversation_id == conversation_id)
            )
        ).one()


async def test_first_save_creates_a_case_and_links_the_conversation(world: World) -> None:
    conversation_id = await world.conversation(utc(2021, 3, 1, 20))
    saved = await world.register(conversation_id, None, trafficking_request="yes", age=15)
    assert saved.version == 1
    assert saved.codebook_version == CODEBOOK_VERSION == "2026.2"
    assert saved.values["age"] == 15
    async with world.db.reader.connect() as conn:
        linked = await conn.scalar(
            select(conversations.c.case_id).where(conversations.c.id == conversation_id)
        )
        case = (await conn.execute(select(cases).where(cases.c.id == saved.case_id))).one()
    assert linked == saved.case_id
    assert case.first_seen_at.replace(tzinfo=None) == utc(2021, 3, 1, 20).replace(tzinfo=None)
    assert case.first_request_at is not None


async def test_saves_need_the_current_version_and_a_stale_one_changes_nothing(
    world: World,
) -> None:
    conversation_id = await world.conversation(utc(2021, 3, 1, 20))
    first = await world.repo.save(conversation_id, 0, validate({"gender": "female"}), None)
    second = await world.repo.save(
        conversation_id, first.version, validate({"gender": "male", "age": 30}), None
    )
    assert second.version == 2
    with pytest.raises(VersionConflict) as conflict:
        # A second counselor still editing version 1.
        await world.repo.save(conversation_id, 1, validate({"gender": "other"}), None)
    assert conflict.value.current_version == 2
    with pytest.raises(VersionConflict):
        await world.repo.save(conversation_id, 0, validate({"gender": "other"}), None)
    kept = await world.repo.get(conversation_id)
    assert kept is not None
    assert kept.version == 2 and kept.values["gender"] == code("gender", "male")
    assert len(await world.repo.changes(conversation_id)) == 4  # gender; gender, age, is_minor


async def test_simultaneous_saves_of_one_version_let_exactly_one_win(world: World) -> None:
    conversation_id = await world.conversation(utc(2021, 3, 1, 20))
    await world.repo.save(conversation_id, 0, validate({"age": 20}), None)

    async def save(age: int) -> str:
        try:
            await world.repo.save(conversation_id, 1, validate({"age": age}), None)
            return "ok"
        except VersionConflict:
            return "conflict"

    outcomes = await asyncio.gather(*(save(a) for a in (21, 22, 23, 24)))
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "ok"]
    final = await world.repo.get(conversation_id)
    assert final is not None and final.version == 2


async def test_the_audit_trail_records_who_changed_which_coded_value(world: World) -> None:
    conversation_id = await world.conversation(utc(2021, 3, 1, 20))
    await world.repo.save(
        conversation_id, 0, validate({"gender": "female", "known_to": ["care"]}), None
    )
    await world.repo.save(
        conversation_id, 1, validate({"gender": "female", "known_to": ["care", "police"]}), None
    )
    changes = await world.repo.changes(conversation_id)
    assert [(c.version, c.field) for c in changes] == [
        (1, "gender"),
        (1, "known_to"),
        (2, "known_to"),
    ]
    last = changes[-1]
    assert last.old_value == mask("known_to", "care")
    assert last.new_value == mask("known_to", "care", "police")
    columns = {c.name for c in registration_changes.columns}
    # Coded values only: there is no column that could hold text.
    assert columns == {
        "id",
        "conversation_id",
        "staff_id",
        "changed_at",
        "version",
        "field",
        "old_value",
        "new_value",
    }


async def test_a_person_counts_in_the_year_of_their_first_help_request(world: World) -> None:
    # First seen in 2020 without a trafficking question, back in 2021 with one.
    first = await world.person(utc(2020, 11, 5, 20), trafficking_request="no")
    later = await world.again(
        first, utc(2021, 2, 1, 20), trafficking_request="yes", victim_assessment="victim"
    )
    assert (await _row(world, later.conversation_id)).report_year == 2021  # type: ignore[attr-defined]
    assert (await _row(world, first.conversation_id)).report_year is None  # type: ignore[attr-defined]
    # Correcting the 2020 registration moves the person to 2020, never counted twice.
    await world.register(first.conversation_id, trafficking_request="yes")
    assert (await _row(world, first.conversation_id)).report_year == 2020  # type: ignore[attr-defined]
    assert (await _row(world, later.conversation_id)).report_year is None  # type: ignore[attr-defined]
    async with world.db.reader.connect() as conn:
        counted = await conn.scalar(
            select(func.count())
            .select_from(registrations)
            .where(
                registrations.c.case_id == first.case_id, registrations.c.report_year.is_not(None)
            )
        )
    assert counted == 1


async def test_the_last_request_of_that_year_stands_for_the_person(world: World) -> None:
    first = await world.person(utc(2021, 1, 15, 20), trafficking_request="yes", age=15)
    june = await world.again(first, utc(2021, 6, 20, 20), trafficking_request="yes", age=16)
    await world.again(first, utc(2022, 2, 1, 20), trafficking_request="yes", age=17)
    row = await _row(world, june.conversation_id)
    assert row.report_year == 2021 and row.report_month == 1  # type: ignore[attr-defined]
    assert (await _row(world, first.conversation_id)).report_year is None  # type: ignore[attr-defined]


async def test_linking_a_conversation_to_a_case_merges_the_person(world: World) -> None:
    a = await world.person(utc(2021, 7, 7, 20), trafficking_request="yes")
    b = await world.person(utc(2021, 8, 8, 20), trafficking_request="yes")
    await world.repo.link_to_case(b.conversation_id, a.case_id)
    assert (await _row(world, b.conversation_id)).report_year == 2021  # type: ignore[attr-defined]
    assert (await _row(world, a.conversation_id)).report_year is None  # type: ignore[attr-defined]
    moved = await world.repo.get(b.conversation_id)
    assert moved is not None and moved.case_id == a.case_id
    previous = await world.repo.previous_in_case(b.conversation_id)
    assert previous is not None and previous.conversation_id == a.conversation_id


async def test_dutch_new_year_counts_in_the_new_year(world: World) -> None:
    # 23:30 UTC on 31 December is 00:30 on 1 January in Amsterdam.
    saved = await world.person(utc(2020, 12, 31, 23, 30), trafficking_request="yes")
    row = await _row(world, saved.conversation_id)
    assert row.report_year == 2021 and row.report_month == 1  # type: ignore[attr-defined]
