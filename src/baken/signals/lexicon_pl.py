"""Polish: the strongest phrases (labour exploitation, documents, violence, danger)."""

from __future__ import annotations

from baken.signals.rules import RuleSpec, r

STEM = False
NEG_FORWARD = 0
CANONICAL: dict[str, str] = {}
NEGATORS = "nie nigdy nikt nic zaden zadna"
CLAUSE_WORDS = "ale lecz bo poniewaz"
META_WORDS = "projekt projektu referat prezentacja prezentacje wypracowanie dokumentalny"

_DOCS = "paszport*|dowod*|dokument*|karte|karta"
_OBL = "musze|musimy|musi|zmuszaja|zmusza|zmusil*|kaze|kaza|kazal*"

# fmt: off
RULES: list[RuleSpec] = [
    r("dec", "obiecal*|obiecuj* prac*|hotel*|dokument*|pieniadze|papiery|mieszkanie", gap=5),
    r("rom", "nie ^wolno ^mi|nam wychodz*|wyjsc*|wyjechac|opuszczac|sama|sam", gap=2, neg="off"),
    r("rom", "nie ^moge|mozemy wychodz*|wyjsc*|wyjechac", gap=2, neg="off"),
    r("rom", "zamyka*|zamkn*|pilnuj*|uwiez*"),
    r("iso", "zabral*|zabrali|zabiera* telefon*", gap=3),
    r("iso", "nie ^moge|wolno dzwonic|rozmawiac|kontaktowac rodzin*|mama|mamy|nikim", gap=3,
      neg="off"),
    r("vio", "bije|bil|bila|bili|bija|pobil*|pobili|zgwalcil*|zgwalcona|zgwalcony|kopie|kopal|"
      "dusi|dusil"),
    r("thr", "groz*|zagroz*|szantaz*"),
    r("thr", "zabij*|skrzywdz* rodzin*|mame|mamy|siostr*|brat*", gap=3),
    r("doc", "zabral*|zabrali|zabiera*|trzyma*|wzieli|wzial|odebral*|schowal* " + _DOCS, gap=3),
    r("doc", "paszport*|dowod*|dokument* zabral*|zabrali|trzyma*|ma|maja", gap=3),
    r("wag", "nie dostaj*|dostal*|placa|placi|zaplacil*|zaplacili|wyplaca*|otrzymuj*", gap=1,
      neg="off"),
    r("wag", "zabiera|zabieraja|bierze|biora wszystk*|pieniadze|cale", gap=2),
    r("wag", "oddawac|oddaje|oddac pieniadze|wszystko|wyplat*", gap=2),
    r("debt", "dlug*|winna|winien|zadluz*", neg="back"),
    r("cond", "spimy|spie|spia|mieszkamy magazyn*|podlodze|podloga|hali|kontener*|stodol*|"
      "fabryc*|szopie", gap=3),
    r("cond", "#12 ^godzin*"),
    r("cond", "bez ^przerwy|odpoczynku|wolnego", neg="back"),
    r("vul", "nie ^mam ^dokumentow|papierow|gdzie", neg="off"),
    r("vul", "bezdomn*|uzalezni*"),
    r("sex", "spac|sypiac|seks* ^z mezczyzn*|klient*|facet*", gap=1),
    r("sex", "za ^pieniadze", context="seks spac sypiac seksu"),
    r("sex", "prostytu*|burdel*|alfons*|sponsoring"),
    r("sex", _OBL + " seks*|prostytu*|spac|sypiac", gap=4),
    r("crim", "narkotyki|dragi|towar sprzedawac|sprzedaje|przewozic|nosic|wozic|rozwozic", gap=3),
    r("crim", "sprzedawac|przewozic|nosic|wozic|rozwozic narkotyki|dragi", gap=2),
    r("crim", _OBL + " krasc|kradne|kradniemy", gap=3),
    r("onl", "nagie|intymne ^zdjecia|filmy|zdjec"),
    r("onl", "zdjecia|filmiki|nagrania wysle|wrzuci|opublikuje|rozesle", gap=3),
    r("onl", "szantaz*"),
    r("lov", "chlopak*", requires="sex crim wag debt iso rom", neg="off"),
    r("acute", "pod ^drzwiami", context="teraz pomocy tu jest"),
    r("acute rom", "jestem|jestesmy zamknieta|zamkniety|zamknieci|uwieziona|uwieziony", gap=2),
    r("acute", "w ^niebezpieczenstwie"),
    r("acute vio", "ma noz*|pistolet|bron", gap=2),
    r("acute", "pomocy teraz|szybko", gap=2),
    r("acute", "teraz pomocy", gap=3),
    r("acute", "pomozcie|pomoz|ratunku"),
    r("acute", "boje ... teraz", gap=6),
]
# fmt: on
