"""Blocks of abusive visitors, by conversation and return code (never by person or device).

Time comes from an injectable clock, so a test can move past an expiry without waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, select, update

from baken.auth.tokens import new_id
from baken.store import clock
from baken.store.clock import as_utc
from baken.store.database import Database
from baken.store.tables import staff, visitor_blocks


@dataclass(frozen=True, slots=True)
class Block:
    id: str
    conversation_id: str
    return_code_id: str | None
    reason: str
    created_by: str | None
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ListedBlock:
    """A block as the blocks page shows it: who placed it by name, never the code or the chat."""

    block: Block
    created_by_name: str | None


def _block(row: object) -> Block:
    return Block(
        id=row.id,  # type: ignore[attr-defined]
        conversation_id=row.conversation_id,  # type: ignore[attr-defined]
        return_code_id=row.return_code_id,  # type: ignore[attr-defined]
        reason=row.reason,  # type: ignore[attr-defined]
        created_by=row.created_by,  # type: ignore[attr-defined]
        created_at=as_utc(row.created_at),  # type: ignore[attr-defined]
        expires_at=as_utc(row.expires_at),  # type: ignore[attr-defined]
    )


def _system_now() -> datetime:
    # Looked up at call time, so replacing baken.store.clock.utcnow moves this clock too.
    return clock.utcnow()


class BlockRepository:
    def __init__(self, db: Database, now: Callable[[], datetime] = _system_now) -> None:
        self.db = db
        self.now = now

    async def add(
        self,
        organisation_id: str,
        conversation_id: str,
        return_code_id: str | None,
        reason: str,
        duration: timedelta,
        staff_id: str,
    ) -> Block:
        block_id = new_id("b")
        now = self.now()
        async with self.db.writer.begin() as conn:
            await conn.execute(
                insert(visitor_blocks).values(
                    id=block_id,
                    organisation_id=organisation_id,
                    conversation_id=conversation_id,
                    return_code_id=return_code_id,
                    reason=reason,
                    created_by=staff_id,
                    created_at=now,
                    expires_at=now + duration,
                )
            )
        return Block(
            block_id, conversation_id, return_code_id, reason, staff_id, now, now + duration
        )

    async def active_for_code(self, return_code_id: str) -> Block | None:
        """The block that ends last among those in force for this code, or None."""
        return await self._active(visitor_blocks.c.return_code_id == return_code_id)

    async def active_for_conversation(self, conversation_id: str) -> Block | None:
        return await self._active(visitor_blocks.c.conversation_id == conversation_id)

    async def _active(self, condition: object) -> Block | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(visitor_blocks)
                    .where(
                        and_(
                            condition,  # type: ignore[arg-type]
                            visitor_blocks.c.lifted_at.is_(None),
                            visitor_blocks.c.expires_at > self.now(),
                        )
                    )
                    .order_by(visitor_blocks.c.expires_at.desc())
                    .limit(1)
                )
            ).first()
        return None if row is None else _block(row)

    async def active_of_organisation(
        self, organisation_id: str, limit: int = 500
    ) -> list[ListedBlock]:
        """The organisation's blocks in force now, the newest first (issue 15: /staff/blocks)."""
        async with self.db.reader.connect() as conn:
            rows = await conn.execute(
                select(visitor_blocks, staff.c.display_name)
                .outerjoin(staff, staff.c.id == visitor_blocks.c.created_by)
                .where(
                    and_(
                        visitor_blocks.c.organisation_id == organisation_id,
                        visitor_blocks.c.lifted_at.is_(None),
                        visitor_blocks.c.expires_at > self.now(),
                    )
                )
                .order_by(visitor_blocks.c.created_at.desc())
                .limit(limit)
            )
            return [ListedBlock(_block(row), row.display_name) for row in rows]

    async def get(self, block_id: str) -> tuple[Block, str, datetime | None] | None:
        """A block with its organisation and when it was lifted (None: not lifted)."""
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(select(visitor_blocks).where(visitor_blocks.c.id == block_id))
            ).first()
        if row is None:
            return None
        return _block(row), row.organisation_id, as_utc(row.lifted_at) if row.lifted_at else None

    async def lift(self, block_id: str, staff_id: str) -> bool:
        async with self.db.writer.begin() as conn:
            result = await conn.execute(
                update(visitor_blocks)
                .where(and_(visitor_blocks.c.id == block_id, visitor_blocks.c.lifted_at.is_(None)))
                .values(lifted_at=self.now(), lifted_by=staff_id)
            )
        return bool(result.rowcount == 1)
