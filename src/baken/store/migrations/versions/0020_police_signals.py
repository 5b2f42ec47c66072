"""police signals: an anonymous, four-eyes approved signal to the police partner (issue 17, item 4)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 13:30:00

One table (docs/police-signals.md). The fields and a rejection's reason are sealed under the
organisation's key; the conversation link is only the drafter's reference and is never exported.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "police_signals",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=True),
        sa.Column("drafted_by", sa.String(length=40), nullable=True),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("approved_by", sa.String(length=40), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_reason", sa.LargeBinary(), nullable=True),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("export_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_police_signals_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_police_signals_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by"], ["staff.id"], name=op.f("fk_police_signals_drafted_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["staff.id"], name=op.f("fk_police_signals_approved_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_police_signals")),
    )
    op.create_index(
        "ix_police_signals_organisation_status",
        "police_signals",
        ["organisation_id", "status"],
    )


def downgrade() -> None:
    op.drop_index("ix_police_signals_organisation_status", table_name="police_signals")
    op.drop_table("police_signals")
