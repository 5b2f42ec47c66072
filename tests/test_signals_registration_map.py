"""Issue 19, item 2: which registration indicator a confirmed signal pre-fills, in one place."""

from __future__ import annotations

from baken.i18n import LANGUAGES, translations
from baken.registration import codebook
from baken.signals.labels import LABELS
from baken.signals.registration_map import (
    INDICATOR_FIELD,
    REGISTRATION_VALUES,
    registration_value,
)
from baken.web.signal_strings import signal_strings
from baken.web.ui_strings import console_strings, visitor_strings

# Labels whose nearest codebook value is narrower or another field: they pre-fill nothing.
WITHOUT_VALUE = {
    "forced_sex_work",
    "forced_criminal_activity",
    "online_coercion",
    "loverboy_grooming",
    "acute_danger",
}


def test_every_label_has_an_entry_in_taxonomy_order() -> None:
    assert tuple(REGISTRATION_VALUES) == LABELS


def test_mapped_values_exist_in_the_codebook_and_are_distinct() -> None:
    field = codebook.get(INDICATOR_FIELD)
    known = {value.id for value in field.active_values}
    mapped = [value for value in REGISTRATION_VALUES.values() if value is not None]
    assert set(mapped) <= known, set(mapped) - known
    assert len(mapped) == len(set(mapped))


def test_labels_without_a_registration_value_map_to_nothing() -> None:
    assert {label for label, value in REGISTRATION_VALUES.items() if value is None} == WITHOUT_VALUE
    assert registration_value("retention_of_documents") == "document_retention"
    assert registration_value("withholding_wages") == "wage_withholding"
    assert registration_value("physical_sexual_violence") == "violence"
    assert registration_value("acute_danger") is None
    assert registration_value("no_such_label") is None


def test_console_has_all_label_names_and_codes_and_the_visitor_none() -> None:
    for lang in LANGUAGES:
        _ = translations(lang).gettext
        strings = console_strings(_)
        names = [strings[f"signal_{label}"] for label in LABELS]
        assert all(names) and len(set(names)) == len(LABELS), lang
        for label in LABELS:
            assert strings.get(f"signal_code_{label}") == registration_value(label)
        assert not [key for key in visitor_strings(_) if key.startswith("signal")]
    dutch = signal_strings(translations("nl").gettext)
    assert dutch["signal_retention_of_documents"] == "Afpakken van documenten"
