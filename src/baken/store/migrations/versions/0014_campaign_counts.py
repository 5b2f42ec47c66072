"""campaign_counts: anonymous daily counts per organisation and campaign code (issue 18)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 11:00:00

A new table only; nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_counts",
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("visits", sa.Integer(), server_default="0", nullable=False),
        sa.Column("started", sa.Integer(), server_default="0", nullable=False),
        sa.Column("answered", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_campaign_counts_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("organisation_id", "day", "code", name=op.f("pk_campaign_counts")),
    )


def downgrade() -> None:
    op.drop_table("campaign_counts")
