"""HTCDS-compatible, k-anonymised microdata: one CSV row per victim counted in a year (issue 20).

Columns carry the names of the CTDC global data set, the k-anonymised exchange format built on
IOM's Human Trafficking Case Data Standard (docs/htcds.md has the mapping). A column Baken has no
data for stays empty; nothing is guessed.

Anonymisation: the quasi-identifiers are generalised together over the whole file (age bands,
origin groups, gender "other"; one lattice of levels, docs/htcds.md), and every row whose
combination of quasi-identifiers still occurs fewer than ``k`` times is left out and counted.
Rows are written sorted by their values, so their order says nothing about when someone chatted.
"""

from __future__ import annotations

import csv
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from baken.registration.codebook import UNKNOWN, get, mask
from baken.reports.export import safe_cell
from baken.reports.queries import Rule, _counted, _victim
from baken.store.tables import report_persons as p

MIN_K = 2
DEFAULT_K = 11
# Largest share of rows that may be left out before a coarser generalisation is preferred.
DEFAULT_MAX_SUPPRESSED = 0.05

# The file's columns, in order. Empty ones are HTCDS/CTDC fields Baken does not register.
COLUMNS = (
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "majorityStatusAtExploit",
    "majorityEntry",
    "citizenship",
    "traffickingStatus",
    "meansOfControlDebtBondage",
    "meansOfControlTakesEarnings",
    "meansOfControlRestrictsFinancialAccess",
    "meansOfControlThreats",
    "meansOfControlPsychologicalAbuse",
    "meansOfControlPhysicalAbuse",
    "meansOfControlSexualAbuse",
    "meansOfControlFalsePromises",
    "meansOfControlPsychoactiveSubstances",
    "meansOfControlRestrictsMovement",
    "meansOfControlRestrictsMedicalCare",
    "meansOfControlExcessiveWorkingHours",
    "meansOfControlUsesChildren",
    "meansOfControlThreatOfLawEnforcement",
    "meansOfControlWithholdsNecessities",
    "meansOfControlWithholdsDocuments",
    "meansOfControlOther",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "isForcedMarriage",
    "isForcedMilitary",
    "isOrganRemoval",
    "isSlaveryAndPractices",
    "typeOfLabourConcatenated",
    "typeOfSexConcatenated",
    "isAbduction",
    "CountryOfExploitation",
)
QUASI_IDENTIFIERS = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
)

DATASOURCE = "Hotline"
YES, NO, EMPTY = "1", "0", ""

MAJORITY = {"yes": "Minor", "no": "Adult"}
GENDER = {"female": "Female", "male": "Male", "other": "Other"}
TRAFFICKING_STATUS = {
    "victim": "Actual victim of trafficking",
    "presumed": "Possible victim of trafficking",
}
# Origin groups, then the coarser steps of the ladder (docs/htcds.md).
ORIGIN = {
    "netherlands": "NL",
    "eu_central_eastern": "EU-Central-Eastern",
    "eu_other": "EU-Other",
    "europe_non_eu": "Europe-non-EU",
    "africa": "Africa",
    "asia": "Asia",
    "americas": "Americas",
}
ORIGIN_LEVEL_1 = {
    "NL": "NL",
    "EU-Central-Eastern": "EU-not-NL",
    "EU-Other": "EU-not-NL",
    "Europe-non-EU": "non-EU",
    "Africa": "non-EU",
    "Asia": "non-EU",
    "Americas": "non-EU",
}
AGE_BANDS = ((0, 11), (12, 14), (15, 17), (18, 22), (23, 29), (30, 120))
AGE_LEVEL_1 = {"0-11": "0-17", "12-14": "0-17", "15-17": "0-17", "18-22": "18-29", "23-29": "18-29"}
# Baken indicator ids behind each HTCDS means of control; a column not listed stays empty.
MEANS_OF_CONTROL = {
    "meansOfControlDebtBondage": ("debt_bondage",),
    "meansOfControlTakesEarnings": ("wage_withholding",),
    "meansOfControlThreats": ("intimidation",),
    "meansOfControlFalsePromises": ("deception",),
    "meansOfControlRestrictsMovement": ("restriction_of_movement", "isolation"),
    "meansOfControlExcessiveWorkingHours": ("excessive_overtime",),
    "meansOfControlWithholdsDocuments": ("document_retention",),
}
EXPLOITATION = {
    "isForcedLabour": ("labour",),
    "isSexualExploit": ("sexual",),
    "isOtherExploit": ("criminal", "other"),
}

# Highest level per generalised quasi-identifier (0: as registered).
AGE_LEVELS, ORIGIN_LEVELS, GENDER_LEVELS = 2, 3, 1


class ExportError(Exception):
    """An export that cannot be made; ``code`` is ``k``, ``share`` or ``no_data``."""

    def __init__(self, code_: str, message: str) -> None:
        super().__init__(message)
        self.code = code_


@dataclass(frozen=True, slots=True)
class Levels:
    age: int = 0
    origin: int = 0
    gender: int = 0

    @property
    def height(self) -> int:
        return self.age + self.origin + self.gender


@dataclass(frozen=True, slots=True)
class Export:
    year: int
    k: int
    levels: Levels
    rows: list[tuple[str, ...]]
    suppressed: int

    @property
    def victims(self) -> int:
        return len(self.rows) + self.suppressed


def check_k(k: int) -> None:
    if k < MIN_K:
        raise ExportError("k", f"k must be at least {MIN_K} (got {k}).")


# --- from stored codes to HTCDS values ---


def _by_code(field_id: str, table: dict[str, str]) -> dict[int, str]:
    return {v.code: table[v.id] for v in get(field_id).values if v.id in table}


def _masks(field_id: str, columns: dict[str, tuple[str, ...]]) -> tuple[int, list[int]]:
    return mask(field_id, UNKNOWN), [mask(field_id, *ids) for ids in columns.values()]


# Looked up once: the codebook's own lookups hash whole field definitions, too slow per row.
_GENDER = _by_code("gender", GENDER)
_MAJORITY = _by_code("is_minor", MAJORITY)
_ORIGIN = _by_code("origin", ORIGIN)
_STATUS = _by_code("victim_assessment", TRAFFICKING_STATUS)
_TYPE_MASKS = _masks("exploitation_types", EXPLOITATION)
_CONTROL_MASKS = _masks("indicators", MEANS_OF_CONTROL)


def _label(stored: int | None, table: dict[int, str]) -> str:
    return EMPTY if stored is None else table.get(stored, EMPTY)


def age_band(age: int | None) -> str:
    if age is None:
        return EMPTY
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}-{high}" if high < 120 else f"{low}+"
    return EMPTY


def _flags(stored: int | None, masks: tuple[int, list[int]]) -> list[str]:
    """1/0 per column when the multiple-answer field is known, all empty when it is not."""
    unknown, bits = masks
    if stored is None or stored in (0, unknown):
        return [EMPTY] * len(bits)
    return [YES if stored & b else NO for b in bits]


def to_fields(
    year: int,
    assessment: int | None,
    gender: int | None,
    age: int | None,
    minor: int | None,
    origin: int | None,
    types: int | None,
    indicators: int | None,
) -> dict[str, str]:
    """One victim's row before generalisation, column -> value."""
    row = dict.fromkeys(COLUMNS, EMPTY)
    row["yearOfRegistration"] = str(year)
    row["Datasource"] = DATASOURCE
    row["gender"] = _label(gender, _GENDER)
    row["ageBroad"] = age_band(age)
    row["majorityStatus"] = _label(minor, _MAJORITY)
    row["citizenship"] = _label(origin, _ORIGIN)
    row["traffickingStatus"] = _label(assessment, _STATUS)
    row.update(zip(EXPLOITATION, _flags(types, _TYPE_MASKS), strict=True))
    row.update(zip(MEANS_OF_CONTROL, _flags(indicators, _CONTROL_MASKS), strict=True))
    return row


# --- generalisation and suppression ---


def generalise(values: Sequence[str], levels: Levels) -> tuple[str, ...]:
    """Quasi-identifier values (in QUASI_IDENTIFIERS order) at ``levels``."""
    out = list(values)
    age = QUASI_IDENTIFIERS.index("ageBroad")
    origin = QUASI_IDENTIFIERS.index("citizenship")
    gender = QUASI_IDENTIFIERS.index("gender")
    if levels.age >= 1:
        out[age] = AGE_LEVEL_1.get(out[age], out[age])
    if levels.age >= 2:
        out[age] = EMPTY  # majorityStatus still says minor or adult
    if levels.origin >= 1:
        out[origin] = ORIGIN_LEVEL_1.get(out[origin], out[origin])
    if levels.origin >= 2 and out[origin] not in ("NL", EMPTY):
        out[origin] = "not-NL"
    if levels.origin >= 3:
        out[origin] = EMPTY
    if levels.gender >= 1 and out[gender] == GENDER["other"]:
        out[gender] = EMPTY
    return tuple(out)


def _lattice() -> list[Levels]:
    return [
        Levels(a, o, g)
        for a, o, g in itertools.product(
            range(AGE_LEVELS + 1), range(ORIGIN_LEVELS + 1), range(GENDER_LEVELS + 1)
        )
    ]


def choose_levels(
    combinations: Counter[tuple[str, ...]], k: int, max_suppressed: float
) -> tuple[Levels, int]:
    """The least generalisation that leaves out at most ``max_suppressed`` of the rows; if none
    does, the one that leaves out fewest. Returns the levels and the rows left out."""
    total = sum(combinations.values())
    scored: list[tuple[Levels, int]] = []
    for levels in _lattice():
        grouped: Counter[tuple[str, ...]] = Counter()
        for values, n in combinations.items():
            grouped[generalise(values, levels)] += n
        scored.append((levels, sum(n for n in grouped.values() if n < k)))
    within = [s for s in scored if s[1] <= max_suppressed * total]
    if within:
        return min(within, key=lambda s: (s[0].height, s[1], s[0].age, s[0].origin))
    return min(scored, key=lambda s: (s[1], s[0].height, s[0].age, s[0].origin))


def anonymise(
    year: int,
    victims: Iterable[dict[str, str]],
    k: int,
    max_suppressed: float = DEFAULT_MAX_SUPPRESSED,
) -> Export:
    check_k(k)
    if not 0 <= max_suppressed <= 1:
        raise ExportError("share", "The largest suppressed share must be from 0 to 1.")
    qi_index = [COLUMNS.index(c) for c in QUASI_IDENTIFIERS]
    rows = [tuple(v[c] for c in COLUMNS) for v in victims]
    combinations = Counter(tuple(r[i] for i in qi_index) for r in rows)
    levels, _ = choose_levels(combinations, k, max_suppressed)
    generalised = {values: generalise(values, levels) for values in combinations}
    sizes: Counter[tuple[str, ...]] = Counter()
    for values, n in combinations.items():
        sizes[generalised[values]] += n
    kept: list[tuple[str, ...]] = []
    suppressed = 0
    for row in rows:
        qi = generalised[tuple(row[i] for i in qi_index)]
        if sizes[qi] < k:
            suppressed += 1
            continue
        out = list(row)
        for i, value in zip(qi_index, qi, strict=True):
            out[i] = value
        kept.append(tuple(out))
    kept.sort()
    return Export(year, k, levels, kept, suppressed)


# --- database and file ---


async def load_victims(
    conn: AsyncConnection, organisation_id: str, year: int, rule: Rule
) -> list[dict[str, str]]:
    """The victims the report counts in ``year`` under ``rule``, as HTCDS fields."""
    result = await conn.execute(
        select(
            p.c.victim_assessment,
            p.c.gender,
            p.c.age,
            p.c.is_minor,
            p.c.origin,
            p.c.exploitation_types,
            p.c.indicators,
        ).where(and_(_counted(organisation_id, rule, year), _victim()))
    )
    return [to_fields(year, *row) for row in result]


def write_csv(export: Export, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in export.rows:
        writer.writerow([safe_cell(cell) for cell in row])
