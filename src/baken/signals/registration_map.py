"""Which value of the registration's `indicators` field a confirmed signal pre-fills.

The detector's labels (../shared/signals-taxonomy.md) and the codebook's indicator values
(registration/codebook.py, field `indicators`) grew apart: different ids, and neither list is a
subset of the other. This is the one place that joins them. A label maps only to a value that
means the same thing; a label whose nearest value is narrower or different maps to nothing, so a
confirmed signal never pre-fills a value the counselor did not mean:

- `forced_sex_work`, `loverboy_grooming`: the codebook has no such indicator (they belong to the
  form of exploitation, which the counselor fills in).
- `forced_criminal_activity`: the codebook's `drug_running` is only one kind of it.
- `online_coercion`: the codebook's `sextortion` is only one kind of it.
- `acute_danger`: danger is the `risk_level` field, an assessment the counselor makes.

The console pre-fills, the counselor decides: nothing here is ever stored by itself.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

INDICATOR_FIELD: Final = "indicators"

REGISTRATION_VALUES: Final[MappingProxyType[str, str | None]] = MappingProxyType(
    {
        "deception": "deception",
        "restriction_of_movement": "restriction_of_movement",
        "isolation": "isolation",
        "physical_sexual_violence": "violence",
        "intimidation_threats": "intimidation",
        "retention_of_documents": "document_retention",
        "withholding_wages": "wage_withholding",
        "debt_bondage": "debt_bondage",
        "abusive_conditions": "abusive_conditions",
        "abuse_of_vulnerability": "abuse_of_vulnerability",
        "forced_sex_work": None,
        "forced_criminal_activity": None,
        "online_coercion": None,
        "loverboy_grooming": None,
        "acute_danger": None,
    }
)


def registration_value(label: str) -> str | None:
    """The indicator value a confirmed `label` pre-fills; None also for an unknown label."""
    return REGISTRATION_VALUES.get(label)
