"""``baken org``: settings of an organisation (issue 16: whether its staff must use passkeys)."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from baken.audit.kinds import ORGANISATION, ORGANISATION_PASSKEYS, Actor
from baken.config import Settings
from baken.store import migrate
from baken.store.audit_repo import AuditLog
from baken.store.database import Database
from baken.store.passkey_repo import PasskeyRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION

org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
console = Console()


@org_app.command("passkeys")
def org_passkeys(
    require: bool = typer.Option(
        ...,
        "--require/--no-require",
        help="Require every staff member to sign in with a passkey, or no longer.",
    ),
    organisation: str = typer.Option(DEFAULT_ORGANISATION, "--org", help="Organisation id."),
) -> None:
    """Require passkeys for an organisation's staff: a code from the app is then no longer enough
    for anyone who has a passkey, and anyone without one adds one at their next sign-in."""
    settings = Settings()
    migrate.upgrade(settings)

    async def run() -> bool:
        db = Database(settings)
        try:
            if not await PasskeyRepository(db).set_required(organisation, require):
                return False
            detail = f"required={'yes' if require else 'no'}"
            await AuditLog(db).record(
                ORGANISATION_PASSKEYS, Actor.operator(), ORGANISATION, organisation, detail
            )
            return True
        finally:
            await db.dispose()

    if not asyncio.run(run()):
        console.print(f"[red]There is no organisation {organisation!r}.[/red]")
        raise typer.Exit(2)
    said = "now required" if require else "no longer required"
    console.print(f"Passkeys are {said} for organisation {organisation!r}.")
