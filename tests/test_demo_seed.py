"""``baken demo seed``: valid rows, deterministic, shaped like the published figures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from baken.config import Settings
from baken.crypto.keyfile import load_or_create_master_key
from baken.demo.seed import SeedError, generate, parse_years, seed, units
from baken.registration.repository import refresh_case
from baken.reports.model import Report
from baken.reports.service import make_report
from baken.store.database import Database
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.store.tables import cases, conversations, registrations, report_persons
from tests.registration_helpers import database_settings
from tests.support import run_async

PER_YEAR = 3000


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("seed"))
    written = run_async(seed(settings, [2020, 2021], PER_YEAR, 11))
    assert written == 2 * PER_YEAR
    yield settings


def test_years_are_parsed_and_checked() -> None:
    assert parse_years("2019-2023") == [2019, 2020, 2021, 2022, 2023]
    assert parse_years("2021, 2019") == [2019, 2021]
    for bad in ("2023-2019", "twenty", "1800", ""):
        with pytest.raises(SeedError):
            parse_years(bad)


def test_the_same_seed_gives_the_same_data() -> None:
    a, b, c = generate([2021], 500, 5), generate([2021], 500, 5), generate([2021], 500, 6)
    for field_id in ("age", "gender", "exploitation_types", "trafficking_request"):
        assert np.array_equal(a.column(field_id), b.column(field_id))
    assert a.conv_ids == b.conv_ids
    assert not np.array_equal(a.column("age"), c.column("age"))


def test_rows_are_valid_conversations_and_registrations(seeded: Settings) -> None:
    master, _ = load_or_create_master_key(seeded.master_key, seeded.data_dir)

    async def check() -> None:
        db = Database(seeded)
        try:
            async with db.reader.connect() as conn:
                total = await conn.scalar(select(func.count()).select_from(registrations))
                assert total == 2 * PER_YEAR
                orphans = await conn.scalar(
                    select(func.count())
                    .select_from(registrations.join(conversations))
                    .where(conversations.c.case_id != registrations.c.case_id)
                )
                assert orphans == 0
                sample = (
                    await conn.execute(
                        select(conversations.c.id, conversations.c.wrapped_key).limit(20)
                    )
                ).all()
                for row in sample:
                    assert len(master.unwrap(row.id, row.wrapped_key)) == 32
                # The seed's bookkeeping agrees with the repository's rule.
                case_ids = (await conn.execute(select(cases.c.id).limit(300))).scalars().all()
                before = (
                    await conn.execute(
                        select(registrations.c.conversation_id, registrations.c.report_year,
                               registrations.c.report_month)
                        .where(registrations.c.case_id.in_(case_ids))
                        .order_by(registrations.c.conversation_id)
                    )
                ).all()  # fmt: skip
                persons_before = await _person_rows(conn, case_ids)
            async with db.writer.begin() as conn:
                for case_id in case_ids:
                    await refresh_case(conn, case_id)
            async with db.reader.connect() as conn:
                after = (
                    await conn.execute(
                        select(registrations.c.conversation_id, registrations.c.report_year,
                               registrations.c.report_month)
                        .where(registrations.c.case_id.in_(case_ids))
                        .order_by(registrations.c.conversation_id)
                    )
                ).all()  # fmt: skip
                persons_after = await _person_rows(conn, case_ids)
            assert [tuple(r) for r in before] == [tuple(r) for r in after]
            assert any(r.report_year for r in before)
            # The seed's numpy derivation of report_persons agrees with the repository's.
            assert persons_before == persons_after
            assert len(persons_before) > len(case_ids)  # some cases span two years
        finally:
            await db.dispose()

    run_async(check())


async def _person_rows(conn: AsyncConnection, case_ids: Sequence[str]) -> list[tuple[object, ...]]:
    rows = await conn.execute(
        select(report_persons)
        .where(report_persons.c.case_id.in_(case_ids))
        .order_by(report_persons.c.case_id, report_persons.c.year)
    )
    return [tuple(row) for row in rows]


def _report(settings: Settings, year: int) -> Report:
    async def make() -> Report:
        db = Database(settings)
        try:
            return await make_report(
                db,
                organisation_id=DEFAULT_ORGANISATION,
                organisation_name="Demo",
                year=year,
                threshold=1,
                lang="en",
                on=date(2030, 1, 1),
            )
        finally:
            await db.dispose()

    made: Report = run_async(make())
    return made


def test_distributions_look_like_the_published_figures(seeded: Settings) -> None:
    report = _report(seeded, 2021)
    headline = {r.label: r.cells[1].value for r in report.table("headline").rows}
    persons = headline["Persons with a help request about human trafficking"]
    victims = headline["Victims (any reporter)"]
    self_victims = headline["Self-reporting victims"]
    assert isinstance(persons, int) and isinstance(victims, int) and isinstance(self_victims, int)
    assert 0.8 < victims / persons < 0.93
    assert 0.82 < self_victims / victims < 0.94  # "89% self-reported"

    def share(table: str, label: str) -> float:
        value = next(r.cells[1].value for r in report.table(table).rows if r.label == label)
        assert isinstance(value, float)
        return value

    assert 70 < share("now", "yes") < 80  # three quarters still exploited
    duration = {r.label: r.cells[1].value or 0.0 for r in report.table("duration").rows}
    assert 20 < duration["5 to 10 years"] + duration["10 years or more"] < 30  # a quarter ≥5y
    assert 88 < share("gender", "girl / woman") < 96
    assert 15 < share("age", "under 15") < 25  # about one in five
    assert 50 < share("age", "minor") < 68
    assert 8 < share("relations", next(
        r.label for r in report.table("relations").rows if r.label.startswith("of which a parent")
    )) < 20  # fmt: skip
    assert share("language", "Dutch") > 92
    stats = {r.label: r.cells[0].value for r in report.table("age_stats").rows}
    assert stats["youngest"] == 9 and stats["oldest"] == 50
    assert 16 < float(stats["mean age"] or 0) < 20


def test_returning_persons_are_counted_once_across_years(seeded: Settings) -> None:
    async def check() -> tuple[int, int]:
        db = Database(seeded)
        try:
            async with db.reader.connect() as conn:
                units_counted = await conn.scalar(
                    select(func.count()).where(registrations.c.report_year.is_not(None))
                )
                persons = await conn.scalar(
                    select(func.count()).where(cases.c.first_request_at.is_not(None))
                )
                return int(units_counted or 0), int(persons or 0)
        finally:
            await db.dispose()

    counted, persons = run_async(check())
    assert counted == persons
    generated = generate([2020, 2021], PER_YEAR, 11)
    bookkeeping = units(generated)
    assert int((bookkeeping.report_year >= 0).sum()) == counted


def test_seeding_postgresql_takes_the_generic_path(tmp_path: Path) -> None:
    with database_settings("postgres", tmp_path) as settings:
        written = asyncio.run(seed(settings, [2021], 60, 2))
        assert written == 60
        report = _report(settings, 2021)
        assert report.table("headline").rows[0].cells[1].value
