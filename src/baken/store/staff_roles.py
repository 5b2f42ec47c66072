"""Changing a staff member's role without leaving an organisation without an administrator."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import and_, select, update

from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.tables import staff


class RoleChange(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOT_FOUND = "not_found"
    LAST_ADMIN = "last_admin"


async def change_role(db: Database, organisation_id: str, staff_id: str, role: Role) -> RoleChange:
    """Give one account of this organisation another role. Refused when it is the last enabled
    administrator: nobody could then manage the organisation's accounts on the web."""
    async with db.writer.begin() as conn:
        # FOR UPDATE (PostgreSQL; SQLite has one writer anyway) serialises two administrators
        # demoting each other at once: the second one sees the first one's change.
        admins = set(
            (
                await conn.execute(
                    select(staff.c.id)
                    .where(
                        and_(
                            staff.c.organisation_id == organisation_id,
                            staff.c.role == Role.ADMIN.value,
                            staff.c.active.is_(True),
                        )
                    )
                    .with_for_update()
                )
            ).scalars()
        )
        current = await conn.scalar(
            select(staff.c.role).where(
                and_(staff.c.id == staff_id, staff.c.organisation_id == organisation_id)
            )
        )
        if current is None:
            return RoleChange.NOT_FOUND
        if current == role.value:
            return RoleChange.UNCHANGED
        if role is not Role.ADMIN and admins <= {staff_id}:
            return RoleChange.LAST_ADMIN
        await conn.execute(update(staff).where(staff.c.id == staff_id).values(role=role.value))
    return RoleChange.CHANGED
