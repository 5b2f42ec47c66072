"""Messages left while the chat is closed, on the return-code mailbox (issue 3).

Leaving a message makes a new return code whose mailbox holds it (direction ``to_staff``). The
visitor keeps the code; any counselor of the organisation can read the thread and answer
(``to_visitor``), and the visitor reads the answer with the code, also while the chat is still
closed. The code is stored only as its peppered slow hash, the texts are encrypted with the
mailbox's own key, exactly as for codes handed out in a chat; destroying the code shreds them.

A thread waits for an answer while its last message is from the visitor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import and_, case, func, insert, select

from baken.abuse.lanes import LanedBucket
from baken.auth.tokens import new_id
from baken.crypto.code_hash import code_hash
from baken.crypto.envelope import new_data_key
from baken.domain.rate import TokenBucket
from baken.domain.return_code import is_well_formed, new_code, normalize
from baken.realtime.chat_service import ChatService, CodeNotAccepted, TryLater
from baken.slow_hashing import run_hash
from baken.store.clock import utcnow
from baken.store.return_code_repo import CodeState, Direction, MailboxMessage, ReturnCode
from baken.store.tables import mailbox_messages, return_codes

# Every leave and every read costs an argon2 hash: bound them across everyone (no identity).
TRIES_PER_SECOND = 2.0
TRIES_BURST = 10.0
MAX_WAITING_LISTED = 200


@dataclass(frozen=True, slots=True)
class WaitingThread:
    code_id: str
    waiting_since_ms: int
    unanswered: int


class LeftMessages:
    def __init__(self, chat: ChatService) -> None:
        self.chat = chat
        self.codes = chat.codes
        self.db = chat.repo.db
        self.master = chat.repo.ciphers.master
        # Issue 16: a lane for requests with a proof-of-work, one for the rest (abuse/lanes.py).
        self._bucket: LanedBucket | TokenBucket = LanedBucket(TRIES_PER_SECOND, TRIES_BURST)

    async def _hash(self, normalized: str) -> str:
        if not self._bucket.take(time.monotonic()):
            raise TryLater()
        pepper = await self.codes.pepper()
        return await run_hash(code_hash, pepper, normalized)

    async def leave(self, organisation_id: str, text: str, lang: str) -> str:
        """Store a new thread with this first message; returns the new code (shown once), in
        words of the visitor's page language."""
        code = new_code(lang)
        hashed = await self._hash(normalize(code))
        code_id = new_id("r")
        async with self.db.writer.begin() as conn:
            await conn.execute(
                insert(return_codes).values(
                    id=code_id,
                    organisation_id=organisation_id,
                    code_hash=hashed,
                    state=CodeState.ACTIVE,
                    created_at=utcnow(),
                    preferred_staff_id=None,
                    wrapped_key=self.master.wrap(code_id, new_data_key()),
                    key_id=self.master.key_id,
                )
            )
        await self.codes.post(code_id, Direction.TO_STAFF, None, text)
        self.chat.left_messages_push.changed(organisation_id)
        return code

    async def _code(self, raw: str) -> ReturnCode:
        normalized = normalize(raw)  # CodeError for empty or too long, before any work
        hashed = await self._hash(normalized)  # always hashed: wrong codes cost the same
        found = await self.codes.find_active(hashed)
        if found is None or not is_well_formed(normalized):
            raise CodeNotAccepted()
        return found

    async def visitor_visit(
        self, raw: str, text: str | None, organisation_id: str
    ) -> list[MailboxMessage]:
        """Answers not read yet (then marked read); and the visitor's new message, if any.
        Another organisation's code is refused exactly like a wrong one (issue 14)."""
        code = await self._code(raw)
        if code.organisation_id != organisation_id:
            raise CodeNotAccepted()
        if text is not None:
            await self.codes.post(code.id, Direction.TO_STAFF, None, text)
            await self._changed(code.id)
        return await self.codes.unread(code.id, Direction.TO_VISITOR)

    async def waiting(self, organisation_id: str) -> list[WaitingThread]:
        to_staff = mailbox_messages.c.direction == Direction.TO_STAFF
        last_to_staff = func.max(case((to_staff, mailbox_messages.c.seq), else_=0))
        last_to_visitor = func.max(case((~to_staff, mailbox_messages.c.seq), else_=0))
        query = (
            select(
                mailbox_messages.c.return_code_id,
                last_to_staff.label("last_in"),
                last_to_visitor.label("last_out"),
            )
            .select_from(
                mailbox_messages.join(
                    return_codes, return_codes.c.id == mailbox_messages.c.return_code_id
                )
            )
            .where(
                and_(
                    return_codes.c.organisation_id == organisation_id,
                    return_codes.c.state == CodeState.ACTIVE,
                )
            )
            .group_by(mailbox_messages.c.return_code_id)
            .having(last_to_staff > last_to_visitor)
        )
        async with self.db.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        threads = []
        for row in rows:
            since, unanswered = await self._unanswered(row.return_code_id, int(row.last_out))
            threads.append(WaitingThread(row.return_code_id, since, unanswered))
        threads.sort(key=lambda t: t.waiting_since_ms)
        return threads[:MAX_WAITING_LISTED]

    async def _unanswered(self, code_id: str, answered_seq: int) -> tuple[int, int]:
        """When the first message after the last answer came, and how many came since."""
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(func.min(mailbox_messages.c.sent_at_ms), func.count()).where(
                        and_(
                            mailbox_messages.c.return_code_id == code_id,
                            mailbox_messages.c.seq > answered_seq,
                        )
                    )
                )
            ).one()
        return int(row[0] or 0), int(row[1] or 0)

    async def belongs_to(self, code_id: str, organisation_id: str) -> bool:
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(return_codes.c.organisation_id, return_codes.c.state).where(
                        return_codes.c.id == code_id
                    )
                )
            ).first()
        return (
            row is not None
            and row.organisation_id == organisation_id
            and (row.state == CodeState.ACTIVE)
        )

    async def thread(self, code_id: str) -> list[MailboxMessage]:
        """The whole thread, oldest first, for staff. Reading marks the visitor's messages read."""
        await self.codes.unread(code_id, Direction.TO_STAFF)
        # The repository's own key lookup: one mailbox key, one place that unwraps it.
        cipher = await self.codes._cipher(code_id)
        if cipher is None:
            return []
        async with self.db.reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(mailbox_messages)
                    .where(mailbox_messages.c.return_code_id == code_id)
                    .order_by(mailbox_messages.c.seq)
                )
            ).all()
        return [
            MailboxMessage(
                int(r.seq),
                r.direction,
                r.staff_id,
                cipher.decrypt(int(r.seq), r.body),
                int(r.sent_at_ms),
                int(r.read_at_ms) if r.read_at_ms is not None else None,
            )
            for r in rows
        ]

    async def reply(self, code_id: str, staff_id: str, text: str) -> int:
        seq = await self.codes.post(code_id, Direction.TO_VISITOR, staff_id, text)
        await self._changed(code_id)  # answered: the thread leaves everyone's list
        return seq

    async def _changed(self, code_id: str) -> None:
        """Tell the consoles of the thread's organisation (issue 12: the list updates live)."""
        async with self.db.reader.connect() as conn:
            organisation_id = await conn.scalar(
                select(return_codes.c.organisation_id).where(return_codes.c.id == code_id)
            )
        if isinstance(organisation_id, str):
            self.chat.left_messages_push.changed(organisation_id)
