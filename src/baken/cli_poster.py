"""``baken poster``: a printable PDF for a campaign (issue 18, item 4; see posters.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import typer
from rich.console import Console

from baken.config import Settings
from baken.domain.organisation import Organisation
from baken.service_hours.config import ServiceConfig
from baken.service_hours.store import ServiceHoursStore
from baken.store import migrate
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository

console = Console()
errors = Console(stderr=True)


def poster(
    campaign: str = typer.Option(..., help="Campaign code: letters, digits, hyphens, ≤ 32."),
    lang: str = typer.Option("nl", help="Language of the texts: nl or en."),
    out: Path = typer.Option(..., help="The PDF to write."),
    base_url: str = typer.Option(
        "", help="Public address, e.g. https://chat.example.org (default BAKEN_PUBLIC_URL)."
    ),
    organisation: str = typer.Option(
        "default", "--org", help="The organisation's slug: its entry, hours and numbers."
    ),
) -> None:
    """A4 poster and a sheet of wallet cards with the QR code, the address, the hours and 112."""
    # Here, not at the top: matplotlib takes half a second to import, and every `baken` command
    # (`baken serve` after a crash, too) would wait for it (issue 21, item 4).
    from baken.posters import PosterError, check_campaign, check_lang, make_poster

    try:
        check_campaign(campaign)
        check_lang(lang)
        settings = Settings()
        base = base_url or settings.public_url
        if not base:
            raise PosterError("Set BAKEN_PUBLIC_URL or give --base-url https://chat.example.org.")
        found = _organisation(settings, organisation)
        # Issue 14: the QR code leads to the organisation's own entry.
        if found.host:
            base = f"{urlsplit(base).scheme}://{found.host}"
        elif found.id != DEFAULT_ORGANISATION:
            base = f"{base.rstrip('/')}/o/{found.slug}"
        url = make_poster(
            out, campaign=campaign, lang=lang, base_url=base, config=_hours(settings, found.id)
        )
    except PosterError as error:
        errors.print(f"[red]{error}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"Wrote {out} (2 pages) for {url}", highlight=False)


def _organisation(settings: Settings, slug: str) -> Organisation:
    from baken.posters import PosterError

    migrate.upgrade(settings)

    async def load() -> Organisation | None:
        db = Database(settings)
        try:
            # A fresh installation has its default organisation only once something made it.
            await StaffRepository(db).ensure_organisation(settings.organisation_name)
            return await OrganisationRepository(db).by_slug(slug)
        finally:
            await db.dispose()

    found = asyncio.run(load())
    if found is None:
        raise PosterError(f"There is no organisation {slug!r} (baken org list).")
    return found


def _hours(settings: Settings, organisation_id: str) -> ServiceConfig:
    async def load() -> ServiceConfig:
        db = Database(settings)
        try:
            config, _version = await ServiceHoursStore(db).load(organisation_id)
            return config
        finally:
            await db.dispose()

    return asyncio.run(load())
