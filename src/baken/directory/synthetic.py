"""Synthetic partner services in HSDS 3.0 form, for tests, the demo and the benchmark. Invented
names and numbers only (phone numbers in the 06-0000 range nobody has)."""

from __future__ import annotations

import random
from typing import Any

from baken.directory.model import (
    EXPLOITATION_TYPES,
    SERVICE_TYPES,
    TAXONOMY_EXPLOITATION,
    TAXONOMY_GENDER,
    TAXONOMY_SERVICE_TYPE,
    TAXONOMY_WARM_HANDOFF,
)

REGIONS = (
    "Groningen",
    "Friesland",
    "Drenthe",
    "Overijssel",
    "Gelderland",
    "Utrecht",
    "Noord-Holland",
    "Zuid-Holland",
    "Zeeland",
    "Noord-Brabant",
    "Limburg",
    "Flevoland",
)
LANGUAGES = ("nl", "en", "ar", "bg", "pl", "ro", "uk")
WORDS = (
    "Veilig",
    "Huis",
    "Hulp",
    "Centrum",
    "Steunpunt",
    "Opvang",
    "Zorg",
    "Recht",
    "Baken",
    "Haven",
    "Brug",
    "Licht",
)
KIND_TEXT = {
    "shelter": "Safe shelter for adults and families, day and night.",
    "youth_care": "Youth care for young people up to 23 and their families.",
    "sexual_violence_centre": "Medical and psychological help after sexual violence.",
    "legal_aid": "Free legal advice on residence, labour and criminal law.",
    "labour_inspectorate": "Reports of labour exploitation at work places.",
    "police": "Reporting a crime, also anonymously through a counselor.",
    "coordination_centre": "Coordination of care for victims of trafficking.",
    "interpreter": "Interpreters by phone and in person.",
    "other": "Practical help: food, clothes, a place to talk.",
}


def _term(attribute_id: str, taxonomy: str, code: str) -> dict[str, Any]:
    return {
        "id": attribute_id,
        "taxonomy_term": {
            "id": f"{taxonomy}:{code}",
            "code": code,
            "name": code,
            "description": code,
            "taxonomy": taxonomy,
        },
    }


def service(rng: random.Random, number: int, prefix: str = "svc") -> dict[str, Any]:
    """One synthetic HSDS service; the same ``rng`` state gives the same service."""
    sid = f"{prefix}-{number:05d}"
    kind = SERVICE_TYPES[number % len(SERVICE_TYPES)]
    name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {number}"
    young = kind == "youth_care"
    regions = rng.sample(REGIONS, rng.randint(0, 3))
    languages = ["nl", *rng.sample(LANGUAGES[1:], rng.randint(0, 3))]
    attributes = [_term(f"{sid}-type", TAXONOMY_SERVICE_TYPE, kind)]
    attributes += [
        _term(f"{sid}-x{i}", TAXONOMY_EXPLOITATION, code)
        for i, code in enumerate(rng.sample(EXPLOITATION_TYPES, rng.randint(1, 3)))
    ]
    if rng.random() < 0.2:
        attributes.append(_term(f"{sid}-g0", TAXONOMY_GENDER, rng.choice(("female", "male"))))
    handoff = _term(f"{sid}-handoff", TAXONOMY_WARM_HANDOFF, "warm_handoff")
    handoff["value"] = "true" if rng.random() < 0.3 else "false"
    attributes.append(handoff)
    hsds: dict[str, Any] = {
        "id": sid,
        "organization_id": f"{sid}-org",
        "name": name,
        "description": KIND_TEXT[kind],
        "url": f"https://partner{number}.example.org/",
        "email": f"info@partner{number}.example.org",
        "status": "active",
        "minimum_age": 12 if young else 18,
        "maximum_age": 23 if young else None,
        "phones": [{"id": f"{sid}-p0", "number": f"06-0000{number:04d}", "type": "voice"}],
        "schedules": [
            {
                "id": f"{sid}-s0",
                "freq": "WEEKLY",
                "byday": "MO,TU,WE,TH,FR",
                "opens_at": "09:00",
                "closes_at": "17:00",
            }
        ],
        "service_areas": [{"id": f"{sid}-a{i}", "name": r} for i, r in enumerate(regions)],
        "languages": [{"id": f"{sid}-l{i}", "code": c} for i, c in enumerate(languages)],
        "organization": {
            "id": f"{sid}-org",
            "name": f"Stichting {name}",
            "description": "A synthetic partner organisation.",
            "website": f"https://partner{number}.example.org/",
        },
        "service_at_locations": [
            {
                "id": f"{sid}-sal",
                "location": {
                    "id": f"{sid}-loc",
                    "location_type": "physical",
                    "latitude": 52.0 + rng.random(),
                    "longitude": 5.0 + rng.random(),
                    "addresses": [
                        {
                            "id": f"{sid}-addr",
                            "address_1": f"Voorbeeldstraat {number}",
                            "city": "Utrecht",
                            "state_province": regions[0] if regions else "Utrecht",
                            "postal_code": "3500 AA",
                            "country": "NL",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "attributes": attributes,
    }
    if hsds["maximum_age"] is None:
        del hsds["maximum_age"]
    return hsds


def services(count: int, seed: int = 17, prefix: str = "svc") -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
    return [service(rng, n, prefix) for n in range(count)]
