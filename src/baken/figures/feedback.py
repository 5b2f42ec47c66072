"""The two anonymous questions after a chat, and the ticket that lets a visitor answer them.

The visitor's session token dies with the chat (a found phone cannot reopen it), so while the
chat runs the page asks for a feedback ticket: the conversation id, an expiry and an HMAC under an
installation secret. After the end, the ticket is the only proof the page has. It is kept in the
page's memory only.

The answer is stored without the conversation (and with the hour only, not the moment), so it
cannot be traced back to a chat or a counselor; the conversation only records that it was given,
so each chat gives feedback once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import timedelta

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from baken.crypto.envelope import CipherCache
from baken.domain.conversation import State
from baken.figures.compute import Answer
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.tables import conversations, installation_secrets, visitor_feedback

SECRET_NAME = "feedback_ticket_key"  # noqa: S105 (the name of a row, not a secret)
TICKET_HOURS = 24
ANSWERS = {"yes": Answer.YES, "partly": Answer.PARTLY, "no": Answer.NO}


class FeedbackRefused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class FeedbackStore:
    def __init__(self, db: Database, ciphers: CipherCache) -> None:
        self.db = db
        self.master = ciphers.master
        self._key: bytes | None = None

    async def _secret(self) -> bytes:
        """The installation's ticket key, made on first use, wrapped by the master key."""
        if self._key is not None:
            return self._key
        async with self.db.reader.connect() as conn:
            wrapped = await conn.scalar(
                select(installation_secrets.c.wrapped).where(
                    installation_secrets.c.name == SECRET_NAME
                )
            )
        if wrapped is None:
            candidate = os.urandom(32)
            try:
                async with self.db.writer.begin() as conn:
                    await conn.execute(
                        insert(installation_secrets).values(
                            name=SECRET_NAME,
                            wrapped=self.master.wrap(SECRET_NAME, candidate),
                            key_id=self.master.key_id,
                            created_at=utcnow(),
                        )
                    )
            except IntegrityError:  # another process made it first: use theirs
                return await self._secret()
            self._key = candidate
            return candidate
        self._key = self.master.unwrap(SECRET_NAME, wrapped)
        return self._key

    async def ticket(self, conversation_id: str) -> str:
        expires = int((utcnow() + timedelta(hours=TICKET_HOURS)).timestamp())
        payload = f"{conversation_id}.{expires}"
        return f"{payload}.{await self._sign(payload)}"

    async def _sign(self, payload: str) -> str:
        digest = hmac.new(await self._secret(), payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    async def conversation_of(self, ticket: object) -> str:
        """The conversation a valid, unexpired ticket names; FeedbackRefused otherwise."""
        if not isinstance(ticket, str) or len(ticket) > 200 or ticket.count(".") != 2:
            raise FeedbackRefused("bad_ticket")
        conversation_id, expires, signature = ticket.split(".")
        expected = await self._sign(f"{conversation_id}.{expires}")
        if not hmac.compare_digest(expected, signature) or not expires.isdigit():
            raise FeedbackRefused("bad_ticket")
        if int(expires) < utcnow().timestamp():
            raise FeedbackRefused("ticket_expired")
        return conversation_id

    async def eligible(self, conversation_id: str) -> bool:
        """Ended after a counselor answered, and no feedback given yet."""
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        conversations.c.state,
                        conversations.c.accepted_at,
                        conversations.c.feedback_given,
                    ).where(conversations.c.id == conversation_id)
                )
            ).first()
        return (
            row is not None
            and row.state == State.ENDED.value
            and row.accepted_at is not None
            and not row.feedback_given
        )

    async def submit(self, conversation_id: str, helped: int | None, come_back: int | None) -> None:
        now = utcnow()
        async with self.db.writer.begin() as conn:
            organisation_id = await conn.scalar(
                update(conversations)
                .where(
                    and_(
                        conversations.c.id == conversation_id,
                        conversations.c.state == State.ENDED.value,
                        conversations.c.accepted_at.is_not(None),
                        conversations.c.feedback_given.is_(False),
                    )
                )
                .values(feedback_given=True)
                .returning(conversations.c.organisation_id)
            )
            if organisation_id is None:
                raise FeedbackRefused("not_possible")
            await conn.execute(
                insert(visitor_feedback).values(
                    organisation_id=organisation_id,
                    submitted_hour=now.replace(minute=0, second=0, microsecond=0),
                    helped=helped,
                    come_back=come_back,
                )
            )
