"""The ``baken`` command: serve, manage staff accounts, migrate the database."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable

import typer
from rich.console import Console
from rich.markup import escape

from baken.audit.kinds import (
    ACCOUNT_DISABLE,
    ACCOUNT_ENABLE,
    ACCOUNT_SECOND_FACTOR_RESET,
    ACCOUNT_SESSIONS_ENDED,
    STAFF,
    Actor,
)
from baken.auth.passwords import PasswordPolicyError, check_policy, hash_password
from baken.config import Settings
from baken.domain.conversation import Role
from baken.domain.languages import parse_languages
from baken.logging_setup import configure
from baken.store import migrate
from baken.store.audit_repo import AuditLog, audit_account_created
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import StaffRepository, UsernameTaken

app = typer.Typer(help="Baken: anonymous online help chat.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(db_app, name="db")
console = Console()


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to listen on (default BAKEN_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default BAKEN_PORT or 8000)."),
    demo: bool = typer.Option(False, help="Create a demo counselor and print its login."),
) -> None:
    """Run Baken."""
    settings = Settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    configure(settings.log_level, settings.log_format)
    migrate.upgrade(settings)
    demo_login = None
    if demo:
        from baken.devtools import reset_demo_counselor

        demo_login = asyncio.run(reset_demo_counselor(settings))
    else:
        from baken.keys.placement import warn_if_key_beside_database

        warn_if_key_beside_database(settings)  # issue 16: key and database on one disk
    print_startup(console, settings, demo_login)
    from baken.web.gc_tuning import parse_thresholds
    from baken.web.server import TunedServer, uvicorn_config

    TunedServer(
        uvicorn_config(settings),
        parse_thresholds(settings.gc_thresholds),
        on_started=lambda: console.print("  Running. Stop with Ctrl+C.", soft_wrap=True),
    ).run()


def base_url(settings: Settings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}"


def print_startup(out: Console, settings: Settings, demo_login: tuple[str, str] | None) -> None:
    """What `baken serve` says before it starts: where the pages are, and the demo login.

    soft_wrap: a line is never broken by Rich, so a URL or password is copied in one piece
    whatever the terminal's width (the terminal itself may still fold it on screen).
    """
    base = base_url(settings)
    lines = [
        f"[bold]Baken[/bold] on {settings.resolved_database_url.split('://')[0]}",
        f"  Visitor page:      {base}/",
        f"  Counselor console: {base}/staff",
    ]
    if demo_login is not None:
        username, password = (escape(value) for value in demo_login)
        lines += [
            "[yellow]  DEMO ONLY — never use this account for real chats.[/yellow]",
            f"  Demo login: username [bold]{username}[/bold], password [bold]{password}[/bold]",
            "  The first sign-in sets up two-step sign-in: scan the QR code with an "
            "authenticator app (see README).",
        ]
    for line in lines:
        out.print(line, soft_wrap=True)


class NoSuchOrganisation(Exception):
    pass


@user_app.command("add")
def user_add(
    username: str,
    display_name: str = typer.Option(..., "--name", help="Name the visitor sees, e.g. 'Anna'."),
    role: Role = typer.Option(
        Role.COUNSELOR,
        help="counselor, supervisor, admin, researcher (reports only, no chats) or partner "
        "(a partner organisation's professional: only chats they are invited into).",
    ),
    password_stdin: bool = typer.Option(False, help="Read the password from standard input."),
    organisation: str = typer.Option(
        "default", "--org", help="The organisation's slug (baken org list); default: default."
    ),
    languages: str = typer.Option(
        "", "--languages", help="Languages the member speaks, e.g. nl,en,pl (take-next prefers)."
    ),
) -> None:
    """Add a staff account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            console.print("[red]The passwords differ.[/red]")
            raise typer.Exit(2)
    try:
        check_policy(password)
    except PasswordPolicyError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    settings = Settings()
    migrate.upgrade(settings)

    async def add() -> None:
        db = Database(settings)
        try:
            repo = StaffRepository(db)
            await repo.ensure_organisation(settings.organisation_name)
            found = await OrganisationRepository(db).by_slug(organisation)
            if found is None:
                raise NoSuchOrganisation(organisation)
            member = await repo.create(
                username,
                display_name,
                hash_password(password),
                role,
                organisation_id=found.id,
                languages=parse_languages(languages),
            )
            await audit_account_created(db, member)
        finally:
            await db.dispose()

    try:
        asyncio.run(add())
    except NoSuchOrganisation:
        console.print(f"[red]There is no organisation {organisation!r} (baken org list).[/red]")
        raise typer.Exit(2) from None
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except UsernameTaken:
        console.print(f"[red]The username {username!r} is already taken.[/red]")
        raise typer.Exit(2) from None
    console.print(f"Added {role.value} {username!r}.")


# --- staff accounts (issue 5): sessions, disabling, a lost second factor ---


def _on_account(
    username: str, action: Callable[[StaffRepository, str], Awaitable[str]], audit_kind: str
) -> None:
    settings = Settings()
    migrate.upgrade(settings)

    async def run() -> str | None:
        db = Database(settings)
        try:
            repo = StaffRepository(db)
            found = await repo.by_username(username)
            if found is None:
                return None
            said = await action(repo, found[0].id)
            await AuditLog(db).record(audit_kind, Actor.operator(), STAFF, found[0].id)
            return said
        finally:
            await db.dispose()

    said = asyncio.run(run())
    if said is None:
        console.print(f"[red]There is no account {username!r}.[/red]")
        raise typer.Exit(2)
    console.print(said)


@user_app.command("sessions-end")
def user_sessions_end(username: str) -> None:
    """End every session of a staff member (open consoles close within seconds)."""

    async def end(repo: StaffRepository, staff_id: str) -> str:
        ended = await repo.end_sessions(staff_id)
        return f"Ended {ended} session(s) of {username!r}."

    _on_account(username, end, ACCOUNT_SESSIONS_ENDED)


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable a staff account and end its sessions."""

    async def disable(repo: StaffRepository, staff_id: str) -> str:
        await repo.set_active(staff_id, False)
        return f"Disabled {username!r}; its sessions have ended."

    _on_account(username, disable, ACCOUNT_DISABLE)


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Enable a disabled staff account again."""

    async def enable(repo: StaffRepository, staff_id: str) -> str:
        await repo.set_active(staff_id, True)
        return f"Enabled {username!r}."

    _on_account(username, enable, ACCOUNT_ENABLE)


@user_app.command("reset-2fa")
def user_reset_two_factor(username: str) -> None:
    """Remove a staff member's authenticator, recovery codes and passkeys (a lost phone) and end
    their sessions: the next sign-in, with the password, sets up a new authenticator."""
    from baken.store.passkey_repo import PasskeyRepository
    from baken.store.two_factor_repo import TwoFactorRepository

    async def reset(repo: StaffRepository, staff_id: str) -> str:
        await repo.end_sessions(staff_id)
        # Deleting needs no key: the master key is only for reading a secret.
        await TwoFactorRepository.remove(repo.db, staff_id)
        # A passkey may live on the lost phone too (issue 16).
        await PasskeyRepository(repo.db).remove_all(staff_id)
        return f"Two-step sign-in of {username!r} is reset; it is set up again at the next sign-in."

    _on_account(username, reset, ACCOUNT_SECOND_FACTOR_RESET)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date."""
    settings = Settings()
    migrate.upgrade(settings)
    console.print("The database is up to date.")


# Reports and demo data (issue 6).
from baken.cli_reports import demo_app, report  # noqa: E402

app.command("report")(report)
app.add_typer(demo_app, name="demo")

# Audit log, retention and master keys (issue 5).
from baken.cli_security import audit_app, keys_app, purge  # noqa: E402

app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.command("purge")(purge)

# Organisations: passkeys required or not (issue 16).
from baken.cli_org import org_app  # noqa: E402

app.add_typer(org_app, name="org")

# Posters and cards for a campaign (issue 18).
from baken.cli_poster import poster  # noqa: E402

app.command("poster")(poster)

# Indicator detection: evaluate on a labelled set, detect over a file (issue 19).
from baken.cli_signals import signals_app  # noqa: E402

app.add_typer(signals_app, name="signals")

# The partner directory: HSDS 3.0 import and export (issue 17, item 1).
from baken.cli_directory import directory_app  # noqa: E402

app.add_typer(directory_app, name="directory")

# Anonymised microdata for researchers: HTCDS export and k-anonymity check (issue 20).
from baken.cli_export import export_app  # noqa: E402

app.add_typer(export_app, name="export")

# Anonymous signals to the police: export signed, public key, verify (issue 17, item 4).
from baken.cli_police import police_app  # noqa: E402

app.add_typer(police_app, name="police-signal")
