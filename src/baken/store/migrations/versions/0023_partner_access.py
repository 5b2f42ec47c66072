"""partner_access: a partner professional invited into one conversation (warm hand-off)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 13:40:00

Organisations gain a ``kind`` ('helpline' for every existing one, or 'partner'), and a new table
records each invitation of a partner account into one conversation: who invited whom, when it
expires and how it ended (issue 17, item 3; docs/partners.md). It holds no words of anyone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=12), server_default="helpline", nullable=False)
        )
    op.create_table(
        "partner_access",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("referral_id", sa.String(length=40), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("partner_organisation_id", sa.String(length=40), nullable=False),
        sa.Column("partner_staff_id", sa.String(length=40), nullable=False),
        sa.Column("invited_by", sa.String(length=40), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("joined_seq", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_partner_access_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_partner_access_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_partner_access_partner_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_staff_id"],
            ["staff.id"],
            name=op.f("fk_partner_access_partner_staff_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["staff.id"], name=op.f("fk_partner_access_invited_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_access")),
    )
    op.create_index(
        "ix_partner_access_staff_open",
        "partner_access",
        ["partner_staff_id", "ended_at"],
    )
    op.create_index(
        "ix_partner_access_conversation", "partner_access", ["conversation_id", "ended_at"]
    )
    op.create_index("ix_partner_access_referral", "partner_access", ["referral_id"])


def downgrade() -> None:
    op.drop_index("ix_partner_access_referral", table_name="partner_access")
    op.drop_index("ix_partner_access_conversation", table_name="partner_access")
    op.drop_index("ix_partner_access_staff_open", table_name="partner_access")
    op.drop_table("partner_access")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("kind")
