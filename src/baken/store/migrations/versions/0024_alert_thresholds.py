"""alert thresholds per organisation (issue 15, item 3)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 17:00:00

Four nullable columns on ``organisations``: when the supervisors' alerts fire for this
organisation. NULL keeps the installation's default (BAKEN_ALERT_WAIT_MINUTES,
BAKEN_ALERT_SILENT_MINUTES, BAKEN_ALERT_LEFT_MESSAGE_HOURS, BAKEN_ALERT_QUEUE_NEAR_PERCENT), so
every existing organisation behaves exactly as before (docs/organisations.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "alert_wait_minutes",
    "alert_silent_minutes",
    "alert_left_message_hours",
    "alert_queue_near_percent",
)


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
