"""staff capacity: how many chats each counselor takes at once (issue 15, item 1)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 13:40:00

One row per staff member whose capacity a supervisor or administrator set; without a row the
installation's BAKEN_MAX_CHATS applies. Statuses (available, busy, ...) are not stored: they live
in presence, shared between processes (docs/supervision.md, "Statuses and capacity").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_capacity",
        sa.Column("staff_id", sa.String(length=40), nullable=False),
        sa.Column("max_chats", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_staff_capacity_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_staff_capacity")),
    )


def downgrade() -> None:
    op.drop_table("staff_capacity")
