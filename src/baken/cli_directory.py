"""``baken directory``: import and export an organisation's partner directory as Open Referral
HSDS 3.0 JSON (issue 17, item 1; docs/directory.md).

Import upserts by HSDS service id: new ids are added, known ids replaced when they differ,
services not in the file stay. A bad file is refused whole (exit status 1) with the item and
field, and nothing of it is imported. Each import is audited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from baken.audit.kinds import Actor
from baken.config import Settings
from baken.directory.hsds_file import Refused, dump, read
from baken.directory.repository import DirectoryRepository, ImportCounts
from baken.store import migrate
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository

T = TypeVar("T")

directory_app = typer.Typer(help="The partner directory (HSDS 3.0).", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _run(slug: str, work: Callable[[Database, str], Awaitable[T]]) -> T:
    """``work(db, organisation_id)`` on the installation's database, migrated first."""
    settings = Settings()
    migrate.upgrade(settings)

    async def run() -> T | None:
        db = Database(settings)
        try:
            if slug in (DEFAULT_ORGANISATION, "default"):
                # As the other commands do: the default organisation exists from the start.
                await StaffRepository(db).ensure_organisation(settings.organisation_name)
            repo = OrganisationRepository(db)
            found = await repo.by_id(slug) or await repo.by_slug(slug)
            if found is None:
                return None
            return await work(db, found.id)
        finally:
            await db.dispose()

    result = asyncio.run(run())
    if result is None:
        raise _fail(f"there is no organisation {slug!r}")
    return result


@directory_app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="A JSON array of HSDS 3.0 service objects."),
    organisation: str = typer.Option(
        DEFAULT_ORGANISATION, "--org", help="The organisation's slug (or id)."
    ),
) -> None:
    """Add the file's services to the directory, or replace those with the same id."""
    try:
        items = read(file)
    except Refused as error:
        raise _fail(f"{file}: refused, nothing imported: {error}") from None

    async def work(db: Database, organisation_id: str) -> ImportCounts:
        return await DirectoryRepository(db).import_items(organisation_id, items, Actor.operator())

    counts = _run(organisation, work)
    typer.echo(
        f"{len(items)} services: {counts.added} added, {counts.changed} changed, "
        f"{counts.unchanged} unchanged"
    )


@directory_app.command("export")
def export_command(
    out: Path = typer.Option(..., "--out", help="Write the HSDS JSON array here."),
    organisation: str = typer.Option(
        DEFAULT_ORGANISATION, "--org", help="The organisation's slug (or id)."
    ),
) -> None:
    """Write the directory as a JSON array of HSDS 3.0 services, in import order."""

    async def work(db: Database, organisation_id: str) -> list[dict[str, Any]]:
        return await DirectoryRepository(db).export(organisation_id)

    found = _run(organisation, work)
    try:
        out.write_bytes(dump(found))
    except OSError as error:
        raise _fail(f"{out}: {error.strerror}") from None
    typer.echo(f"{len(found)} services written to {out}")
