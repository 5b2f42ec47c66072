"""``baken report`` and ``baken demo seed``."""

from __future__ import annotations

import asyncio
import sys
import time
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from baken.audit import kinds
from baken.config import Settings
from baken.store import migrate
from baken.store.audit_repo import AuditLog
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import StaffRepository

demo_app = typer.Typer(help="Synthetic demo data (never real data).", no_args_is_help=True)
console = Console(stderr=True)


class Format(StrEnum):
    HTML = "html"
    PDF = "pdf"
    CSV = "csv"
    JSON = "json"


class Lang(StrEnum):
    NL = "nl"
    EN = "en"


class CountingRule(StrEnum):
    # Mirrors baken.reports.queries.Rule; kept here so the CLI loads no report code up front.
    FIRST_SEEN = "first-seen"
    FIRST_REQUEST = "first-request"


def report(
    year: int = typer.Option(..., help="The year to report on, e.g. 2021."),
    format: Format = typer.Option(Format.PDF, "--format", help="html, pdf, csv or json."),
    out: Path | None = typer.Option(
        None, help="Where to write it (default baken-report-YEAR.FORMAT; '-' for stdout)."
    ),
    threshold: int = typer.Option(5, help="Counts below this are suppressed (at least 1)."),
    lang: Lang = typer.Option(Lang.NL, help="Language of the report: nl or en."),
    rule: CountingRule = typer.Option(
        CountingRule.FIRST_SEEN,
        "--rule",
        help="first-seen (CKM: the year a person first came into view) or first-request "
        "(the year of their first help request about trafficking).",
    ),
    organisation: str = typer.Option(
        "default", "--org", help="The organisation's slug (baken org list)."
    ),
) -> None:
    """Make the yearly report from the registrations (never from conversation texts)."""
    from baken.reports.service import ReportError, Rule, make_report

    if threshold < 1:
        console.print("[red]The suppression threshold must be at least 1.[/red]")
        raise typer.Exit(2)
    settings = Settings()
    migrate.upgrade(settings)

    async def run() -> bytes:
        db = Database(settings)
        try:
            # Issue 14: each organisation reports on its own registrations, under its own name.
            await StaffRepository(db).ensure_organisation(settings.organisation_name)
            found = await OrganisationRepository(db).by_slug(organisation)
            if found is None:
                raise ReportError(
                    "no_organisation", f"there is no organisation {organisation!r} (baken org list)"
                )
            made = await make_report(
                db,
                organisation_id=found.id,
                organisation_name=found.name,
                year=year,
                threshold=threshold,
                lang=lang.value,
                rule=Rule(rule.value),
            )
            await AuditLog(db).record(
                kinds.REPORT_EXPORT,
                kinds.Actor.operator().for_organisation(found.id),
                kinds.REPORT,
                str(year),
                f"fmt={format.value} threshold={threshold} rule={rule.value}",
            )
        finally:
            await db.dispose()
        if format is Format.JSON:
            from baken.reports.export import to_json

            return to_json(made)
        if format is Format.CSV:
            from baken.reports.export import to_csv

            return to_csv(made).encode("utf-8")
        if format is Format.HTML:
            from baken.reports.html import to_html

            return to_html(made).encode("utf-8")
        from baken.reports.pdf import to_pdf

        return to_pdf(made)

    started = time.perf_counter()
    try:
        data = asyncio.run(run())
    except ReportError as exc:
        console.print(f"[red]No report: {exc}[/red]")
        raise typer.Exit(1) from None
    if out is not None and str(out) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = out or Path(f"baken-report-{year}.{format.value}")
    target.write_bytes(data)
    console.print(f"Wrote {target} ({len(data):,} bytes) in {time.perf_counter() - started:.1f} s.")


@demo_app.command("seed")
def demo_seed(
    years: str = typer.Option("2019-2023", help="Years, e.g. 2019-2023 or 2021."),
    per_year: int = typer.Option(400, help="Registrations (conversations) per year."),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same data."),
) -> None:
    """Fill the database with synthetic cases, conversations and registrations."""
    from baken.demo.seed import SeedError, parse_years
    from baken.demo.seed import seed as run_seed

    try:
        chosen = parse_years(years)
    except SeedError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if per_year < 1:
        console.print("[red]--per-year must be at least 1.[/red]")
        raise typer.Exit(2)
    settings = Settings()
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            written = asyncio.run(run_seed(settings, chosen, per_year, seed, progress))
        except SeedError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    console.print(
        f"Seeded {written:,} synthetic registrations for {chosen[0]}–{chosen[-1]} "
        f"in {time.perf_counter() - started:.1f} s. Demo data only — never real."
    )
