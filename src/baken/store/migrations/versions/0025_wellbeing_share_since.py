"""wellbeing sharing: when it was chosen, and asked again (issue 15, items 6 and 7)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 17:10:00

``wellbeing_shares`` gets ``since``: the moment the staff member chose to share, shown to them on
"My day". The table is made anew, empty: until now the choice said "your
supervisors can see your figures of today"; from now on it also opens the heavy chats and the
longest time without a break of any period on the per-counselor figures page. A consent given for
less does not stretch to more, so everyone who shared is asked again (docs/wellbeing.md). Going
back drops ``since`` and, for the same reason the other way round, keeps no choice either.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _shares(*extra: sa.Column[Any]) -> None:
    op.create_table(
        "wellbeing_shares",
        sa.Column("staff_id", sa.String(length=40), nullable=False),
        *extra,
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_wellbeing_shares_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_wellbeing_shares")),
    )


def upgrade() -> None:
    op.drop_table("wellbeing_shares")
    _shares(sa.Column("since", sa.DateTime(timezone=True), nullable=False))


def downgrade() -> None:
    op.drop_table("wellbeing_shares")
    _shares()
