"""HTCDS microdata export and the independent k-anonymity checker (issue 20, item 6)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from typer.testing import CliRunner

from baken.audit import kinds
from baken.cli import app
from baken.config import Settings
from baken.registration.codebook import code, get, mask
from baken.reports import htcds
from baken.reports.export import FORMULA_STARTS
from baken.reports.htcds import (
    COLUMNS,
    QUASI_IDENTIFIERS,
    ExportError,
    Levels,
    anonymise,
    generalise,
    load_victims,
    to_fields,
    write_csv,
)
from baken.reports.kanon_check import (
    DEFAULT_QUASI_IDENTIFIERS,
    CheckError,
    check_file,
    check_rows,
)
from baken.reports.queries import Rule
from baken.store.database import Database
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.store.tables import audit_log, registrations
from tests.registration_helpers import World, database_settings, utc
from tests.support import run_async

runner = CliRunner()
HEADER = ",".join(DEFAULT_QUASI_IDENTIFIERS) + ",note"


def _write(tmp_path: Path, lines: list[str], name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def _line(year: str, gender: str, age: str, minor: str, origin: str, flags: str) -> str:
    return f"{year},{gender},{age},{minor},{origin},{flags},x"


# --- the checker against hand-made files ---


def test_the_checker_accepts_a_file_where_every_combination_occurs_k_times(tmp_path: Path) -> None:
    lines = [HEADER]
    lines += [_line("2021", "Female", "15-17", "Minor", "NL", "0,1,0")] * 3
    lines += [_line("2021", "Male", "", "Adult", "", ",,")] * 3
    result = check_file(_write(tmp_path, lines), k=3)
    assert result.ok and result.rows == 6 and result.groups == 2 and result.smallest == 3


def test_the_checker_finds_every_small_combination(tmp_path: Path) -> None:
    lines = [HEADER]
    lines += [_line("2021", "Female", "15-17", "Minor", "NL", "0,1,0")] * 3
    lines += [_line("2021", "Female", "15-17", "Minor", "Africa", "0,1,0")] * 2
    lines += [_line("2021", "Male", "30+", "Adult", "NL", "1,0,0")]
    # Differs only in a column that is no quasi-identifier: same group as the first three.
    lines.append(_line("2021", "Female", "15-17", "Minor", "NL", "0,1,0").replace(",x", ",y"))
    result = check_file(_write(tmp_path, lines), k=3)
    assert not result.ok
    assert [(v["citizenship"], v["gender"], n) for v, n in result.violations] == [
        ("Africa", "Female", 2),
        ("NL", "Male", 1),
    ]
    assert result.smallest == 1 and result.groups == 3


def test_empty_and_unknown_are_values_of_their_own(tmp_path: Path) -> None:
    # A reader who knows someone's origin is unknown learns the same from an empty cell.
    lines = [HEADER]
    lines += [_line("2021", "Female", "", "Minor", "", "0,1,0")] * 4
    lines += [_line("2021", "Female", "", "Minor", "NL", "0,1,0")]
    result = check_file(_write(tmp_path, lines), k=2)
    assert [n for _, n in result.violations] == [1]


def test_the_checker_refuses_what_it_cannot_check(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match="citizenship"):
        check_file(_write(tmp_path, ["yearOfRegistration,gender", "2021,Female"]), k=2)
    with pytest.raises(CheckError, match="Line 3"):
        check_file(_write(tmp_path, [HEADER, _line("2021", "F", "", "", "", "0,0,0"), "2021"]), 2)
    with pytest.raises(CheckError, match="at least 2"):
        check_rows(list(DEFAULT_QUASI_IDENTIFIERS), [], 1)
    with pytest.raises(CheckError, match="Cannot read"):
        check_file(tmp_path / "missing.csv", k=2)


def test_an_empty_file_cannot_be_checked(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(CheckError, match="empty"):
        check_file(path, k=2)


def test_check_command_exits_1_and_lists_the_violating_combinations(tmp_path: Path) -> None:
    lines = [HEADER]
    lines += [_line("2021", "Female", "15-17", "Minor", "NL", "0,1,0")] * 11
    lines += [_line("2021", "Male", "30+", "Adult", "Asia", "1,0,0")] * 2
    path = _write(tmp_path, lines)
    bad = runner.invoke(app, ["export", "check", str(path), "--k", "11"])
    assert bad.exit_code == 1
    assert "NOT k-anonymous" in bad.output
    assert "citizenship='Asia'" in bad.output and "     2  " in bad.output
    good = runner.invoke(app, ["export", "check", str(path), "--k", "2"])
    assert good.exit_code == 0, good.output
    assert "k-anonymous with k=2: 13 rows in 2 combinations" in good.output
    columns = runner.invoke(
        app, ["export", "check", str(path), "--k", "11", "--columns", "yearOfRegistration"]
    )
    assert columns.exit_code == 0, columns.output
    missing = runner.invoke(app, ["export", "check", str(path), "--columns", "nope"])
    assert missing.exit_code == 1 and "nope" in missing.output
    low = runner.invoke(app, ["export", "check", str(path), "--k", "1"])
    assert low.exit_code == 1 and "at least 2" in low.output


# --- the writer ---


def test_fields_map_stored_codes_and_leave_what_baken_lacks_empty() -> None:
    row = to_fields(
        2021,
        code("victim_assessment", "presumed"),
        code("gender", "female"),
        16,
        code("is_minor", "yes"),
        code("origin", "eu_central_eastern"),
        mask("exploitation_types", "sexual", "criminal"),
        mask("indicators", "debt_bondage", "isolation", "sextortion"),
    )
    assert row["yearOfRegistration"] == "2021" and row["Datasource"] == "Hotline"
    assert (row["gender"], row["ageBroad"], row["majorityStatus"]) == ("Female", "15-17", "Minor")
    assert row["citizenship"] == "EU-Central-Eastern"
    assert row["traffickingStatus"] == "Possible victim of trafficking"
    assert (row["isForcedLabour"], row["isSexualExploit"], row["isOtherExploit"]) == ("0", "1", "1")
    assert row["meansOfControlDebtBondage"] == "1"
    assert row["meansOfControlRestrictsMovement"] == "1"  # isolation
    assert row["meansOfControlThreats"] == "0"
    for never in ("meansOfControlPhysicalAbuse", "isForcedMarriage", "CountryOfExploitation"):
        assert row[never] == ""
    unknown = to_fields(2021, code("victim_assessment", "victim"), None, None, 0, None, 1, None)
    assert unknown["gender"] == unknown["ageBroad"] == unknown["citizenship"] == ""
    assert unknown["isSexualExploit"] == "" and unknown["meansOfControlThreats"] == ""
    assert unknown["traffickingStatus"] == "Actual victim of trafficking"
    assert list(row) == list(COLUMNS)


def test_the_generalisation_ladder() -> None:
    values = ("2021", "Other", "12-14", "Minor", "Africa", "0", "1", "0")
    assert generalise(values, Levels()) == values
    assert generalise(values, Levels(1, 1, 1)) == (
        "2021", "", "0-17", "Minor", "non-EU", "0", "1", "0",
    )  # fmt: skip
    assert generalise(values, Levels(2, 2, 0))[2:5] == ("", "Minor", "not-NL")
    assert generalise(values, Levels(0, 3, 0))[4] == ""
    assert generalise(("2021", "Female", "30+", "Adult", "NL", "", "", ""), Levels(2, 2, 1))[
        1:5
    ] == ("Female", "", "Adult", "NL")


def _victims(draw: st.DrawFn) -> list[dict[str, str]]:
    def pick(field_id: str) -> st.SearchStrategy[int | None]:
        return st.one_of(st.none(), st.sampled_from([v.code for v in get(field_id).values]))

    people = st.tuples(
        st.sampled_from(
            [code("victim_assessment", "victim"), code("victim_assessment", "presumed")]
        ),
        pick("gender"),
        st.one_of(st.none(), st.integers(0, 80)),
        pick("is_minor"),
        pick("origin"),
        st.one_of(st.none(), st.integers(0, (1 << 5) - 1)),
        st.one_of(st.none(), st.integers(0, (1 << 16) - 1)),
    )
    return [to_fields(2021, *p) for p in draw(st.lists(people, max_size=300))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), k=st.integers(2, 15), share=st.sampled_from([0.0, 0.05, 0.5, 1.0]))
def test_the_writer_output_passes_the_independent_checker(
    data: st.DataObject, k: int, share: float
) -> None:
    victims = _victims(data.draw)  # type: ignore[arg-type]
    export = anonymise(2021, victims, k, share)
    assert len(export.rows) + export.suppressed == len(victims)
    buffer = io.StringIO()
    write_csv(export, buffer)
    reader = csv.reader(io.StringIO(buffer.getvalue()))
    header = next(reader)
    assert tuple(header) == COLUMNS
    result = check_rows(header, reader, k)
    assert result.ok, result.violations
    assert result.rows == len(export.rows)


def test_with_enough_people_nothing_needs_generalising() -> None:
    victims = [
        to_fields(2021, 1, code("gender", g), age, None, code("origin", o), None, None)
        for g in ("female", "male")
        for age in (13, 16, 20, 40)
        for o in ("netherlands", "asia")
    ] * 11
    export = anonymise(2021, victims, 11)
    assert export.levels == Levels() and export.suppressed == 0
    lonely = [*victims, to_fields(2021, 1, code("gender", "other"), 50, None, 3, None, None)]
    export = anonymise(2021, lonely, 11)
    # One person in 177 is within the 5 % that may be left out: no coarser groups for them.
    assert export.levels == Levels() and export.suppressed == 1


def test_k_below_two_is_refused() -> None:
    with pytest.raises(ExportError, match="at least 2"):
        anonymise(2021, [], 1)


def test_cells_a_spreadsheet_would_run_are_neutralised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(htcds, "DATASOURCE", "=HYPERLINK(1)")
    victims = [to_fields(2021, 1, 1, 20, None, 1, 2, 0)] * 3
    buffer = io.StringIO()
    write_csv(anonymise(2021, victims, 2), buffer)
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows[1][COLUMNS.index("Datasource")] == "'=HYPERLINK(1)"
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell


# --- from the database, SQLite and PostgreSQL ---


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def export_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    with database_settings(request.param, tmp_path_factory.mktemp("htcds")) as settings:

        async def fill() -> None:
            world = await World(settings).start()
            try:
                victim = {"trafficking_request": "yes", "victim_assessment": "victim"}
                for day in range(1, 5):
                    await world.person(
                        utc(2021, 3, day, 20), **victim, gender="female", age=16,
                        origin="netherlands", exploitation_types=["sexual"],
                    )  # fmt: skip
                old = await world.person(utc(2021, 4, 1, 20), **victim, gender="male", age=40)
                async with world.db.writer.begin() as conn:
                    await conn.execute(
                        update(registrations)
                        .where(registrations.c.conversation_id == old.conversation_id)
                        .values(codebook_version="2026.1")
                    )
                await world.person(
                    utc(2021, 5, 1, 20), trafficking_request="yes", victim_assessment="at_risk"
                )
            finally:
                await world.close()

        run_async(fill())
        yield settings


def test_victims_come_from_the_report_counting_and_old_registrations_read_unknown(
    export_settings: Settings,
) -> None:
    async def load() -> list[dict[str, str]]:
        db = Database(export_settings)
        try:
            async with db.reader.connect() as conn:
                return await load_victims(conn, DEFAULT_ORGANISATION, 2021, Rule.FIRST_SEEN)
        finally:
            await db.dispose()

    victims = run_async(load())
    assert len(victims) == 5  # the person at risk is no victim
    by_gender = sorted((v["gender"], v["ageBroad"], v["citizenship"]) for v in victims)
    assert by_gender == [("Female", "15-17", "NL")] * 4 + [("Male", "30+", "")]
    export = anonymise(2021, victims, 4)
    assert export.suppressed == 1 and len(export.rows) == 4


def test_export_command_writes_audits_and_refuses_bad_input(
    export_settings: Settings, tmp_path: Path
) -> None:
    env = {"BAKEN_DATA_DIR": str(export_settings.data_dir)}
    if export_settings.database_url:
        env["BAKEN_DATABASE_URL"] = export_settings.database_url
    out = tmp_path / "htcds.csv"
    done = runner.invoke(
        app, ["export", "htcds", "--year", "2021", "--k", "2", "--out", str(out)], env=env
    )
    assert done.exit_code == 0, done.output
    assert "Suppressed (left out): 1" in done.output
    checked = runner.invoke(app, ["export", "check", str(out), "--k", "2"], env=env)
    assert checked.exit_code == 0, checked.output
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert len(rows) == 4 and {r["citizenship"] for r in rows} == {"NL"}
    assert set(QUASI_IDENTIFIERS) <= set(rows[0])

    async def audited() -> list[tuple[str, str | None, str | None, str | None]]:
        db = Database(export_settings)
        try:
            async with db.reader.connect() as conn:
                found = await conn.execute(
                    select(
                        audit_log.c.kind,
                        audit_log.c.actor_role,
                        audit_log.c.object_id,
                        audit_log.c.detail,
                    ).where(audit_log.c.kind == kinds.REPORT_EXPORT)
                )
                return [tuple(r) for r in found]
        finally:
            await db.dispose()

    records = run_async(audited())
    assert records[-1] == (
        kinds.REPORT_EXPORT,
        "operator",
        "2021",
        "fmt=htcds k=2 rule=first-seen rows=4 suppressed=1 levels=000",
    )

    low = runner.invoke(
        app, ["export", "htcds", "--year", "2021", "--k", "1", "--out", str(out)], env=env
    )
    assert low.exit_code == 1 and "at least 2" in low.output
    empty = tmp_path / "none.csv"
    nothing = runner.invoke(
        app, ["export", "htcds", "--year", "2015", "--k", "11", "--out", str(empty)], env=env
    )
    assert nothing.exit_code == 1 and "No victims are counted in 2015" in nothing.output
    assert not empty.exists()
    elsewhere = runner.invoke(
        app,
        ["export", "htcds", "--year", "2021", "--k", "2", "--org", "nergens", "--out", str(empty)],
        env=env,
    )  # issue 14: an organisation that does not exist
    assert elsewhere.exit_code == 1 and "no organisation 'nergens'" in elsewhere.output
    assert not empty.exists()
    assert len(run_async(audited())) == len(records)  # refused exports write nothing


def test_the_checker_shares_no_code_with_the_writer() -> None:
    import ast

    import baken.reports.kanon_check as checker

    tree = ast.parse(Path(checker.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not [name for name in imported if name.startswith("baken")], imported
