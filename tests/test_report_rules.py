"""The two counting rules, new and returning victims and person values (issue 20), against a
hand-computed fixture on SQLite and PostgreSQL, plus the backfill migration.

The fixture (all moments 20:00 UTC, so the Dutch calendar day is the same):

A  2020-03 first chat, no request, nothing else known.  2021-02 request, victim, self, female,
   sexual, still in exploitation.                                  -> asks only in a later year
B  2020-05 request, victim, self, male, criminal, still in exploitation.
   2021-06 request, victim, gender *unknown*, no longer in exploitation.   -> returning; unknown
                                                                              keeps "male"
C  2021-04 request, presumed, close, female, labour.
   2021-11 request, victim, gender unknown, types unknown.       -> unknown after known, same year
D  2019-11 first chat, no request (its own case at first).
E  2021-03 request, victim, self, female, sexual; then a counselor links E to D's case.
                                                                  -> one person, first seen 2019
F  2020-08 no request; 2022-02 request, victim, self.  Then the 2020 registration is corrected
   to: request, victim, self, female, sexual.                  -> correction of an old registration
G  2021-09 request, not a victim, professional.
H  2021-10 no request (never counted).

first-request: 2020 B F (2 persons, 2 victims, 2 self);  2021 A C DE G (4, 3 victims, 2 self).
first-seen:    2019 DE (1, 1, 1);  2020 A B F (3, 3, 3);  2021 C G (2, 1 victim, 0 self).
New victims 2021 (first seen 2021): C under both rules.  Returning victims 2021 (first seen
earlier, request in 2021): A B DE = 3 under both rules; in 2022: F.
Chats with a request: 2020 B F = 2; 2021 A B C C E G = 6.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest
from sqlalchemy import delete, select

from baken.config import Settings
from baken.registration.case_links import link_to_earlier
from baken.registration.codebook import code
from baken.reports.export import to_csv, to_json
from baken.reports.html import to_html
from baken.reports.model import Report
from baken.reports.service import ReportError, Rule, make_report
from baken.store.database import Database
from baken.store.migrate import MIGRATIONS
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.store.tables import report_persons
from tests.registration_helpers import World, database_settings, utc
from tests.support import run_async

ON = date(2026, 6, 1)
FIRST_SEEN, FIRST_REQUEST = Rule.FIRST_SEEN, Rule.FIRST_REQUEST


async def build_fixture(world: World) -> dict[str, str]:
    """Returns case ids by person letter."""
    at = utc
    a = await world.person(at(2020, 3, 10, 20), trafficking_request="no")
    await world.again(
        a, at(2021, 2, 10, 20), trafficking_request="yes", victim_assessment="victim",
        contact_role="self", gender="female", exploitation_types=["sexual"],
        in_exploitation_now="yes",
    )  # fmt: skip
    b = await world.person(
        at(2020, 5, 10, 20), trafficking_request="yes", victim_assessment="victim",
        contact_role="self", gender="male", exploitation_types=["criminal"],
        in_exploitation_now="yes",
    )  # fmt: skip
    await world.again(
        b, at(2021, 6, 10, 20), trafficking_request="yes", victim_assessment="victim",
        gender="unknown", in_exploitation_now="no",
    )  # fmt: skip
    c = await world.person(
        at(2021, 4, 10, 20), trafficking_request="yes", victim_assessment="presumed",
        contact_role="close", gender="female", exploitation_types=["labour"],
    )  # fmt: skip
    await world.again(
        c, at(2021, 11, 10, 20), trafficking_request="yes", victim_assessment="victim",
        gender="unknown", exploitation_types=["unknown"],
    )  # fmt: skip
    d = await world.person(at(2019, 11, 10, 20), trafficking_request="no")
    e = await world.person(
        at(2021, 3, 10, 20), trafficking_request="yes", victim_assessment="victim",
        contact_role="self", gender="female", exploitation_types=["sexual"],
    )  # fmt: skip
    await link_to_earlier(world.db, e.conversation_id, d.conversation_id)
    f = await world.person(at(2020, 8, 10, 20), trafficking_request="no")
    await world.again(
        f, at(2022, 2, 10, 20), trafficking_request="yes", victim_assessment="victim",
        contact_role="self",
    )  # fmt: skip
    await world.register(
        f.conversation_id, trafficking_request="yes", victim_assessment="victim",
        contact_role="self", gender="female", exploitation_types=["sexual"],
    )  # fmt: skip
    g = await world.person(
        at(2021, 9, 10, 20), trafficking_request="yes", victim_assessment="not_victim",
        contact_role="professional",
    )  # fmt: skip
    h = await world.person(at(2021, 10, 10, 20), trafficking_request="no")
    return {"A": a.case_id, "B": b.case_id, "C": c.case_id, "D": d.case_id, "F": f.case_id,
            "G": g.case_id, "H": h.case_id}  # fmt: skip


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, dict[str, str]]]:
    with database_settings(request.param, tmp_path_factory.mktemp("rules")) as settings:

        async def fill() -> dict[str, str]:
            world = await World(settings).start()
            try:
                return await build_fixture(world)
            finally:
                await world.close()

        yield settings, run_async(fill())


def report_for(settings: Settings, year: int, rule: Rule, lang: str = "en") -> Report:
    async def make() -> Report:
        db = Database(settings)
        try:
            return await make_report(
                db,
                organisation_id=DEFAULT_ORGANISATION,
                organisation_name="Test helpline",
                year=year,
                threshold=1,
                lang=lang,
                on=ON,
                rule=rule,
            )
        finally:
            await db.dispose()

    made: Report = run_async(make())
    return made


def headline(report: Report) -> dict[str, int | float | None]:
    """Row label -> this year's count."""
    return {row.label: row.cells[1].value for row in report.table("headline").rows}


def counts(report: Report, table_id: str) -> dict[str, int | float | None]:
    return {row.label: row.cells[0].value for row in report.table(table_id).rows}


PERSONS = "Persons with a help request about human trafficking"
VICTIMS = "Victims (any reporter)"
SELF = "Self-reporting victims"
NEW = "New victims (first seen this year)"
RETURNING = "Returning victims (seen before, help request this year)"
CHATS = "Chats with a help request about human trafficking"


@pytest.mark.parametrize(
    ("rule", "year", "expected"),
    [
        (FIRST_REQUEST, 2020, {PERSONS: 2, VICTIMS: 2, SELF: 2, NEW: 2, RETURNING: 0, CHATS: 2}),
        (FIRST_REQUEST, 2021, {PERSONS: 4, VICTIMS: 3, SELF: 2, NEW: 1, RETURNING: 3, CHATS: 6}),
        (FIRST_SEEN, 2019, {PERSONS: 1, VICTIMS: 1, SELF: 1, NEW: 1, RETURNING: 0, CHATS: 0}),
        (FIRST_SEEN, 2020, {PERSONS: 3, VICTIMS: 3, SELF: 3, NEW: 3, RETURNING: 0, CHATS: 2}),
        (FIRST_SEEN, 2021, {PERSONS: 2, VICTIMS: 1, SELF: 0, NEW: 1, RETURNING: 3, CHATS: 6}),
    ],
)
def test_headline_under_both_rules(
    world_settings: tuple[Settings, dict[str, str]],
    rule: Rule,
    year: int,
    expected: dict[str, int],
) -> None:
    assert headline(report_for(world_settings[0], year, rule)) == expected


def test_years_without_counted_persons_have_no_report(
    world_settings: tuple[Settings, dict[str, str]],
) -> None:
    settings = world_settings[0]
    for rule, year in ((FIRST_REQUEST, 2019), (FIRST_REQUEST, 2022), (FIRST_SEEN, 2022)):
        with pytest.raises(ReportError) as caught:
            report_for(settings, year, rule)
        assert caught.value.code == "no_data"


def test_trend_counts_each_person_once_per_rule(
    world_settings: tuple[Settings, dict[str, str]],
) -> None:
    settings = world_settings[0]
    seen = {
        r.label: r.cells[0].value
        for r in report_for(settings, 2021, FIRST_SEEN).table("trend").rows
    }
    request = {
        r.label: r.cells[0].value
        for r in report_for(settings, 2021, FIRST_REQUEST).table("trend").rows
    }
    assert seen == {"2019": 1, "2020": 3, "2021": 2}
    assert request == {"2020": 2, "2021": 4}  # the trend starts at the first year with data
    assert sum(v or 0 for v in seen.values()) == sum(v or 0 for v in request.values()) == 6


def test_month_follows_the_rule(world_settings: tuple[Settings, dict[str, str]]) -> None:
    settings = world_settings[0]
    seen = counts(report_for(settings, 2020, FIRST_SEEN), "persons_month")
    assert (seen["Mar"], seen["May"], seen["Aug"], seen["total"]) == (1, 1, 1, 3)
    request = counts(report_for(settings, 2021, FIRST_REQUEST), "persons_month")
    assert (request["Feb"], request["Mar"], request["Apr"], request["Sep"]) == (1, 1, 1, 1)


def test_new_and_returning_tables(world_settings: tuple[Settings, dict[str, str]]) -> None:
    for rule in (FIRST_SEEN, FIRST_REQUEST):
        report = report_for(world_settings[0], 2021, rule)
        returning = counts(report, "returning_type")
        # A and DE sexual, B criminal.
        assert (returning["sexual only"], returning["criminal only"], returning["total"]) == (
            2, 1, 3,
        )  # fmt: skip
        now = counts(report, "returning_now")
        # A yes; B's later "no" replaces the earlier "yes"; DE never said.
        assert (now["yes"], now["no"], now["unknown"], now["total"]) == (1, 1, 1, 3)
        new = counts(report, "new_type")
        assert (new["labour only"], new["total"]) == (1, 1)  # C's later "unknown" keeps labour
        assert counts(report, "new_now")["unknown"] == 1


def test_unknown_never_overwrites_a_known_value(
    world_settings: tuple[Settings, dict[str, str]],
) -> None:
    settings, cases = world_settings
    # C: female in April, "unknown" in November of the same year.
    assert counts(report_for(settings, 2021, FIRST_SEEN), "gender")["girl / woman"] == 1
    # The derived rows themselves: B's 2021 row keeps 2020's "male".
    rows = _person_rows(settings)
    male, female = code("gender", "male"), code("gender", "female")
    assert rows[(cases["B"], 2021)]["gender"] == male
    assert rows[(cases["B"], 2021)]["in_exploitation_now"] == code("in_exploitation_now", "no")
    assert rows[(cases["C"], 2021)]["gender"] == female
    # The linked person: first seen with D in 2019, first request with E in 2021.
    assert rows[(cases["D"], 2021)]["first_seen_year"] == 2019
    assert rows[(cases["D"], 2021)]["first_request_year"] == 2021
    # The corrected old registration moved F's first request to 2020.
    assert rows[(cases["F"], 2020)]["first_request_year"] == 2020
    assert rows[(cases["F"], 2022)]["request"] == 1
    assert (cases["H"], 2021) in rows and rows[(cases["H"], 2021)]["first_request_year"] is None


def _person_rows(settings: Settings) -> dict[tuple[str, int], dict[str, Any]]:
    async def read() -> dict[tuple[str, int], dict[str, Any]]:
        db = Database(settings)
        try:
            async with db.reader.connect() as conn:
                rows = (await conn.execute(select(report_persons))).mappings().all()
        finally:
            await db.dispose()
        return {(row["case_id"], int(row["year"])): dict(row) for row in rows}

    found: dict[tuple[str, int], dict[str, Any]] = run_async(read())
    return found


def test_every_output_names_the_rule(world_settings: tuple[Settings, dict[str, str]]) -> None:
    for rule in (FIRST_SEEN, FIRST_REQUEST):
        report = report_for(world_settings[0], 2021, rule)
        assert orjson.loads(to_json(report))["rule"] == rule.value
        assert to_csv(report).splitlines()[1] == f"report,{report.title},rule,,{rule.value},0"
        html = to_html(report, with_charts=False)
        assert f"Counting rule: {rule.value}" in html


def test_method_text_in_dutch_and_english(world_settings: tuple[Settings, dict[str, str]]) -> None:
    settings = world_settings[0]
    en = report_for(settings, 2020, FIRST_SEEN, "en").sections[0].paragraphs
    nl = report_for(settings, 2020, FIRST_SEEN, "nl").sections[0].paragraphs
    assert any("'first-seen' (the CKM method)" in p for p in en)
    assert any("A published year can therefore still grow" in p and "2026-06-01" in p for p in en)
    assert any("'first-seen' (de methode van het CKM)" in p for p in nl)
    assert any("Een gepubliceerd jaar kan daardoor later nog groeien" in p and "2026-06-01" in p
               for p in nl)  # fmt: skip
    assert any("'Unknown' never overwrites" in p for p in en)
    assert any("'Onbekend' overschrijft nooit" in p for p in nl)
    old_en = report_for(settings, 2020, FIRST_REQUEST, "en").sections[0].paragraphs
    old_nl = report_for(settings, 2020, FIRST_REQUEST, "nl").sections[0].paragraphs
    assert any("Counting rule 'first-request'" in p for p in old_en)
    assert any("This is not the CKM method" in p for p in old_en)
    assert any("Telregel 'first-request'" in p for p in old_nl)
    assert any("Dit is niet de methode van het CKM" in p for p in old_nl)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_published_year_grows_when_a_request_is_marked_later(kind: str, tmp_path: Path) -> None:
    with database_settings(kind, tmp_path) as settings:

        async def first_chat() -> str:
            world = await World(settings).start()
            try:
                first = await world.person(utc(2020, 3, 10, 20), trafficking_request="no")
                await world.person(utc(2020, 4, 10, 20), trafficking_request="yes",
                                   victim_assessment="victim")  # fmt: skip
                return first.case_id
            finally:
                await world.close()

        case_id = run_async(first_chat())
        assert headline(report_for(settings, 2020, FIRST_SEEN))[PERSONS] == 1

        async def later_request() -> None:
            world = World(settings)
            try:
                conversation_id = await world.conversation(utc(2021, 1, 10, 20), case_id=case_id)
                await world.register(conversation_id, trafficking_request="yes",
                                     victim_assessment="victim")  # fmt: skip
            finally:
                await world.close()

        run_async(later_request())
        assert headline(report_for(settings, 2020, FIRST_SEEN))[PERSONS] == 2
        assert headline(report_for(settings, 2020, FIRST_REQUEST))[PERSONS] == 1


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_migration_backfills_what_saving_derives(kind: str, tmp_path: Path) -> None:
    """Rows written at save time, emptied, then rebuilt by the migration's backfill from the
    registrations alone: the same rows."""
    with database_settings(kind, tmp_path) as settings:

        async def fill() -> None:
            world = await World(settings).start()
            try:
                await build_fixture(world)
            finally:
                await world.close()

        run_async(fill())
        written = _person_rows(settings)
        assert len(written) == 11

        async def rebuild() -> int:
            db = Database(settings)
            try:
                async with db.writer.begin() as conn:
                    await conn.execute(delete(report_persons))
                    filled: int = await conn.run_sync(_migration().backfill)
                    return filled
            finally:
                await db.dispose()

        assert run_async(rebuild()) == 11
        assert _person_rows(settings) == written


def _migration() -> ModuleType:
    path = MIGRATIONS / "versions" / "0012_report_persons.py"
    spec = importlib.util.spec_from_file_location("migration_0012", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
