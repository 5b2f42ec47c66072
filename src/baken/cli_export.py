"""``baken export htcds`` (k-anonymised microdata for researchers) and ``baken export check``."""

from __future__ import annotations

import asyncio
import os
import time
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from baken.audit import kinds
from baken.config import Settings
from baken.store import migrate
from baken.store.audit_repo import AuditLog
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import StaffRepository

export_app = typer.Typer(
    help="Anonymised microdata for researchers (issue 20).", no_args_is_help=True
)
console = Console(stderr=True)


class CountingRule(StrEnum):
    # Mirrors baken.reports.queries.Rule, like `baken report --rule`.
    FIRST_SEEN = "first-seen"
    FIRST_REQUEST = "first-request"


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{escape(message)}[/red]")
    return typer.Exit(1)


@export_app.command("htcds")
def htcds(
    year: int = typer.Option(..., help="The year whose counted victims are exported."),
    k: int = typer.Option(11, "--k", help="Every quasi-identifier combination occurs ≥ k times."),
    out: Path = typer.Option(..., help="The CSV file to write."),
    rule: CountingRule = typer.Option(
        CountingRule.FIRST_SEEN, "--rule", help="Counting rule, as for `baken report`."
    ),
    max_suppressed: float = typer.Option(
        0.05,
        "--max-suppressed",
        help="Share of rows that may be left out before coarser groups are preferred.",
    ),
    organisation: str = typer.Option(
        "default", "--org", help="The organisation's slug (baken org list)."
    ),
) -> None:
    """Write one HTCDS-compatible row per victim of YEAR, generalised and k-anonymised.

    Only for researchers and administrators: the command runs on the server, and every export
    is written to the audit log."""
    from baken.reports.htcds import ExportError, anonymise, check_k, load_victims, write_csv
    from baken.reports.queries import Rule

    try:
        check_k(k)
    except ExportError as exc:
        raise _fail(str(exc)) from None
    settings = Settings()
    migrate.upgrade(settings)
    started = time.perf_counter()

    async def run() -> int:
        db = Database(settings)
        try:
            await StaffRepository(db).ensure_organisation(settings.organisation_name)
            found = await OrganisationRepository(db).by_slug(organisation)
            if found is None:
                raise ExportError("no_organisation", f"There is no organisation {organisation!r}.")
            async with db.reader.connect() as conn:
                victims = await load_victims(conn, found.id, year, Rule(rule.value))
            if not victims:
                raise ExportError(
                    "no_data", f"No victims are counted in {year}: nothing to export."
                )
            export = anonymise(year, victims, k, max_suppressed)
            # Written beside the target first, so a failed export leaves no half file.
            partial = out.with_name(out.name + ".partial")
            with partial.open("w", newline="", encoding="utf-8") as handle:
                write_csv(export, handle)
            os.replace(partial, out)
            levels = export.levels
            await AuditLog(db).record(
                kinds.REPORT_EXPORT,
                kinds.Actor.operator().for_organisation(found.id),
                kinds.REPORT,
                str(year),
                f"fmt=htcds k={k} rule={rule.value} rows={len(export.rows)} "
                f"suppressed={export.suppressed} levels={levels.age}{levels.origin}"
                f"{levels.gender}",
            )
            console.print(
                f"Wrote {escape(str(out))}: {len(export.rows):,} of {export.victims:,} victims "
                f"of {year}, k={k}. Suppressed (left out): {export.suppressed:,}. "
                f"Generalisation: age level {levels.age}, origin level {levels.origin}, "
                f"gender level {levels.gender}."
            )
            return export.suppressed
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except ExportError as exc:
        raise _fail(str(exc)) from None
    console.print(f"Done in {time.perf_counter() - started:.1f} s.")


@export_app.command("check")
def check(
    file: Path = typer.Argument(..., help="A CSV file, e.g. from `baken export htcds`."),
    k: int = typer.Option(11, "--k", help="Smallest allowed group size."),
    columns: str | None = typer.Option(
        None,
        "--columns",
        help="Comma-separated quasi-identifier columns (default: the HTCDS export's).",
    ),
) -> None:
    """Verify k-anonymity of FILE; exit 1 and list the combinations that occur fewer than k
    times."""
    from baken.reports.kanon_check import DEFAULT_QUASI_IDENTIFIERS, CheckError, check_file

    chosen = (
        tuple(c.strip() for c in columns.split(",") if c.strip())
        if columns
        else DEFAULT_QUASI_IDENTIFIERS
    )
    try:
        result = check_file(file, k, chosen)
    except CheckError as exc:
        raise _fail(str(exc)) from None
    out = Console()
    if result.ok:
        out.print(
            f"k-anonymous with k={k}: {result.rows:,} rows in {result.groups:,} combinations, "
            f"the smallest has {result.smallest if result.smallest is not None else 0}."
        )
        return
    out.print(
        f"NOT k-anonymous with k={k}: {len(result.violations):,} combinations occur fewer "
        f"than {k} times.",
        markup=False,
    )
    for values, count in result.violations:
        described = ", ".join(f"{c}={v!r}" for c, v in values.items())
        out.print(f"{count:>6}  {described}", markup=False, soft_wrap=True)
    raise typer.Exit(1)
