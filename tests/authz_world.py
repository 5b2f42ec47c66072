"""The people and objects of the authorization matrix (tests/test_authorization_matrix.py).

One real server; staff of every role in the default organisation and in a partner organisation; a
second counselor ("colleague") who owns the "foreign" objects; visitors. Objects are written
straight into the database the way the server writes them, so each attempt can get a fresh one.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select

from baken.auth.passkeys import NewCredential
from baken.crypto.envelope import CipherCache
from baken.devtools import enrol_second_factor
from baken.domain.conversation import EndedBy, Role
from baken.store import tables
from baken.store.block_repo import BlockRepository
from baken.store.canned_repo import CannedRepository
from baken.store.conversation_repo import ConversationRepository
from baken.store.database import Database
from baken.store.passkey_repo import PasskeyRepository
from baken.store.return_code_repo import ReturnCodeRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository
from tests.support import _PASSWORD_HASH, Server, master_key, run_async

T = TypeVar("T")

PARTNER = "org_partner"
VISITOR_COOKIE = "__Host-baken_v"
STAFF_COOKIE = "__Host-baken_s"
# Everyone the matrix asks about, in the order of the table columns in docs/security.md.
PRINCIPALS = ("anonymous", "visitor", "counselor", "supervisor", "researcher", "admin")
STAFF_ROLES = {role.value: role for role in Role}


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    role: Role
    organisation_id: str
    token: str


def in_db(server: Server, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run one piece of database work from the test (its own engine: each run has its own loop)."""

    async def run() -> T:
        db = Database(server.settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    result: T = run_async(run())
    return result


def _conversations(db: Database, server: Server) -> ConversationRepository:
    return ConversationRepository(db, CipherCache(master_key(server.settings)))


class World:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.accounts: dict[str, Account] = {}
        for name, role in STAFF_ROLES.items():
            self.accounts[name] = self.create_account(role, DEFAULT_ORGANISATION)
            self.accounts[f"partner_{name}"] = self.create_account(role, PARTNER)
        self.accounts["colleague"] = self.create_account(Role.COUNSELOR, DEFAULT_ORGANISATION)
        self.visitor_conversation, self.visitor_token = server.start_visitor("Vera")

    # --- people ----------------------------------------------------------------------------------

    def create_account(self, role: Role, organisation_id: str) -> Account:
        username = f"{role.value[:3]}-{organisation_id[4:7]}-{secrets.token_hex(4)}"

        async def create(db: Database) -> Account:
            repo = StaffRepository(db)
            await repo.ensure_organisation(organisation_id, organisation_id)
            member = await repo.create(username, "Rita", _PASSWORD_HASH, role, organisation_id)
            await enrol_second_factor(db, master_key(self.server.settings), member.id)
            token = await repo.start_session(member.id)
            return Account(member.id, username, role, organisation_id, token)

        return in_db(self.server, create)

    def account(self, who: str) -> Account:
        return self.accounts[who]

    def make_room(self, who: str, most: int = 40) -> None:
        """The matrix hands every attempt a fresh chat (through two doors), and a counselor holds
        at most BAKEN_MAX_CHATS (50) at once: when an account holds `most`, its chats are
        ended the way a counselor ends them, through the server's chat service."""
        account = self.accounts.get(who)
        if account is None:
            return
        app: Any = self.server._server.config.app
        chat = app.state.baken.chat

        async def make_room() -> None:
            member = await app.state.baken.staff.session_member(account.token)
            held = await chat.staff_conversations(member)
            if len(held) >= most:
                for record in held:
                    await chat.end_for_staff(member, record.id)

        # On the server's own loop: its database engines and its hub live there.
        asyncio.run_coroutine_threadsafe(make_room(), chat.timeouts.loop).result(60)

    def fresh_session(self, who: str) -> str:
        staff_id = self.account(who).id
        return in_db(self.server, lambda db: StaffRepository(db).start_session(staff_id))

    def headers(self, who: str, *, fresh: bool = False) -> dict[str, str]:
        """The cookie a principal sends; fresh=True for a request that ends what it uses."""
        if who == "anonymous":
            return {}
        if who == "visitor":
            token = self.server.start_visitor()[1] if fresh else self.visitor_token
            return {"Cookie": f"{VISITOR_COOKIE}={token}"}
        token = self.fresh_session(who) if fresh else self.account(who).token
        return {"Cookie": f"{STAFF_COOKIE}={token}"}

    # --- objects ---------------------------------------------------------------------------------

    def conversation(
        self, counselor: str | None, state: str = "active", organisation_id: str | None = None
    ) -> str:
        """A conversation (queued, active or ended) held by this account; returns its id."""
        owner = self.account(counselor) if counselor else None
        org = organisation_id or (owner.organisation_id if owner else DEFAULT_ORGANISATION)

        async def create(db: Database) -> str:
            repo = _conversations(db, self.server)
            record, _token = await repo.create("Nora", "nl", organisation_id=org)
            if owner is not None and state != "queued":
                await repo.accept(record.id, owner.id, "Rita", max_chats=100_000)
            if state == "ended":
                await repo.end(record.id, EndedBy.COUNSELOR, owner.id if owner else None, "Rita")
            return record.id

        return in_db(self.server, create)

    def with_return_code(self, conversation_id: str) -> str:
        async def issue(db: Database) -> str:
            codes = ReturnCodeRepository(db, CipherCache(master_key(self.server.settings)))
            return await codes.issue(conversation_id, "test-" + secrets.token_hex(16), None)

        return in_db(self.server, issue)

    def block(self, by: str) -> str:
        """A block one staff member placed on a conversation of theirs; returns its id."""
        owner = self.account(by)
        conversation_id = self.conversation(by, "ended")

        async def add(db: Database) -> str:
            block = await BlockRepository(db).add(
                owner.organisation_id,
                conversation_id,
                None,
                "abusive",
                timedelta(hours=1),
                owner.id,
            )
            return block.id

        return in_db(self.server, add)

    def canned(self, owner: str | None, organisation_id: str = DEFAULT_ORGANISATION) -> str:
        """A personal canned text of `owner`, or a team text of the organisation (owner None)."""
        owner_id = self.account(owner).id if owner else None
        author = owner_id or self.account("supervisor").id

        async def create(db: Database) -> str:
            item = await CannedRepository(db, master_key(self.server.settings)).create(
                organisation_id, owner_id, "nl", "Groet", "Hallo, fijn dat je er bent.", author
            )
            return item.id

        return in_db(self.server, create)

    def passkey(self, owner: str) -> str:
        """A passkey of this account (issue 16), written as registration writes it; its id."""
        staff_id = self.account(owner).id

        async def add(db: Database) -> str:
            credential = NewCredential(secrets.token_bytes(32), b"\xa0", 0, ("usb",))
            added = await PasskeyRepository(db).add(staff_id, "Sleutel", credential)
            assert added is not None
            return added.id

        return in_db(self.server, add)

    # --- "nothing changed" -----------------------------------------------------------------------

    def snapshot(self, conversation_id: str | None = None) -> dict[str, Any]:
        """How many rows every table holds, and the conversation's own row."""

        async def read(db: Database) -> dict[str, Any]:
            found: dict[str, Any] = {}
            async with db.reader.connect() as conn:
                for table in tables.metadata.sorted_tables:
                    found[table.name] = await conn.scalar(select(func.count()).select_from(table))
                if conversation_id is not None:
                    row = (
                        await conn.execute(
                            select(tables.conversations).where(
                                tables.conversations.c.id == conversation_id
                            )
                        )
                    ).first()
                    found["conversation"] = None if row is None else dict(row._mapping)
            return found

        return in_db(self.server, read)
