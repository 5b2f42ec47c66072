"""registrations: cases, registrations, their change log, and conversations.case_id

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Codebook fields as columns: (name, is multi-valued bitmask). Frozen here on purpose: a later
# codebook version adds columns in its own migration.
_FIELD_COLUMNS = (
    ("trafficking_request", False),
    ("contact_role", False),
    ("victim_assessment", False),
    ("exploitation_types", True),
    ("in_exploitation_now", False),
    ("exploitation_duration", False),
    ("age", False),
    ("is_minor", False),
    ("gender", False),
    ("perpetrator_relations", True),
    ("multiple_perpetrators", False),
    ("clients_involved", False),
    ("siblings_exploited", False),
    ("first_disclosure", False),
    ("known_to", True),
    ("indicators", True),
    ("risk_level", False),
    ("emergency_actions", True),
    ("consent_level", False),
    ("referrals", True),
    ("language", False),
    ("region", False),
)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_request_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_cases_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_org_first_request", ["organisation_id", "first_request_at"], unique=False
        )

    op.create_table(
        "registrations",
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("codebook_version", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report_year", sa.SmallInteger(), nullable=True),
        sa.Column("report_month", sa.SmallInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=True),
        *(
            sa.Column(name, sa.Integer() if multi else sa.SmallInteger(), nullable=True)
            for name, multi in _FIELD_COLUMNS
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_registrations_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_registrations_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_registrations_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["staff.id"], name=op.f("fk_registrations_updated_by_staff")
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_registrations")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index("ix_registrations_case_id", ["case_id"], unique=False)
        batch_op.create_index(
            "ix_registrations_org_report_year", ["organisation_id", "report_year"], unique=False
        )
        batch_op.create_index(
            "ix_registrations_request_started",
            ["organisation_id", "trafficking_request", "started_at"],
            unique=False,
        )

    op.create_table(
        "registration_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("staff_id", sa.String(length=40), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.Integer(), nullable=True),
        sa.Column("new_value", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["registrations.conversation_id"],
            name=op.f("fk_registration_changes_conversation_id_registrations"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_registration_changes_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_changes")),
    )
    with op.batch_alter_table("registration_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registration_changes_conversation", ["conversation_id", "id"], unique=False
        )

    # SQLite cannot add a foreign key by ALTER, and rebuilding conversations would trip over the
    # messages that reference it; a column with an inline REFERENCES clause is allowed, though.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # A downgrade on SQLite leaves the column in place (see there).
        existing = {c["name"] for c in sa.inspect(bind).get_columns("conversations")}
        if "case_id" not in existing:
            op.execute(
                "ALTER TABLE conversations ADD COLUMN case_id VARCHAR(40) REFERENCES cases (id)"
            )
    else:
        with op.batch_alter_table("conversations", schema=None) as batch_op:
            batch_op.add_column(sa.Column("case_id", sa.String(length=40), nullable=True))
            batch_op.create_foreign_key(
                op.f("fk_conversations_case_id_cases"), "cases", ["case_id"], ["id"]
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # DROP COLUMN refuses a column with a REFERENCES clause; leaving an always-NULL column is
        # harmless and keeps the messages that reference conversations intact.
        op.execute("UPDATE conversations SET case_id = NULL")
    else:
        with op.batch_alter_table("conversations", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("fk_conversations_case_id_cases"), type_="foreignkey")
            batch_op.drop_column("case_id")
    with op.batch_alter_table("registration_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_changes_conversation")
    op.drop_table("registration_changes")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_registrations_request_started")
        batch_op.drop_index("ix_registrations_org_report_year")
        batch_op.drop_index("ix_registrations_case_id")
    op.drop_table("registrations")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_org_first_request")
    op.drop_table("cases")
