"""report_persons: a person's facts per year for the CKM counting rule (issue 20)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 11:00:00

Creates the derived table and fills it from the existing registrations with the same rule the
repository applies at every save (``baken.registration.person_values.person_years``), a few
thousand cases at a time so memory stays flat on large installations.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from baken.registration.person_values import Registered, person_years

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen on purpose, like 0002: a later codebook field adds its column in its own migration.
_FIELDS = (
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
_NAMES = tuple(name for name, _ in _FIELDS)
_CASES_PER_STEP = 2_000
_ROW_KEYS = (
    "organisation_id", "case_id", "year", "first_seen_year", "first_seen_month",
    "first_request_year", "first_request_month", "request", "counted_first_seen",
    "counted_first_request", "returning_year", *_NAMES,
)  # fmt: skip
_INDEXES = (
    ("ix_report_persons_org_counted_first_seen", "counted_first_seen"),
    ("ix_report_persons_org_counted_first_request", "counted_first_request"),
    ("ix_report_persons_org_returning_year", "returning_year"),
)


def upgrade() -> None:
    op.create_table(
        "report_persons",
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("first_seen_year", sa.SmallInteger(), nullable=False),
        sa.Column("first_seen_month", sa.SmallInteger(), nullable=False),
        sa.Column("first_request_year", sa.SmallInteger(), nullable=True),
        sa.Column("first_request_month", sa.SmallInteger(), nullable=True),
        sa.Column("request", sa.SmallInteger(), nullable=False),
        sa.Column("counted_first_seen", sa.SmallInteger(), nullable=True),
        sa.Column("counted_first_request", sa.SmallInteger(), nullable=True),
        sa.Column("returning_year", sa.SmallInteger(), nullable=True),
        *(
            sa.Column(name, sa.Integer() if is_mask else sa.SmallInteger(), nullable=True)
            for name, is_mask in _FIELDS
        ),
        # Codebook 2026.2's origin: no registration has it yet, so it starts empty everywhere.
        sa.Column("origin", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_report_persons_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_report_persons_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "case_id", "year", name=op.f("pk_report_persons")
        ),
    )
    for name, column in _INDEXES:
        op.create_index(name, "report_persons", ["organisation_id", column], unique=False)
    backfill(op.get_bind())


def backfill(bind: Any) -> int:
    """Fill ``report_persons`` from registrations; returns the number of rows written."""
    cases = sa.table(
        "cases",
        sa.column("id", sa.String()),
        sa.column("organisation_id", sa.String()),
        sa.column("first_seen_at", sa.DateTime(timezone=True)),
    )
    registrations = sa.table(
        "registrations",
        sa.column("conversation_id", sa.String()),
        sa.column("case_id", sa.String()),
        sa.column("started_at", sa.DateTime(timezone=True)),
        *(sa.column(name, sa.Integer()) for name in _NAMES),
    )
    target = sa.table("report_persons", *(sa.column(name) for name in _ROW_KEYS))
    written = 0
    last = ""
    while True:
        step = bind.execute(
            sa.select(cases.c.id, cases.c.organisation_id, cases.c.first_seen_at)
            .where(cases.c.id > last)
            .order_by(cases.c.id)
            .limit(_CASES_PER_STEP)
        ).all()
        if not step:
            return written
        last = step[-1].id
        by_case: dict[str, list[Registered]] = {row.id: [] for row in step}
        for reg in bind.execute(
            sa.select(registrations).where(registrations.c.case_id.in_(list(by_case)))
        ):
            by_case[reg.case_id].append(
                Registered(
                    reg.started_at,
                    reg.conversation_id,
                    {name: getattr(reg, name) for name in _NAMES},
                )
            )
        rows: list[dict[str, Any]] = []
        for case in step:
            for derived in person_years(
                case.organisation_id, case.id, case.first_seen_at, by_case[case.id]
            ):
                rows.append({key: derived.get(key) for key in _ROW_KEYS})
        if rows:
            bind.execute(sa.insert(target), rows)
            written += len(rows)


def downgrade() -> None:
    for name, _ in _INDEXES:
        op.drop_index(name, table_name="report_persons")
    op.drop_table("report_persons")
