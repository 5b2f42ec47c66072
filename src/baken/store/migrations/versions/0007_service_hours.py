"""opening hours, holidays, visitor feedback, service figures

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_hours",
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_service_hours_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_service_hours")),
    )
    op.create_table(
        "visitor_feedback",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("submitted_hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("helped", sa.SmallInteger(), nullable=True),
        sa.Column("come_back", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_visitor_feedback_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitor_feedback")),
    )
    op.create_index(
        "ix_visitor_feedback_org_hour",
        "visitor_feedback",
        ["organisation_id", "submitted_hour"],
        unique=False,
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("feedback_given", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_conversations_org_created", "conversations", ["organisation_id", "created_at"]
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("completed_by", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("completed_by")
        batch_op.drop_column("completed_at")
    op.drop_index("ix_conversations_org_created", table_name="conversations")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("feedback_given")
    op.drop_index("ix_visitor_feedback_org_hour", table_name="visitor_feedback")
    op.drop_table("visitor_feedback")
    op.drop_table("service_hours")
