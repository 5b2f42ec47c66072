"""partner_directory: the HSDS 3.0 services of each organisation's partner directory

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 13:40:00

New tables only; nothing existing changes (issue 17, item 1; docs/directory.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_services",
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("organization_name", sa.Text(), nullable=False),
        sa.Column("organization_url", sa.Text(), nullable=True),
        sa.Column("service_type", sa.String(length=40), nullable=False),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("genders", sa.Text(), nullable=False),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("regions", sa.Text(), nullable=False),
        sa.Column("exploitation_types", sa.Text(), nullable=False),
        sa.Column("phones", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("opening_hours_text", sa.Text(), nullable=True),
        sa.Column("accepts_warm_handoff", sa.Boolean(), nullable=False),
        sa.Column("baken_organisation_id", sa.String(length=40), nullable=True),
        sa.Column("hsds", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_directory_services_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("organisation_id", "id", name=op.f("pk_directory_services")),
    )
    op.create_table(
        "directory_versions",
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_directory_versions_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_directory_versions")),
    )


def downgrade() -> None:
    op.drop_table("directory_versions")
    op.drop_table("directory_services")
