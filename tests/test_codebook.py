"""The codebook as code: complete, bilingual, stable codes, matching the table and the docs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import Integer, SmallInteger

from baken.registration import codebook
from baken.registration.codebook import (
    CODEBOOK_VERSION,
    CODEBOOK_VERSIONS,
    FIELDS,
    MAX_MULTI_CODE,
    UNKNOWN,
    Kind,
)
from baken.registration.codebook_doc import render
from baken.store.tables import registrations

ROOT = Path(__file__).resolve().parent.parent
META_COLUMNS = {
    "conversation_id",
    "organisation_id",
    "case_id",
    "codebook_version",
    "version",
    "started_at",
    "report_year",
    "report_month",
    "created_at",
    "updated_at",
    "updated_by",
    # Marked complete in the console form: when, and by which staff id.
    "completed_at",
    "completed_by",
}


def test_every_field_is_bilingual_and_allows_unknown() -> None:
    assert CODEBOOK_VERSION == "2026.2"
    ids = [f.id for f in FIELDS]
    assert len(ids) == len(set(ids))
    for f in FIELDS:
        for text in (f.label, f.definition):
            assert text.nl.strip() and text.en.strip(), f.id
        if f.kind is Kind.INT:
            assert f.values == ()
            assert f.minimum == 0 and f.maximum == 120
            continue
        assert f.values[0].id == UNKNOWN and f.values[0].code == 0, f.id
        codes = [v.code for v in f.values]
        assert len(codes) == len(set(codes)), f.id
        assert len({v.id for v in f.values}) == len(f.values), f.id
        for value in f.values:
            assert value.label.nl.strip() and value.label.en.strip(), (f.id, value.id)
        if f.kind is Kind.MULTI:
            assert max(codes) <= MAX_MULTI_CODE, f.id
            assert UNKNOWN in f.exclusive
        for condition in f.not_applicable_when:
            other = codebook.get(condition.field)
            assert all(other.value(v) is not None for v in condition.values)


def test_the_issue_fields_are_all_there() -> None:
    required = {
        "trafficking_request",
        "contact_role",
        "victim_assessment",
        "exploitation_types",
        "in_exploitation_now",
        "exploitation_duration",
        "age",
        "gender",
        "perpetrator_relations",
        "multiple_perpetrators",
        "clients_involved",
        "siblings_exploited",
        "first_disclosure",
        "known_to",
        "indicators",
        "risk_level",
        "emergency_actions",
        "consent_level",
        "referrals",
        "language",
        "region",
    }
    assert required <= {f.id for f in FIELDS}
    relations = {v.id for v in codebook.get("perpetrator_relations").values}
    assert {"loverboy_pimp", "father", "mother", "step_foster_parent", "criminal_network"} <= (
        relations
    )
    durations = [v.id for v in codebook.get("exploitation_duration").values]
    assert durations == ["unknown", "lt1", "y1_2", "y2_5", "y5_10", "ge10"]
    indicators = {v.id for v in codebook.get("indicators").values}
    assert {"debt_bondage", "sextortion", "money_handover", "phone_control", "drug_running"} <= (
        indicators
    )
    assert len(indicators) == 16  # unknown + 11 ILO + 4 extra


def test_exploitation_fields_do_not_apply_to_non_victims() -> None:
    for field_id in ("exploitation_types", "in_exploitation_now", "perpetrator_relations"):
        (condition,) = codebook.get(field_id).not_applicable_when
        assert condition.field == "victim_assessment"
        assert condition.values == {"not_victim"}


def test_registrations_table_has_one_coded_column_per_field_and_no_text() -> None:
    columns = {c.name: c for c in registrations.columns}
    assert set(columns) - META_COLUMNS == {f.id for f in FIELDS}
    for f in FIELDS:
        expected = Integer if f.kind is Kind.MULTI else SmallInteger
        assert type(columns[f.id].type) is expected, f.id
        assert columns[f.id].nullable
    # Apart from ids and the codebook version, nothing in a registration is a string.
    strings = {name for name, c in columns.items() if c.type.python_type is str}
    assert strings == {
        "conversation_id",
        "organisation_id",
        "case_id",
        "codebook_version",
        "updated_by",
        "completed_by",
    }


def test_migration_creates_the_same_field_columns() -> None:
    path = ROOT / "src/baken/store/migrations/versions/0002_registrations.py"
    spec = importlib.util.spec_from_file_location("m0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    frozen = dict(module._FIELD_COLUMNS)
    first = [f for f in FIELDS if f.since == CODEBOOK_VERSIONS[0]]
    assert list(frozen) == [f.id for f in first]
    assert {k for k, multi in frozen.items() if multi} == {
        f.id for f in first if f.kind is Kind.MULTI
    }
    # A field of a later codebook version gets its column in a migration of its own.
    later = ROOT / "src/baken/store/migrations/versions/0013_registration_origin.py"
    assert [f.id for f in FIELDS if f.since != CODEBOOK_VERSIONS[0]] == ["origin"]
    assert 'sa.Column("origin", sa.SmallInteger(), nullable=True)' in later.read_text()


def test_docs_codebook_matches_the_code() -> None:
    on_disk = (ROOT / "docs/codebook.md").read_text(encoding="utf-8")
    assert on_disk == render(), "run: python -m baken.registration.codebook_doc"


def test_codebook_json_per_language() -> None:
    nl = codebook.as_json("nl")
    en = codebook.as_json("en")
    assert nl["version"] == en["version"] == CODEBOOK_VERSION
    nl_fields = {f["id"]: f for f in nl["fields"]}  # type: ignore[attr-defined]
    en_fields = {f["id"]: f for f in en["fields"]}  # type: ignore[attr-defined]
    assert nl_fields["gender"]["label"] == "Gender"
    assert en_fields["victim_assessment"]["label"] == "Victim assessment"
    assert nl_fields["victim_assessment"]["label"] == "Inschatting slachtofferschap"
    assert {"id": "unknown", "label": "onbekend"} in nl_fields["gender"]["values"]
    assert en_fields["exploitation_types"]["not_applicable_when"] == [
        {"field": "victim_assessment", "values": ["not_victim"]}
    ]
