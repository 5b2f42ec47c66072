"""canned answers sealed under a key per organisation (issue 16)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:00:00

Existing canned answers are sealed here, with the installation's master key (loaded as the server
loads it), and the plaintext columns are dropped. On SQLite ``secure_delete`` is switched on for
this migration, so the pages that held the plaintext are overwritten with zeros when freed.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from baken.config import Settings
from baken.crypto.envelope import new_data_key
from baken.crypto.keyfile import load_or_create_master_key
from baken.crypto.organisation_cipher import OrganisationCipher, organisation_wrap_context

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _settings() -> Settings:
    config = op.get_context().config
    found = config.attributes.get("baken_settings") if config is not None else None
    return found if isinstance(found, Settings) else Settings()


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete = ON")
    op.create_table(
        "organisation_keys",
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_keys_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_organisation_keys")),
    )
    with op.batch_alter_table("canned_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))

    canned = sa.table(
        "canned_responses",
        sa.column("id", sa.String()),
        sa.column("organisation_id", sa.String()),
        sa.column("title", sa.String()),
        sa.column("body", sa.Text()),
        sa.column("sealed", sa.LargeBinary()),
    )
    keys = sa.table(
        "organisation_keys",
        sa.column("organisation_id", sa.String()),
        sa.column("wrapped_key", sa.LargeBinary()),
        sa.column("key_id", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(
        sa.select(canned.c.id, canned.c.organisation_id, canned.c.title, canned.c.body)
    ).all()
    if rows:
        settings = _settings()
        master = load_or_create_master_key(settings.master_key, settings.data_dir)[0]
        ciphers: dict[str, OrganisationCipher] = {}
        for row in rows:
            cipher = ciphers.get(row.organisation_id)
            if cipher is None:
                key = new_data_key()
                bind.execute(
                    sa.insert(keys).values(
                        organisation_id=row.organisation_id,
                        wrapped_key=master.wrap(
                            organisation_wrap_context(row.organisation_id), key
                        ),
                        key_id=master.key_id,
                        created_at=datetime.now(UTC),
                    )
                )
                cipher = ciphers[row.organisation_id] = OrganisationCipher(row.organisation_id, key)
            bind.execute(
                sa.update(canned)
                .where(canned.c.id == row.id)
                .values(sealed=cipher.seal_canned(row.id, row.title, row.body))
            )
    with op.batch_alter_table("canned_responses", schema=None) as batch_op:
        batch_op.alter_column("sealed", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("title")
        batch_op.drop_column("body")


def downgrade() -> None:
    # Sealed texts cannot be opened without the master key here; going back loses them.
    op.execute("DELETE FROM canned_responses")
    with op.batch_alter_table("canned_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("title", sa.String(length=60), nullable=False, server_default="")
        )
        batch_op.drop_column("sealed")
    op.drop_table("organisation_keys")
