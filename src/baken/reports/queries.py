"""The counts behind the report, read from ``registrations`` and its derived per-person table.

Only coded columns are read: no conversation, no message, no name, no text (tests check this
module's SQL and run it under a database role that can read these two tables and nothing else).
Persons come from ``report_persons`` (one row per person and year, kept current when a registration
is saved; registration/person_values.py), chats from ``registrations``. Every query filters on the
organisation and on an indexed year column, so a report is a few ``GROUP BY`` scans over one index
range however many years of data there are.

Two counting rules (docs/reports.md): ``first-seen`` (the CKM method, default) counts a person in
the year of the first conversation of their case if a trafficking request was ever marked;
``first-request`` counts them in the year of their first conversation with such a request. Both
describe the person by their latest known values up to the end of the year of their first request.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from baken.referrals.repository import count_for_report
from baken.registration.codebook import (
    CODEBOOK_VERSIONS,
    FIELDS,
    PARENT_RELATIONS,
    VICTIM_VALUES,
    Kind,
    code,
    mask,
)
from baken.registration.periods import year_bounds
from baken.store.tables import registrations as r
from baken.store.tables import report_persons as p

TREND_YEARS = 5
SINGLE_FIELDS = tuple(f for f in FIELDS if f.kind in (Kind.SINGLE, Kind.BOOL) and f.id in p.c)
MULTI_FIELDS = tuple(f for f in FIELDS if f.kind is Kind.MULTI and f.id in p.c)


class Rule(StrEnum):
    FIRST_SEEN = "first-seen"
    FIRST_REQUEST = "first-request"


DEFAULT_RULE = Rule.FIRST_SEEN


@dataclass
class YearTotals:
    year: int
    persons: int = 0
    victims: int = 0
    self_victims: int = 0
    request_chats: int = 0
    # Victims counted this year whose case was first seen this year.
    new_victims: int = 0
    # Victims first seen in an earlier year with a trafficking request this year (either rule).
    returning_victims: int = 0


@dataclass
class Subgroup:
    """Type of exploitation (as stored) x still in exploitation, for new or returning victims."""

    types_now: Counter[tuple[int | None, int | None]] = field(default_factory=Counter)


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
    # Codebook versions of the year's registrations; a mix gets a method note (issue 20).
    codebook_versions: tuple[str, ...] = ()
    rule: Rule = DEFAULT_RULE
    new: Subgroup = field(default_factory=Subgroup)
    returning: Subgroup = field(default_factory=Subgroup)
    # Issue 17: referrals proposed in the year, from the referrals table (never a transcript):
    # "service_type" | "consent_level" | "outcome" -> value ("none": not given) -> count.
    referrals: dict[str, dict[str, int]] = field(default_factory=dict)


def _victim() -> ColumnElement[bool]:
    return p.c.victim_assessment.in_([code("victim_assessment", v) for v in VICTIM_VALUES])


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _has_bit(column: ColumnElement[int], bits: int) -> ColumnElement[bool]:
    return column.op("&")(bits) != 0


def _year_column(rule: Rule) -> ColumnElement[int]:
    """The year a person counts in under ``rule``: set only on the row that describes them (the
    year of their first request), so its index range holds exactly the counted persons."""
    return p.c.counted_first_seen if rule is Rule.FIRST_SEEN else p.c.counted_first_request


def _counted(organisation_id: str, rule: Rule, year: int) -> ColumnElement[bool]:
    return and_(p.c.organisation_id == organisation_id, _year_column(rule) == year)


async def has_data(
    conn: AsyncConnection, organisation_id: str, year: int, rule: Rule = DEFAULT_RULE
) -> bool:
    found = await conn.scalar(
        select(p.c.case_id).where(_counted(organisation_id, rule, year)).limit(1)
    )
    return found is not None


async def years_with_data(
    conn: AsyncConnection, organisation_id: str, rule: Rule = DEFAULT_RULE
) -> list[int]:
    column = _year_column(rule)
    rows = await conn.execute(
        select(column)
        .where(and_(p.c.organisation_id == organisation_id, column.is_not(None)))
        .group_by(column)
        .order_by(column)
    )
    return [int(row[0]) for row in rows]


async def _year_totals(
    conn: AsyncConnection, organisation_id: str, year: int, rule: Rule, returning: Subgroup
) -> dict[int, YearTotals]:
    first = year - TREND_YEARS + 1
    self_code = code("contact_role", "self")
    column = _year_column(rule)
    rows = await conn.execute(
        select(
            column,
            func.count(),
            _count_if(_victim()),
            _count_if(and_(_victim(), p.c.contact_role == self_code)),
            _count_if(and_(_victim(), p.c.first_seen_year == column)),
        )
        .where(
            and_(
                p.c.organisation_id == organisation_id,
                column >= first,
                column <= year,
            )
        )
        .group_by(column)
    )
    totals = {y: YearTotals(y) for y in range(first, year + 1)}
    for counted_year, persons, victims, self_victims, new_victims in rows:
        item = totals[int(counted_year)]
        item.persons, item.victims, item.self_victims, item.new_victims = (
            int(persons),
            int(victims),
            int(self_victims),
            int(new_victims),
        )
    # Returning victims per year, and this year's by type and "still in exploitation": one scan.
    # returning_year is set only on a row of a person first seen before that year who asked
    # again in it.
    back = p.c.returning_year
    for row_year, types, now, n in await conn.execute(
        select(back, p.c.exploitation_types, p.c.in_exploitation_now, func.count())
        .where(and_(p.c.organisation_id == organisation_id, back >= first, back <= year, _victim()))
        .group_by(back, p.c.exploitation_types, p.c.in_exploitation_now)
    ):
        totals[int(row_year)].returning_victims += int(n)
        if int(row_year) == year:
            returning.types_now[(types, now)] += int(n)
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


async def codebook_versions(
    conn: AsyncConnection, organisation_id: str, year: int
) -> tuple[str, ...]:
    """Codebook versions of the registrations started in ``year``: under the first-seen rule
    exactly the registrations a counted person's values come from. One index probe each."""
    start, end = year_bounds(year)
    found = []
    for version in CODEBOOK_VERSIONS:
        hit = await conn.scalar(
            select(r.c.conversation_id)
            .where(
                and_(
                    r.c.organisation_id == organisation_id,
                    r.c.codebook_version == version,
                    r.c.started_at >= start,
                    r.c.started_at < end,
                )
            )
            .limit(1)
        )
        if hit is not None:
            found.append(version)
    return tuple(found)


async def load_counts(
    conn: AsyncConnection, organisation_id: str, year: int, rule: Rule = DEFAULT_RULE
) -> ReportCounts:
    in_year = _counted(organisation_id, rule, year)
    victims = and_(in_year, _victim())
    returning = Subgroup()
    counts = ReportCounts(
        year=year,
        years=await _year_totals(conn, organisation_id, year, rule, returning),
        persons_by_month={},
        victims_by_month={},
        rule=rule,
        returning=returning,
    )
    month_column = p.c.first_seen_month if rule is Rule.FIRST_SEEN else p.c.first_request_month
    for month, persons, victim_count in await conn.execute(
        select(month_column, func.count(), _count_if(_victim()))
        .where(in_year)
        .group_by(month_column)
    ):
        counts.persons_by_month[int(month)] = int(persons)
        counts.victims_by_month[int(month)] = int(victim_count)

    # One scan for every single and multiple-answer field: a sum per (field, value).
    keys: list[tuple[str, str, int | None]] = []
    columns: list[ColumnElement[int]] = []
    for f in SINGLE_FIELDS:
        column = p.c[f.id]
        for value in f.values:
            keys.append(("single", f.id, value.code))
            columns.append(_count_if(column == value.code))
        keys.append(("single", f.id, None))
        columns.append(_count_if(column.is_(None)))
    for f in MULTI_FIELDS:
        column = p.c[f.id]
        for value in f.values:
            keys.append(("multi", f.id, value.code))
            columns.append(_count_if(_has_bit(column, 1 << value.code)))
        keys.append(("multi", f.id, None))
        columns.append(_count_if(column.is_(None)))
    parent_bits = mask("perpetrator_relations", *PARENT_RELATIONS)
    columns.append(_count_if(_has_bit(p.c.perpetrator_relations, parent_bits)))
    columns.append(_count_if(_has_bit(p.c.known_to, mask("known_to", "care", "police"))))
    row = (await conn.execute(select(*columns).where(victims))).one()
    for (kind, field_id, value_code), count in zip(keys, row[: len(keys)], strict=True):
        target = counts.single if kind == "single" else counts.multi
        target.setdefault(field_id, {})[value_code] = int(count)
    counts.parent_perpetrator = int(row[len(keys)])
    counts.care_or_police = int(row[len(keys) + 1])
    counts.codebook_versions = await codebook_versions(conn, organisation_id, year)

    # The cross tables and the new victims' tables from one grouped scan (a few thousand groups).
    new = p.c.first_seen_year == year
    grouping = (
        p.c.gender,
        p.c.exploitation_types,
        p.c.in_exploitation_now,
        p.c.age,
        p.c.is_minor,
        new,
    )
    for gender, types, now, age, minor, is_new, n in await conn.execute(
        select(*grouping, func.count()).where(victims).group_by(*grouping)
    ):
        counts.gender_types[(gender, types)] += int(n)
        counts.ages[(age, minor)] += int(n)
        if is_new:
            counts.new.types_now[(types, now)] += int(n)
    # Issue 17: counted by the moment of the proposal, in the calendar year in Amsterdam.
    counts.referrals = await count_for_report(conn, organisation_id, *year_bounds(year))
    return counts
