"""The codebook: every field a counselor registers per conversation, as data.

This module is the single source of truth. ``docs/codebook.md`` is generated from it
(``python -m baken.registration.codebook_doc``), the registrations table has one column per field,
and reports state ``CODEBOOK_VERSION``.

Storage codes are part of the data: a value's ``code`` must never change or be reused, also not in
a later codebook version (old registrations keep their meaning). New values get new codes; retired
values stay listed with ``retired=True``. Multi-valued fields are stored as a bitmask of
``1 << code``, so a multi field can hold at most 31 values.

Every field allows "unknown": single, bool and multi fields have a value ``unknown`` with code 0;
the integer field (age) is unknown when empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

CODEBOOK_VERSION = "2026.2"
# Every version, oldest first; a field's ``since`` names the version that added it.
CODEBOOK_VERSIONS = ("2026.1", "2026.2")

UNKNOWN = "unknown"
NONE = "none"
MAX_MULTI_CODE = 30


class Kind(StrEnum):
    SINGLE = "single"
    MULTI = "multi"
    BOOL = "bool"
    INT = "int"


@dataclass(frozen=True, slots=True)
class Text:
    nl: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.nl


@dataclass(frozen=True, slots=True)
class Value:
    id: str
    code: int
    label: Text
    retired: bool = False


@dataclass(frozen=True, slots=True)
class Condition:
    """The field does not apply when ``field`` has one of ``values`` (value ids)."""

    field: str
    values: frozenset[str]


@dataclass(frozen=True, slots=True)
class Field:
    id: str
    kind: Kind
    label: Text
    definition: Text
    values: tuple[Value, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    not_applicable_when: tuple[Condition, ...] = ()
    # Multi fields: values that cannot be combined with any other value ("unknown", "none").
    exclusive: frozenset[str] = field(default_factory=frozenset)
    # Registrations made with an earlier codebook version have this field empty ("unknown").
    since: str = "2026.1"

    def value(self, value_id: str) -> Value | None:
        return _value_index(self).get(value_id)

    def by_code(self, code: int) -> Value | None:
        return _code_index(self).get(code)

    @property
    def active_values(self) -> tuple[Value, ...]:
        return tuple(v for v in self.values if not v.retired)

    def code_of(self, value_id: str) -> int:
        found = self.value(value_id)
        if found is None:
            raise KeyError(f"{self.id} has no value {value_id!r}")
        return found.code

    def mask_of(self, value_ids: Iterable[str]) -> int:
        mask = 0
        for value_id in value_ids:
            mask |= 1 << self.code_of(value_id)
        return mask


@cache
def _value_index(f: Field) -> dict[str, Value]:
    return {v.id: v for v in f.values}


@cache
def _code_index(f: Field) -> dict[int, Value]:
    return {v.code: v for v in f.values}


def _values(*items: tuple[str, str, str]) -> tuple[Value, ...]:
    """Values in order; ``unknown`` first with code 0, the rest numbered from 1."""
    values = [Value(UNKNOWN, 0, Text("onbekend", "unknown"))]
    values.extend(Value(vid, i, Text(nl, en)) for i, (vid, nl, en) in enumerate(items, start=1))
    return tuple(values)


BOOL_VALUES = _values(("yes", "ja", "yes"), ("no", "nee", "no"))

NOT_A_VICTIM = Condition("victim_assessment", frozenset({"not_victim"}))

FIELDS: tuple[Field, ...] = (
    Field(
        "trafficking_request",
        Kind.BOOL,
        Text("Hulpvraag over mensenhandel", "Help request about human trafficking"),
        Text(
            "De chat bevat een hulpvraag over mensenhandel of uitbuiting, van de bezoeker zelf of "
            "over iemand anders. Dit is de insluitingsvlag van het jaarrapport.",
            "The chat contains a help request about human trafficking or exploitation, from the "
            "visitor or about someone else. This is the inclusion flag of the yearly report.",
        ),
        BOOL_VALUES,
    ),
    Field(
        "contact_role",
        Kind.SINGLE,
        Text("Wie chat er", "Who is chatting"),
        Text(
            "De rol van de bezoeker ten opzichte van de persoon om wie het gaat.",
            "The visitor's role towards the person the chat is about.",
        ),
        _values(
            ("self", "de persoon zelf", "the person themself"),
            ("close", "iemand dichtbij (familie, vriend(in))", "someone close (family, friend)"),
            ("professional", "professional", "professional"),
            ("other", "anders", "other"),
        ),
    ),
    Field(
        "victim_assessment",
        Kind.SINGLE,
        Text("Inschatting slachtofferschap", "Victim assessment"),
        Text(
            "Inschatting van de hulpverlener: slachtoffer (duidelijke signalen), vermoedelijk "
            "slachtoffer (enkele signalen), risico op uitbuiting, of geen slachtoffer.",
            "The counselor's assessment: victim (clear signs), presumed victim (some signs), at "
            "risk of exploitation, or not a victim.",
        ),
        _values(
            ("victim", "slachtoffer", "victim"),
            ("presumed", "vermoedelijk slachtoffer", "presumed victim"),
            ("at_risk", "risico op uitbuiting", "at risk"),
            ("not_victim", "geen slachtoffer", "not a victim"),
        ),
    ),
    Field(
        "exploitation_types",
        Kind.MULTI,
        Text("Vorm van uitbuiting", "Type of exploitation"),
        Text(
            "Alle vormen van uitbuiting die ter sprake komen. Niet van toepassing als de persoon "
            "geen slachtoffer is.",
            "Every type of exploitation that comes up. Does not apply when the person is not a "
            "victim.",
        ),
        _values(
            ("sexual", "seksueel", "sexual"),
            ("criminal", "criminele uitbuiting", "criminal"),
            ("labour", "arbeid", "labour"),
            ("other", "anders", "other"),
        ),
        not_applicable_when=(NOT_A_VICTIM,),
        exclusive=frozenset({UNKNOWN}),
    ),
    Field(
        "in_exploitation_now",
        Kind.BOOL,
        Text("Nu in uitbuiting", "In exploitation now"),
        Text(
            "De uitbuiting speelt nog op het moment van de chat.",
            "The exploitation is still going on at the time of the chat.",
        ),
        BOOL_VALUES,
        not_applicable_when=(NOT_A_VICTIM,),
    ),
    Field(
        "exploitation_duration",
        Kind.SINGLE,
        Text("Duur van de uitbuiting", "Duration of the exploitation"),
        Text(
            "Hoe lang de uitbuiting duurt of duurde, vanaf het begin.",
            "How long the exploitation lasts or lasted, from its start.",
        ),
        _values(
            ("lt1", "korter dan 1 jaar", "less than 1 year"),
            ("y1_2", "1 tot 2 jaar", "1 to 2 years"),
            ("y2_5", "2 tot 5 jaar", "2 to 5 years"),
            ("y5_10", "5 tot 10 jaar", "5 to 10 years"),
            ("ge10", "10 jaar of langer", "10 years or more"),
        ),
        not_applicable_when=(NOT_A_VICTIM,),
    ),
    Field(
        "age",
        Kind.INT,
        Text("Leeftijd", "Age"),
        Text(
            "Leeftijd in jaren van de persoon om wie het gaat, alleen als die bekend is.",
            "Age in years of the person the chat is about, only when it is known.",
        ),
        minimum=0,
        maximum=120,
    ),
    Field(
        "is_minor",
        Kind.BOOL,
        Text("Minderjarig", "Minor"),
        Text(
            "De persoon is jonger dan 18. Ook in te vullen als de precieze leeftijd onbekend is; "
            "moet kloppen met de leeftijd.",
            "The person is under 18. Can be filled in when the exact age is unknown; must agree "
            "with the age.",
        ),
        BOOL_VALUES,
    ),
    Field(
        "gender",
        Kind.SINGLE,
        Text("Gender", "Gender"),
        Text(
            "Gender van de persoon om wie het gaat, zoals die het zelf zegt.",
            "Gender of the person the chat is about, as they say themselves.",
        ),
        _values(
            ("female", "meisje / vrouw", "girl / woman"),
            ("male", "jongen / man", "boy / man"),
            ("other", "anders / non-binair", "other / non-binary"),
        ),
    ),
    Field(
        "origin",
        Kind.SINGLE,
        Text("Herkomst", "Origin"),
        Text(
            "Grove herkomst (nationaliteit of land van herkomst) van de persoon, als die dat zelf "
            "noemt. Niet van toepassing als de persoon geen slachtoffer is.",
            "Coarse origin (nationality or country of origin) of the person, when they mention "
            "it themselves. Does not apply when the person is not a victim.",
        ),
        _values(
            ("netherlands", "Nederland", "Netherlands"),
            (
                "eu_central_eastern",
                "Midden- en Oost-Europa in de EU (Polen, Roemenië, Bulgarije, Hongarije …)",
                "Central and Eastern EU (Poland, Romania, Bulgaria, Hungary …)",
            ),
            ("eu_other", "andere EU-landen", "other EU countries"),
            (
                "europe_non_eu",
                "Europa buiten de EU (ook Oekraïne)",
                "Europe outside the EU (incl. Ukraine)",
            ),
            ("africa", "Afrika", "Africa"),
            ("asia", "Azië", "Asia"),
            ("americas", "Amerika", "Americas"),
        ),
        not_applicable_when=(NOT_A_VICTIM,),
        since="2026.2",
    ),
    Field(
        "perpetrator_relations",
        Kind.MULTI,
        Text("Relatie tot dader(s)", "Relation to the perpetrator(s)"),
        Text(
            "Alle relaties tussen de persoon en de dader(s). Ouders: vader, moeder, stief- of "
            "pleegouder.",
            "Every relation between the person and the perpetrator(s). Parents: father, mother, "
            "step or foster parent.",
        ),
        _values(
            ("loverboy_pimp", "loverboy / pooier", "loverboy / pimp"),
            ("father", "vader", "father"),
            ("mother", "moeder", "mother"),
            ("step_foster_parent", "stief- of pleegouder", "step or foster parent"),
            ("partner_ex", "partner / ex", "partner / ex"),
            ("other_family", "andere familie", "other family"),
            ("acquaintance_peer", "kennis / leeftijdgenoot", "acquaintance / peer"),
            ("employer", "werkgever", "employer"),
            ("online_contact", "online contact / onbekende", "online contact / stranger"),
            ("criminal_network", "crimineel netwerk", "criminal network"),
            ("other", "anders", "other"),
        ),
        not_applicable_when=(NOT_A_VICTIM,),
        exclusive=frozenset({UNKNOWN}),
    ),
    Field(
        "multiple_perpetrators",
        Kind.BOOL,
        Text("Meerdere daders", "Multiple perpetrators"),
        Text("Er is meer dan één dader.", "There is more than one perpetrator."),
        BOOL_VALUES,
        not_applicable_when=(NOT_A_VICTIM,),
    ),
    Field(
        "clients_involved",
        Kind.BOOL,
        Text("Klanten betrokken", "Clients involved"),
        Text(
            "Er zijn klanten (mensen die betalen voor seks of diensten) betrokken.",
            "Clients (people paying for sex or services) are involved.",
        ),
        BOOL_VALUES,
        not_applicable_when=(NOT_A_VICTIM,),
    ),
    Field(
        "siblings_exploited",
        Kind.BOOL,
        Text("Broers/zussen ook uitgebuit", "Siblings also exploited"),
        Text(
            "Een broer of zus wordt of werd ook uitgebuit.",
            "A brother or sister is or was also exploited.",
        ),
        BOOL_VALUES,
        not_applicable_when=(NOT_A_VICTIM,),
    ),
    Field(
        "first_disclosure",
        Kind.BOOL,
        Text("Eerste keer verteld", "First disclosure"),
        Text(
            "De persoon vertelt in deze chat voor het eerst aan iemand over de uitbuiting.",
            "In this chat the person tells anyone about the exploitation for the first time.",
        ),
        BOOL_VALUES,
        not_applicable_when=(NOT_A_VICTIM,),
    ),
    Field(
        "known_to",
        Kind.MULTI,
        Text("Al bekend bij", "Already known to"),
        Text(
            "Instanties die al van de situatie weten. 'Niemand' gaat niet samen met een instantie.",
            "Agencies that already know about the situation. 'Nobody' cannot be combined with an "
            "agency.",
        ),
        _values(
            (NONE, "niemand", "nobody"),
            ("care", "hulpverlening", "care services"),
            ("police", "politie", "police"),
            ("veilig_thuis", "Veilig Thuis", "Veilig Thuis"),
            ("school", "school", "school"),
            ("other", "anders", "other"),
        ),
        exclusive=frozenset({UNKNOWN, NONE}),
    ),
    Field(
        "indicators",
        Kind.MULTI,
        Text("Signalen", "Indicators"),
        Text(
            "Signalen van dwang (ILO-indicatoren van dwangarbeid en aanvullende signalen). "
            "Signalen "
            "ondersteunen de inschatting, ze bepalen die niet.",
            "Signs of coercion (ILO forced-labour indicators and extra signs). Indicators support "
            "the assessment, they do not decide it.",
        ),
        _values(
            ("abuse_of_vulnerability", "misbruik van kwetsbaarheid", "abuse of vulnerability"),
            ("deception", "misleiding", "deception"),
            (
                "restriction_of_movement",
                "beperking van bewegingsvrijheid",
                "restriction of movement",
            ),
            ("isolation", "isolatie", "isolation"),
            ("violence", "lichamelijk of seksueel geweld", "physical or sexual violence"),
            ("intimidation", "intimidatie en bedreiging", "intimidation and threats"),
            ("document_retention", "afpakken van documenten", "retention of identity documents"),
            ("wage_withholding", "inhouden van loon", "withholding of wages"),
            ("debt_bondage", "schuldslavernij", "debt bondage"),
            ("abusive_conditions", "slechte werk- of woonomstandigheden", "abusive conditions"),
            ("excessive_overtime", "buitensporig overwerk", "excessive overtime"),
            ("sextortion", "sextortion", "sextortion"),
            ("money_handover", "geld afgeven", "money handed over"),
            ("phone_control", "controle via telefoon", "phone control"),
            ("drug_running", "gedwongen drugs vervoeren", "forced drug running"),
        ),
        exclusive=frozenset({UNKNOWN}),
    ),
    Field(
        "risk_level",
        Kind.SINGLE,
        Text("Risico", "Risk level"),
        Text(
            "Inschatting van direct gevaar voor de persoon.",
            "Assessment of immediate danger to the person.",
        ),
        _values(
            ("low", "laag", "low"),
            ("medium", "midden", "medium"),
            ("high", "hoog", "high"),
            ("acute", "acuut gevaar", "acute danger"),
        ),
    ),
    Field(
        "emergency_actions",
        Kind.MULTI,
        Text("Veiligheidsacties", "Safety actions"),
        Text(
            "Wat de hulpverlener tijdens of direct na de chat voor de veiligheid deed.",
            "What the counselor did for safety during or right after the chat.",
        ),
        _values(
            (NONE, "geen", "none"),
            ("emergency_services", "112 ingeschakeld", "emergency services (112)"),
            ("police", "politie ingelicht", "police informed"),
            ("veilig_thuis", "Veilig Thuis ingelicht", "Veilig Thuis informed"),
            ("safe_place", "veilige plek geregeld", "safe place arranged"),
            ("other", "anders", "other"),
        ),
        exclusive=frozenset({UNKNOWN, NONE}),
    ),
    Field(
        "consent_level",
        Kind.SINGLE,
        Text("Toestemming", "Consent"),
        Text(
            "Wat de bezoeker goedvindt: anoniem (niets delen), vertrouwelijk (niet delen zonder "
            "nieuwe toestemming) of mag gedeeld worden.",
            "What the visitor agrees to: anonymous (share nothing), confidential (no sharing "
            "without new consent) or may be shared.",
        ),
        _values(
            ("anonymous", "anoniem", "anonymous"),
            ("confidential", "vertrouwelijk", "confidential"),
            ("may_share", "mag gedeeld worden", "may be shared"),
        ),
    ),
    Field(
        "referrals",
        Kind.MULTI,
        Text("Doorverwijzing", "Referrals"),
        Text(
            "Naar wie de hulpverlener de persoon doorverwees of warm overdroeg.",
            "Where the counselor referred or handed the person over to.",
        ),
        _values(
            (NONE, "geen", "none"),
            ("specialised_care", "gespecialiseerde hulp", "specialised care"),
            ("youth_care", "jeugdzorg", "youth care"),
            ("general_practitioner", "huisarts", "general practitioner"),
            ("police", "politie", "police"),
            ("veilig_thuis", "Veilig Thuis", "Veilig Thuis"),
            ("victim_support", "Slachtofferhulp", "victim support"),
            ("legal_aid", "juridische hulp", "legal aid"),
            ("shelter", "opvang", "shelter"),
            ("other", "anders", "other"),
        ),
        exclusive=frozenset({UNKNOWN, NONE}),
    ),
    Field(
        "language",
        Kind.SINGLE,
        Text("Taal van de chat", "Language of the chat"),
        Text("De taal waarin de chat vooral ging.", "The language the chat was mostly in."),
        _values(
            ("nl", "Nederlands", "Dutch"),
            ("en", "Engels", "English"),
            ("other", "andere taal", "other language"),
        ),
    ),
    Field(
        "region",
        Kind.SINGLE,
        Text("Regio", "Region"),
        Text(
            "Grove regio waar de persoon woont, als die dat zelf noemt.",
            "Coarse region where the person lives, when they mention it themselves.",
        ),
        _values(
            ("north", "Noord-Nederland", "North Netherlands"),
            ("east", "Oost-Nederland", "East Netherlands"),
            ("south", "Zuid-Nederland", "South Netherlands"),
            ("west", "West-Nederland", "West Netherlands"),
            ("abroad", "buiten Nederland", "outside the Netherlands"),
        ),
    ),
)

FIELDS_BY_ID: Mapping[str, Field] = {f.id: f for f in FIELDS}

# Values of victim_assessment that make someone count as a victim in the report.
VICTIM_VALUES = frozenset({"victim", "presumed"})
PARENT_RELATIONS = frozenset({"father", "mother", "step_foster_parent"})


def version_key(version: str) -> tuple[int, ...]:
    """Codebook versions compare as numbers: "2026.10" comes after "2026.2"."""
    return tuple(int(part) for part in version.split("."))


def fields_newer_than(version: str) -> tuple[Field, ...]:
    """Fields that registrations made with ``version`` cannot have (they read as unknown)."""
    return tuple(f for f in FIELDS if version_key(f.since) > version_key(version))


def get(field_id: str) -> Field:
    return FIELDS_BY_ID[field_id]


def code(field_id: str, value_id: str) -> int:
    return FIELDS_BY_ID[field_id].code_of(value_id)


def mask(field_id: str, *value_ids: str) -> int:
    return FIELDS_BY_ID[field_id].mask_of(value_ids)


def as_json(lang: str) -> dict[str, object]:
    """The codebook in one language, for the registration form."""
    return {
        "version": CODEBOOK_VERSION,
        "lang": lang,
        "fields": [
            {
                "id": f.id,
                "kind": f.kind.value,
                "label": f.label.get(lang),
                "definition": f.definition.get(lang),
                "values": [{"id": v.id, "label": v.label.get(lang)} for v in f.active_values],
                "minimum": f.minimum,
                "maximum": f.maximum,
                "exclusive": sorted(f.exclusive),
                "not_applicable_when": [
                    {"field": c.field, "values": sorted(c.values)} for c in f.not_applicable_when
                ],
            }
            for f in FIELDS
        ],
    }
