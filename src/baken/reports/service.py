"""Make a report for one year: the checks a caller needs before any output is written."""

from __future__ import annotations

from datetime import date

from baken.registration.periods import REPORT_TIMEZONE
from baken.reports.build import build_report
from baken.reports.model import Report
from baken.reports.queries import DEFAULT_RULE, Rule, has_data, load_counts, years_with_data
from baken.reports.suppression import DEFAULT_THRESHOLD, ThresholdError, check_threshold
from baken.store.clock import utcnow
from baken.store.database import Database

__all__ = [
    "DEFAULT_RULE",
    "DEFAULT_THRESHOLD",
    "ReportError",
    "Rule",
    "available_years",
    "make_report",
    "today",
]


class ReportError(Exception):
    """A report that cannot be made; ``code`` is one of ``threshold``, ``future_year``,
    ``no_data``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def today() -> date:
    return utcnow().astimezone(REPORT_TIMEZONE).date()


async def available_years(
    db: Database, organisation_id: str, rule: Rule = DEFAULT_RULE
) -> list[int]:
    async with db.reader.connect() as conn:
        return await years_with_data(conn, organisation_id, rule)


async def make_report(
    db: Database,
    *,
    organisation_id: str,
    organisation_name: str,
    year: int,
    threshold: int = DEFAULT_THRESHOLD,
    lang: str = "nl",
    on: date | None = None,
    rule: Rule = DEFAULT_RULE,
) -> Report:
    on = on or today()
    try:
        check_threshold(threshold)
    except ThresholdError as exc:
        raise ReportError("threshold", str(exc)) from None
    if year > on.year:
        raise ReportError("future_year", f"{year} has not started yet: there is nothing to report.")
    async with db.reader.connect() as conn:
        if not await has_data(conn, organisation_id, year, rule):
            raise ReportError(
                "no_data", f"There are no registrations with a help request in {year}."
            )
        counts = await load_counts(conn, organisation_id, year, rule)
    return build_report(
        counts, threshold=threshold, lang=lang, organisation=organisation_name, today=on
    )
