"""organisations as data: entry slug and host, visitor-facing numbers, queue cap, disabling (issue 14)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:30:00

Every existing organisation keeps its rows and gets a slug made from its id, so an upgraded
installation behaves exactly as before: the default organisation stays behind ``/``. Staff get the
languages they speak (none known yet), audit records the organisation they belong to (older ones:
the installation's), and conversations when their visitor was last seen (issue 15's timeouts).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _slug_of(organisation_id: str) -> str:
    base = organisation_id.removeprefix("org_").lower()
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in base).strip("-")
    return (cleaned or "org")[:40]


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slug", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=253), nullable=True))
        batch_op.add_column(sa.Column("exit_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("emergency_number", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("phones", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("queue_max", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("priority_under_16", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("priority_16_17", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        # The languages a counselor speaks, comma-separated codes: take-next prefers a match.
        batch_op.add_column(
            sa.Column("languages", sa.String(length=80), nullable=False, server_default="")
        )

    # Issue 15: when a visitor was last seen, for the timeouts sweep.
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visitor_seen_at", sa.DateTime(timezone=True), nullable=True))
    # Audit records get the organisation they belong to; older ones stay the installation's.
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.String(length=40), nullable=True))
        batch_op.create_index(
            "ix_audit_log_organisation_id", ["organisation_id", "id"], unique=False
        )

    organisations = sa.table(
        "organisations", sa.column("id", sa.String()), sa.column("slug", sa.String())
    )
    bind = op.get_bind()
    taken: set[str] = set()
    for row in bind.execute(sa.select(organisations.c.id).order_by(organisations.c.id)).all():
        slug = _slug_of(row.id)
        candidate, n = slug, 2
        while candidate in taken:
            candidate = f"{slug[:36]}-{n}"
            n += 1
        taken.add(candidate)
        bind.execute(
            sa.update(organisations).where(organisations.c.id == row.id).values(slug=candidate)
        )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.alter_column("slug", existing_type=sa.String(length=40), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_organisations_slug"), ["slug"])
        batch_op.create_unique_constraint(op.f("uq_organisations_host"), ["host"])


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("visitor_seen_at")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_organisation_id")
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("languages")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_organisations_host"), type_="unique")
        batch_op.drop_constraint(op.f("uq_organisations_slug"), type_="unique")
        batch_op.drop_column("active")
        batch_op.drop_column("retention_days")
        batch_op.drop_column("priority_16_17")
        batch_op.drop_column("priority_under_16")
        batch_op.drop_column("queue_max")
        batch_op.drop_column("phones")
        batch_op.drop_column("emergency_number")
        batch_op.drop_column("exit_url")
        batch_op.drop_column("host")
        batch_op.drop_column("slug")
