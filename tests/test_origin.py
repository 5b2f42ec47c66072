"""The origin field (issue 20, item 4): codebook 2026.2, victim-only, a report table, and
registrations of codebook 2026.1 that read as "unknown" with a method note (SQLite and
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import update

from baken.config import Settings
from baken.registration import codebook
from baken.registration.codebook import CODEBOOK_VERSION, CODEBOOK_VERSIONS, fields_newer_than
from baken.registration.validation import RegistrationInvalid, validate
from baken.reports.model import Report
from baken.reports.service import make_report
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.store.tables import registrations
from tests.registration_helpers import World, database_settings, utc
from tests.support import run_async

ON = date(2026, 6, 1)
GROUPS = (
    "netherlands",
    "eu_central_eastern",
    "eu_other",
    "europe_non_eu",
    "africa",
    "asia",
    "americas",
)


def test_origin_is_a_coarse_victim_only_field_of_the_new_codebook_version() -> None:
    origin = codebook.get("origin")
    assert CODEBOOK_VERSION == CODEBOOK_VERSIONS[-1] == origin.since == "2026.2"
    assert [v.id for v in origin.values] == ["unknown", *GROUPS]
    assert [v.code for v in origin.values] == list(range(8))
    assert origin.not_applicable_when == (codebook.NOT_A_VICTIM,)
    assert fields_newer_than("2026.1") == (origin,)
    assert fields_newer_than("2026.2") == ()
    assert "Poland" in origin.value("eu_central_eastern").label.en  # type: ignore[union-attr]
    assert "Oekraïne" in origin.value("europe_non_eu").label.nl  # type: ignore[union-attr]


def test_the_form_gets_the_field_in_both_languages() -> None:
    for lang, label, first in (("nl", "Herkomst", "Nederland"), ("en", "Origin", "Netherlands")):
        fields = {f["id"]: f for f in codebook.as_json(lang)["fields"]}  # type: ignore[attr-defined]
        origin = fields["origin"]
        assert origin["label"] == label
        assert origin["values"][1] == {"id": "netherlands", "label": first}
        assert origin["not_applicable_when"] == [
            {"field": "victim_assessment", "values": ["not_victim"]}
        ]


def test_origin_on_a_non_victim_is_refused_as_a_contradiction() -> None:
    with pytest.raises(RegistrationInvalid) as refused:
        validate({"victim_assessment": "not_victim", "origin": "africa"})
    assert [(e.field, e.code) for e in refused.value.errors] == [("origin", "not_applicable")]
    errors = refused.value.as_json("en")
    assert "Victim assessment" in errors["origin"]["message"]
    assert "not a victim" in errors["origin"]["message"]
    assert "geen slachtoffer" in refused.value.as_json("nl")["origin"]["message"]
    # "unknown" says nothing, so it is no contradiction; it is stored empty like any field that
    # does not apply.
    assert validate({"victim_assessment": "not_victim", "origin": "unknown"})["origin"] is None
    assert validate({"victim_assessment": "presumed", "origin": "asia"})["origin"] == 6
    assert validate({"victim_assessment": "at_risk", "origin": "asia"})["origin"] == 6
    assert validate({})["origin"] is None
    with pytest.raises(RegistrationInvalid):
        validate({"victim_assessment": "victim", "origin": "Poland"})


async def _fill(world: World) -> None:
    victim = {"trafficking_request": "yes", "victim_assessment": "victim"}
    await world.person(utc(2021, 2, 1, 20), **victim, origin="netherlands")
    await world.person(utc(2021, 3, 1, 20), **victim, origin="netherlands")
    await world.person(utc(2021, 4, 1, 20), **victim, origin="africa")
    await world.person(utc(2021, 4, 2, 20), **victim, origin="unknown")
    old = await world.person(utc(2021, 5, 1, 20), **victim)
    # Saved before the upgrade: codebook 2026.1 had no origin, so the column is empty.
    async with world.db.writer.begin() as conn:
        await conn.execute(
            update(registrations)
            .where(registrations.c.conversation_id == old.conversation_id)
            .values(codebook_version="2026.1")
        )
    await world.person(
        utc(2021, 6, 1, 20), trafficking_request="yes", victim_assessment="at_risk", origin="asia"
    )
    await world.person(
        utc(2021, 7, 1, 20), trafficking_request="yes", victim_assessment="not_victim"
    )
    await world.person(utc(2022, 3, 1, 20), **victim, origin="eu_central_eastern")
    # 2020 has only registrations saved before the upgrade.
    before = await world.person(utc(2020, 5, 1, 20), **victim)
    async with world.db.writer.begin() as conn:
        await conn.execute(
            update(registrations)
            .where(registrations.c.conversation_id == before.conversation_id)
            .values(codebook_version="2026.1")
        )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def origin_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    with database_settings(request.param, tmp_path_factory.mktemp("origin")) as settings:

        async def fill() -> None:
            world = await World(settings).start()
            try:
                await _fill(world)
            finally:
                await world.close()

        run_async(fill())
        yield settings


def _report(settings: Settings, year: int, lang: str = "en", threshold: int = 1) -> Report:
    async def make() -> Report:
        world = World(settings)
        try:
            return await make_report(
                world.db,
                organisation_id=DEFAULT_ORGANISATION,
                organisation_name="Test helpline",
                year=year,
                threshold=threshold,
                lang=lang,
                on=ON,
            )
        finally:
            await world.close()

    made: Report = run_async(make())
    return made


def test_the_origin_table_counts_victims_and_old_registrations_as_unknown(
    origin_settings: Settings,
) -> None:
    table = _report(origin_settings, 2021).table("origin")
    counts = {row.label: row.cells[0].value for row in table.rows}
    assert counts == {
        "Netherlands": 2,
        "Central and Eastern EU (Poland, Romania, Bulgaria, Hungary …)": 0,
        "other EU countries": 0,
        "Europe outside the EU (incl. Ukraine)": 0,
        "Africa": 1,
        "Asia": 0,  # the person at risk is not a victim
        "Americas": 0,
        "unknown": 2,  # one registered as unknown, one from codebook 2026.1
        "total": 5,
    }
    assert table.rows[0].cells[1].value == pytest.approx(40.0)
    nl = _report(origin_settings, 2021, lang="nl").table("origin")
    assert nl.title == "Herkomst van slachtoffers"
    assert nl.rows[0].label == "Nederland"


def test_a_year_that_mixes_codebook_versions_says_so_in_both_languages(
    origin_settings: Settings,
) -> None:
    method_en = _report(origin_settings, 2021).sections[0].paragraphs
    note_en = [p for p in method_en if "codebook versions" in p]
    assert note_en == [
        "This year's registrations were made with codebook versions 2026.1, 2026.2. Fields added "
        "later, 'Origin' (2026.2), are missing from registrations made with an older version "
        "and count as 'unknown' there."
    ]
    method_nl = _report(origin_settings, 2021, lang="nl").sections[0].paragraphs
    assert any("codeboekversies 2026.1, 2026.2" in p and "'Herkomst'" in p for p in method_nl)
    # 2022 has only registrations of the current version: no note.
    method_2022 = _report(origin_settings, 2022).sections[0].paragraphs
    assert not any("codebook versions" in p for p in method_2022)
    # A year of only the older version says so too: its origin is unknown throughout.
    method_2020 = _report(origin_settings, 2020).sections[0].paragraphs
    assert any("codebook versions 2026.1. Fields added later, 'Origin'" in p for p in method_2020)
    assert {r.label: r.cells[0].value for r in _report(origin_settings, 2020).table("origin").rows}[
        "unknown"
    ] == 1


def test_the_origin_table_is_suppressed_like_the_other_one_way_tables(
    origin_settings: Settings,
) -> None:
    threshold = 3
    report = _report(origin_settings, 2021, threshold=threshold)
    origin = report.table("origin")
    region = report.table("region")
    for table in (origin, region):
        assert table.rows[-1].total
        for row in table.rows:
            count = row.cells[0]
            if count.suppressed:
                continue
            assert count.value is not None
            assert not 0 < int(count.value) < threshold, (table.id, row.label)
    shown = {row.label: (c.value, c.suppressed) for row in origin.rows for c in row.cells[:1]}
    assert shown["Africa"] == (None, True)
    assert shown["Asia"] == (0, False)  # zeros are shown
