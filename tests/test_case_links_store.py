"""Cases joined through a return code or a counselor's link, and the report counting each
person once, in the year of their first help request, across two years (SQLite and PostgreSQL).

Hand-computed fixture (all mid-month at 20:00 UTC, so the Amsterdam date is the same):

P1  2021-03 request, victim, self, code R1     -> back with R1 in 2022-02 (request): 2021
P2  2021-06 no request, code R2                -> back with R2 in 2022-04 (request, victim, self);
    the 2022 chat is registered before the 2021 one: first request in 2022
P3  2021-09 request, victim, professional      -> 2022-05 chat without code, linked by the
    counselor to the 2021 chat: one person, 2021
P4  2022-07 request, victim, self (new person)
P5  2022-08 request, victim, self (new person)

2021: persons P1 P3 = 2, victims 2, self-reporting victims P1 = 1, chats with a request 2.
2022: persons P2 P4 P5 = 3, victims 3, self-reporting 3, chats with a request P1 P2 P3 P4 P5 = 5.
Without the links 2022 would count 5 persons.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update

from baken.config import Settings
from baken.registration.case_links import case_of, join_code_thread, link_to_earlier
from baken.reports.service import Rule, make_report
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.store.tables import cases, conversations
from tests.registration_helpers import World, database_settings, utc

VICTIM = {"trafficking_request": "yes", "victim_assessment": "victim"}


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


async def _with_code(world: World, conversation_id: str, code_id: str) -> None:
    async with world.db.writer.begin() as conn:
        await conn.execute(
            update(conversations)
            .where(conversations.c.id == conversation_id)
            .values(return_code_id=code_id)
        )


async def _returning(world: World, at_month: tuple[int, int], code_id: str) -> str:
    conversation_id = await world.conversation(utc(*at_month, 15, 20))
    await _with_code(world, conversation_id, code_id)
    await join_code_thread(world.db, conversation_id)
    return conversation_id


async def test_a_return_joins_the_case_of_the_earlier_registered_chat(world: World) -> None:
    first = await world.conversation(utc(2021, 3, 15, 20))
    await _with_code(world, first, "r-one")
    registered = await world.register(first, **VICTIM)
    back = await _returning(world, (2022, 2), "r-one")
    assert await case_of(world.db, back) == registered.case_id
    # The form for the returning person starts from what was registered before.
    previous = await world.repo.previous_in_case(back)
    assert previous is not None and previous.conversation_id == first


async def test_a_thread_without_any_registration_gets_one_case(world: World) -> None:
    first = await world.conversation(utc(2021, 6, 15, 20))
    await _with_code(world, first, "r-two")
    back = await _returning(world, (2022, 4), "r-two")
    case_id = await case_of(world.db, back)
    assert case_id is not None and await case_of(world.db, first) == case_id
    async with world.db.reader.connect() as conn:
        seen = await conn.scalar(select(cases.c.first_seen_at).where(cases.c.id == case_id))
    assert seen is not None
    assert seen.replace(tzinfo=None) == utc(2021, 6, 15, 20).replace(tzinfo=None)


async def test_a_conversation_without_code_is_left_alone(world: World) -> None:
    alone = await world.conversation(utc(2022, 1, 15, 20))
    assert await join_code_thread(world.db, alone) is None
    assert await case_of(world.db, alone) is None


async def test_a_counselors_link_moves_the_conversation_out_of_its_own_case(
    world: World,
) -> None:
    earlier = await world.person(utc(2021, 9, 15, 20), **VICTIM)
    later = await world.person(utc(2022, 5, 15, 20), **VICTIM)
    assert later.case_id != earlier.case_id
    await link_to_earlier(world.db, later.conversation_id, earlier.conversation_id)
    assert await case_of(world.db, later.conversation_id) == earlier.case_id
    moved = await world.repo.get(later.conversation_id)
    assert moved is not None and moved.case_id == earlier.case_id
    async with world.db.reader.connect() as conn:
        emptied = await conn.scalar(
            select(cases.c.first_request_at).where(cases.c.id == later.case_id)
        )
    assert emptied is None  # the abandoned case no longer counts as a person


async def test_linking_to_an_unregistered_earlier_chat_makes_its_case(world: World) -> None:
    earlier = await world.conversation(utc(2021, 9, 15, 20))
    later = await world.person(utc(2022, 5, 15, 20), **VICTIM)
    case_id = await link_to_earlier(world.db, later.conversation_id, earlier)
    assert await case_of(world.db, earlier) == case_id
    assert await case_of(world.db, later.conversation_id) == case_id


async def test_first_seen_in_year_counts_linked_persons_once_across_two_years(
    world: World,
) -> None:
    p1 = await world.conversation(utc(2021, 3, 15, 20))
    await _with_code(world, p1, "r-p1")
    await world.register(p1, **VICTIM, contact_role="self")
    await world.register(await _returning(world, (2022, 2), "r-p1"), trafficking_request="yes")

    p2 = await world.conversation(utc(2021, 6, 15, 20))
    await _with_code(world, p2, "r-p2")
    p2_back = await _returning(world, (2022, 4), "r-p2")
    await world.register(p2_back, **VICTIM, contact_role="self")
    await world.register(p2, trafficking_request="no")

    p3 = await world.person(utc(2021, 9, 15, 20), **VICTIM, contact_role="professional")
    p3_back = await world.person(utc(2022, 5, 15, 20), trafficking_request="yes")
    await link_to_earlier(world.db, p3_back.conversation_id, p3.conversation_id)

    await world.person(utc(2022, 7, 15, 20), **VICTIM, contact_role="self")
    await world.person(utc(2022, 8, 15, 20), **VICTIM, contact_role="self")

    report = await make_report(
        world.db,
        organisation_id=DEFAULT_ORGANISATION,
        organisation_name="Test helpline",
        year=2022,
        threshold=1,
        lang="en",
        on=date(2026, 6, 1),
        rule=Rule.FIRST_REQUEST,
    )
    rows = {r.label: [c.value for c in r.cells] for r in report.table("headline").rows}
    assert report.table("headline").columns[:2] == ["2021", "2022"]
    assert rows["Persons with a help request about human trafficking"] == [2, 3, 1, 50.0]
    assert rows["Victims (any reporter)"] == [2, 3, 1, 50.0]
    assert rows["Self-reporting victims"] == [1, 3, 2, 200.0]
    assert rows["Chats with a help request about human trafficking"] == [2, 5, 3, 150.0]
    # First-seen (CKM): p2 came into view in 2021 and counts there, with the victim values of
    # the 2022 chat in which the request was made.
    seen = await make_report(
        world.db,
        organisation_id=DEFAULT_ORGANISATION,
        organisation_name="Test helpline",
        year=2022,
        threshold=1,
        lang="en",
        on=date(2026, 6, 1),
        rule=Rule.FIRST_SEEN,
    )
    rows = {r.label: [c.value for c in r.cells] for r in seen.table("headline").rows}
    assert rows["Persons with a help request about human trafficking"][:3] == [3, 2, -1]
    assert rows["Victims (any reporter)"][:3] == [3, 2, -1]
    assert rows["Self-reporting victims"][:3] == [2, 2, 0]
    assert rows["Returning victims (seen before, help request this year)"][:2] == [0, 3]
