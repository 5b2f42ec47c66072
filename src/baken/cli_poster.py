"""``baken poster``: a printable PDF for a campaign (issue 18, item 4; see posters.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console

from baken.config import Settings
from baken.posters import PosterError, check_campaign, check_lang, make_poster
from baken.service_hours.config import ServiceConfig
from baken.service_hours.store import ServiceHoursStore
from baken.store import migrate
from baken.store.database import Database
from baken.store.staff_repo import DEFAULT_ORGANISATION

console = Console()
errors = Console(stderr=True)


def poster(
    campaign: str = typer.Option(..., help="Campaign code: letters, digits, hyphens, ≤ 32."),
    lang: str = typer.Option("nl", help="Language of the texts: nl or en."),
    out: Path = typer.Option(..., help="The PDF to write."),
    base_url: str = typer.Option(
        "", help="Public address, e.g. https://chat.example.org (default BAKEN_PUBLIC_URL)."
    ),
) -> None:
    """A4 poster and a sheet of wallet cards with the QR code, the address, the hours and 112."""
    try:
        check_campaign(campaign)
        check_lang(lang)
        settings = Settings()
        base = base_url or settings.public_url
        if not base:
            raise PosterError("Set BAKEN_PUBLIC_URL or give --base-url https://chat.example.org.")
        url = make_poster(out, campaign=campaign, lang=lang, base_url=base, config=_hours(settings))
    except PosterError as error:
        errors.print(f"[red]{error}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"Wrote {out} (2 pages) for {url}", highlight=False)


def _hours(settings: Settings) -> ServiceConfig:
    migrate.upgrade(settings)

    async def load() -> ServiceConfig:
        db = Database(settings)
        try:
            config, _version = await ServiceHoursStore(db).load(DEFAULT_ORGANISATION)
            return config
        finally:
            await db.dispose()

    return asyncio.run(load())
