"""Referrals in the database (the only module of this package with SQL).

Every state change is one conditional UPDATE (``WHERE status IN (…)``), so a second answer, an
answer after a withdrawal or two processes racing cannot both win, and nothing is half-written.
The card the visitor read (with the counselor's summary) is sealed with the conversation's own
key, bound to the referral's id (crypto/envelope.py, ``encrypt_note``), like staff notes.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from baken.referrals.model import (
    CONTACT,
    DECLINED,
    HANDOFF,
    PROPOSED,
    WITHDRAWN,
    Card,
    HandoffConsent,
    Referral,
    may_withdraw,
    status_after,
)
from baken.store.clock import as_utc, utcnow
from baken.store.conversation_repo import ConversationRepository
from baken.store.database import Database
from baken.store.tables import conversations, referrals

WITHDRAWABLE = tuple(s for s in (PROPOSED, CONTACT, HANDOFF) if may_withdraw(s))
LISTED = 500  # the most referrals one page of the follow-up list shows


def _aad_id(referral_id: str) -> str:
    # Notes and referrals share the sealing scheme; the prefix keeps their ids apart.
    return f"referral:{referral_id}"


def _scope(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    value = json.loads(raw)
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def _dt(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def _referral(row: Any) -> Referral:
    return Referral(
        id=row.id,
        organisation_id=row.organisation_id,
        conversation_id=row.conversation_id,
        service_id=row.service_id,
        service_type=row.service_type,
        proposed_by=row.proposed_by,
        proposed_at=as_utc(row.proposed_at),
        status=row.status,
        consent_level=row.consent_level,
        consent_scope=_scope(row.consent_scope),
        consent_at=_dt(row.consent_at),
        withdrawn_at=_dt(row.withdrawn_at),
        outcome=row.outcome,
        outcome_at=_dt(row.outcome_at),
        outcome_by=row.outcome_by,
    )


_COLUMNS = [c for c in referrals.c if c.name != "consent_text"]


class ReferralRepository:
    def __init__(self, conversations_repo: ConversationRepository) -> None:
        self.repo = conversations_repo
        self.db = conversations_repo.db

    async def propose(
        self,
        organisation_id: str,
        conversation_id: str,
        service_id: str,
        service_type: str,
        proposed_by: str,
        card: Card,
    ) -> Referral:
        referral_id = secrets.token_hex(16)
        now = utcnow()
        async with self.db.writer.begin() as conn:
            key = await conn.scalar(
                select(conversations.c.wrapped_key).where(conversations.c.id == conversation_id)
            )
            if key is None:
                raise LookupError(conversation_id)
            sealed = self.repo.cipher(conversation_id, key).encrypt_note(
                _aad_id(referral_id), json.dumps(asdict(card), ensure_ascii=False)
            )
            await conn.execute(
                insert(referrals).values(
                    id=referral_id,
                    organisation_id=organisation_id,
                    conversation_id=conversation_id,
                    service_id=service_id,
                    service_type=service_type,
                    proposed_by=proposed_by,
                    proposed_at=now,
                    status=PROPOSED,
                    consent_text=sealed,
                )
            )
        found = await self.get(referral_id)
        assert found is not None
        return found

    async def get(self, referral_id: str) -> Referral | None:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(select(*_COLUMNS).where(referrals.c.id == referral_id))
            ).first()
        return None if row is None else _referral(row)

    async def card(self, referral_id: str) -> Card | None:
        """The card as the visitor was (or is being) shown it, opened with the chat's key."""
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        referrals.c.conversation_id,
                        referrals.c.consent_text,
                        conversations.c.wrapped_key,
                    )
                    .select_from(
                        referrals.join(
                            conversations, conversations.c.id == referrals.c.conversation_id
                        )
                    )
                    .where(referrals.c.id == referral_id)
                )
            ).first()
        if row is None or row.consent_text is None:
            return None
        cipher = self.repo.cipher(row.conversation_id, row.wrapped_key)
        data = json.loads(cipher.decrypt_note(_aad_id(referral_id), row.consent_text))
        return Card(
            lang=str(data["lang"]),
            service=dict(data["service"]),
            texts={str(k): str(v) for k, v in data["texts"].items()},
            summary=data.get("summary"),
        )

    async def for_conversation(self, conversation_id: str) -> list[Referral]:
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(*_COLUMNS)
                    .where(referrals.c.conversation_id == conversation_id)
                    .order_by(referrals.c.proposed_at, referrals.c.id)
                )
            ).all()
        return [_referral(row) for row in rows]

    async def answer(
        self, referral_id: str, conversation_id: str, answer: str, scope: frozenset[str]
    ) -> Referral | None:
        """Record the visitor's choice on a proposal of their own conversation; None when there
        is no such proposal any more (answered, withdrawn, unknown or another chat's)."""
        now = utcnow()
        level = answer if answer in (CONTACT, HANDOFF) else None
        async with self.db.writer.begin() as conn:
            done = await conn.execute(
                update(referrals)
                .where(
                    referrals.c.id == referral_id,
                    referrals.c.conversation_id == conversation_id,
                    referrals.c.status == PROPOSED,
                )
                .values(
                    status=status_after(answer),
                    consent_level=level,
                    consent_scope=json.dumps(sorted(scope)) if level else None,
                    consent_at=now if level else None,
                )
            )
            if done.rowcount != 1:
                return None
        return await self.get(referral_id)

    async def withdraw(self, referral_id: str, return_code_id: str) -> Referral | None:
        """The visitor takes their consent back with their code: only a referral of a chat in
        that code's thread; None for anything else (unknown, another thread, nothing left)."""
        thread = select(conversations.c.id).where(conversations.c.return_code_id == return_code_id)
        async with self.db.writer.begin() as conn:
            done = await conn.execute(
                update(referrals)
                .where(
                    referrals.c.id == referral_id,
                    referrals.c.status.in_(WITHDRAWABLE),
                    referrals.c.conversation_id.in_(thread.scalar_subquery()),
                )
                .values(status=WITHDRAWN, withdrawn_at=utcnow())
            )
            if done.rowcount != 1:
                return None
        return await self.get(referral_id)

    async def for_code(self, return_code_id: str) -> list[Referral]:
        """The referrals of every chat in a return code's thread, newest first."""
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(*_COLUMNS)
                    .select_from(
                        referrals.join(
                            conversations, conversations.c.id == referrals.c.conversation_id
                        )
                    )
                    .where(conversations.c.return_code_id == return_code_id)
                    .order_by(referrals.c.proposed_at.desc(), referrals.c.id)
                )
            ).all()
        return [_referral(row) for row in rows]

    async def listed(
        self, organisation_id: str, proposed_by: str | None, older_than: datetime | None = None
    ) -> list[Referral]:
        """The organisation's referrals (only one counselor's when ``proposed_by`` is given),
        newest first; with ``older_than``: only those still without an outcome proposed before
        it (the follow-up reminder list). Declined and withdrawn ones need no follow-up."""
        query = select(*_COLUMNS).where(referrals.c.organisation_id == organisation_id)
        if proposed_by is not None:
            query = query.where(referrals.c.proposed_by == proposed_by)
        if older_than is not None:
            query = query.where(
                referrals.c.outcome.is_(None),
                referrals.c.proposed_at < older_than,
                referrals.c.status.in_((PROPOSED, CONTACT, HANDOFF)),
            )
        query = query.order_by(referrals.c.proposed_at.desc(), referrals.c.id).limit(LISTED)
        async with self.db.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_referral(row) for row in rows]

    async def set_outcome(
        self, referral_id: str, organisation_id: str, outcome: str, staff_id: str
    ) -> Referral | None:
        async with self.db.writer.begin() as conn:
            done = await conn.execute(
                update(referrals)
                .where(
                    referrals.c.id == referral_id,
                    referrals.c.organisation_id == organisation_id,
                )
                .values(outcome=outcome, outcome_at=utcnow(), outcome_by=staff_id)
            )
            if done.rowcount != 1:
                return None
        return await self.get(referral_id)


async def handoff_consent(db: Database, referral_id: str) -> HandoffConsent | None:
    """The visitor's live consent to a warm hand-off on this referral; None for any other
    consent, no consent, a withdrawn one or an unknown referral (helper F's partner access)."""
    async with db.reader.connect() as conn:
        row = (
            await conn.execute(
                select(*_COLUMNS).where(
                    and_(
                        referrals.c.id == referral_id,
                        referrals.c.consent_level == HANDOFF,
                        referrals.c.status == HANDOFF,
                        referrals.c.withdrawn_at.is_(None),
                    )
                )
            )
        ).first()
    if row is None or row.consent_at is None:
        return None
    return HandoffConsent(
        referral_id=row.id,
        conversation_id=row.conversation_id,
        organisation_id=row.organisation_id,
        scope=frozenset(_scope(row.consent_scope)),
        consent_at=as_utc(row.consent_at),
        service_id=row.service_id,
    )


async def report_counts(
    db: Database, organisation_id: str | None, start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    async with db.reader.connect() as conn:
        return await count_for_report(conn, organisation_id, start, end)


async def count_for_report(
    conn: AsyncConnection, organisation_id: str | None, start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    """For the yearly report: referrals proposed in [start, end) counted by service type, by
    the consent the visitor gave (``none`` for a decline or no answer) and by outcome
    (``none``: not recorded). From this table only, never from a transcript."""
    where = [referrals.c.proposed_at >= start, referrals.c.proposed_at < end]
    if organisation_id is not None:
        where.append(referrals.c.organisation_id == organisation_id)
    counts: dict[str, dict[str, int]] = {"service_type": {}, "consent_level": {}, "outcome": {}}
    for name, column in (
        ("service_type", referrals.c.service_type),
        ("consent_level", referrals.c.consent_level),
        ("outcome", referrals.c.outcome),
    ):
        rows = (
            await conn.execute(select(column, func.count()).where(*where).group_by(column))
        ).all()
        for value, n in rows:
            key = "none" if value is None else str(value)
            counts[name][key] = counts[name].get(key, 0) + int(n)
    return counts


__all__ = ["DECLINED", "ReferralRepository", "handoff_consent", "report_counts"]
