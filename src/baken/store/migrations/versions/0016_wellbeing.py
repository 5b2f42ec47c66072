"""wellbeing: counselors' own heavy-chat marks and their choice to share their figures (issue 15)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 11:10:00

Two new tables, neither holding any text, time or reason: a mark is the pair (staff member,
conversation), a share is the staff member alone (docs/wellbeing.md). Two indexes on participants,
so that a counselor's day is an index range, not a scan of every chat ever (bench/wellbeing.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "heavy_marks",
        sa.Column("staff_id", sa.String(length=40), nullable=False),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_heavy_marks_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_heavy_marks_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("staff_id", "conversation_id", name=op.f("pk_heavy_marks")),
    )
    op.create_table(
        "wellbeing_shares",
        sa.Column("staff_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_wellbeing_shares_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_wellbeing_shares")),
    )
    op.create_index("ix_participants_staff_left", "participants", ["staff_id", "left_at"])
    op.create_index("ix_participants_left_at", "participants", ["left_at"])


def downgrade() -> None:
    op.drop_index("ix_participants_left_at", table_name="participants")
    op.drop_index("ix_participants_staff_left", table_name="participants")
    op.drop_table("wellbeing_shares")
    op.drop_table("heavy_marks")
