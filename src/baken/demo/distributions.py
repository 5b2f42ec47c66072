"""How often each coded value occurs in the synthetic data.

Shaped after the published yearly figures of a Dutch help chat (see docs/reports.md): about nine
in ten victims report themselves, three quarters are still being exploited, a quarter for five
years or more, most are girls, about one in five is under 15, some 60% are minors, roughly one in
seven or eight is exploited by a parent, and almost all chats are in Dutch. These are invented
data with a plausible shape — never real registrations.
"""

from __future__ import annotations

# (value id, weight); weights need not add up to 1.
Weights = tuple[tuple[str, float], ...]

TRAFFICKING_REQUEST: Weights = (("yes", 0.8), ("no", 0.17), ("unknown", 0.03))
VICTIM_IF_REQUEST: Weights = (
    ("victim", 0.72),
    ("presumed", 0.14),
    ("at_risk", 0.07),
    ("not_victim", 0.05),
    ("unknown", 0.02),
)
VICTIM_IF_NO_REQUEST: Weights = (("not_victim", 0.6), ("unknown", 0.3), ("at_risk", 0.1))
CONTACT_ROLE: Weights = (
    ("self", 0.88),
    ("close", 0.07),
    ("professional", 0.04),
    ("other", 0.01),
)
GENDER: Weights = (("female", 0.925), ("male", 0.055), ("other", 0.01), ("unknown", 0.01))
# Age bands (low, high inclusive) and weights; mean near 17, youngest 9, oldest 50.
AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (9, 11, 0.03),
    (12, 14, 0.17),
    (15, 17, 0.40),
    (18, 22, 0.25),
    (23, 29, 0.10),
    (30, 50, 0.05),
)
AGE_KNOWN = 0.85
MINOR_KNOWN_WITHOUT_AGE = 0.5
# Exploitation types as sets of values.
TYPES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("sexual",), 0.84),
    (("criminal",), 0.06),
    (("sexual", "criminal"), 0.045),
    (("labour",), 0.02),
    (("other",), 0.01),
    (("sexual", "labour"), 0.005),
    (("unknown",), 0.02),
)
IN_EXPLOITATION_NOW: Weights = (("yes", 0.75), ("no", 0.2), ("unknown", 0.05))
DURATION: Weights = (
    ("lt1", 0.30),
    ("y1_2", 0.20),
    ("y2_5", 0.22),
    ("y5_10", 0.15),
    ("ge10", 0.10),
    ("unknown", 0.03),
)
RELATIONS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("loverboy_pimp",), 0.43),
    (("father",), 0.07),
    (("mother",), 0.03),
    (("step_foster_parent",), 0.03),
    (("father", "mother"), 0.02),
    (("partner_ex",), 0.08),
    (("other_family",), 0.05),
    (("acquaintance_peer",), 0.08),
    (("employer",), 0.02),
    (("online_contact",), 0.07),
    (("criminal_network",), 0.05),
    (("loverboy_pimp", "criminal_network"), 0.03),
    (("other",), 0.02),
    (("unknown",), 0.02),
)
MULTIPLE_PERPETRATORS: Weights = (("yes", 0.2), ("no", 0.65), ("unknown", 0.15))
CLIENTS: Weights = (("yes", 0.45), ("no", 0.35), ("unknown", 0.2))
SIBLINGS: Weights = (("yes", 0.05), ("no", 0.5), ("unknown", 0.45))
FIRST_DISCLOSURE: Weights = (("yes", 0.65), ("no", 0.3), ("unknown", 0.05))
KNOWN_TO: tuple[tuple[tuple[str, ...], float], ...] = (
    (("none",), 0.5),
    (("care",), 0.22),
    (("police",), 0.07),
    (("care", "police"), 0.04),
    (("veilig_thuis",), 0.05),
    (("school",), 0.05),
    (("other",), 0.03),
    (("unknown",), 0.04),
)
# Each indicator independently, with this probability.
INDICATORS: tuple[tuple[str, float], ...] = (
    ("abuse_of_vulnerability", 0.35),
    ("deception", 0.3),
    ("restriction_of_movement", 0.15),
    ("isolation", 0.2),
    ("violence", 0.3),
    ("intimidation", 0.4),
    ("document_retention", 0.03),
    ("wage_withholding", 0.05),
    ("debt_bondage", 0.08),
    ("abusive_conditions", 0.05),
    ("excessive_overtime", 0.03),
    ("sextortion", 0.15),
    ("money_handover", 0.25),
    ("phone_control", 0.3),
    ("drug_running", 0.06),
)
RISK: Weights = (("low", 0.3), ("medium", 0.4), ("high", 0.2), ("acute", 0.05), ("unknown", 0.05))
EMERGENCY: tuple[tuple[tuple[str, ...], float], ...] = (
    (("none",), 0.85),
    (("emergency_services",), 0.02),
    (("police",), 0.03),
    (("veilig_thuis",), 0.03),
    (("safe_place",), 0.03),
    (("other",), 0.02),
    (("unknown",), 0.02),
)
CONSENT: Weights = (("anonymous", 0.7), ("confidential", 0.25), ("may_share", 0.05))
REFERRALS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("none",), 0.4),
    (("specialised_care",), 0.25),
    (("youth_care",), 0.08),
    (("general_practitioner",), 0.05),
    (("police",), 0.06),
    (("veilig_thuis",), 0.06),
    (("victim_support",), 0.04),
    (("legal_aid",), 0.02),
    (("shelter",), 0.02),
    (("other",), 0.02),
)
LANGUAGE: Weights = (("nl", 0.96), ("en", 0.03), ("other", 0.01))
REGION: Weights = (
    ("north", 0.15),
    ("east", 0.2),
    ("south", 0.2),
    ("west", 0.35),
    ("abroad", 0.02),
    ("unknown", 0.08),
)
# Synthetic shares, not measured anywhere.
ORIGIN: Weights = (
    ("netherlands", 0.55),
    ("eu_central_eastern", 0.1),
    ("eu_other", 0.03),
    ("europe_non_eu", 0.04),
    ("africa", 0.07),
    ("asia", 0.04),
    ("americas", 0.03),
    ("unknown", 0.14),
)
# Chats cluster in the evening and at night (hour of day, local time).
HOUR_WEIGHTS = (
    3, 2, 1.5, 1, 0.5, 0.3, 0.3, 0.5, 0.8, 1, 1, 1,
    1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5, 4,
)  # fmt: skip

# Registrations (conversations) per year by default: roughly what a help chat of this size
# registers, so the first headline count lands near the published ~250-300 persons.
DEFAULT_PER_YEAR = 400
# Share of a year's conversations that are a person's later visit (same or previous year).
REPEAT_SAME_YEAR = 0.14
RETURN_FROM_LAST_YEAR = 0.06
