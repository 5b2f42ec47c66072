"""Report outputs (csv, json, html, pdf) and the ``baken report`` / ``baken demo seed`` commands."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from baken.cli import app
from baken.reports.export import CSV_HEADER, FORMULA_STARTS, safe_cell, to_csv, to_json
from baken.reports.html import to_html
from baken.reports.model import Cell, Report, Row, Section, Table
from baken.reports.pdf import to_pdf

runner = CliRunner()


def tiny_report(label: str = "girls", organisation: str = "Helpline") -> Report:
    table = Table(
        "gender",
        "Victims by gender",
        "category",
        ["count", "%"],
        [
            Row(label, [Cell(12), Cell(80.0, kind=Cell(0).kind.PERCENT)]),
            Row("boys", [Cell(None, suppressed=True), Cell(None, suppressed=True)]),
            Row("change", [Cell(-3, kind=Cell(0).kind.CHANGE), Cell(None)]),
        ],
    )
    return Report(
        year=2021,
        lang="en",
        title="Yearly report",
        subtitle=f"Chats of {organisation}, 2021",
        organisation=organisation,
        codebook_version="2026.1",
        threshold=5,
        generated_on="2026-01-01",
        provisional=False,
        notes=["x = suppressed"],
        sections=[Section("gender", "Gender", ["A paragraph."], [table])],
    )


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_get_an_apostrophe(start: str) -> None:
    assert safe_cell(start + "cmd|' /C calc'!A0") == "'" + start + "cmd|' /C calc'!A0"
    assert safe_cell("plain") == "plain"


def test_csv_export_is_long_format_and_injection_safe() -> None:
    report = tiny_report(label='=HYPERLINK("http://x","y")')
    text = to_csv(report)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_HEADER
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell
    by_label = {(r[2], r[3]): r for r in rows[1:]}
    assert by_label[('\'=HYPERLINK("http://x","y")', "count")][4] == "12"
    assert by_label[("boys", "count")][4:] == ["", "1"]
    assert by_label[("change", "count")][4] == "'-3"


def test_json_export_carries_no_value_for_a_suppressed_cell() -> None:
    data = json.loads(to_json(tiny_report()))
    rows = data["sections"][0]["tables"][0]["rows"]
    assert rows[1]["cells"][0] == {"value": None, "suppressed": True, "kind": "count"}
    assert data["codebook_version"] == "2026.1"
    assert data["threshold"] == 5


def test_a_suppressed_cell_cannot_even_hold_a_value() -> None:
    with pytest.raises(ValueError):
        Cell(3, suppressed=True)


def test_html_is_escaped() -> None:
    html = to_html(tiny_report(label="<script>alert(1)</script>", organisation="<b>x</b>"))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_pdf_is_a_real_pdf() -> None:
    pdf = to_pdf(tiny_report())
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert pages(pdf) == 1
    assert b"CreationDate" not in pdf  # nothing about when or where it was made


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data_dir = tmp_path_factory.mktemp("cli")
    result = runner.invoke(
        app,
        ["demo", "seed", "--years", "2019-2021", "--per-year", "400", "--seed", "3"],
        env={"BAKEN_DATA_DIR": str(data_dir)},
    )
    assert result.exit_code == 0, result.output
    assert "Seeded 1,200 synthetic registrations" in result.output
    yield data_dir


@pytest.mark.parametrize("fmt", ["pdf", "html", "csv", "json"])
def test_report_command_writes_every_format(seeded: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"r.{fmt}"
    result = runner.invoke(
        app,
        ["report", "--year", "2021", "--format", fmt, "--out", str(out), "--lang", "en"],
        env={"BAKEN_DATA_DIR": str(seeded)},
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if fmt == "pdf":
        assert data.startswith(b"%PDF-") and len(data) > 20_000
        # Title, method, then the tables and charts over several pages.
        assert pages(data) >= 6
    elif fmt == "json":
        parsed = json.loads(data)
        assert parsed["year"] == 2021 and parsed["codebook_version"] == "2026.2"
        headline = parsed["sections"][1]["tables"][0]["rows"][0]["cells"]
        assert headline[1]["value"] > 200
    elif fmt == "csv":
        assert data.decode().startswith(",".join(CSV_HEADER))
    else:
        assert b"<!doctype html>" in data and b"data:image/png;base64," in data


def test_report_refuses_a_year_without_data_and_a_future_year(seeded: Path) -> None:
    env = {"BAKEN_DATA_DIR": str(seeded)}
    empty = runner.invoke(app, ["report", "--year", "2015", "--format", "pdf"], env=env)
    assert empty.exit_code == 1
    assert "no registrations" in empty.output.lower()
    future = runner.invoke(
        app, ["report", "--year", str(date.today().year + 1), "--format", "pdf"], env=env
    )
    assert future.exit_code == 1
    assert "has not started yet" in future.output
    low = runner.invoke(app, ["report", "--year", "2021", "--threshold", "0"], env=env)
    assert low.exit_code == 2
    assert "at least 1" in low.output
    nowhere = runner.invoke(app, ["report", "--year", "2021", "--org", "nergens"], env=env)
    assert nowhere.exit_code == 1  # issue 14: an organisation that does not exist
    assert "no organisation 'nergens'" in nowhere.output


def test_report_to_stdout(seeded: Path) -> None:
    result = runner.invoke(
        app,
        ["report", "--year", "2020", "--format", "csv", "--out", "-"],
        env={"BAKEN_DATA_DIR": str(seeded)},
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("table,title,row,column,value,suppressed")


def test_report_command_takes_the_counting_rule(seeded: Path) -> None:
    env = {"BAKEN_DATA_DIR": str(seeded)}
    persons = {}
    for rule in ("first-seen", "first-request"):
        result = runner.invoke(
            app,
            ["report", "--year", "2020", "--format", "json", "--out", "-", "--rule", rule],
            env=env,
        )
        assert result.exit_code == 0, result.output
        parsed = json.loads(result.stdout)
        assert parsed["rule"] == rule
        persons[rule] = parsed["sections"][1]["tables"][0]["rows"][0]["cells"][1]["value"]
    # The demo data has people who first ask in a later year, so the rules differ.
    assert persons["first-seen"] != persons["first-request"]
    default = runner.invoke(
        app, ["report", "--year", "2020", "--format", "csv", "--out", "-"], env=env
    )
    assert default.stdout.splitlines()[1].endswith(",rule,,first-seen,0")
    wrong = runner.invoke(app, ["report", "--year", "2020", "--rule", "first-ever"], env=env)
    assert wrong.exit_code == 2


def test_demo_seed_refuses_bad_years_and_a_used_seed(seeded: Path) -> None:
    env = {"BAKEN_DATA_DIR": str(seeded)}
    bad = runner.invoke(app, ["demo", "seed", "--years", "2023-2019"], env=env)
    assert bad.exit_code == 2
    again = runner.invoke(
        app, ["demo", "seed", "--years", "2019-2021", "--per-year", "10", "--seed", "3"], env=env
    )
    assert again.exit_code == 1
    assert "already" in again.output
