"""The yearly report's referral tables (issue 17, item 5) against a hand-computed fixture, on
SQLite and PostgreSQL: counted from the referrals table by the moment of the proposal in the
Amsterdam calendar year, with the report's small-number suppression, in every output.

Fixture (proposal moment UTC; service type, consent level, outcome):
  R8 2020-12-31 23:30 police, contact, arrived      (2021 in Amsterdam: counts in 2021)
  R1 2021-02-01 shelter, contact, arrived
  R2 2021-03-01 shelter, handoff, appointment
  R3 2021-04-01 shelter, handoff, -
  R4 2021-05-01 youth_care, contact, not_arrived
  R5 2021-06-01 legal_aid, - (declined), -
  R6 2021-07-01 youth_care, handoff (withdrawn later), unknown
  R7 2021-12-31 23:30 police, contact, arrived      (2022 in Amsterdam: not in 2021)

2021: shelter 3, youth care 2, legal aid 1, police 1 (7); contact 3, hand-off 3, none 1;
arrived 2, appointment 1, not arrived 1, declined 0, unknown 1, not recorded 2.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import insert

from baken.config import Settings
from baken.reports.export import to_csv, to_json
from baken.reports.html import to_html
from baken.reports.model import Report
from baken.reports.pdf import to_pdf
from baken.reports.service import Rule, make_report
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.store.tables import referrals
from tests.registration_helpers import World, database_settings, utc
from tests.support import run_async

ON = date(2026, 6, 1)
ROWS: list[tuple[datetime, str, str | None, str, str | None]] = [
    (utc(2020, 12, 31, 23, 30), "police", "contact", "contact", "arrived"),
    (utc(2021, 2, 1, 12), "shelter", "contact", "contact", "arrived"),
    (utc(2021, 3, 1, 12), "shelter", "handoff", "handoff", "appointment"),
    (utc(2021, 4, 1, 12), "shelter", "handoff", "handoff", None),
    (utc(2021, 5, 1, 12), "youth_care", "contact", "contact", "not_arrived"),
    (utc(2021, 6, 1, 12), "legal_aid", None, "declined", None),
    (utc(2021, 7, 1, 12), "youth_care", "handoff", "withdrawn", "unknown"),
    (utc(2021, 12, 31, 23, 30), "police", "contact", "contact", "arrived"),
]


async def fill(world: World) -> None:
    # The report needs a registered person in the year; the referrals hang on their chat.
    registered = await world.person(
        utc(2021, 2, 1, 10), trafficking_request="yes", victim_assessment="victim"
    )
    async with world.db.writer.begin() as conn:
        for at, service_type, level, status, outcome in ROWS:
            await conn.execute(
                insert(referrals).values(
                    id=secrets.token_hex(16),
                    organisation_id=DEFAULT_ORGANISATION,
                    conversation_id=registered.conversation_id,
                    service_id="svc-" + service_type,
                    service_type=service_type,
                    proposed_at=at,
                    status=status,
                    consent_level=level,
                    consent_scope="[]" if level else None,
                    consent_at=at if level else None,
                    withdrawn_at=at if status == "withdrawn" else None,
                    outcome=outcome,
                    outcome_at=at if outcome else None,
                )
            )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    with database_settings(request.param, tmp_path_factory.mktemp("report-ref")) as made:

        async def run() -> None:
            world = await World(made).start()
            try:
                await fill(world)
            finally:
                await world.close()

        run_async(run())
        yield made


def report_for(settings: Settings, threshold: int, lang: str = "en") -> Report:
    async def make() -> Report:
        world = World(settings)
        try:
            return await make_report(
                world.db,
                organisation_id=DEFAULT_ORGANISATION,
                organisation_name="Test helpline",
                year=2021,
                threshold=threshold,
                lang=lang,
                on=ON,
                rule=Rule.FIRST_REQUEST,
            )
        finally:
            await world.close()

    made: Report = run_async(make())
    return made


def counts(report: Report, table_id: str) -> dict[str, int | float | None]:
    return {row.label: row.cells[0].value for row in report.table(table_id).rows}


def test_the_three_tables_by_hand(settings: Settings) -> None:
    report = report_for(settings, threshold=1)
    assert counts(report, "referred_to") == {
        "Shelter": 3,
        "Youth care": 2,
        "Legal aid": 1,
        "Police": 1,
        "total": 7,
    }
    assert counts(report, "consent_level") == {
        "Contact details only": 3,
        "Warm hand-off": 3,
        "None (declined or no answer)": 1,
        "total": 7,
    }
    assert counts(report, "referral_outcome") == {
        "Arrived": 2,
        "Appointment made": 1,
        "Did not arrive": 1,
        "Declined": 0,
        "Unknown": 1,
        "Not recorded": 2,
        "total": 7,
    }
    dutch = report_for(settings, threshold=1, lang="nl")
    assert counts(dutch, "referred_to")["Opvang"] == 3
    assert dutch.table("consent_level").title == "Toestemming van de bezoeker"


def test_small_numbers_are_suppressed(settings: Settings) -> None:
    report = report_for(settings, threshold=3)
    for table_id in ("referred_to", "consent_level", "referral_outcome"):
        for row in report.table(table_id).rows:
            count = row.cells[0]
            if not count.suppressed:
                assert count.value in (0, None) or count.value >= 3, (table_id, row.label)
    outcome = {r.label: r.cells[0] for r in report.table("referral_outcome").rows}
    assert outcome["Arrived"].suppressed and outcome["Unknown"].suppressed


def test_every_output_carries_the_tables(settings: Settings) -> None:
    report = report_for(settings, threshold=1)
    data = json.loads(to_json(report))
    assert "referred_to" in json.dumps(data) and "referral_outcome" in json.dumps(data)
    html = to_html(report)
    assert "Referred to (type of service)" in html and "Outcome of referrals" in html
    assert "referral_outcome" in to_csv(report)
    assert to_pdf(report).startswith(b"%PDF")
