"""supervision: the consultation channel between staff

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consult_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("sender_id", sa.String(length=40), nullable=False),
        sa.Column("recipient_id", sa.String(length=40), nullable=True),
        sa.Column("conversation_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_consult_messages_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["staff.id"], name=op.f("fk_consult_messages_sender_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["staff.id"], name=op.f("fk_consult_messages_recipient_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_consult_messages_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consult_messages")),
    )
    op.create_index(
        "ix_consult_messages_org_recipient",
        "consult_messages",
        ["organisation_id", "recipient_id", "created_at"],
    )
    op.create_index(
        "ix_consult_messages_org_sender",
        "consult_messages",
        ["organisation_id", "sender_id", "created_at"],
    )
    op.create_index("ix_consult_messages_created_at", "consult_messages", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_consult_messages_created_at", table_name="consult_messages")
    op.drop_index("ix_consult_messages_org_sender", table_name="consult_messages")
    op.drop_index("ix_consult_messages_org_recipient", table_name="consult_messages")
    op.drop_table("consult_messages")
