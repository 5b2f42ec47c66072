"""The counts behind the report, read from the registrations table and nothing else.

Only coded columns of ``registrations`` are read: no conversation, no message, no name, no text
(tests check this module's SQL and run it under a database role that can read nothing else). Every
query filters on the organisation and on ``report_year`` (one registration per person) or on
``started_at`` (all conversations), both indexed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from baken.registration.codebook import FIELDS, PARENT_RELATIONS, VICTIM_VALUES, Kind, code, mask
from baken.registration.periods import year_bounds
from baken.store.tables import registrations as r

TREND_YEARS = 5
SINGLE_FIELDS = tuple(f for f in FIELDS if f.kind in (Kind.SINGLE, Kind.BOOL))
MULTI_FIELDS = tuple(f for f in FIELDS if f.kind is Kind.MULTI)


@dataclass
class YearTotals:
    year: int
    persons: int = 0
    victims: int = 0
    self_victims: int = 0
    request_chats: int = 0


@dataclass
class ReportCounts:
    year: int
    years: dict[int, YearTotals]
    persons_by_month: dict[int, int]
    victims_by_month: dict[int, int]
    # Victims only: field -> code (None: not registered) -> count.
    single: dict[str, dict[int | None, int]] = field(default_factory=dict)
    # Victims only: field -> code -> persons with that value; None: field not registered.
    multi: dict[str, dict[int | None, int]] = field(default_factory=dict)
    gender_types: Counter[tuple[int | None, int | None]] = field(default_factory=Counter)
    ages: Counter[tuple[int | None, int | None]] = field(default_factory=Counter)
    parent_perpetrator: int = 0
    care_or_police: int = 0


def _victim() -> ColumnElement[bool]:
    return r.c.victim_assessment.in_([code("victim_assessment", v) for v in VICTIM_VALUES])


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _has_bit(column: ColumnElement[int], bits: int) -> ColumnElement[bool]:
    return column.op("&")(bits) != 0


async def has_data(conn: AsyncConnection, organisation_id: str, year: int) -> bool:
    found = await conn.scalar(
        select(r.c.conversation_id)
        .where(and_(r.c.organisation_id == organisation_id, r.c.report_year == year))
        .limit(1)
    )
    return found is not None


async def years_with_data(conn: AsyncConnection, organisation_id: str) -> list[int]:
    rows = await conn.execute(
        select(r.c.report_year)
        .where(and_(r.c.organisation_id == organisation_id, r.c.report_year.is_not(None)))
        .group_by(r.c.report_year)
        .order_by(r.c.report_year)
    )
    return [int(row[0]) for row in rows]


async def _year_totals(
    conn: AsyncConnection, organisation_id: str, year: int
) -> dict[int, YearTotals]:
    first = year - TREND_YEARS + 1
    self_code = code("contact_role", "self")
    rows = await conn.execute(
        select(
            r.c.report_year,
            func.count(),
            _count_if(_victim()),
            _count_if(and_(_victim(), r.c.contact_role == self_code)),
        )
        .where(
            and_(
                r.c.organisation_id == organisation_id,
                r.c.report_year >= first,
                r.c.report_year <= year,
            )
        )
        .group_by(r.c.report_year)
    )
    totals = {y: YearTotals(y) for y in range(first, year + 1)}
    for report_year, persons, victims, self_victims in rows:
        item = totals[int(report_year)]
        item.persons, item.victims, item.self_victims = (
            int(persons),
            int(victims),
            int(self_victims),
        )
    request = code("trafficking_request", "yes")
    for y, item in totals.items():
        start, end = year_bounds(y)
        item.request_chats = int(
            await conn.scalar(
                select(func.count()).where(
                    and_(
                        r.c.organisation_id == organisation_id,
                        r.c.trafficking_request == request,
                        r.c.started_at >= start,
                        r.c.started_at < end,
                    )
                )
            )
            or 0
        )
    return totals


async def load_counts(conn: AsyncConnection, organisation_id: str, year: int) -> ReportCounts:
    in_year = and_(r.c.organisation_id == organisation_id, r.c.report_year == year)
    victims = and_(in_year, _victim())
    counts = ReportCounts(
        year=year,
        years=await _year_totals(conn, organisation_id, year),
        persons_by_month={},
        victims_by_month={},
    )
    for month, persons, victim_count in await conn.execute(
        select(r.c.report_month, func.count(), _count_if(_victim()))
        .where(in_year)
        .group_by(r.c.report_month)
    ):
        counts.persons_by_month[int(month)] = int(persons)
        counts.victims_by_month[int(month)] = int(victim_count)

    # One scan for every single and multiple-answer field: a sum per (field, value).
    keys: list[tuple[str, str, int | None]] = []
    columns: list[ColumnElement[int]] = []
    for f in SINGLE_FIELDS:
        column = r.c[f.id]
        for value in f.values:
            keys.append(("single", f.id, value.code))
            columns.append(_count_if(column == value.code))
        keys.append(("single", f.id, None))
        columns.append(_count_if(column.is_(None)))
    for f in MULTI_FIELDS:
        column = r.c[f.id]
        for value in f.values:
            keys.append(("multi", f.id, value.code))
            columns.append(_count_if(_has_bit(column, 1 << value.code)))
        keys.append(("multi", f.id, None))
        columns.append(_count_if(column.is_(None)))
    parent_bits = mask("perpetrator_relations", *PARENT_RELATIONS)
    columns.append(_count_if(_has_bit(r.c.perpetrator_relations, parent_bits)))
    columns.append(_count_if(_has_bit(r.c.known_to, mask("known_to", "care", "police"))))
    row = (await conn.execute(select(*columns).where(victims))).one()
    for (kind, field_id, value_code), count in zip(keys, row[: len(keys)], strict=True):
        target = counts.single if kind == "single" else counts.multi
        target.setdefault(field_id, {})[value_code] = int(count)
    counts.parent_perpetrator = int(row[len(keys)])
    counts.care_or_police = int(row[len(keys) + 1])

    for gender, types, n in await conn.execute(
        select(r.c.gender, r.c.exploitation_types, func.count())
        .where(victims)
        .group_by(r.c.gender, r.c.exploitation_types)
    ):
        counts.gender_types[(gender, types)] += int(n)
    for age, minor, n in await conn.execute(
        select(r.c.age, r.c.is_minor, func.count()).where(victims).group_by(r.c.age, r.c.is_minor)
    ):
        counts.ages[(age, minor)] += int(n)
    return counts
