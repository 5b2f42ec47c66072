"""``baken org``: the organisations that share this installation (issue 14), and their settings
(issue 16: whether their staff must use passkeys).

Organisations are named by their slug here (``/o/<slug>/`` is their visitors' entry); the
default organisation's slug is ``default``. A running server sees a change within five seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console

from baken.audit.kinds import (
    ORGANISATION,
    ORGANISATION_ADD,
    ORGANISATION_CHANGE,
    ORGANISATION_DELETE,
    ORGANISATION_DISABLE,
    ORGANISATION_ENABLE,
    ORGANISATION_PASSKEYS,
    Actor,
)
from baken.config import Settings
from baken.domain.organisation import ALERT_LIMITS, Organisation, OrganisationError
from baken.store import migrate
from baken.store.audit_repo import AuditLog
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.passkey_repo import PasskeyRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION

T = TypeVar("T")

org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
console = Console()


@org_app.command("passkeys")
def org_passkeys(
    require: bool = typer.Option(
        ...,
        "--require/--no-require",
        help="Require every staff member to sign in with a passkey, or no longer.",
    ),
    organisation: str = typer.Option(
        DEFAULT_ORGANISATION, "--org", help="Organisation id or slug."
    ),
) -> None:
    """Require passkeys for an organisation's staff: a code from the app is then no longer enough
    for anyone who has a passkey, and anyone without one adds one at their next sign-in."""
    settings = Settings()
    migrate.upgrade(settings)

    async def run() -> bool:
        db = Database(settings)
        try:
            found = await _find(db, organisation)
            if found is None or not await PasskeyRepository(db).set_required(found.id, require):
                return False
            detail = f"required={'yes' if require else 'no'}"
            await AuditLog(db).record(
                ORGANISATION_PASSKEYS, Actor.operator(), ORGANISATION, found.id, detail
            )
            return True
        finally:
            await db.dispose()

    if not asyncio.run(run()):
        console.print(f"[red]There is no organisation {organisation!r}.[/red]")
        raise typer.Exit(2)
    said = "now required" if require else "no longer required"
    console.print(f"Passkeys are {said} for organisation {organisation!r}.")


async def _find(db: Database, id_or_slug: str) -> Organisation | None:
    repo = OrganisationRepository(db)
    return await repo.by_id(id_or_slug) or await repo.by_slug(id_or_slug)


def _run_on_database(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work(db)`` against the installation's database, migrated first."""
    settings = Settings()
    migrate.upgrade(settings)

    async def run() -> T:
        db = Database(settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except OrganisationError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from None


def _missing(slug: str) -> typer.Exit:
    console.print(f"[red]There is no organisation {slug!r}.[/red]")
    return typer.Exit(2)


def _or_default(value: int | None) -> str:
    return "default" if value is None else str(value)


def _describe(organisation: Organisation) -> str:
    entry = "/" if organisation.id == DEFAULT_ORGANISATION else f"/o/{organisation.slug}/"
    parts = [
        f"{organisation.slug}",
        f"name={organisation.name!r}",
        f"id={organisation.id}",
        f"entry={entry}",
        f"host={organisation.host or '-'}",
        f"queue_max={organisation.queue_max if organisation.queue_max is not None else 'default'}",
        f"emergency={organisation.emergency}",
        f"priority={_or_default(organisation.priority_under_16)}/"
        f"{_or_default(organisation.priority_16_17)}",
        f"exit_url={organisation.exit_url or 'default'}",
        f"retention_days={_or_default(organisation.retention_days)}",
        *(f"{name}={_or_default(getattr(organisation, name))}" for name in ALERT_LIMITS),
        "active" if organisation.active else "DISABLED",
    ]
    return "  ".join(parts)


@org_app.command("add")
def org_add(
    slug: str = typer.Argument(..., help="Short name in the address: /o/<slug>/."),
    name: str = typer.Option(..., "--name", help="The organisation's name, shown to staff."),
    host: str = typer.Option("", "--host", help="Its own host name, e.g. chat.example.org."),
    exit_url: str = typer.Option("", "--exit-url", help="Where quick exit leads (https://)."),
    emergency_number: str = typer.Option(
        "", "--emergency-number", help="The emergency number shown to visitors (default 112)."
    ),
    queue_max: int | None = typer.Option(
        None, "--queue-max", help="Most visitors waiting at once (default BAKEN_QUEUE_MAX)."
    ),
    kind: str = typer.Option(
        "helpline",
        "--kind",
        help="helpline, or partner: professionals invited into chats (warm hand-off), "
        "no visitors of its own.",
    ),
) -> None:
    """Add an organisation: its own entry, queue, staff, hours, mailbox and figures."""

    async def work(db: Database) -> Organisation:
        made = await OrganisationRepository(db).add(
            slug,
            name,
            host=host,
            exit_url=exit_url,
            emergency_number=emergency_number,
            queue_max=queue_max,
            kind=kind,
        )
        await AuditLog(db).record(
            ORGANISATION_ADD,
            Actor.operator(),
            ORGANISATION,
            made.id,
            f"slug={made.slug}" + (" kind=partner" if made.kind == "partner" else ""),
        )
        return made

    made = _run_on_database(work)
    console.print(f"Added: {_describe(made)}")
    console.print(
        f"Next: add its staff with `baken user add NAME --name NAME --org {made.slug}`; "
        f"its visitors start at /o/{made.slug}/."
    )


@org_app.command("list")
def org_list() -> None:
    """List the organisations of this installation."""

    async def work(db: Database) -> list[Organisation]:
        return await OrganisationRepository(db).all()

    found = _run_on_database(work)
    for organisation in found:
        console.print(_describe(organisation), highlight=False, soft_wrap=True)


@org_app.command("set")
def org_set(
    slug: str = typer.Argument(..., help="The organisation's slug (or id)."),
    name: str | None = typer.Option(None, "--name"),
    host: str | None = typer.Option(None, "--host", help='Its own host name; "" removes it.'),
    exit_url: str | None = typer.Option(None, "--exit-url", help='"" means the default.'),
    emergency_number: str | None = typer.Option(None, "--emergency-number", help='"" means 112.'),
    queue_max: int | None = typer.Option(None, "--queue-max"),
    default_queue_max: bool = typer.Option(
        False, "--default-queue-max", help="Use BAKEN_QUEUE_MAX again."
    ),
    priority_under_16: int | None = typer.Option(
        None, "--priority-under-16", help="Queue points for visitors under 16 (0-99)."
    ),
    priority_16_17: int | None = typer.Option(
        None, "--priority-16-17", help="Queue points for visitors of 16 or 17 (0-99)."
    ),
    retention_days: int | None = typer.Option(
        None, "--retention-days", help="Days after which its transcripts become unreadable."
    ),
    default_retention: bool = typer.Option(
        False, "--default-retention", help="Use BAKEN_RETENTION_DAYS again."
    ),
    alert_wait_minutes: int | None = typer.Option(
        None, "--alert-wait-minutes", help="Alert supervisors when a visitor waits this long."
    ),
    alert_silent_minutes: int | None = typer.Option(
        None,
        "--alert-silent-minutes",
        help="Alert when a visitor's message has had no reply this long.",
    ),
    alert_left_message_hours: int | None = typer.Option(
        None,
        "--alert-left-message-hours",
        help="Alert when a left message has had no answer this long.",
    ),
    alert_queue_near_percent: int | None = typer.Option(
        None,
        "--alert-queue-near-percent",
        help="Alert when the queue is this full, in percent of its cap (0: never).",
    ),
    default_alerts: bool = typer.Option(
        False,
        "--default-alerts",
        help="Use the BAKEN_ALERT_* settings again for every threshold not given here.",
    ),
) -> None:
    """Change an organisation's settings. The slug and id never change: they are on posters."""
    changes: dict[str, object] = {
        key: value
        for key, value in {
            "name": name,
            "host": host,
            "exit_url": exit_url,
            "emergency_number": emergency_number,
            "queue_max": queue_max,
            "priority_under_16": priority_under_16,
            "priority_16_17": priority_16_17,
            "retention_days": retention_days,
        }.items()
        if value is not None
    }
    alerts = {
        "alert_wait_minutes": alert_wait_minutes,
        "alert_silent_minutes": alert_silent_minutes,
        "alert_left_message_hours": alert_left_message_hours,
        "alert_queue_near_percent": alert_queue_near_percent,
    }
    changes.update(
        {key: value for key, value in alerts.items() if value is not None or default_alerts}
    )
    if default_queue_max:
        changes["queue_max"] = None
    if default_retention:
        changes["retention_days"] = None
    if not changes:
        console.print("[red]Nothing to change: give at least one setting.[/red]")
        raise typer.Exit(2)

    async def work(db: Database) -> Organisation | None:
        found = await _find(db, slug)
        if found is None:
            return None
        changed = await OrganisationRepository(db).update(found.id, **changes)
        detail = "changed=" + ",".join(sorted(changes))
        await AuditLog(db).record(
            ORGANISATION_CHANGE, Actor.operator(), ORGANISATION, found.id, detail
        )
        return changed

    changed = _run_on_database(work)
    if changed is None:
        raise _missing(slug)
    console.print(f"Changed: {_describe(changed)}")


def _set_active(slug: str, active: bool) -> None:
    async def work(db: Database) -> Organisation | None:
        found = await _find(db, slug)
        if found is None:
            return None
        if found.id == DEFAULT_ORGANISATION and not active:
            raise OrganisationError("organisation", "The default organisation cannot be disabled.")
        await OrganisationRepository(db).set_active(found.id, active)
        kind = ORGANISATION_ENABLE if active else ORGANISATION_DISABLE
        await AuditLog(db).record(kind, Actor.operator(), ORGANISATION, found.id)
        return found

    found = _run_on_database(work)
    if found is None:
        raise _missing(slug)
    said = "enabled" if active else "disabled: its entry now answers like an unknown address"
    console.print(f"{found.slug} is {said}.")


@org_app.command("disable")
def org_disable(slug: str = typer.Argument(..., help="The organisation's slug (or id).")) -> None:
    """Close an organisation's entry. Its data, figures and reports stay."""
    _set_active(slug, False)


@org_app.command("enable")
def org_enable(slug: str = typer.Argument(..., help="The organisation's slug (or id).")) -> None:
    """Open a disabled organisation's entry again."""
    _set_active(slug, True)


@org_app.command("delete")
def org_delete(slug: str = typer.Argument(..., help="The organisation's slug (or id).")) -> None:
    """Delete an organisation that holds nothing (a typo just made). With data: refused."""

    async def work(db: Database) -> Organisation | None:
        found = await _find(db, slug)
        if found is None:
            return None
        if found.id == DEFAULT_ORGANISATION:
            raise OrganisationError("organisation", "The default organisation cannot be deleted.")
        await OrganisationRepository(db).delete(found.id)
        await AuditLog(db).record(
            ORGANISATION_DELETE, Actor.operator(), ORGANISATION, found.id, f"slug={found.slug}"
        )
        return found

    found = _run_on_database(work)
    if found is None:
        raise _missing(slug)
    console.print(f"{found.slug} is deleted.")
