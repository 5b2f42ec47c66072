"""Check that a microdata CSV is k-anonymous, independently of the code that wrote it.

Deliberately imports nothing from ``baken.reports.htcds``: the quasi-identifier list is written out
here again, and the file is read as plain CSV, so a mistake in the writer cannot hide itself.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# The columns a reader could know about a person from elsewhere (docs/htcds.md).
DEFAULT_QUASI_IDENTIFIERS = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
)


class CheckError(Exception):
    """The file cannot be checked at all (missing, not CSV, a quasi-identifier column missing)."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    k: int
    rows: int
    groups: int
    smallest: int | None
    # Combinations (column -> value) that occur fewer than k times, with their count.
    violations: list[tuple[dict[str, str], int]]

    @property
    def ok(self) -> bool:
        return not self.violations


def check_rows(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    k: int,
    quasi_identifiers: Sequence[str] = DEFAULT_QUASI_IDENTIFIERS,
) -> CheckResult:
    if k < 2:
        raise CheckError(f"k must be at least 2 (got {k}).")
    missing = [c for c in quasi_identifiers if c not in header]
    if missing:
        raise CheckError("Missing quasi-identifier columns: " + ", ".join(missing) + ".")
    if len(set(header)) != len(header):
        raise CheckError("A column name occurs twice in the header.")
    positions = [list(header).index(c) for c in quasi_identifiers]
    counts: Counter[tuple[str, ...]] = Counter()
    n = 0
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise CheckError(f"Line {line} has {len(row)} cells, the header {len(header)}.")
        counts[tuple(row[i] for i in positions)] += 1
        n += 1
    violations = [
        (dict(zip(quasi_identifiers, values, strict=True)), count)
        for values, count in sorted(counts.items())
        if count < k
    ]
    return CheckResult(
        k=k,
        rows=n,
        groups=len(counts),
        smallest=min(counts.values()) if counts else None,
        violations=violations,
    )


def check_file(
    path: Path, k: int, quasi_identifiers: Sequence[str] = DEFAULT_QUASI_IDENTIFIERS
) -> CheckResult:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if header is None:
                raise CheckError("The file is empty: no header.")
            return check_rows(header, reader, k, quasi_identifiers)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CheckError(f"Cannot read {path}: {exc}") from None
