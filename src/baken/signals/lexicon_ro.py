"""Romanian: the strongest phrases; diacritics are folded, so "pasaport" = "pașaport"."""

from __future__ import annotations

from baken.signals.rules import RuleSpec, r

STEM = False
NEG_FORWARD = 0
CANONICAL: dict[str, str] = {}
NEGATORS = "nu niciodata nimeni nimic nici"
CLAUSE_WORDS = "dar insa"
META_WORDS = "proiect proiectul referat prezentare documentar eseu"

_DOCS = "pasaport*|buletin*|acte|actele|documente*|cardul"
_OBL = "trebuie|obliga|obligat*|forteaza|fortat*|pune|pun"

# fmt: off
RULES: list[RuleSpec] = [
    r("dec", "promis*|promit munca|hotel|acte|bani|lucru|job|serviciu", gap=5),
    r("rom", "nu ^am|avem ^voie ies|iesim|plec|plecam|afara|singura|singur", gap=2, neg="off"),
    r("rom", "inchis*|incuiat*|incuie|pazesc|pazit*|supravegh*"),
    r("iso", "luat|ia|iau|confiscat telefon*", gap=3),
    r("iso", "nu ^pot|am vorbesc|suna|sun familia|mama|nimeni", gap=3, neg="off"),
    r("vio", "bate|batut|batea|bat|loveste|lovit|violat*|viol|abuzat*"),
    r("thr", "amenint*|santaj*"),
    r("thr", "omoara|ucide|rau familie*|mama|sora|frate", gap=3),
    r("doc", "luat|ia|iau|tine|tin|pastreaza|confiscat " + _DOCS, gap=3),
    r("doc", "pasaport*|buletin*|acte|actele|documente* luat|tine|confiscat", gap=3),
    r("wag", "nu platit|plateste|platesc|primesc|primim|primit", gap=2, neg="off"),
    r("wag", "ia|iau|luat ^tot|toti|toate|banii"),
    r("debt", "datori*|datorez|datoreaza", neg="back"),
    r("cond", "dormim|dorm|traim|locuim depozit|podea|hala|container|grajd|fabrica|sopron", gap=3),
    r("cond", "#12 ^ore"),
    r("cond", "fara ^pauza|odihna|liber", neg="back"),
    r("vul", "fara ^acte|adapost|casa", neg="off"),
    r("vul", "dependent*|strada"),
    r("sex", "culc|culca|culcam|dorm|sex cu ^barbati|clienti", gap=2),
    r("sex", "prostitu*|bordel*|proxenet*"),
    r("sex", "sex pentru ^bani", gap=3),
    r("sex", _OBL + " prostitu*|sex|culc", gap=4),
    r("crim", _OBL + " fur|furat|fura|furam", gap=3),
    r("crim", "droguri vand|vinde|transport|car|duc", gap=3),
    r("crim", "vand|vinde|transport|car|duc droguri", gap=3),
    r("onl", "poze|filmulete|filme|videoclipuri ^nud*|goala|intime"),
    r("onl", "nud*|santaj*"),
    r("lov", "iubit*", requires="sex crim wag debt iso rom", neg="off"),
    r("acute", "la ^usa", context="acum ajutor aici"),
    r("acute rom", "sunt|suntem inchisa|inchis|incuiata|incuiat|sechestrat*", gap=2),
    r("acute rom", "inchisa|inchis|incuiata|incuiat acum|ajutor", gap=3),
    r("acute", "in ^pericol"),
    r("acute vio", "are cutit|arma|pistol", gap=2),
    r("acute", "ajutati|ajutor|salvati", context="acum repede"),
]
# fmt: on
