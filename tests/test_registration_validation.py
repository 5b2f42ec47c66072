"""Registered values against the codebook: bad input is refused at the field, all or nothing."""

from __future__ import annotations

import pytest

from baken.registration.codebook import code, mask
from baken.registration.validation import RegistrationInvalid, to_api, validate

FULL = {
    "trafficking_request": "yes",
    "contact_role": "self",
    "victim_assessment": "victim",
    "exploitation_types": ["sexual", "criminal"],
    "in_exploitation_now": "yes",
    "exploitation_duration": "y5_10",
    "age": 14,
    "is_minor": "yes",
    "gender": "female",
    "perpetrator_relations": ["father", "loverboy_pimp"],
    "multiple_perpetrators": "yes",
    "clients_involved": "no",
    "siblings_exploited": "unknown",
    "first_disclosure": "yes",
    "known_to": ["care", "police"],
    "indicators": ["sextortion", "phone_control"],
    "risk_level": "high",
    "emergency_actions": ["none"],
    "consent_level": "anonymous",
    "referrals": ["specialised_care"],
    "language": "nl",
    "region": "north",
}


def errors(values: dict[str, object], lang: str = "en") -> dict[str, dict[str, str]]:
    with pytest.raises(RegistrationInvalid) as caught:
        validate(values)
    return caught.value.as_json(lang)


def test_a_full_registration_is_stored_as_codes_and_comes_back_the_same() -> None:
    stored = validate(FULL)
    assert stored["gender"] == code("gender", "female")
    assert stored["exploitation_types"] == mask("exploitation_types", "sexual", "criminal")
    assert stored["age"] == 14
    back = to_api(stored)
    for key, value in FULL.items():
        if isinstance(value, list):
            returned = back[key]
            assert isinstance(returned, list)
            assert sorted(returned) == sorted(value), key
        else:
            assert back[key] == value, key


def test_missing_fields_are_empty_and_unknown_is_a_value() -> None:
    stored = validate({"gender": "unknown"})
    assert stored["gender"] == 0
    assert stored["age"] is None
    assert stored["trafficking_request"] is None


@pytest.mark.parametrize(
    ("values", "field", "error"),
    [
        ({"gender": "robot"}, "gender", "not_a_value"),
        ({"gender": 1}, "gender", "not_a_value"),
        ({"exploitation_types": "sexual"}, "exploitation_types", "not_a_list"),
        ({"exploitation_types": ["sexual", "piracy"]}, "exploitation_types", "not_a_value"),
        ({"exploitation_types": ["sexual", "sexual"]}, "exploitation_types", "duplicate"),
        ({"exploitation_types": ["unknown", "sexual"]}, "exploitation_types", "exclusive"),
        ({"known_to": ["none", "police"]}, "known_to", "exclusive"),
        ({"age": -1}, "age", "out_of_range"),
        ({"age": 121}, "age", "out_of_range"),
        ({"age": "15"}, "age", "not_a_number"),
        ({"age": 15.5}, "age", "not_a_number"),
        ({"age": True}, "age", "not_a_number"),
        ({"nickname": "Sam"}, "nickname", "unknown_field"),
        ({"notes": "free text"}, "notes", "unknown_field"),
    ],
)
def test_bad_values_get_a_message_at_their_field(
    values: dict[str, object], field: str, error: str
) -> None:
    found = errors(values)
    assert list(found) == [field]
    assert found[field]["code"] == error
    assert found[field]["message"]


def test_age_limits_are_inclusive() -> None:
    assert validate({"age": 0})["age"] == 0
    assert validate({"age": 120})["age"] == 120


def test_not_a_victim_with_exploitation_details_is_a_contradiction() -> None:
    found = errors(
        {
            "victim_assessment": "not_victim",
            "exploitation_types": ["sexual"],
            "in_exploitation_now": "yes",
            "perpetrator_relations": ["father"],
        }
    )
    assert set(found) == {"exploitation_types", "in_exploitation_now", "perpetrator_relations"}
    assert found["exploitation_types"]["code"] == "not_applicable"
    assert "not a victim" in found["exploitation_types"]["message"]
    nl = errors({"victim_assessment": "not_victim", "exploitation_types": ["sexual"]}, "nl")
    assert "geen slachtoffer" in nl["exploitation_types"]["message"]


def test_fields_that_do_not_apply_may_be_left_unknown_and_are_stored_empty() -> None:
    stored = validate(
        {
            "victim_assessment": "not_victim",
            "exploitation_types": ["unknown"],
            "in_exploitation_now": "unknown",
        }
    )
    assert stored["exploitation_types"] is None
    assert stored["in_exploitation_now"] is None


def test_age_and_minor_must_agree_and_minor_follows_the_age() -> None:
    assert errors({"age": 15, "is_minor": "no"})["is_minor"]["code"] == "age_contradiction"
    assert errors({"age": 30, "is_minor": "yes"})["is_minor"]["code"] == "age_contradiction"
    assert validate({"age": 17})["is_minor"] == code("is_minor", "yes")
    assert validate({"age": 18, "is_minor": "unknown"})["is_minor"] == code("is_minor", "no")
    assert validate({"is_minor": "yes"})["is_minor"] == code("is_minor", "yes")


def test_every_error_is_reported_at_once() -> None:
    found = errors({"gender": "x", "age": 200, "region": ["north"]})
    assert set(found) == {"gender", "age", "region"}
