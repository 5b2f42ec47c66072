"""The fifteen indicator ids (../shared/signals-taxonomy.md): stable ids, translated names."""

from __future__ import annotations

from typing import Final

LABELS: Final[tuple[str, ...]] = (
    "deception",
    "restriction_of_movement",
    "isolation",
    "physical_sexual_violence",
    "intimidation_threats",
    "retention_of_documents",
    "withholding_wages",
    "debt_bondage",
    "abusive_conditions",
    "abuse_of_vulnerability",
    "forced_sex_work",
    "forced_criminal_activity",
    "online_coercion",
    "loverboy_grooming",
    "acute_danger",
)

LANGUAGES: Final[tuple[str, ...]] = ("nl", "en", "pl", "ro", "bg", "uk", "ar")

# Short names the lexicon modules use, to keep rules on one line.
ALIASES: Final[dict[str, str]] = {
    "dec": "deception",
    "rom": "restriction_of_movement",
    "iso": "isolation",
    "vio": "physical_sexual_violence",
    "thr": "intimidation_threats",
    "doc": "retention_of_documents",
    "wag": "withholding_wages",
    "debt": "debt_bondage",
    "cond": "abusive_conditions",
    "vul": "abuse_of_vulnerability",
    "sex": "forced_sex_work",
    "crim": "forced_criminal_activity",
    "onl": "online_coercion",
    "lov": "loverboy_grooming",
    "acute": "acute_danger",
}
