"""Loading and saving the service-hours config, with a short cache for the visitor page.

Every visitor page view and every chat start asks whether the chat is open; the config changes
a few times a year. A few seconds of cache keep that off the database; after a save this
process sees the change at once, other processes within CACHE_SECONDS.
"""

from __future__ import annotations

import time

import orjson
from sqlalchemy import insert, select, update

from baken.service_hours.config import NOT_CONFIGURED, ServiceConfig, parse, to_document
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.tables import service_hours

CACHE_SECONDS = 5.0


class VersionConflict(Exception):
    def __init__(self, current_version: int) -> None:
        super().__init__(f"the config is at version {current_version}")
        self.current_version = current_version


class ServiceHoursStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[str, tuple[float, ServiceConfig, int]] = {}

    async def load(self, organisation_id: str) -> tuple[ServiceConfig, int]:
        """The config and its version (0: never configured, the chat is open around the clock)."""
        cached = self._cache.get(organisation_id)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1], cached[2]
        async with self.db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(service_hours.c.config, service_hours.c.version).where(
                        service_hours.c.organisation_id == organisation_id
                    )
                )
            ).first()
        if row is None:
            config, version = NOT_CONFIGURED, 0
        else:
            config, version = parse(orjson.loads(row.config)), int(row.version)
        self._cache[organisation_id] = (time.monotonic(), config, version)
        return config, version

    async def save(
        self, organisation_id: str, config: ServiceConfig, expected_version: int, staff_id: str
    ) -> int:
        """Store a validated config; VersionConflict when someone saved since expected_version."""
        document = orjson.dumps(to_document(config)).decode()
        now = utcnow()
        async with self.db.writer.begin() as conn:
            current = await conn.scalar(
                select(service_hours.c.version).where(
                    service_hours.c.organisation_id == organisation_id
                )
            )
            if (current or 0) != expected_version:
                raise VersionConflict(int(current or 0))
            if current is None:
                await conn.execute(
                    insert(service_hours).values(
                        organisation_id=organisation_id,
                        config=document,
                        version=1,
                        updated_at=now,
                        updated_by=staff_id,
                    )
                )
            else:
                result = await conn.execute(
                    update(service_hours)
                    .where(
                        (service_hours.c.organisation_id == organisation_id)
                        & (service_hours.c.version == expected_version)
                    )
                    .values(config=document, version=expected_version + 1, updated_at=now,
                            updated_by=staff_id)
                )  # fmt: skip
                if result.rowcount != 1:
                    raise VersionConflict(expected_version + 1)
        version = expected_version + 1
        self._cache[organisation_id] = (time.monotonic(), config, version)
        return version
