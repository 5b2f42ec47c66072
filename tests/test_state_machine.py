"""One state machine: the domain's table says which moves exist, and the repository refuses every
other one — for each state a conversation can be in, each move, by the holder or someone else, on
SQLite and on PostgreSQL. And no module but the conversation repository writes a state."""

from __future__ import annotations

import ast
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from baken.config import Settings
from baken.crypto.envelope import CipherCache, MasterKey
from baken.domain.conversation import RULES, EndedBy, Move, State, allowed, can_transition
from baken.store.conversation_repo import (
    AtCapacity,
    ConversationRepository,
    NotHeld,
    NotQueued,
)
from baken.store.database import Database
from baken.store.migrate import upgrade_async
from baken.store.records import ConversationRecord
from baken.store.staff_repo import StaffRepository
from tests.support import postgres_available, postgres_database

SRC = Path(__file__).resolve().parents[1] / "src" / "baken"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield ""
        return
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL must run in CI")
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    with postgres_database() as url:
        yield url


class World:
    def __init__(self, repo: ConversationRepository, holder: str, other: str) -> None:
        self.repo = repo
        self.holder = holder
        self.other = other

    async def in_state(self, state: State) -> ConversationRecord:
        record, _ = await self.repo.create(None, "nl")
        if state is not State.QUEUED:
            await self.repo.accept(record.id, self.holder, "Anna", max_chats=100)
        if state is State.ENDED:
            await self.repo.end(record.id, EndedBy.VISITOR)
        found = await self.repo.get(record.id)
        assert found is not None and found.state is state
        return found

    async def attempt(self, move: Move, conversation_id: str, actor: str) -> bool:
        """Try one move as ``actor``; True when the repository carried it out."""
        try:
            if move is Move.ACCEPT:
                await self.repo.accept(conversation_id, actor, "X", max_chats=100)
            elif move is Move.TRANSFER:
                target = self.other if actor == self.holder else self.holder
                await self.repo.transfer(conversation_id, actor, target, "Y", max_chats=100)
            elif move is Move.REQUEUE:
                await self.repo.requeue(conversation_id, actor, "X")
            else:
                return await self.repo.end(conversation_id, EndedBy.COUNSELOR, actor) is not None
        except (NotQueued, NotHeld, AtCapacity):
            return False
        return True


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    await upgrade_async(settings)
    db = Database(settings)
    staff = StaffRepository(db)
    await staff.ensure_organisation("Test")
    holder = await staff.create("holder", "Anna", "x")
    other = await staff.create("other", "Bram", "x")
    yield World(
        ConversationRepository(db, CipherCache(MasterKey(os.urandom(32)))), holder.id, other.id
    )
    await db.dispose()


@pytest.mark.parametrize("move", list(Move))
@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("by_holder", [True, False])
async def test_every_move_from_every_state(
    world: World, move: Move, state: State, by_holder: bool
) -> None:
    record = await world.in_state(state)
    actor = world.holder if by_holder else world.other
    rule = RULES[move]
    expected = allowed(move, state) and (not rule.holder_only or by_holder)

    done = await world.attempt(move, record.id, actor)

    after = await world.repo.get(record.id)
    assert after is not None
    assert done is expected
    if expected:
        assert after.state is rule.target
        assert can_transition(state, after.state)
    else:
        # Refused means untouched: the same state and the same holder.
        assert (after.state, after.counselor_id) == (record.state, record.counselor_id)


def test_the_table_is_the_lifecycle() -> None:
    assert can_transition(State.QUEUED, State.ACTIVE)
    assert can_transition(State.ACTIVE, State.QUEUED)
    assert not any(State.ENDED in r.sources for r in RULES.values()), "an ended chat stays ended"


def _writes_state(node: ast.Call) -> bool:
    return (
        isinstance(node.func, ast.Attribute)
        and node.func.attr == "values"
        and any(k.arg == "state" for k in node.keywords)
        and "update(conversations)" in ast.unparse(node.func.value)
    )


def test_only_the_conversation_repository_writes_a_state() -> None:
    writers = set()
    for path in SRC.rglob("*.py"):
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and _writes_state(node):
                    writers.add((path.relative_to(SRC).as_posix(), function.name))
    # Every state-changing UPDATE is built by _move(), from the domain's table.
    assert writers == {("store/conversation_repo.py", "_move")}
