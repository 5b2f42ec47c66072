"""referrals: a partner service proposed in a chat, the visitor's consent and the outcome

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 13:45:00

A new table only; nothing existing changes (issue 17, items 2 and 5; docs/referrals.md).
``service_id`` names a partner-directory service (0018) at the time of the proposal, without a
foreign key: the referral and its report line outlive a service removed from the directory.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("service_type", sa.String(length=40), nullable=False),
        sa.Column("proposed_by", sa.String(length=40), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("consent_level", sa.String(length=12), nullable=True),
        sa.Column("consent_scope", sa.Text(), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_text", sa.LargeBinary(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_referrals_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_referrals_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["staff.id"], name=op.f("fk_referrals_proposed_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["outcome_by"], ["staff.id"], name=op.f("fk_referrals_outcome_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index("ix_referrals_conversation", "referrals", ["conversation_id"])
    op.create_index("ix_referrals_org_proposed", "referrals", ["organisation_id", "proposed_at"])


def downgrade() -> None:
    op.drop_index("ix_referrals_org_proposed", table_name="referrals")
    op.drop_index("ix_referrals_conversation", table_name="referrals")
    op.drop_table("referrals")
