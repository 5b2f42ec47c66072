"""Organisations: the helplines that share one installation (issue 14).

Organisations with data are never deleted (their registrations, figures and audit trail must stay
readable); they are disabled, and then their entry answers like an unknown one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import partial
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from baken.auth.tokens import new_id
from baken.domain.organisation import (
    ALERT_LIMITS,
    KIND_HELPLINE,
    Organisation,
    OrganisationError,
    check_alert,
    check_exit_url,
    check_host,
    check_kind,
    check_name,
    check_number,
    check_priority,
    check_queue_max,
    check_retention_days,
    check_slug,
    phones_from_json,
    phones_to_json,
)
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.tables import metadata, organisations, staff

__all__ = ["OrganisationCache", "OrganisationRepository", "organisation_of_row"]

DEFAULT_SLUG = "default"
# Settings a `set` may change, with their check. Slug and id never change: they are in links,
# posters and QR codes already handed out.
_CHECKS: Mapping[str, Any] = {
    "name": check_name,
    "host": check_host,
    "exit_url": check_exit_url,
    "emergency_number": check_number,
    "queue_max": check_queue_max,
    "priority_under_16": check_priority,
    "priority_16_17": check_priority,
    "retention_days": check_retention_days,
    # Issue 15, item 3: the alerts' thresholds.
    **{name: partial(check_alert, name) for name in ALERT_LIMITS},
}


# Every table with an organisation_id column: what "holds data" means for deleting.
_OWNED_TABLES: tuple[Table, ...] = tuple(
    table
    for table in metadata.sorted_tables
    if "organisation_id" in table.c and table.name != "organisations"
)


def organisation_of_row(row: Any) -> Organisation:
    return Organisation(
        id=row.id,
        slug=row.slug,
        name=row.name,
        host=row.host,
        exit_url=row.exit_url,
        emergency_number=row.emergency_number,
        phones=phones_from_json(row.phones),
        queue_max=row.queue_max,
        priority_under_16=row.priority_under_16,
        priority_16_17=row.priority_16_17,
        retention_days=row.retention_days,
        active=bool(row.active),
        passkeys_required=bool(row.passkeys_required),
        kind=row.kind,
        alert_wait_minutes=row.alert_wait_minutes,
        alert_silent_minutes=row.alert_silent_minutes,
        alert_left_message_hours=row.alert_left_message_hours,
        alert_queue_near_percent=row.alert_queue_near_percent,
    )


class OrganisationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> list[Organisation]:
        async with self.db.reader.connect() as conn:
            rows = (await conn.execute(select(organisations).order_by(organisations.c.slug))).all()
        return [organisation_of_row(row) for row in rows]

    async def by_slug(self, slug: str) -> Organisation | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(select(organisations).where(organisations.c.slug == slug))
            ).first()
        return None if row is None else organisation_of_row(row)

    async def by_id(self, organisation_id: str) -> Organisation | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(organisations).where(organisations.c.id == organisation_id)
                )
            ).first()
        return None if row is None else organisation_of_row(row)

    async def add(
        self,
        slug: str,
        name: str,
        *,
        host: str | None = None,
        exit_url: str | None = None,
        emergency_number: str | None = None,
        queue_max: int | None = None,
        organisation_id: str | None = None,
        kind: str = KIND_HELPLINE,
    ) -> Organisation:
        checked_slug, checked_host = check_slug(slug), check_host(host)
        values: dict[str, Any] = {
            "id": organisation_id or new_id("org"),
            "slug": checked_slug,
            "name": check_name(name),
            "host": checked_host,
            "exit_url": check_exit_url(exit_url),
            "emergency_number": check_number(emergency_number),
            "queue_max": check_queue_max(queue_max),
            "active": True,
            "passkeys_required": False,
            "kind": check_kind(kind),
            "created_at": utcnow(),
        }
        async with self.db.writer.begin() as conn:
            await self._refuse_duplicates(conn, checked_slug, checked_host, None)
            try:
                await conn.execute(insert(organisations).values(**values))
            except IntegrityError as exc:  # a concurrent add with the same slug or host
                raise OrganisationError("slug", "That slug or host is already in use.") from exc
        found = await self.by_id(str(values["id"]))
        assert found is not None
        return found

    @staticmethod
    async def _refuse_duplicates(
        conn: Any, slug: str | None, host: str | None, own_id: str | None
    ) -> None:
        if slug is not None:
            other = await conn.scalar(
                select(organisations.c.id).where(organisations.c.slug == slug)
            )
            if other is not None and other != own_id:
                raise OrganisationError("slug", f"The slug {slug!r} is already in use.")
        if host is not None:
            other = await conn.scalar(
                select(organisations.c.id).where(organisations.c.host == host)
            )
            if other is not None and other != own_id:
                raise OrganisationError("host", f"The host {host!r} is already in use.")

    async def update(self, organisation_id: str, **changes: Any) -> Organisation | None:
        """Change settings; None when there is no such organisation. Unknown keys are refused."""
        values: dict[str, Any] = {}
        for key, raw in changes.items():
            if key == "phones":
                values["phones"] = phones_to_json(tuple(raw))
            elif key in _CHECKS:
                values[key] = _CHECKS[key](raw)
            else:
                raise OrganisationError(key, f"{key!r} is not a setting of an organisation.")
        async with self.db.writer.begin() as conn:
            if "host" in values:
                await self._refuse_duplicates(conn, None, values["host"], organisation_id)
            result = await conn.execute(
                update(organisations).where(organisations.c.id == organisation_id).values(**values)
                if values
                else select(organisations.c.id).where(organisations.c.id == organisation_id)
            )
            found = result.rowcount if values else len(result.all())
        return await self.by_id(organisation_id) if found else None

    async def set_active(self, organisation_id: str, active: bool) -> bool:
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                update(organisations)
                .where(organisations.c.id == organisation_id)
                .values(active=active)
            )
        return bool(result.rowcount)

    async def staff_counts(self) -> dict[str, int]:
        """Active staff accounts per organisation id (organisations without any are left out)."""
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(staff.c.organisation_id, func.count())
                    .where(staff.c.active.is_(True))
                    .group_by(staff.c.organisation_id)
                )
            ).all()
        return {str(organisation_id): int(count) for organisation_id, count in rows}

    async def holdings(self, organisation_id: str) -> dict[str, int]:
        """Rows that belong to the organisation, per table (only tables that hold any)."""
        found: dict[str, int] = {}
        async with self.db.reader.connect() as conn:
            for table in _OWNED_TABLES:
                count = await conn.scalar(
                    select(func.count())
                    .select_from(table)
                    .where(table.c.organisation_id == organisation_id)
                )
                if count:
                    found[table.name] = int(count)
        return found

    async def delete(self, organisation_id: str) -> bool:
        """Delete an organisation that holds nothing at all; False when there is none.

        OrganisationError when it holds anything (people, chats, settings, keys): its figures
        and audit trail must stay readable, so such an organisation can only be disabled."""
        held = await self.holdings(organisation_id)
        if held:
            listed = ", ".join(f"{name}: {count}" for name, count in sorted(held.items()))
            raise OrganisationError(
                "organisation", f"It holds data ({listed}); disable it instead."
            )
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                delete(organisations).where(organisations.c.id == organisation_id)
            )
        return bool(result.rowcount)


class OrganisationCache:
    """All organisations, re-read at most every few seconds: every visitor request looks its
    organisation up, and a change made with `baken org set` reaches running servers this way."""

    def __init__(self, repo: OrganisationRepository, max_age_seconds: float = 5.0) -> None:
        self.repo = repo
        self.max_age = max_age_seconds
        self._loaded_at = float("-inf")
        self._by_slug: dict[str, Organisation] = {}
        self._by_host: dict[str, Organisation] = {}
        self._by_id: dict[str, Organisation] = {}

    async def _fresh(self) -> None:
        if time.monotonic() - self._loaded_at < self.max_age:
            return
        found = await self.repo.all()
        self._by_slug = {o.slug: o for o in found}
        self._by_host = {o.host: o for o in found if o.host}
        self._by_id = {o.id: o for o in found}
        self._loaded_at = time.monotonic()

    def forget(self) -> None:
        """Re-read on the next lookup (after a change made through this process)."""
        self._loaded_at = float("-inf")

    async def by_slug(self, slug: str) -> Organisation | None:
        await self._fresh()
        return self._by_slug.get(slug)

    async def by_host(self, host: str) -> Organisation | None:
        await self._fresh()
        return self._by_host.get(host)

    async def by_id(self, organisation_id: str) -> Organisation | None:
        await self._fresh()
        return self._by_id.get(organisation_id)

    def known(self, organisation_id: str) -> Organisation | None:
        """Without a database round trip: the last snapshot (hot paths that cannot await)."""
        return self._by_id.get(organisation_id)
