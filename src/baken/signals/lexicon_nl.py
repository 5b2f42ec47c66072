"""Dutch: the language of almost every chat, so the widest lexicon, with teen spelling.

Words are folded before matching (lower case, no accents, repeated letters once: "slaaaat" and
"slaat" meet), and CANONICAL maps chat spellings to one form first. A trailing ``*`` is a
prefix; see rules.py for the pattern language.
"""

from __future__ import annotations

from baken.signals.rules import RuleSpec, r

STEM = False
NEG_FORWARD = 2  # "hij slaat me niet": Dutch puts the negation after the verb
CANONICAL = {
    "mn": "mijn", "m'n": "mijn", "mij'n": "mijn", "zn": "zijn", "z'n": "zijn", "ie": "hij",
    "ij": "hij", "dr": "haar", "d'r": "haar", "em": "hem", "k": "ik", "mot": "moet",
    "moete": "moeten", "motte": "moeten", "nie": "niet", "nit": "niet", "nx": "niks",
    "ff": "even", "tel": "telefoon", "fone": "telefoon", "mobieltje": "mobiel", "da": "dat",
    "wa": "wat", "as": "als", "gwn": "gewoon", "tog": "toch", "geslage": "geslagen",
    "vriendn": "vrienden", "fotos": "foto", "foto's": "foto", "pakkies": "pakketjes",
    "pakkie": "pakketje", "vrind": "vriend", "vrindje": "vriendje", "nou": "nu",
}  # fmt: skip
NEGATORS = "niet nooit geen niks niets niemand"
CLAUSE_WORDS = "maar want omdat terwijl behalve"
META_WORDS = (
    "werkstuk profielwerkstuk pws spreekbeurt presentatie opdracht docu documentaire "
    "boekverslag scriptie onderzoek voorlichting artikel nieuws serie"
)

_PARENTS = "ouders vader moeder mama papa mams paps"
_SIBLINGS = "broer broertje zus zusje"
_OBL = "moet|moeten|moest|moesten|gedwongen|dwingt|dwingen|dwong|verplicht|laat|laten|liet|lieten"
_DOCS = (
    "paspoort*|id|idkaart|identiteitskaart*|verblijfsvergunning*|verblijfspas*|papieren|"
    "documenten|bankpas*|pinpas*|bankkaart*|betaalpas*|rijbewijs|visum|werkvergunning*"
)
_DRUGS = (
    "drugs|drug|coke|cocaine|wiet|hasj|pillen|xtc|mdma|heroine|crack|spul|bolletjes|bolletje|"
    "ketamine|speed"
)
_MEDIA = "foto*|filmpj*|film|films|video*|nudes|naaktfoto*|beelden|pics|opname*|screenshots"
_FAMILY = "familie|moeder|mama|vader|papa|broer*|zus*|ouders|kind*|dochter|zoon|oma|opa|gezin"
_KILL_HYPERBOLE = f"lol haha hah xd jk grapje {_PARENTS} broer zus broertje zusje baas juf meester"

# fmt: off
RULES: list[RuleSpec] = [
    # deception
    r("dec", "beloofd*|beloof*|beloven|belooft werk*|baan|baantje|job|papieren|verblijfsvergunning|"
      "vergunning|loon|salaris|huis|kamer|hotel*|restaurant|toekomst|geld|opleiding|reis", gap=6),
    r("dec", "zeiden|zei|gezegd|vertelden|verteld|beweerden|zegden hotel*|restaurant|schoonmaak*|"
      "model|kapper|oppas*|au|fabriek|kas|werk|werken|baan|reis|gratis|papieren|geld|huis", gap=6,
      context="maar bleek blijkt anders ander andere gelogen nep eigenlijk echter terugbetalen "
      "niks niets nooit"),
    r("dec", "heel|totaal|compleet|helemaal|iets ^ander|anders|andere",
      context="zeiden zei gezegd beloofd beloofden beloofde verteld vertelden dacht zou zouden"),
    r("dec", "nepvacature*|nepbaan|nepbureau"),
    r("dec", "nep ^vacature*|baan|werk|bureau|modellenbureau|job"),
    r("dec", "gelogen|loog|logen|bedrogen|opgelicht|misleid werk|baan|papieren|reis|geld|loon|"
      "hotel|job", gap=6),
    r("lov dec", "samen huis|trouwen|toekomst|kopen|wonen als ^ik", gap=5),
    # restriction of movement
    r("rom", "mag|mogen|mocht|mochten niet|nooit alleen|zelf|weg|buiten|deur|vertrekken|terrein|"
      "straat", gap=2, neg="outer", unless=f"{_PARENTS} straf huisarrest"),
    r("rom", "mag|mogen|mocht|mochten huis|kamer|terrein|pand|gebouw|deur|erf|bedrijf|flat|"
      "woning niet|nooit ^uit|af|weg|verlaten|buiten", neg="outer", unless=_PARENTS),
    r("rom", "laten|laat|liet|lieten me|mij|ons niet|nooit ^gaan|weg|vertrekken|buiten|los",
      neg="outer", unless=f"{_PARENTS} straf"),
    r("rom", "opgesloten|opsluiten|opgesloot|vastgehouden|vastgebonden|vastgezet"),
    r("rom", "gevangen ^gehouden|houden"),
    r("rom", "sluit*|sloten|sloot|doen|doet deur|deuren ... af|slot", unless=_PARENTS),
    r("rom", "sluiten|sluit|sloten|sloot ^me|mij|ons|haar ^op"),
    r("rom", "ziet|zien|weet|weten|volgt|volgen|checkt|checken|trackt|tracken|ziet waar ^ik|we|wij "
      "ben|zit|ga|zijn|uithang|woon", gap=2, unless=_PARENTS),
    r("rom iso", "app|spyware|stalkerware|tracker|gps|volgapp op mijn|haar|zn ^telefoon|mobiel",
      gap=2),
    r("rom", "locatie|live|gps ... delen|ziet|volgt|checkt|bijhouden|aanstaan|aan", gap=3,
      context="moet altijd hij ze"),
    r("rom", "altijd|steeds|overal|constant iemand|hij|ze|neef|broer|oom|bewaker|bodyguard|"
      "chauffeur mee|bij", gap=2, unless=_PARENTS),
    r("rom", "loopt|gaat|komt|rijdt altijd|steeds|overal ^mee", unless=_PARENTS),
    r("rom", "word|worden|wordt|werd|werden gaten ^gehouden|houden", gap=5),
    r("rom", "houden|houdt|hield|hielden me|mij|ons gaten", gap=3),
    r("rom", "bewaakt|bewaking|bewaken"),
    # isolation
    r("iso", "heeft|hebben|pakt|pakte|pakken|afgepakt|ingepikt|afgenomen|houdt|hield|nam|genomen|"
      "ingenomen|kapotgemaakt|gesloopt|afpakken|inpikken mijn|haar|zn|zijn|onze|de ^telefoon|"
      "telefoons|mobiel|gsm|simkaart|sim|iphone|phone",
      unless=f"{_PARENTS} {_SIBLINGS} tiktok gamen game gamede straf school leraar juf meester"),
    r("iso", "telefoon|telefoons|mobiel|gsm ... afgepakt|ingepikt|afgenomen|ingenomen|weggenomen|"
      "afpakken|inpikken|afgepakt",
      unless=f"{_PARENTS} {_SIBLINGS} tiktok gamen straf school juf meester"),
    r("iso", "checkt|checken|controleert|controleren|leest|lezen|bekijkt|doorzoekt|kijkt ... "
      "telefoon|berichten|appjes|apps|chats|whatsapp|dms|insta|snap*", gap=4, unless=_PARENTS),
    r("iso", "mag|mocht|mogen|mochten niemand|niet|nooit|geen bellen|appen|spreken|zien|contact|"
      "praten|afspreken|bereiken|sms*|mailen|videobellen|facetimen", gap=4, neg="outer",
      unless="straf huisarrest"),
    r("iso", "geen ^contact familie|vrienden|vriendinnen|moeder|vader|ouders|thuis|niemand|iemand|"
      "mama|papa|zus|broer|buitenwereld", neg="back"),
    r("iso", "wil|wilt|wou niet ^dat ^ik|we afspreek|afspreken|zie|zien|bel|bellen|praat|praten|"
      "spreek|omga|app|appen|contact", gap=5, neg="outer", unless=_PARENTS),
    r("iso", "contacten|nummers|vrienden|vriendinnen|familie verwijderd|verwijderen|blokkeren|"
      "geblokkeerd|wissen|gewist", gap=4),
    r("iso", "afgesloten|geisoleerd|isoleert ... familie|vrienden|wereld|iedereen", gap=4),
    # physical and sexual violence
    r("vio", "slaat|sloeg|sloegen|slaan|geslagen|mept|mepte|gemept|schopt|schopte|geschopt|trapt|"
      "trapte|getrapt|stompt|stompte|gestompt|wurgt|wurgde|gewurgd|verkracht*|aangerand|aanranding|"
      "mishandel*|misbruikt|afgetuigd|aftuigen|tuigt|aangevallen"),
    r("vio", "krijg|kreeg|krijgen|geeft|gaf klappen|klap|slaag|tik|tikken|trappen", gap=2,
      unless="anders"),
    r("vio", "duwt|duwde|knijpt|kneep|bijt|beet|sleurt|sleurde|brandt ^me|mij|haar|ons"),
    r("vio", "me|mij|haar geduwd|geknepen|gebeten|gesleurd|verbrand|gestoken", gap=3),
    r("vio", "pijn ^gedaan"),
    r("vio", "bont ^en ^blauw"),
    r("vio", "hoofd tegen muur|deur|tafel|grond", gap=2),
    r("vio", "seks|sex|neuken|aanraken|aangeraakt|betast tegen ^mijn|haar|zn ^wil|zin", gap=4),
    r("vio", "ongewenst|onvrijwillig aangeraakt|betast|seks", gap=2),
    # intimidation and threats
    r("thr", "dreigt|dreigen|dreigde|dreigden|bedreigt|bedreigd|bedreigen|bedreigde|bedreiging*|"
      "dreiging*|gedreigd"),
    r("thr", "anders ^stuur*|zet|zetten|verspreid*|deel*|vertel*|vermoord*|maakt|maken|pakken|pakt|"
      "slaat|lek*|leak*|post*|doet|doen|zorgt|krijg|krijgt|ben|is", gap=1,
      unless="beter ander niks niets iets"),
    r("thr", "doen|doet iets|wat|pijn ... " + _FAMILY, gap=3),
    r("thr", "doen|doet " + _FAMILY + " ^iets|wat|pijn|aan", gap=3),
    r("thr", _FAMILY + " iets|wat|pijn ^aan|aandoen|aandoet|doen|doet", gap=2),
    r("thr", "vermoord*|pakken|pakt " + _FAMILY, gap=2, unless=_KILL_HYPERBOLE),
    r("thr", "vermoord*|doodmaken|afmaken|dood als|wanneer|zodra weggaa*|wegga|weg|wegloop*|"
      "weglopen|vlucht*|praat|praten|vertel*|terugkom*|terug|politie|stop|stoppen|nee|mond|"
      "aangifte|hulp", gap=4, neg="outer", unless=_KILL_HYPERBOLE),
    r("thr", "me|mij vindt|vinden|vind|pakt|pakken|krijgt|krijgen waar|overal", gap=2),
    r("thr", "vindt|vinden|vind me|mij waar|overal", gap=2),
    r("thr", "weet|weten waar " + _FAMILY + "|je|jij|mijn ... woont|wonen|woon", gap=3),
    r("thr", "laat|laten|zorgt|zorgen|belt|bellen|meldt|melden|geeft|geven|verraadt|verraden ... "
      "uitzetten|uitgezet|terugsturen|ind|vreemdelingenpolitie|immigratie|uitzet*", gap=4),
    r("thr onl", "stuurt|zet|zetten|verspreidt|lekt|leakt|post|deelt|stuur " + _MEDIA + " ... rond|"
      "online|door|school|ouders|insta*|snap*|internet|iedereen|familie", gap=3,
      context="anders dreigt dreigen dreigde gedreigd tenzij zegt zei als"),
    r("thr onl", _MEDIA + " ... rond|online|school|ouders|insta*|snap*|internet|iedereen|familie "
      "stuurt|zet|zetten|sturen|lekken|leaken|posten|verspreiden|rondsturen|stuur", gap=3,
      context="anders dreigt dreigen dreigde gedreigd tenzij zegt zei als"),
    # retention of documents
    r("doc", "heeft|hebben|houdt|houden|hield|hielden|nam|namen|pakte|pakten|bewaart|bewaren|"
      "ingenomen|innemen|afgepakt|afgenomen|weggenomen|gestolen|afgeven|afgegeven|inleveren|"
      "ingeleverd|verstopt|achtergehouden " + _DOCS, gap=3,
      unless=f"{_PARENTS} gemeente verlopen aanvragen vernieuwen"),
    r("doc", _DOCS + " ... ligt|liggen|lag|is|zijn|zit ^bij baas|hem|hun|hen|ze|chef|werkgever|"
      "bureau|eigenaar|hij|vriend|vriendje|pooier", gap=3, unless=_PARENTS),
    r("doc", _DOCS + " ... ingenomen|afgepakt|afgenomen|afgeven|afgegeven|inleveren|ingeleverd|"
      "weggenomen|achtergehouden", gap=4, unless=f"{_PARENTS} gemeente"),
    r("doc", _DOCS + " ... niet|nooit ^terug", gap=4, neg="outer"),
    # withholding of wages
    r("wag", "alles|geld|loon|salaris|verdien*|inkomsten|centen|cash|fooien|fooi afgeven|afdragen|"
      "inleveren|afstaan|afgepakt|afnemen|afpakken", gap=5, unless=_PARENTS),
    r("wag", "alles|geld|loon|salaris|verdien*|inkomsten|centen|cash|fooien af ^te ^geven|dragen",
      gap=4, unless=_PARENTS),
    r("wag", "nooit|geen|niks|niets|nauwelijks loon|salaris|uitbetaald|betaald|loonstrook|cent",
      gap=2, neg="back", unless="rekening boete huur"),
    r("wag", "krijg|krijgen|kreeg|kregen|krijgt|zie|zien nooit|geen|niks|niets geld|loon|salaris|"
      "cent", gap=3, neg="outer", unless=f"{_PARENTS} zakgeld"),
    r("wag", "betaalt|betalen|betaald|uitbetaald|betaalde|betaalden ons|me|mij|niet|niks|nooit "
      "niet|niks|nooit|geen", gap=2, neg="outer", unless="rekening boete huur"),
    r("wag", "houdt|houden|hield|neemt|nemen|pakt|pakken|incasseert|int alles|geld|loon|salaris|"
      "verdiensten|inkomsten|fooien", gap=3, unless=f"{_PARENTS} bij"),
    r("wag", "rest|loon|salaris|geld|alles houdt|houden|hield in", gap=3),
    r("wag", "loon|salaris|geld|rest|alles ingehouden|inhouden|inhoudt", gap=3),
    r("wag", "geld|verdiensten|inkomsten|opbrengst gaat|gaan|ging|gingen hem|baas|hun|hen|pooier|"
      "vriend|vriendje|chef", gap=3),
    # debt bondage
    r("debt", "schulden", unless="duo studie studieschuld bank belasting belastingdienst "
      "creditcard hypotheek", neg="back"),
    r("debt", "schuld ^bij|van|aflossen|afbetalen|terugbetalen|wegwerken|afwerken|groeit|wordt|"
      "blijft|opgebouwd|afbetaald|afgelost",
      unless="duo studie studieschuld bank belasting belastingdienst", neg="back"),
    r("debt", "schuld ... afbetaald|afgelost|terugbetaald|weg", gap=2, neg="back"),
    r("debt", "in ^de ^schuld"),
    r("debt", "#100|duizend|duizenden|honderden|euro|geld schuldig", gap=3, neg="back"),
    r("debt", "moet|moeten|moest|moesten afbetalen|aflossen|terugbetalen|terugverdienen|afwerken|"
      "wegwerken|afbetaald", gap=6, unless="duo studie telefoon abonnement lening bank",
      neg="back"),
    r("debt", "moet|moeten|moest|moesten terug ^betalen|verdienen", gap=6,
      unless="duo studie telefoon abonnement lening bank", neg="back"),
    r("debt", "krijt"),
    r("lov debt", "koopt|kocht|gaf|geeft|betaalt|betaalde ... terug|schuldig|terugdoen|"
      "terugbetalen", gap=10),
    # abusive working and living conditions
    r("cond", "slapen|slaap|sliep|sliepen|wonen|woon|woont|verblijven loods|schuur|kas|container|"
      "magazijn|fabriek|werkplaats|keuken|grond|vloer|bedrijf|busje|kelder|garage|stal|matras|"
      "matrassen|hal|barak|bouwkeet|keet|werk", gap=4,
      unless=f"{_PARENTS} logeren logeerpartij logeerpartijtje kamp festival camping vakantie"),
    r("cond", "grond|vloer|matras|matrassen slapen|slaap|sliep|sliepen", gap=3,
      unless="logeren logeerpartij logeerpartijtje kamp festival camping vakantie"),
    r("cond", "#12 ^uur|uren per|a|op|elke dag|nacht|dienst", gap=2),
    r("cond", "nooit|geen vrij|vrije dag|dagen|vrij", gap=2, neg="back"),
    r("cond", "zeven|7 ^dagen per|in|van week", gap=2),
    r("cond", "zonder|geen ^pauze|rust|eten|water|slaap|pauzes|rustdag|rustdagen", neg="back"),
    r("cond", "met ^zijn #|tienen|twaalven|achten|zessen|vijftienen|twintigen kamer|huis|slapen|"
      "container|caravan", gap=4),
    r("cond", "#8|tien|twaalf|vijftien|twintig ^man|mensen|personen kamer|huis|container|slapen",
      gap=4),
    # abuse of vulnerability
    r("vul", "kan|kon|kunnen|weet|wist|heb nergens ^heen|naartoe|terecht", gap=2, neg="back"),
    r("vul", "weet|weten ^niet ^waar ^ik slapen|heen|naartoe|wonen", gap=2, neg="off"),
    r("vul", "geen ^papieren|verblijfsvergunning|verblijfsstatus|status|vergunning|"
      "verblijfspapieren", neg="off"),
    r("vul", "ben|zijn|bent|is|woon|verblijf illegaal|ongedocumenteerd|uitgeprocedeerd", gap=2),
    r("vul", "dakloos|thuisloos|ongedocumenteerd"),
    r("vul", "woon|slaap|leef|sta|sliep|woonde|beland|zit op ^straat", gap=2),
    r("vul", "uit ^huis ^gezet|geschopt|gegooid"),
    r("vul", "weggelopen|gevlucht thuis|huis|jeugdzorg|instelling|pleeggezin|groep", gap=3),
    r("vul", "thuis|huis|jeugdzorg|instelling|pleeggezin weggelopen|gevlucht", gap=2),
    r("vul", "niet ^meer thuis|huis ^wonen|slapen|terecht|komen", gap=2, neg="outer"),
    r("vul", "verslaafd|verslaving|afkick*"),
    r("vul", "geeft|gaf|geven|gaven ^me|mij|ons " + _DRUGS + "|drank|lachgas", gap=2),
    r("vul", "misbruik ^van"),
    r("vul", "kan|mag|kon bij ^hem|hun|haar slapen|wonen|blijven|logeren", gap=2,
      context="als moet doe doen nergens straat weggelopen"),
    r("vul", "verstandelijk*|lvb"),
    # forced sex work
    r("sex", "met ^mannen|klanten|kerels|oude|oudere|ouwe mee", gap=2),
    r("sex", "met ^andere|oudere|ouwe ^mannen|kerels"),
    r("sex", "klanten|klant|mannen|kerels doen|ontvangen|afwerken|pijpen|neuken|aftrekken|ontvang|"
      "afwerk", gap=1),
    r("sex", "mannen|kerels komen|komt|kwamen|langskomen|langs langs|binnen|langskomen", gap=2),
    r("sex", "komen|komt|kwamen ^er ^mannen|klanten|kerels"),
    r("sex", "seks|sex|neuken|pijpen|slapen|bed|sexen|seksen voor ^geld|betaling|cash|drugs|spul|"
      "eten|onderdak", gap=5),
    r("sex", "slapen|bed met mannen|klanten|kerels|vreemden|onbekenden", gap=2),
    r("sex", "seks|sex|neuken|pijpen|sexen|seksen met mannen|klanten|kerels|vrienden|jongens|"
      "vreemden|onbekenden", gap=3),
    r("sex", "met ^zijn|andere|die|oude|oudere ^vrienden|mannen|jongens|kerels|klanten bed|slapen|"
      "seks|sex|neuken|pijpen", gap=2),
    r("sex", "met ^mannen|klanten|kerels|vreemden bed|slapen|seks|sex|neuken", gap=3),
    r("sex", "prostitu*|tippelen|tippel*|raamprostitu*|escort*|pooier*|pimp*|sekswerk*|sexwerk*"),
    r("sex", _OBL + " seks|sex|prostitutie|neuken|pijpen|escort*", gap=4),
    r("sex", "advertentie*|advertenties|sexadvertentie*|ads|profiel ^van ^me|mij"),
    r("sex", "sexdate*|seksdate*"),
    r("sex", "werken|werk|werkt|werkte mannen|kerels|klanten", gap=3,
      context="hem andere pooier vriendje moet"),
    r("sex", "huis|hotel|kamer|flat ... waar ^mannen|klanten|kerels", gap=2),
    r("sex onl", _OBL + " webcam|cam|camshow*|onlyfans|livestream*|camera|cammen", gap=5),
    # forced criminal activity
    r("crim", _DRUGS + " wegbrengen|rondbrengen|brengen|afleveren|bezorgen|verkopen|dealen|"
      "vervoeren|smokkelen|slikken|meenemen|verstoppen|bewaren|droppen|wegzetten|verhandelen",
      gap=4),
    r("crim", "pakketjes|pakketje|pakjes|pakje wegbrengen|rondbrengen|afleveren|droppen|"
      "smokkelen|vervoeren", gap=4, context="hem hun hen jongens moet moest"),
    r("crim", _OBL + " dealen|runnen|koerier|smokkelen|stelen|inbreken|breken|jatten|pikken|"
      "beroven|overvallen|roven|witwassen|oplichten|skimmen", gap=6),
    r("crim", "voor ^hem|hun|hen|ze|die lopen|dealen|runnen|stelen", gap=1),
    r("crim", "drugsrunner|drugskoerier|katvanger|geldezel*|bolletjesslikker*|moneymule|"
      "drugslijn"),
    r("crim", "bankrekening|rekening|bankpas|pinpas|rekeningnummer uitlenen|lenen|geleend|"
      "uitgeleend|gebruiken|gebruikt|storten|pinnen|doorsturen", gap=4, unless=_PARENTS),
    r("crim", "gebruiken|gebruikt|gebruikte|lenen|leent|geleend bankrekening|rekening|bankpas|"
      "pinpas", gap=3, unless=_PARENTS),
    r("crim", "geld|cash wegbrengen|rondbrengen|vervoeren|witwassen|afleveren|smokkelen", gap=3),
    # online coercion
    r("onl", "nudes|nude|naaktfoto*|naaktfilm*|naaktbeeld*|sexfilm*|seksfilm*|sexfoto*|"
      "seksfoto*|sexting|sextortion|sekstortion|dickpic*", neg="back"),
    r("onl", "heeft|hebben|had|bezit " + _MEDIA + " ^van ^me|mij|haar|ons", gap=2,
      unless=f"{_PARENTS} vakantie oma opa"),
    r("onl", "chanteer*|chanteert|chantage|afpers*|sextortion|blackmail*"),
    r("onl", "wil|wilt|eist|moet meer|nieuwe|nog stuur|sturen|opstuur|opsturen", gap=3,
      context="foto nudes filmpjes filmpje video videos pics naaktfotos"),
    r("onl", "groom*|gegroomd"),
    # loverboy grooming
    r("lov", "voor ^ons|onze", context="vriend vriendje lover lief bf hij hem schat"),
    r("lov", "als ^je|ik ^van ^me|mij|hem ^houdt|hou|houd", neg="off"),
    r("lov", "loverboy|loverboys|pooierboy*",
      unless="uitleggen uitleg betekent betekenis precies herken herkennen"),
    r("lov", "lover ^boy"),
    r("lov", "eerst vriend|vriendje|lief|relatie|verliefd nu|daarna|toen moet|moest|moeten|werken",
      gap=4),
    r("lov", "niemand ^anders nodig|behalve", gap=2, neg="off"),
    r("lov", "alleen ^hij|hem houdt|hou|heb|begrijpt|snapt", gap=3),
    r("lov", "vriend|vriendje|hij|lover|bf ^is|van #21"),
    r("lov", "vriendje|vriend|lover|lief|bf|vriendjes", requires="sex crim wag debt iso rom",
      neg="off"),
    # acute danger
    r("acute", "staat|staan|stond|wacht|wachten|zit deur|beneden|voordeur", gap=3,
      unless=f"{_PARENTS} pizza bezorger postbode pakketje oma opa"),
    r("acute", "staat|staan|wacht|wachten buiten", gap=2, context="nu bang help hulp gevaar durf"),
    r("acute", "komt|komen ^eraan|hierheen|hiernaartoe", unless=f"{_PARENTS} oma opa"),
    r("acute", "komen|komt|kwamen ^me|mij ^halen|pakken|ophalen",
      unless=f"{_PARENTS} oma opa school"),
    r("acute", "me|mij komen|komt ^halen|pakken|ophalen", gap=2,
      unless=f"{_PARENTS} oma opa school"),
    r("acute", "bang vanavond|vannacht|straks|zometeen|nu|vandaag", gap=6,
      unless="examen toets tentamen proefwerk presentatie rijexamen zak zakken cijfer cijfers"),
    r("acute", "bang ^dat terugkomt|terugkomen|vermoordt|vermoorden|doodmaakt|aandoet|aandoen|"
      "vindt|vinden|komt|komen", gap=5, unless="examen toets tentamen proefwerk"),
    r("acute rom", "zit|zitten|ben|zijn|word|wordt|worden|werd opgesloten|vastgehouden|"
      "vastgebonden|opgesloot|gevangen", gap=4, unless="vroeger toen jaren"),
    r("acute rom", "hebben|heeft me|mij|ons opgesloten|vastgebonden", gap=4,
      unless="vroeger toen jaren"),
    r("acute", "in ^gevaar|nood", neg="back"),
    r("acute vio", "heeft|had|trekt|trok|pakt|pakte|houdt|zwaait|dreigt mes|pistool|wapen|"
      "vuurwapen|machete|knuppel|honkbalknuppel|gun", gap=3),
    r("acute vio", "slaat|slaan|schopt|schoppen|wurgt|duwt me|mij nu|hier", gap=2),
    r("acute", "is|zijn|staat|zit ^nu|nog ^hier"),
    r("acute", "zoekt|zoeken|zocht ^me|mij nu|overal", gap=2),
    r("acute", "weggelopen|gevlucht|ontsnapt|ontsnapte zoekt|zoeken|achter", gap=6),
    r("acute", "wacht|wachten op ^me|mij", gap=3, context="nu bang durf daar", neg="off"),
    r("acute", "wil|wilt|gaat|gaan|komt|komen ^me|mij meenemen|ophalen|halen|wegbrengen", gap=3,
      context="nu vanavond vannacht", unless=f"{_PARENTS} oma opa school"),
    r("acute", "help|helpen|hulp|red ^me|mij nu|snel|dringend", gap=2),
    r("acute", "help|hulp nu|snel|dringend", gap=1),
    r("acute", "112|politie|ambulance ^bellen|sturen|komen"),
    r("acute", "bel|bellen|belt ^112|politie|ambulance", context="iemand kan kunnen nu snel"),
    r("acute", "kan|kunnen ^iemand komen ^halen|helpen|ophalen", gap=3),
    r("acute", "vanavond|vannacht|straks|zometeen|nu ^vermoord*|doodmaken|afmaken|pakken",
      unless=_KILL_HYPERBOLE),
    r("acute", "vermoord*|doodmaken|afmaken vanavond|vannacht|straks|zometeen", gap=3,
      unless=_KILL_HYPERBOLE),
    r("acute", "ontvoerd|ontvoeren"),
    r("acute", "weet|weten ^niet ^waar ^ik|we ben|zijn|zit", neg="off"),
    # added after the first fresh batch (t395-t436)
    r("rom", "mag|mogen|mocht nergens|niks|niet ... zonder ^hem|haar|hun|toestemming", gap=4,
      neg="outer"),
    r("rom", "nergens ^heen|naartoe ... zonder ^hem|haar|hun", gap=3, neg="outer"),
    r("rom", "houdt|houden|hield|hielden me|mij|ons ^binnen|vast"),
    r("rom", "kom|komen|kwam|mag|mogen nooit|niet ^buiten|naar", neg="outer",
      unless=f"{_PARENTS} straf huisarrest"),
    r("vio", "gooit|gooide|smijt|smeet|gooien ... naar ^me|mij|mijn|haar", gap=3),
    r("vio", "trekt|trok|trekken ... aan ^mijn|haar ^haar|haren", gap=2),
    r("thr", "spijt als|wanneer|zodra", gap=4),
    r("thr", "als ^ik ... wegga|weggaan|wegloop|vlucht|politie|vertel|praat zegt|zei|dreigt|pakt|"
      "doet|vermoordt|spijt", gap=5, neg="outer"),
    r("thr", _FAMILY + " ^pakt|pakken|vermoordt|vermoorden|aandoet", unless=_KILL_HYPERBOLE),
    r("doc", _DOCS + " ... kluis|weggestopt|opgeborgen|opgesloten", gap=6, unless=_PARENTS),
    r("wag", "loon|salaris|geld|verdiensten ... blijft|hou|houd ^niks|niets|weinig ^over", gap=3,
      neg="off"),
    r("wag", "boete|boetes", context="loon salaris geld werk baas inhouden ingehouden"),
    r("wag", "werken|werk|werkt ^zonder ^geld|loon|betaling|salaris"),
    r("debt", "bij|op ^mijn|de|haar ^schuld", neg="back"),
    r("cond", "werk|werken|werkt|werkte ... tot ^middernacht", gap=8),
    r("sex", "verkoopt|verkocht|verhuurt|verhuurde|biedt ^me|mij|haar ... aan|mannen|klanten",
      gap=2),
    r("sex", "met ^zijn|een ^vriend|neef|oom|baas ... slapen|bed|seks|sex|neuken", gap=2,
      context="moet moest geld betaalt"),
    r("sex", "doen|doe ^met ^een|zijn ^vriend|vrienden|man|mannen",
      context="hem lover vriendje geld"),
    r("crim", "tas|tassen|pakket|rugzak ... vol|met ^spul|drugs|wiet|coke|pillen|geld", gap=2),
    r("onl", _MEDIA + " ... pornhub|porno*|pornosite*|internet|online|insta*|snap*", gap=4,
      context="dreigt dreigen dreigde anders zet zetten"),
    r("lov", "enige ... die|wie ... van ^me|mij ^houdt|hou", gap=4),
    r("acute", "vanavond|vannacht|straks|zometeen|nu ^komt|komen|terug",
      context="bang help hulp durf gevaar"),
    r("acute", "vanavond|vannacht|straks|zometeen ... bang", gap=8,
      unless="examen toets tentamen proefwerk presentatie"),
    r("acute", "rijdt|rijden|brengt|brengen|neemt|nemen ^me|mij ... ergens|weg|mee", gap=3,
      context="weet bang help hulp"),
    r("acute", "weet|weten ^niet ^waar", context="auto rijdt brengen brengt meegenomen busje",
      neg="off"),
    r("dec", "nep|fake|gelogen|oplichting|scam",
      context="baan werk vacature job bureau advertentie"),
    r("dec", "zouden|zou ... werk|baan|kamer|geld|papieren|huis geven|regelen|krijgen|betalen|"
      "verdienen", gap=5, context="maar"),
    # acute danger, general: fear or a cry for help together with "now"
    r("acute", "bang|help|hulp|angst|doodsbang ... nu", gap=8,
      unless="examen toets tentamen proefwerk presentatie huiswerk rijexamen",
      context="hij ze hem zij"),
    r("acute", "nu ... bang|doodsbang", gap=8,
      unless="examen toets tentamen proefwerk presentatie huiswerk rijexamen",
      context="hij ze hem zij"),
    r("acute", "ontsnapt|gevlucht|weggelopen|weggerend ... zoeken|zoekt|zoekten|achter", gap=8),
    r("acute", "weet|weten ^niet ^waar ^we|ik ^heen|naartoe"),
    r("acute", "busje|auto|bus|wagen ^gezet|geduwd|getrokken|gesleurd"),
]
# fmt: on
