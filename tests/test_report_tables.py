"""Every report table against a small hand-computed fixture (SQLite and PostgreSQL).

The fixture (all moments UTC; Amsterdam is one or two hours ahead):

2020  P1 victim, self (March).  P8 victim, professional (July).  P2 first chat, no request.
2021  P1 back (counted in 2020, so only as a chat).  P2 back with a request (counted in 2021:
      first *request* in 2021).  P3 January presumed + June victim (June stands for P3, month is
      January).  P4 at risk, P5 not a victim (persons, not victims).  P6 victim reported by
      someone close.  P7 presumed, age unknown but minor.  P10 at 23:30 UTC on 31 December 2020,
      which is January 2021 in Amsterdam.  P11 adult victim, labour.
2022  P9 at 23:30 UTC on 31 December 2021 (2022 in Amsterdam).

2021: persons P2 P3 P4 P5 P6 P7 P10 P11 = 8; victims P2 P3 P6 P7 P10 P11 = 6; self-reporting
victims P2 P3 P7 P10 P11 = 5; chats with a request 10 (P1, P2, P3 twice, P4, P5, P6, P7, P10,
P11). 2020: persons 2, victims 2, self 1, chats 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from baken.config import Settings
from baken.reports.model import Report
from baken.reports.service import ReportError, Rule, make_report
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.registration_helpers import World, database_settings, utc
from tests.support import run_async

ON = date(2026, 6, 1)


async def build_fixture(world: World) -> None:
    p1 = await world.person(
        utc(2020, 3, 10, 20), trafficking_request="yes", victim_assessment="victim",
        contact_role="self",
    )  # fmt: skip
    await world.person(
        utc(2020, 7, 1, 20), trafficking_request="yes", victim_assessment="victim",
        contact_role="professional",
    )  # fmt: skip
    await world.again(p1, utc(2021, 5, 5, 20), trafficking_request="yes")
    p2_first = await world.person(utc(2020, 11, 5, 20), trafficking_request="no")
    await world.again(
        p2_first, utc(2021, 2, 1, 20),
        trafficking_request="yes", victim_assessment="victim", contact_role="self",
        gender="female", age=14, exploitation_types=["sexual"], in_exploitation_now="yes",
        exploitation_duration="lt1", perpetrator_relations=["loverboy_pimp"],
        multiple_perpetrators="yes", clients_involved="yes", siblings_exploited="no",
        first_disclosure="yes", known_to=["none"], language="nl", region="west",
        referrals=["specialised_care"], emergency_actions=["none"], risk_level="high",
    )  # fmt: skip
    p3 = await world.person(
        utc(2021, 1, 15, 20),
        trafficking_request="yes", victim_assessment="presumed", contact_role="self",
        gender="male", age=15, exploitation_types=["sexual"], language="en",
    )  # fmt: skip
    await world.again(
        p3, utc(2021, 6, 20, 20),
        trafficking_request="yes", victim_assessment="victim", contact_role="self",
        gender="female", age=16, exploitation_types=["sexual", "criminal"],
        in_exploitation_now="yes", exploitation_duration="y5_10",
        perpetrator_relations=["father", "mother"], multiple_perpetrators="yes",
        clients_involved="no", siblings_exploited="yes", first_disclosure="no",
        known_to=["care", "police"], language="nl", region="north",
        referrals=["youth_care", "police"], emergency_actions=["police"], risk_level="acute",
    )  # fmt: skip
    await world.person(
        utc(2021, 3, 3, 20), trafficking_request="yes", victim_assessment="at_risk",
        contact_role="close", gender="female", age=13,
    )  # fmt: skip
    await world.person(
        utc(2021, 4, 4, 20), trafficking_request="yes", victim_assessment="not_victim",
        contact_role="professional",
    )  # fmt: skip
    await world.person(
        utc(2021, 5, 10, 20),
        trafficking_request="yes", victim_assessment="victim", contact_role="close",
        gender="male", age=19, exploitation_types=["criminal"], in_exploitation_now="no",
        exploitation_duration="y1_2", perpetrator_relations=["criminal_network"],
        multiple_perpetrators="no", clients_involved="unknown", siblings_exploited="unknown",
        first_disclosure="yes", known_to=["police"], language="en", region="abroad",
        referrals=["none"], emergency_actions=["none"], risk_level="medium",
    )  # fmt: skip
    await world.person(
        utc(2021, 12, 1, 20),
        trafficking_request="yes", victim_assessment="presumed", contact_role="self",
        is_minor="yes", exploitation_types=["unknown"],
        perpetrator_relations=["step_foster_parent"], language="nl",
    )  # fmt: skip
    await world.person(
        utc(2020, 12, 31, 23, 30),
        trafficking_request="yes", victim_assessment="victim", contact_role="self",
        gender="female", age=9, exploitation_types=["sexual"], in_exploitation_now="yes",
        exploitation_duration="lt1", perpetrator_relations=["loverboy_pimp", "online_contact"],
        known_to=["school"], language="other",
    )  # fmt: skip
    await world.person(
        utc(2021, 7, 7, 20),
        trafficking_request="yes", victim_assessment="victim", contact_role="self",
        gender="female", age=35, exploitation_types=["labour"], in_exploitation_now="no",
        exploitation_duration="ge10", perpetrator_relations=["employer"],
    )  # fmt: skip
    await world.person(
        utc(2021, 12, 31, 23, 30), trafficking_request="yes", victim_assessment="victim",
        contact_role="self",
    )  # fmt: skip


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fixture_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    with database_settings(request.param, tmp_path_factory.mktemp("report")) as settings:

        async def fill() -> None:
            world = await World(settings).start()
            try:
                await build_fixture(world)
            finally:
                await world.close()

        run_async(fill())
        yield settings


def report_for(
    settings: Settings,
    year: int,
    threshold: int = 1,
    lang: str = "en",
    rule: Rule = Rule.FIRST_REQUEST,
) -> Report:
    """The tables here were computed by hand for the first-request rule (test_report_rules.py
    covers first-seen)."""

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
                rule=rule,
            )
        finally:
            await world.close()

    made: Report = run_async(make())
    return made


def counts(report: Report, table_id: str) -> dict[str, int | float | None]:
    """Row label -> first cell (the count), None when suppressed."""
    return {row.label: row.cells[0].value for row in report.table(table_id).rows}


def test_headline_counts_and_change_on_the_previous_year(fixture_settings: Settings) -> None:
    report = report_for(fixture_settings, 2021)
    rows = {r.label: [c.value for c in r.cells] for r in report.table("headline").rows}
    assert rows["Persons with a help request about human trafficking"] == [2, 8, 6, 300.0]
    assert rows["Victims (any reporter)"] == [2, 6, 4, 200.0]
    assert rows["Self-reporting victims"] == [1, 5, 4, 400.0]
    assert rows["Chats with a help request about human trafficking"] == [2, 10, 8, 400.0]
    assert report.table("headline").columns[:2] == ["2020", "2021"]


def test_multi_year_trend_counts_each_person_once(fixture_settings: Settings) -> None:
    report = report_for(fixture_settings, 2022)
    trend = {r.label: [c.value for c in r.cells] for r in report.table("trend").rows}
    # Starts at the first year with data; P1, P2 and P3 appear in one year each.
    assert trend == {
        "2020": [2, 2, 1, 2],
        "2021": [8, 6, 5, 10],
        "2022": [1, 1, 1, 1],
    }
    chart = report.table("trend").chart
    assert chart is not None and chart.categories == ["2020", "2021", "2022"]


def test_per_month(fixture_settings: Settings) -> None:
    report = report_for(fixture_settings, 2021)
    persons = counts(report, "persons_month")
    assert [persons[m] for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul")] == [
        2, 1, 1, 1, 1, 0, 1,
    ]  # fmt: skip
    assert persons["Dec"] == 1 and persons["total"] == 8
    victims = counts(report, "victims_month")
    assert [victims[m] for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jul", "Dec")] == [
        2, 1, 0, 0, 1, 1, 1,
    ]  # fmt: skip
    assert victims["total"] == 6


def test_type_gender_and_gender_by_type(fixture_settings: Settings) -> None:
    report = report_for(fixture_settings, 2021)
    assert counts(report, "type") == {
        "sexual only": 2,
        "criminal only": 1,
        "sexual and criminal": 1,
        "labour only": 1,
        "other or several types": 0,
        "unknown": 1,
        "total": 6,
    }
    assert counts(report, "gender") == {
        "girl / woman": 4,
        "boy / man": 1,
        "other / non-binary": 0,
        "unknown": 1,
        "total": 6,
    }
    cross = {r.label: [c.value for c in r.cells] for r in report.table("gender_type").rows}
    assert cross["girl / woman"] == [2, 0, 1, 1, 0, 0, 4]
    assert cross["boy / man"] == [0, 1, 0, 0, 0, 0, 1]
    assert cross["unknown"] == [0, 0, 0, 0, 0, 1, 1]
    assert cross["total"] == [2, 1, 1, 1, 0, 1, 6]
    shares = {r.label: r.cells[1].value for r in report.table("gender").rows}
    assert shares["girl / woman"] == pytest.approx(66.666, abs=0.01)


def test_age_groups_and_statistics(fixture_settings: Settings) -> None:
    report = report_for(fixture_settings, 2021)
    assert counts(report, "age") == {
        "minor": 4,
        "under 15": 2,
        "under 12": 1,
        "12–14": 1,
        "15–17": 1,
        "minor, exact age unknown": 1,
        "adult": 2,
        "18–22": 1,
        "23–29": 0,
        "30 or older": 1,
        "adult, exact age unknown": 0,
        "unknown": 0,
        "total": 6,
    }
    stats = counts(report, "age_stats")
    assert stats["mean age"] == 19  # 93 / 5 = 18.6, published in whole years
    assert stats["youngest"] == 9 and stats["oldest"] == 35


def test_situation_tables(fixture_settings: Settings) -> None:
    report = report_for(fixture_settings, 2021)
    assert counts(report, "now") == {"yes": 3, "no": 2, "unknown": 1, "total": 6}
    assert counts(report, "duration") == {
        "less than 1 year": 2,
        "1 to 2 years": 1,
        "2 to 5 years": 0,
        "5 to 10 years": 1,
        "10 years or more": 1,
        "unknown": 1,
        "total": 6,
    }


def test_perpetrator_tables_with_the_parent_subgroup(fixture_settings: Settings) -> None:
    report = report_for(fixture_settings, 2021)
    relations = counts(report, "relations")
    assert relations["loverboy / pimp"] == 2
    assert relations["father"] == 1 and relations["mother"] == 1
    assert relations["step or foster parent"] == 1
    assert relations["criminal network"] == 1
    assert relations["online contact / stranger"] == 1
    assert relations["employer"] == 1
    assert relations["partner / ex"] == 0 and relations["unknown"] == 0
    parent = [k for k in relations if k.startswith("of which a parent")]
    assert relations[parent[0]] == 2
    assert counts(report, "multiple") == {"yes": 2, "no": 1, "unknown": 3, "total": 6}
    assert counts(report, "clients") == {"yes": 1, "no": 1, "unknown": 4, "total": 6}
    assert counts(report, "siblings") == {"yes": 1, "no": 1, "unknown": 4, "total": 6}


def test_disclosure_known_to_language_region(fixture_settings: Settings) -> None:
    report = report_for(fixture_settings, 2021)
    assert counts(report, "first") == {"yes": 2, "no": 1, "unknown": 3, "total": 6}
    known = counts(report, "known")
    assert known == {
        "nobody": 1,
        "care services": 1,
        "police": 2,
        "Veilig Thuis": 0,
        "school": 1,
        "other": 0,
        "unknown": 2,
        "known to care services or police": 2,
    }
    assert counts(report, "language") == {
        "Dutch": 3,
        "English": 1,
        "other language": 1,
        "unknown": 1,
        "total": 6,
    }
    region = counts(report, "region")
    assert (region["North Netherlands"], region["West Netherlands"]) == (1, 1)
    assert (region["outside the Netherlands"], region["unknown"], region["total"]) == (1, 3, 6)


def test_referrals_and_safety(fixture_settings: Settings) -> None:
    report = report_for(fixture_settings, 2021)
    referrals = counts(report, "referrals")
    assert (referrals["none"], referrals["specialised care"], referrals["youth care"]) == (1, 1, 1)
    assert (referrals["police"], referrals["unknown"], referrals["shelter"]) == (1, 3, 0)
    safety = counts(report, "safety")
    assert (safety["none"], safety["police informed"], safety["unknown"]) == (2, 1, 3)
    assert counts(report, "risk") == {
        "low": 0,
        "medium": 1,
        "high": 1,
        "acute danger": 1,
        "unknown": 3,
        "total": 6,
    }


def test_method_and_codebook_version_are_stated(fixture_settings: Settings) -> None:
    report = report_for(fixture_settings, 2021, threshold=5, lang="nl")
    assert report.codebook_version == "2026.2"
    method = report.sections[0]
    assert method.id == "method"
    assert any("2026.2" in p for p in method.paragraphs)
    assert any("drempel" in n for n in report.notes)


def test_with_the_default_threshold_small_counts_are_hidden(fixture_settings: Settings) -> None:
    report = report_for(fixture_settings, 2021, threshold=5)
    for table in report.tables():
        if table.id == "age_stats":
            continue
        for row in table.rows:
            for cell in row.cells:
                if cell.kind.value == "count" and not cell.suppressed:
                    assert cell.value == 0 or cell.value is None or cell.value >= 5, (
                        table.id,
                        row.label,
                    )
    rows = {r.label: r.cells for r in report.table("headline").rows}
    persons = rows["Persons with a help request about human trafficking"]
    assert persons[0].suppressed and persons[1].value == 8
    assert persons[2].value is None  # no change against a hidden number
    assert rows["Self-reporting victims"][1].value == 5


def test_a_year_without_data_or_in_the_future_is_refused(fixture_settings: Settings) -> None:
    with pytest.raises(ReportError) as none:
        report_for(fixture_settings, 2019)
    assert none.value.code == "no_data"
    with pytest.raises(ReportError) as future:
        report_for(fixture_settings, 2027)
    assert future.value.code == "future_year"
    with pytest.raises(ReportError) as threshold:
        report_for(fixture_settings, 2021, threshold=0)
    assert threshold.value.code == "threshold"
