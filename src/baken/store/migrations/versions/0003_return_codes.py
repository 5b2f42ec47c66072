"""return codes, their mailbox, installation secrets; conversations link to a code

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "installation_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_installation_secrets")),
    )
    op.create_table(
        "return_codes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("preferred_staff_id", sa.String(length=40), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_return_codes_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["preferred_staff_id"],
            ["staff.id"],
            name=op.f("fk_return_codes_preferred_staff_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_return_codes_code_hash")),
    )
    op.create_table(
        "mailbox_messages",
        sa.Column("return_code_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("direction", sa.String(length=12), nullable=False),
        sa.Column("staff_id", sa.String(length=40), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("sent_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("read_at_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["return_code_id"],
            ["return_codes.id"],
            name=op.f("fk_mailbox_messages_return_code_id_return_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_mailbox_messages_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("return_code_id", "seq", name=op.f("pk_mailbox_messages")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("return_code_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("preferred_staff_id", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("preferred_staff_id")
        batch_op.drop_column("return_code_id")
    op.drop_table("mailbox_messages")
    op.drop_table("return_codes")
    op.drop_table("installation_secrets")
