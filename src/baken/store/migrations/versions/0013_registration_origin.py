"""registrations.origin (codebook 2026.2) and an index on the codebook version (issue 20)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 10:40:00

Existing registrations keep their codebook version and get NULL here, which reads as "unknown".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.SmallInteger(), nullable=True))
    op.create_index(
        "ix_registrations_org_codebook_started",
        "registrations",
        ["organisation_id", "codebook_version", "started_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_registrations_org_codebook_started", table_name="registrations")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("origin")
