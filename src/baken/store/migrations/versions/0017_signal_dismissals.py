"""signal_dismissals: daily counts of dismissed indicator signals per organisation and label

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 11:20:00

A new table only; nothing existing changes. It holds counts, never a conversation, a counselor
or a visitor's words (issue 19, item 2; docs/signals.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signal_dismissals",
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("dismissed", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_signal_dismissals_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "day", "label", name=op.f("pk_signal_dismissals")
        ),
    )


def downgrade() -> None:
    op.drop_table("signal_dismissals")
