"""Databases, conversations at chosen moments and registrations, for the issue 6 tests."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from baken.auth.tokens import new_id
from baken.config import Settings
from baken.crypto.envelope import MasterKey, new_data_key
from baken.crypto.keyfile import load_or_create_master_key
from baken.registration.repository import Registration, RegistrationRepository
from baken.registration.validation import validate
from baken.store.database import Database
from baken.store.migrate import upgrade
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository
from baken.store.tables import conversations
from tests.support import postgres_available, postgres_database


@contextlib.contextmanager
def database_settings(kind: str, tmp: Path) -> Iterator[Settings]:
    """Migrated settings for a fresh SQLite file or a fresh PostgreSQL database."""
    if kind == "sqlite":
        settings = Settings(data_dir=tmp)
        upgrade(settings)
        yield settings
        return
    if not postgres_available():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432, and CI must test it")
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    with postgres_database() as url:
        settings = Settings(data_dir=tmp, database_url=url)
        upgrade(settings)
        yield settings


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class World:
    """One database with helpers to place conversations in time and register them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings)
        self.repo = RegistrationRepository(self.db)
        self.master: MasterKey = load_or_create_master_key(settings.master_key, settings.data_dir)[
            0
        ]

    async def start(self) -> World:
        await StaffRepository(self.db).ensure_organisation("Test helpline")
        return self

    async def close(self) -> None:
        await self.db.dispose()

    async def conversation(
        self,
        at: datetime,
        *,
        case_id: str | None = None,
        counselor_id: str | None = None,
        organisation_id: str = DEFAULT_ORGANISATION,
    ) -> str:
        conversation_id = new_id("c")
        async with self.db.writer.begin() as conn:
            await conn.execute(
                insert(conversations).values(
                    id=conversation_id,
                    organisation_id=organisation_id,
                    state="ended",
                    priority=0,
                    lang="nl",
                    created_at=at,
                    ended_at=at,
                    ended_by="visitor",
                    counselor_id=counselor_id,
                    wrapped_key=self.master.wrap(conversation_id, new_data_key()),
                    key_id=self.master.key_id,
                    last_seq=0,
                    visitor_read_seq=0,
                    visitor_delivered_seq=0,
                    counselor_read_seq=0,
                    counselor_delivered_seq=0,
                    case_id=case_id,
                )
            )
        return conversation_id

    async def register(
        self, conversation_id: str, staff_id: str | None = None, **values: Any
    ) -> Registration:
        current = await self.repo.get(conversation_id)
        return await self.repo.save(
            conversation_id, current.version if current else 0, validate(values), staff_id
        )

    async def person(self, at: datetime, **values: Any) -> Registration:
        """A new person's first conversation, registered."""
        return await self.register(await self.conversation(at), **values)

    async def again(self, first: Registration, at: datetime, **values: Any) -> Registration:
        """A later conversation of the same person (as after a return code), registered."""
        conversation_id = await self.conversation(at, case_id=first.case_id)
        return await self.register(conversation_id, **values)
