"""Texts and codes for signals.js (issue 19, item 2): the indicator names, the side list, and which
registration value a confirmed indicator pre-fills (signals/registration_map.py).

Staff only: console_strings uses this, visitor_strings never does.
"""

from __future__ import annotations

from collections.abc import Callable

from baken.signals.labels import LABELS
from baken.signals.registration_map import registration_value

Gettext = Callable[[str], str]


def label_names(_: Gettext) -> dict[str, str]:
    """The fifteen indicator names of ../shared/signals-taxonomy.md, by id."""
    return {
        "deception": _("Deception"),
        "restriction_of_movement": _("Restriction of movement"),
        "isolation": _("Isolation"),
        "physical_sexual_violence": _("Physical or sexual violence"),
        "intimidation_threats": _("Intimidation and threats"),
        "retention_of_documents": _("Retention of documents"),
        "withholding_wages": _("Withholding of wages"),
        "debt_bondage": _("Debt bondage"),
        "abusive_conditions": _("Abusive working or living conditions"),
        "abuse_of_vulnerability": _("Abuse of vulnerability"),
        "forced_sex_work": _("Forced sex work"),
        "forced_criminal_activity": _("Forced criminal activity"),
        "online_coercion": _("Online coercion"),
        "loverboy_grooming": _("Loverboy method"),
        "acute_danger": _("Acute danger"),
    }


def signal_strings(_: Gettext) -> dict[str, str]:
    strings = {f"signal_{label}": name for label, name in label_names(_).items()}
    for label in LABELS:
        value = registration_value(label)
        if value is not None:
            strings[f"signal_code_{label}"] = value  # a codebook value id, not a text
    strings.update(
        {
            "signals_mark_desc": _("Possible signal: {name}"),
            "signals_times": _("{n}×"),
            "signals_confirm": _("Confirm"),
            "signals_dismiss": _("Dismiss"),
            "signals_confirm_named": _("Confirm signal: {name}"),
            "signals_dismiss_named": _("Dismiss signal: {name}"),
            "signals_confirmed": _("Confirmed — pre-filled in the registration"),
            "signals_confirmed_no_field": _("Confirmed — the registration has no box for it"),
            "signals_dismissed": _("Dismissed"),
        }
    )
    return strings
