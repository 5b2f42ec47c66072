"""One named random secret per installation, shared by all its processes: made on first use and
stored wrapped by the master key in ``installation_secrets`` (re-wrapped by `baken keys rotate`)."""

from __future__ import annotations

import os

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from baken.crypto.envelope import MasterKey
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.tables import installation_secrets


class InstallationSecret:
    def __init__(self, db: Database, master: MasterKey, name: str) -> None:
        self.db = db
        self.master = master
        self.name = name
        self._value: bytes | None = None

    async def get(self) -> bytes:
        if self._value is not None:
            return self._value
        async with self.db.reader.connect() as conn:
            wrapped = await conn.scalar(
                select(installation_secrets.c.wrapped).where(
                    installation_secrets.c.name == self.name
                )
            )
        if wrapped is not None:
            self._value = self.master.unwrap(self.name, wrapped)
            return self._value
        candidate = os.urandom(32)
        try:
            async with self.db.writer.begin() as conn:
                await conn.execute(
                    insert(installation_secrets).values(
                        name=self.name,
                        wrapped=self.master.wrap(self.name, candidate),
                        key_id=self.master.key_id,
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:  # another process made it first: use theirs
            return await self.get()
        self._value = candidate
        return candidate
