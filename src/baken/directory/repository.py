"""SQL of the partner directory: an organisation's HSDS services, imported, edited, exported and
looked up, each change audited in its own transaction.

``get_service`` is the interface the referrals and the warm hand-offs use (also exported as
``baken.directory.get_service``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from baken.audit import kinds
from baken.audit.kinds import Actor
from baken.directory.hsds_file import Item
from baken.directory.model import DirectoryService
from baken.store.audit_repo import append
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.tables import directory_services as services
from baken.store.tables import directory_versions as versions

_LISTS = ("genders", "languages", "regions", "exploitation_types", "phones")


@dataclass(frozen=True, slots=True)
class ImportCounts:
    added: int
    changed: int
    unchanged: int


def _lines(values: Sequence[str]) -> str:
    # One value per line: names may hold commas; a line break inside one becomes a space.
    return "\n".join(v.replace("\n", " ").replace("\r", " ") for v in values)


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split("\n")) if text else ()


def _hsds_text(hsds: dict[str, Any]) -> str:
    return orjson.dumps(hsds).decode()


def _columns(service: DirectoryService, hsds: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": service.name,
        "description": service.description,
        "organization_name": service.organization_name,
        "organization_url": service.organization_url,
        "service_type": service.service_type,
        "age_min": service.age_min,
        "age_max": service.age_max,
        "genders": _lines(service.genders),
        "languages": _lines(service.languages),
        "regions": _lines(service.regions),
        "exploitation_types": _lines(service.exploitation_types),
        "phones": _lines(service.phones),
        "email": service.email,
        "url": service.url,
        "opening_hours_text": service.opening_hours_text,
        "accepts_warm_handoff": service.accepts_warm_handoff,
        "baken_organisation_id": service.baken_organisation_id,
        "hsds": _hsds_text(hsds),
        "updated_at": utcnow(),
    }


def _service(row: Row[Any]) -> DirectoryService:
    return DirectoryService(
        id=row.id,
        name=row.name,
        description=row.description,
        organization_name=row.organization_name,
        organization_url=row.organization_url,
        service_type=row.service_type,
        phones=_split(row.phones),
        email=row.email,
        url=row.url,
        opening_hours_text=row.opening_hours_text,
        accepts_warm_handoff=bool(row.accepts_warm_handoff),
        baken_organisation_id=row.baken_organisation_id,
        languages=_split(row.languages),
        age_min=row.age_min,
        age_max=row.age_max,
        genders=_split(row.genders),
        regions=_split(row.regions),
        exploitation_types=_split(row.exploitation_types),
    )


_SHOWN = [c for c in services.c if c.name not in ("hsds", "position", "updated_at")]


async def _bump(conn: AsyncConnection, organisation_id: str) -> None:
    """One more version of the organisation's directory; an upsert, so two first changes at the
    same moment (on PostgreSQL) cannot both try to insert the row."""
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(
        make(versions)
        .values(organisation_id=organisation_id, version=1)
        .on_conflict_do_update(
            index_elements=[versions.c.organisation_id],
            set_={"version": versions.c.version + 1},
        )
    )


async def get_service(
    db: Database, organisation_id: str, service_id: str
) -> DirectoryService | None:
    """One service of the organisation's directory; None when missing or another's."""
    async with db.reader.connect() as conn:
        row = (
            await conn.execute(
                select(*_SHOWN).where(
                    services.c.organisation_id == organisation_id, services.c.id == service_id
                )
            )
        ).first()
    return None if row is None else _service(row)


class DirectoryRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def version(self, organisation_id: str) -> int:
        async with self.db.reader.connect() as conn:
            found = await conn.scalar(
                select(versions.c.version).where(versions.c.organisation_id == organisation_id)
            )
        return int(found or 0)

    async def load(self, organisation_id: str) -> tuple[int, list[DirectoryService]]:
        """The organisation's version and services, read together."""
        async with self.db.reader.connect() as conn:
            found = await conn.scalar(
                select(versions.c.version).where(versions.c.organisation_id == organisation_id)
            )
            rows = await conn.execute(
                select(*_SHOWN).where(services.c.organisation_id == organisation_id)
            )
            loaded = [_service(row) for row in rows]
        return int(found or 0), loaded

    async def hsds(self, organisation_id: str, service_id: str) -> dict[str, Any] | None:
        async with self.db.reader.connect() as conn:
            text = await conn.scalar(
                select(services.c.hsds).where(
                    services.c.organisation_id == organisation_id, services.c.id == service_id
                )
            )
        return None if text is None else dict(orjson.loads(text))

    async def export(self, organisation_id: str) -> list[dict[str, Any]]:
        """The organisation's services as HSDS JSON, in the order they were imported."""
        async with self.db.reader.connect() as conn:
            rows = await conn.execute(
                select(services.c.hsds)
                .where(services.c.organisation_id == organisation_id)
                .order_by(services.c.position, services.c.id)
            )
            return [orjson.loads(row.hsds) for row in rows]

    async def count(self, organisation_id: str) -> int:
        async with self.db.reader.connect() as conn:
            found = await conn.scalar(
                select(func.count()).where(services.c.organisation_id == organisation_id)
            )
        return int(found or 0)

    async def import_items(
        self, organisation_id: str, items: Sequence[Item], actor: Actor
    ) -> ImportCounts:
        """Upsert by HSDS id, in one transaction with its audit record. Services of the
        directory that are not in the file stay as they are. Each item's position is its index
        in the file, so importing into an empty directory and exporting gives the file back."""
        async with self.db.writer.begin() as conn:
            existing = {
                row.id: row.hsds
                for row in await conn.execute(
                    select(services.c.id, services.c.hsds).where(
                        services.c.organisation_id == organisation_id
                    )
                )
            }
            added: list[dict[str, Any]] = []
            changed: list[dict[str, Any]] = []
            unchanged = 0
            for position, item in enumerate(items):
                values = _columns(item.service, item.hsds)
                values["position"] = position
                old = existing.get(item.service.id)
                if old is None:
                    added.append(
                        {"organisation_id": organisation_id, "id": item.service.id, **values}
                    )
                elif old != values["hsds"]:
                    changed.append({"b_org": organisation_id, "b_id": item.service.id, **values})
                else:
                    unchanged += 1
            if added:
                await conn.execute(insert(services), added)
            if changed:
                await conn.execute(
                    update(services)
                    .where(
                        services.c.organisation_id == bindparam("b_org"),
                        services.c.id == bindparam("b_id"),
                    )
                    .values({name: bindparam(name) for name in changed[0] if name[:2] != "b_"}),
                    changed,
                )
            await _bump(conn, organisation_id)
            await append(
                conn,
                kinds.DIRECTORY_IMPORT,
                actor.for_organisation(organisation_id),
                kinds.ORGANISATION,
                organisation_id,
                f"added={len(added)} changed={len(changed)} unchanged={unchanged}",
            )
        return ImportCounts(len(added), len(changed), unchanged)

    async def save(
        self,
        organisation_id: str,
        service: DirectoryService,
        hsds: dict[str, Any],
        actor: Actor,
        *,
        new: bool,
    ) -> bool:
        """Add (``new``) or change one service, audited; False when the id is already taken
        (adding) or not there (changing)."""
        values = _columns(service, hsds)
        async with self.db.writer.begin() as conn:
            where = (services.c.organisation_id == organisation_id, services.c.id == service.id)
            there = await conn.scalar(select(services.c.id).where(*where))
            if new:
                if there is not None:
                    return False
                last = await conn.scalar(
                    select(func.max(services.c.position)).where(
                        services.c.organisation_id == organisation_id
                    )
                )
                values["position"] = int(last if last is not None else -1) + 1
                await conn.execute(
                    insert(services).values(
                        organisation_id=organisation_id, id=service.id, **values
                    )
                )
            else:
                if there is None:
                    return False
                await conn.execute(update(services).where(*where).values(**values))
            await _bump(conn, organisation_id)
            await append(
                conn,
                kinds.DIRECTORY_ADD if new else kinds.DIRECTORY_CHANGE,
                actor.for_organisation(organisation_id),
                kinds.DIRECTORY_SERVICE,
                service.id,
                f"type={service.service_type}",
            )
        return True

    async def remove(self, organisation_id: str, service_id: str, actor: Actor) -> bool:
        async with self.db.writer.begin() as conn:
            done = await conn.execute(
                delete(services).where(
                    services.c.organisation_id == organisation_id, services.c.id == service_id
                )
            )
            if done.rowcount == 0:
                return False
            await _bump(conn, organisation_id)
            await append(
                conn,
                kinds.DIRECTORY_REMOVE,
                actor.for_organisation(organisation_id),
                kinds.DIRECTORY_SERVICE,
                service_id,
            )
        return True
