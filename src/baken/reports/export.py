"""The report as CSV (one line per published cell) and as JSON."""

from __future__ import annotations

import csv
import io

import orjson

from baken.reports.model import Report

# A spreadsheet treats a cell starting with one of these as a formula (or strips it into one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """Neutralise spreadsheet formula injection: such a cell gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


CSV_HEADER = ("table", "title", "row", "column", "value", "suppressed")


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    # The counting rule first, so a table lifted from the file can be traced to its method.
    writer.writerow(["report", safe_cell(report.title), "rule", "", report.rule, "0"])
    for table in report.tables():
        for row in table.rows:
            for column, cell in zip(table.columns, row.cells, strict=True):
                value = "" if cell.suppressed or cell.value is None else cell.text("en")
                writer.writerow(
                    [
                        safe_cell(table.id),
                        safe_cell(table.title),
                        safe_cell(row.label),
                        safe_cell(column),
                        safe_cell(value),
                        "1" if cell.suppressed else "0",
                    ]
                )
    return buffer.getvalue()


def to_json(report: Report) -> bytes:
    return orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2)
