"""The finished report as plain data: what every output format (html, csv, json, pdf) renders.

Suppression has already been applied here: a suppressed cell has no value at all, so no output
can leak it by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class CellKind(StrEnum):
    COUNT = "count"
    PERCENT = "percent"
    NUMBER = "number"
    CHANGE = "change"


@dataclass(frozen=True, slots=True)
class Cell:
    value: float | int | None
    kind: CellKind = CellKind.COUNT
    suppressed: bool = False

    def __post_init__(self) -> None:
        if self.suppressed and self.value is not None:
            raise ValueError("a suppressed cell carries no value")

    def text(self, lang: str) -> str:
        if self.suppressed:
            return "x"
        if self.value is None:
            return "–"
        if self.kind is CellKind.PERCENT:
            return _decimal(f"{self.value:.1f}", lang)
        if self.kind is CellKind.NUMBER:
            if isinstance(self.value, int):
                return str(self.value)
            return _decimal(f"{self.value:.1f}", lang)
        if self.kind is CellKind.CHANGE:
            return (
                f"{self.value:+d}"
                if isinstance(self.value, int)
                else _decimal(f"{self.value:+.1f}", lang)
            )
        return str(self.value)


def _published(cell: Cell) -> float | int | None:
    # Machine-readable output carries no more precision than the printed report (one
    # decimal), so no sum can be recovered from a percentage's or a mean's trailing digits.
    if cell.suppressed:
        return None
    if isinstance(cell.value, float):
        return round(cell.value, 1)
    return cell.value


def _decimal(text: str, lang: str) -> str:
    return text.replace(".", ",") if lang == "nl" else text


@dataclass(slots=True)
class Row:
    label: str
    cells: list[Cell]
    total: bool = False
    level: int = 0


@dataclass(frozen=True, slots=True)
class Chart:
    """What to draw: ``bar`` (one series, categories) or ``line`` (several series over years).
    Suppressed points are None and drawn as gaps."""

    kind: str
    categories: list[str]
    series: list[tuple[str, list[int | None]]]


@dataclass(slots=True)
class Table:
    id: str
    title: str
    stub: str
    columns: list[str]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    chart: Chart | None = None
    withheld: bool = False


@dataclass(slots=True)
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass(slots=True)
class Report:
    year: int
    lang: str
    title: str
    subtitle: str
    organisation: str
    codebook_version: str
    threshold: int
    generated_on: str
    provisional: bool
    notes: list[str]
    sections: list[Section]
    # Issue 20: the counting rule, "first-seen" (CKM, default) or "first-request".
    rule: str = "first-seen"

    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    def table(self, table_id: str) -> Table:
        for table in self.tables():
            if table.id == table_id:
                return table
        raise KeyError(table_id)

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "lang": self.lang,
            "title": self.title,
            "subtitle": self.subtitle,
            "organisation": self.organisation,
            "codebook_version": self.codebook_version,
            "threshold": self.threshold,
            "rule": self.rule,
            "generated_on": self.generated_on,
            "provisional": self.provisional,
            "notes": self.notes,
            "sections": [
                {
                    "id": s.id,
                    "title": s.title,
                    "paragraphs": s.paragraphs,
                    "tables": [
                        {
                            "id": t.id,
                            "title": t.title,
                            "withheld": t.withheld,
                            "stub": t.stub,
                            "columns": t.columns,
                            "notes": t.notes,
                            "rows": [
                                {
                                    "label": row.label,
                                    "total": row.total,
                                    "level": row.level,
                                    "cells": [
                                        {
                                            "value": _published(c),
                                            "suppressed": c.suppressed,
                                            "kind": c.kind.value,
                                        }
                                        for c in row.cells
                                    ],
                                }
                                for row in t.rows
                            ],
                        }
                        for t in s.tables
                    ],
                }
                for s in self.sections
            ],
        }
