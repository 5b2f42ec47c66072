"""Texts an organisation writes for its closed page, per visitor language (issue 14): Dutch and
English as before, the other visitor languages optional, English shown where one is left empty,
and documents written before (only `_nl` / `_en`) read exactly as they did."""

from __future__ import annotations

import pytest

from baken.service_hours.config import ConfigInvalid, parse, to_document
from baken.service_hours.form import document_from_form, form_from_document

OLD_DOCUMENT = {
    "enabled": True,
    "weekly": {"0": [["09:00", "17:00"]]},
    "numbers": [{"label_nl": "Advieslijn", "label_en": "Advice line", "number": "058 215 70 70"}],
    "message_nl": "Morgen zijn we er weer.",
    "message_en": "We are back tomorrow.",
}


def test_a_document_from_before_reads_and_writes_as_it_did() -> None:
    config = parse(OLD_DOCUMENT)
    assert config.message("nl") == "Morgen zijn we er weer."
    assert config.message("en") == "We are back tomorrow."
    assert config.message("pl") == "We are back tomorrow."  # not written: the English text
    assert config.numbers[0].label("ar") == "Advice line"
    document = to_document(config)
    assert document["message_nl"] == OLD_DOCUMENT["message_nl"]
    assert document["numbers"] == OLD_DOCUMENT["numbers"]
    assert "message_pl" not in document
    assert parse(document) == config


def test_each_visitor_language_has_its_own_message_and_labels() -> None:
    document = {
        **OLD_DOCUMENT,
        "message_pl": "Wracamy jutro.",
        "message_ar": "سنعود غدًا.",
        "numbers": [
            {
                "label_nl": "Advieslijn",
                "label_en": "Advice line",
                "label_uk": "Лінія порад",
                "number": "058 215 70 70",
            }
        ],
    }
    config = parse(document)
    assert config.message("pl") == "Wracamy jutro."
    assert config.message("ar") == "سنعود غدًا."
    assert config.message("ro") == "We are back tomorrow."
    assert config.numbers[0].label("uk") == "Лінія порад"
    assert config.numbers[0].label("bg") == "Advice line"
    assert parse(to_document(config)) == config


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"message_pl": "x" * 601}, "message_pl"),
        ({"message_ar": 7}, "message_ar"),
        ({"message_xx": "?"}, "message_xx"),  # not a configured language
        ({"message_de": "Morgen."}, "message_de"),
    ],
)
def test_bad_texts_in_any_language_are_refused_by_field(
    change: dict[str, object], field: str
) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        parse({**OLD_DOCUMENT, **change})
    assert field in caught.value.errors


def test_dutch_and_english_labels_stay_required() -> None:
    numbers = [{"label_nl": "Advieslijn", "label_pl": "Linia", "number": "058 215 70 70"}]
    with pytest.raises(ConfigInvalid) as caught:
        parse({**OLD_DOCUMENT, "numbers": numbers})
    assert caught.value.errors == {"numbers.0": "bad_label"}


def test_the_admin_form_carries_every_language() -> None:
    document = {**OLD_DOCUMENT, "message_bg": "Връщаме се утре."}
    form = form_from_document(to_document(parse(document)))
    assert form["message_bg"] == "Връщаме се утре." and form["message_ro"] == ""
    back, errors = document_from_form(form)
    assert errors == {}
    assert parse(back).message("bg") == "Връщаме се утре."
