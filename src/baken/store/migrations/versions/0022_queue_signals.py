"""queue signals: what detections in a waiting visitor's first messages add to their place

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 13:45:00

Two columns on conversations (issue 19, item 3; docs/signals.md, "The risk-ranked queue"): a
flag for possible acute danger and a few points for other indicators. No labels and no words;
they are cleared when a counselor takes the chat or it ends.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(
            sa.Column("queue_acute", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(
            sa.Column("queue_signal_points", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("queue_signal_points")
        batch.drop_column("queue_acute")
