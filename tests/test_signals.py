"""Indicator detection (issue 19): labels, spans, negation, hyperbole, hostile input."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from baken.signals import LABELS, LANGUAGES, UnknownLanguage, detect, language
from baken.signals.lexicon import load
from baken.signals.normalise import fold_text, tokenize
from baken.signals.rules import compile_rules

# One example per label in Dutch and English, phrased unlike the dev set.
PER_LABEL = [
    ("nl", "ze beloofden me een baan in de horeca", "deception"),
    ("en", "they promised me a job in a hotel", "deception"),
    ("nl", "ik mag het huis niet uit van hem", "restriction_of_movement"),
    ("en", "they don't let me leave the house", "restriction_of_movement"),
    ("nl", "hij checkt elke dag mn berichten", "isolation"),
    ("en", "I can't call my family anymore", "isolation"),
    ("nl", "hij heeft me geschopt", "physical_sexual_violence"),
    ("en", "he punched me yesterday", "physical_sexual_violence"),
    ("nl", "hij bedreigt me elke dag", "intimidation_threats"),
    ("en", "he threatens me all the time", "intimidation_threats"),
    ("nl", "de baas heeft mijn paspoort", "retention_of_documents"),
    ("en", "the boss took my passport", "retention_of_documents"),
    ("nl", "ik moet al mijn geld afgeven", "withholding_wages"),
    ("en", "I have to hand over all my money", "withholding_wages"),
    ("nl", "ik heb een schuld bij hem en die wordt steeds groter", "debt_bondage"),
    ("en", "I owe them 6000 for the travel", "debt_bondage"),
    ("nl", "we slapen met z'n achten in een container", "abusive_conditions"),
    ("en", "we work 14 hours a day", "abusive_conditions"),
    ("nl", "ik heb geen papieren en hij weet dat", "abuse_of_vulnerability"),
    ("en", "I have nowhere to go and he knows it", "abuse_of_vulnerability"),
    ("nl", "ik moet met mannen mee voor hem", "forced_sex_work"),
    ("en", "they make me sleep with men", "forced_sex_work"),
    ("nl", "ik moet drugs rondbrengen voor die gasten", "forced_criminal_activity"),
    ("en", "they make me steal phones", "forced_criminal_activity"),
    ("nl", "hij chanteert me met foto's", "online_coercion"),
    ("en", "he is blackmailing me with videos", "online_coercion"),
    ("nl", "als je van me houdt doe je het", "loverboy_grooming"),
    ("en", "if you loved me you would do it", "loverboy_grooming"),
    ("nl", "help hij staat nu beneden", "acute_danger"),
    ("en", "he has a gun, I'm scared", "acute_danger"),
]


@pytest.mark.parametrize(("lang", "text", "label"), PER_LABEL)
def test_each_label(lang: str, text: str, label: str) -> None:
    assert label in detect(text, lang).labels


def test_every_label_has_an_example() -> None:
    assert {label for _, _, label in PER_LABEL} == set(LABELS)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("nl", "hij heeft me nooit geslagen"),
        ("nl", "hij slaat me niet, echt niet"),
        ("nl", "niemand heeft mijn paspoort"),
        ("nl", "ik hoef niet met mannen mee"),
        ("en", "he never hit me"),
        ("en", "nobody took my passport"),
        ("en", "I don't owe them anything"),
        ("pl", "on nigdy mnie nie bił"),
        ("ro", "nu m-a bătut niciodată"),
        ("uk", "він ніколи мене не бив"),
    ],
)
def test_negation(lang: str, text: str) -> None:
    assert detect(text, lang).labels == ()


def test_negation_stays_in_its_clause() -> None:
    found = detect("hij heeft me nooit geslagen, maar ik moet al mn geld afgeven", "nl")
    assert found.labels == ("withholding_wages",)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("nl", "mijn vader vermoordt me als ik te laat ben"),
        ("nl", "mn moeder vermoordt me vanavond haha"),
        ("nl", "ik ga dood van de stress"),
        ("en", "my mom will kill me if she finds out lol"),
        ("en", "I'm literally dying, so much homework"),
    ],
)
def test_hyperbole_is_not_danger(lang: str, text: str) -> None:
    assert detect(text, lang).labels == ()


def test_third_person_counts() -> None:
    assert "forced_sex_work" in detect("mijn zus moet met mannen mee van haar vriend", "nl").labels
    assert (
        "forced_criminal_activity" in detect("my brother has to carry drugs for them", "en").labels
    )


def test_teen_spelling() -> None:
    assert "isolation" in detect("hij heeft mn tel afgepakt", "nl").labels
    assert "forced_sex_work" in detect("ik mot met mannen mee", "nl").labels
    assert "acute_danger" in detect("hes here now pls", "en").labels
    assert "physical_sexual_violence" in detect("hij SLAAAAT me", "nl").labels


def test_school_project_is_not_a_victim() -> None:
    text = "voor een werkstuk: hoe werkt een loverboy en waarom moet je met mannen mee?"
    assert detect(text, "nl").labels == ()


def test_spans_point_into_the_original_text() -> None:
    text = "Ik moet ‮mét MANNNEN meeee‬ ... en hij heeft m'n paspoort!"
    found = detect(text, "nl")
    assert {"forced_sex_work", "retention_of_documents"} <= set(found.labels)
    for span in found.spans:
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end].startswith(span.words[0])
        assert text[span.start : span.end].endswith(span.words[-1])
        assert span.rule.startswith("nl.")
    sex = next(s for s in found.spans if s.label == "forced_sex_work")
    assert sex.words == ("mét", "MANNNEN", "meeee")


def test_explainable_output_shape() -> None:
    found = detect("hij slaat me", "nl").as_dict()
    assert found == {
        "labels": ["physical_sexual_violence"],
        "spans": [
            {
                "start": 4,
                "end": 9,
                "label": "physical_sexual_violence",
                "rule": found["spans"][0]["rule"],
                "words": ["slaat"],
            }
        ],
    }


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "😀😀😀🙈",
        "\u200d\u200d\u200c\u2060",
        "\u202e\u202d\u2066\u2069",
        "a" * 4000,
        "x" * 20_001,
    ],
)
def test_empty_and_odd_input_gives_nothing(text: str) -> None:
    assert detect(text, "nl").labels == ()


def test_zero_width_joiners_do_not_hide_words() -> None:
    text = "hij s\u200dla\u200bat me"
    found = detect(text, "nl")
    assert found.labels == ("physical_sexual_violence",)
    assert text[found.spans[0].start : found.spans[0].end] == "s\u200dla\u200bat"


def test_right_to_left_override_and_mixed_script() -> None:
    assert "retention_of_documents" in detect("\u202eде baas heeft mijn paspoort", "nl").labels
    assert "acute_danger" in detect("هو الآن عند الباب، ساعدوني help", "ar").labels
    found = detect("ﬁne, ｈｉｊ ｓｌａａｔ ｍｅ", "nl")  # full-width letters fold to ASCII
    assert found.labels == ("physical_sexual_violence",)


def test_arabic_digits_and_diacritics() -> None:
    assert "abusive_conditions" in detect("ننام في المستودع ونعمل ١٦ ساعة", "ar").labels
    assert "retention_of_documents" in detect("seful mi-a luat pasaportul", "ro").labels


def test_emoji_between_words() -> None:
    assert "acute_danger" in detect("hij 😡 staat voor de deur 😭", "nl").labels


def test_many_matches_are_capped() -> None:
    found = detect("hij slaat me. " * 300, "nl")
    assert found.labels == ("physical_sexual_violence",)
    assert len(found.spans) <= 64


def test_language_codes() -> None:
    assert language("NL") == "nl"
    assert language("en-GB") == "en"
    for bad in ("", "de", "xx", "nl2"):
        with pytest.raises(UnknownLanguage):
            language(bad)
    with pytest.raises(UnknownLanguage):
        detect("hoi", "fr")


def test_every_lexicon_compiles() -> None:
    for lang in LANGUAGES:
        lexicon = load(lang)
        rules = compile_rules(lang, lexicon.rules, lexicon.canonical, lexicon.stem)
        assert rules
        assert {label for rule in rules for label in rule.labels} <= set(LABELS)


def test_folding_keeps_offsets() -> None:
    folded, index = fold_text("Ｅé\u200dﬁ")
    assert folded == "eefi"
    assert index == [0, 1, 3, 3]
    tokens = tokenize("naaar   huuuis", {}, frozenset())
    assert tokens.text == ["nar", "huis"]
    assert (tokens.start, tokens.end) == ([0, 8], [5, 14])


def test_detect_keeps_no_state() -> None:
    before = detect("hij slaat me", "nl")
    for _ in range(50):
        detect("de baas heeft mijn paspoort en ik moet alles afgeven", "nl")
    assert detect("hij slaat me", "nl") == before


ADVERSARIAL = textwrap.dedent(
    """
    import sys
    from baken.signals import detect, warm_up
    warm_up()
    inputs = [
        "a" * 4000,
        "moet " * 800,
        "met mannen " * 363,
        "niet " * 800,
        "'" * 4000,
        "a'" * 2000,
        "_" * 4000,
        "9" * 4000,
        "1 " * 2000,
        "\\u200d" * 4000,
        "\\u202e" * 2000 + "هو الآن" * 200,
        "aa" * 2000,
        "ab" * 2000,
        "ﬁ" * 4000,
        "e\\u0301" * 2000,
        ".,!?" * 1000,
        "slaat " * 666,
        "ik moet " + "heel " * 795 + "anders",
        "🙈" * 2000,
        "".join(chr(0x600 + i % 256) for i in range(4000)),
    ]
    for lang in ("nl", "en", "pl", "ro", "bg", "uk", "ar"):
        for text in inputs:
            found = detect(text[:4000], lang)
            assert len(found.spans) <= 64
    print("done")
    """
)


def test_adversarial_input_is_bounded() -> None:
    """140 hostile 4,000-character messages in a child process; a backtracking matcher would
    not finish in the (very generous) budget."""
    result = subprocess.run(
        [sys.executable, "-c", ADVERSARIAL],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"
