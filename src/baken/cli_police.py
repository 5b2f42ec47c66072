"""``baken police-signal``: export an approved police signal for the police partner, print the
organisation's public key, and verify a signed file (issue 17, item 4; docs/police-signals.md).

The export writes three files into DIR: ``<id>.json`` (the canonical bytes that are signed),
``<id>.json.sig`` (base64 of the Ed25519 signature) and ``<id>.pdf``. Exporting is audited as the
operator; only approved (or already exported) signals can be exported.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import typer
from rich.console import Console

from baken.audit import kinds
from baken.config import Settings
from baken.crypto.envelope import MasterKey
from baken.domain.conversation import Role
from baken.police_signals import workflow
from baken.police_signals.export import Signed, parse_signature
from baken.police_signals.repository import PoliceSignalRepository
from baken.police_signals.service import signed_export
from baken.police_signals.signing import (
    fingerprint,
    load_public_pem,
    public_pem,
    signing_key,
    verify,
)
from baken.store import migrate
from baken.store.audit_repo import AuditLog
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository

police_app = typer.Typer(help="Anonymous signals to the police partner.", no_args_is_help=True)
console = Console()


def _master(settings: Settings) -> MasterKey:
    from baken.crypto.keyfile import load_or_create_master_key

    return load_or_create_master_key(settings.master_key, settings.data_dir)[0]


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/red]", soft_wrap=True)
    return typer.Exit(1)


@police_app.command("export")
def export(
    signal_id: str = typer.Argument(..., help="The signal's id (ps_…)."),
    out: Path = typer.Option(..., "--out", help="The directory to write the files into."),
) -> None:
    """Write an approved signal as signed JSON (+ .sig) and PDF."""
    settings = Settings()
    migrate.upgrade(settings)
    master = _master(settings)

    async def run() -> Signed | str:
        db = Database(settings)
        try:
            repo = PoliceSignalRepository(db, master)
            signal = await repo.get(signal_id)
            if signal is None:
                return "There is no police signal with this id."
            try:
                workflow.check_export(Role.ADMIN, signal.status)  # the operator
            except workflow.Refused:
                return "This signal has not been approved by a second colleague: not exported."
            signed = await signed_export(repo, master, signal)
            await repo.mark_exported(signal.id, signed.sha256)
            await AuditLog(db).record(
                kinds.POLICE_SIGNAL_EXPORT,
                kinds.Actor.operator().for_organisation(signal.organisation_id),
                kinds.POLICE_SIGNAL,
                signal.id,
                "fmt=cli",
            )
            return signed
        finally:
            await db.dispose()

    result = asyncio.run(run())
    if isinstance(result, str):
        raise _fail(result)
    from baken.police_signals.pdf import to_pdf

    out.mkdir(parents=True, exist_ok=True)
    base = out / signal_id
    written = [
        (base.with_name(f"{signal_id}.json"), result.document),
        (base.with_name(f"{signal_id}.json.sig"), result.signature_text.encode()),
        (base.with_name(f"{signal_id}.pdf"), to_pdf(result)),
    ]
    for path, data in written:
        path.write_bytes(data)
        console.print(f"Wrote {path}", soft_wrap=True)
    console.print(f"Key fingerprint: {result.fingerprint}", soft_wrap=True)


async def _public_key_of(settings: Settings, organisation: str) -> tuple[str, bytes, str] | None:
    db = Database(settings)
    try:
        repo = OrganisationRepository(db)
        found = await repo.by_slug(organisation) or await repo.by_id(organisation)
        if found is None:
            return None
        key = await signing_key(db, _master(settings), found.id)
        return found.id, public_pem(key.public_key()), fingerprint(key.public_key())
    finally:
        await db.dispose()


@police_app.command("public-key")
def public_key(
    organisation: str = typer.Option("default", "--org", help="The organisation's slug or id."),
    out: Path | None = typer.Option(None, "--out", help="Write the PEM file here."),
) -> None:
    """The organisation's public key (PEM) for the police partner, and its fingerprint."""
    settings = Settings()
    migrate.upgrade(settings)
    found = asyncio.run(_public_key_of(settings, organisation))
    if found is None:
        raise _fail(f"There is no organisation {organisation!r} (baken org list).")
    _, pem, print_ = found
    if out is not None:
        out.write_bytes(pem)
        console.print(f"Wrote {out}", soft_wrap=True)
    else:
        typer.echo(pem.decode(), nl=False)
    console.print(f"Fingerprint: {print_}", soft_wrap=True)


@police_app.command("verify")
def verify_file(
    file: Path = typer.Argument(..., help="The signal's JSON file."),
    sig: Path = typer.Argument(..., help="Its .sig file."),
    key: Path | None = typer.Option(
        None, "--key", help="The public key (PEM). Default: this installation's key."
    ),
) -> None:
    """Check that FILE is exactly what the organisation signed. Exit 0 valid, 1 not."""
    try:
        document = file.read_bytes()
        signature = parse_signature(sig.read_bytes())
    except (OSError, ValueError) as exc:
        raise _fail(f"Cannot read the file or signature: {exc}") from None
    if key is not None:
        try:
            public = load_public_pem(key.read_bytes())
        except (OSError, ValueError) as exc:
            raise _fail(f"Cannot read the public key: {exc}") from None
    else:
        try:
            organisation_id = str(orjson.loads(document)["organisation"]["id"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise _fail("NOT VALID: the file is not a police signal.") from None
        settings = Settings()
        migrate.upgrade(settings)
        found = asyncio.run(_public_key_of(settings, organisation_id))
        if found is None:
            raise _fail("NOT VALID: the file names an organisation this installation lacks.")
        public = load_public_pem(found[1])
    if not verify(public, document, signature):
        raise _fail("NOT VALID: the file was changed or signed with another key.")
    console.print(f"Valid: signed by the key {fingerprint(public)}.", soft_wrap=True)
