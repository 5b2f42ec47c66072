"""Each organisation's data key (issue 16): made on first use, stored wrapped by the master key in
``organisation_keys`` and re-wrapped by `baken keys rotate` like every other stored key."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from baken.crypto.envelope import MasterKey, new_data_key
from baken.crypto.organisation_cipher import OrganisationCipher, organisation_wrap_context
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.tables import organisation_keys


class OrganisationKeys:
    def __init__(self, db: Database, master: MasterKey) -> None:
        self.db = db
        self.master = master

    async def _stored(self, organisation_id: str) -> OrganisationCipher | None:
        async with self.db.reader.connect() as conn:
            wrapped = await conn.scalar(
                select(organisation_keys.c.wrapped_key).where(
                    organisation_keys.c.organisation_id == organisation_id
                )
            )
        if wrapped is None:
            return None
        key = self.master.unwrap(organisation_wrap_context(organisation_id), wrapped)
        return OrganisationCipher(organisation_id, key)

    async def cipher(self, organisation_id: str) -> OrganisationCipher:
        """The organisation's cipher; its key is made on first use."""
        found = await self._stored(organisation_id)
        if found is not None:
            return found
        context = organisation_wrap_context(organisation_id)
        key = new_data_key()
        try:
            async with self.db.writer.begin() as conn:
                await conn.execute(
                    insert(organisation_keys).values(
                        organisation_id=organisation_id,
                        wrapped_key=self.master.wrap(context, key),
                        key_id=self.master.key_id,
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            # Another process made it first: use theirs. (Or no such organisation: raise.)
            found = await self._stored(organisation_id)
            if found is None:
                raise
            return found
        return OrganisationCipher(organisation_id, key)
