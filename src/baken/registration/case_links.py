"""Joining conversations of one person into one case: automatically through a return code, or
by a counselor who recognises someone.

The report counts a person once, in the year of the case's first help request, so every
conversation that belongs to a person must share the case, whichever year it falls in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from baken.auth.tokens import new_id
from baken.registration.repository import refresh_case
from baken.store.clock import as_utc, utcnow
from baken.store.database import Database
from baken.store.tables import cases, conversations, registrations


async def _move(conn: AsyncConnection, conversation_ids: list[str], case_id: str) -> None:
    await conn.execute(
        update(conversations)
        .where(conversations.c.id.in_(conversation_ids))
        .values(case_id=case_id)
    )
    await conn.execute(
        update(registrations)
        .where(registrations.c.conversation_id.in_(conversation_ids))
        .values(case_id=case_id)
    )


async def _refresh_first_seen(conn: AsyncConnection, case_id: str) -> None:
    first_seen = await conn.scalar(
        select(func.min(conversations.c.created_at)).where(conversations.c.case_id == case_id)
    )
    if first_seen is not None:
        await conn.execute(
            update(cases).where(cases.c.id == case_id).values(first_seen_at=as_utc(first_seen))
        )


async def _new_case(conn: AsyncConnection, organisation_id: str, seen: datetime) -> str:
    case_id = new_id("k")
    await conn.execute(
        insert(cases).values(
            id=case_id,
            organisation_id=organisation_id,
            first_seen_at=as_utc(seen),
            first_request_at=None,
            created_at=utcnow(),
        )
    )
    return case_id


async def join_code_thread(db: Database, conversation_id: str) -> str | None:
    """Put a conversation started with a return code in the case of that code's earlier
    conversations; returns the case, or None when the conversation has no code.

    When none of them has a case yet (nothing registered), one is made for the whole thread,
    so registering any of them later counts the same person. Conversations a counselor already
    placed in another case are left there: a counselor's decision is not overridden.
    """
    async with db.writer.begin() as conn:
        own = (
            await conn.execute(
                select(
                    conversations.c.return_code_id,
                    conversations.c.organisation_id,
                    conversations.c.case_id,
                ).where(conversations.c.id == conversation_id)
            )
        ).first()
        if own is None or own.return_code_id is None:
            return None
        thread = (
            await conn.execute(
                select(conversations.c.id, conversations.c.case_id, conversations.c.created_at)
                .where(
                    and_(
                        conversations.c.return_code_id == own.return_code_id,
                        conversations.c.organisation_id == own.organisation_id,
                    )
                )
                .order_by(conversations.c.created_at, conversations.c.id)
            )
        ).all()
        earlier_cases = [
            row.case_id for row in thread if row.id != conversation_id and row.case_id is not None
        ]
        # The earliest conversation's case: the one the person was first counted in.
        case_id = earlier_cases[0] if earlier_cases else own.case_id
        if case_id is None:
            case_id = await _new_case(conn, own.organisation_id, thread[0].created_at)
        unplaced = [row.id for row in thread if row.case_id is None or row.id == conversation_id]
        previous = own.case_id
        await _move(conn, unplaced, case_id)
        await _refresh_first_seen(conn, case_id)
        await refresh_case(conn, case_id)
        if previous is not None and previous != case_id:
            await refresh_case(conn, previous)
        return str(case_id)


async def case_of(db: Database, conversation_id: str) -> str | None:
    async with db.reader.connect() as conn:
        found = await conn.scalar(
            select(conversations.c.case_id).where(conversations.c.id == conversation_id)
        )
    return None if found is None else str(found)


async def link_to_earlier(db: Database, conversation_id: str, earlier_id: str) -> str:
    """A counselor's link: ``conversation_id`` is the same person as ``earlier_id``. The later
    conversation joins the earlier one's case (made now if that one was never registered).
    Returns the case. The caller checked that both conversations exist in one organisation."""
    async with db.writer.begin() as conn:
        rows = {
            row.id: row
            for row in (
                await conn.execute(
                    select(
                        conversations.c.id,
                        conversations.c.organisation_id,
                        conversations.c.case_id,
                        conversations.c.created_at,
                    ).where(conversations.c.id.in_([conversation_id, earlier_id]))
                )
            ).all()
        }
        own, earlier = rows[conversation_id], rows[earlier_id]
        case_id = earlier.case_id
        if case_id is None:
            case_id = await _new_case(conn, earlier.organisation_id, earlier.created_at)
            await _move(conn, [earlier_id], case_id)
        previous = own.case_id
        await _move(conn, [conversation_id], case_id)
        await _refresh_first_seen(conn, case_id)
        await refresh_case(conn, case_id)
        if previous is not None and previous != case_id:
            await _refresh_first_seen(conn, previous)
            await refresh_case(conn, previous)
        return str(case_id)


@dataclass(frozen=True, slots=True)
class Candidate:
    id: str
    created_at: datetime
    case_id: str | None
    nickname_ct: bytes | None
    wrapped_key: bytes


async def link_candidates(
    db: Database, conversation_id: str, staff_id: str, organisation_id: str, limit: int
) -> tuple[str | None, list[Candidate]]:
    """The case of this conversation, and the member's own conversations that started before
    it, newest first: the chats they handled and might recognise this person from."""
    async with db.reader.connect() as conn:
        own = (
            await conn.execute(
                select(conversations.c.case_id, conversations.c.created_at).where(
                    conversations.c.id == conversation_id
                )
            )
        ).one()
        rows = (
            await conn.execute(
                select(
                    conversations.c.id,
                    conversations.c.created_at,
                    conversations.c.case_id,
                    conversations.c.nickname_ct,
                    conversations.c.wrapped_key,
                )
                .where(
                    and_(
                        conversations.c.counselor_id == staff_id,
                        conversations.c.organisation_id == organisation_id,
                        conversations.c.id != conversation_id,
                        conversations.c.created_at < own.created_at,
                    )
                )
                .order_by(conversations.c.created_at.desc(), conversations.c.id)
                .limit(limit)
            )
        ).all()
    return own.case_id, [
        Candidate(r.id, as_utc(r.created_at), r.case_id, r.nickname_ct, r.wrapped_key) for r in rows
    ]
