"""English: the second language of the chats, with chat spelling ("im", "hes", "rn", "bf")."""

from __future__ import annotations

from baken.signals.rules import RuleSpec, r

STEM = False
NEG_FORWARD = 0
CANONICAL = {
    "im": "i", "i'm": "i", "ive": "i", "ill": "i", "id": "id", "hes": "he", "he's": "he",
    "hell": "he", "he'll": "he", "hed": "he", "shes": "she", "she'll": "she", "theyre": "they",
    "theyll": "they", "theyve": "they", "theyd": "they", "u": "you", "ur": "your", "r": "are",
    "pls": "please", "plz": "please", "bf": "boyfriend", "gf": "girlfriend", "nite": "night",
    "tonite": "tonight", "2nite": "tonight", "rn": "now", "no1": "nobody", "noone": "nobody",
    "cuz": "because", "coz": "because", "cos": "because", "bc": "because", "gonna": "going",
    "gotta": "must", "hafta": "must", "wanna": "want", "can't": "cant", "cannot": "cant",
    "pic": "pics", "pix": "pics", "vid": "videos", "vids": "videos", "fone": "phone",
    "ppl": "people", "mum": "mom", "mam": "mom", "mommy": "mom", "mummy": "mom",
}  # fmt: skip
NEGATORS = (
    "not never no nobody nothing dont doesnt didnt isnt wasnt arent werent hasnt havent hadnt "
    "wont wouldnt none neither nor"
)
CLAUSE_WORDS = "but because although though except while"
META_WORDS = (
    "project essay assignment presentation documentary docu homework research article thesis "
    "podcast novel series movie news lesson"
)

_PARENTS = "parents mom dad father mother grandma grandpa"
_OBL = "make|makes|made|making|force|forced|forces|forcing|must|has|have|had"
_DOCS = (
    "passport*|id|ids|documents|papers|visa|permit|permits|license|licence|bankcard|card|cards|"
    "residence"
)
_DRUGS = "drugs|drug|coke|cocaine|weed|pills|heroin|crack|packages|package|parcels|parcel|county"
_MEDIA = "pics|photos|photo|pictures|picture|videos|video|nudes|images|recordings|screenshots"
_FAMILY = (
    "family|mom|dad|father|mother|sister|brother|kids|children|daughter|son|parents|grandma|"
    "grandpa|baby"
)
_KILL_HYPERBOLE = f"lol lmao haha jk joke joking {_PARENTS} sister brother teacher boss coach"

# fmt: off
RULES: list[RuleSpec] = [
    # deception
    r("dec", "promised|promise|promises|promising job|work|papers|visa|money|pay|wage*|house|"
      "room|hotel|restaurant|modeling|modelling|model|future|marriage|documents|school|education|"
      "salary|trip", gap=6),
    r("dec", "said|told|say|says|claimed hotel|restaurant|cleaning|model|modeling|nanny|au|"
      "factory|farm|work|job|trip|free|papers|visa|salary|money", gap=6,
      context="but turned turns actually different else fake lied lie really back never nothing"),
    r("dec", "something|completely|totally ^else|different",
      context="said told promised thought would"),
    r("dec", "fake ^job|agency|offer|contract|ad|advert|jobs"),
    r("dec", "lied|lying|tricked|deceived|scammed job|work|papers|trip|money|pay", gap=5),
    # restriction of movement
    r("rom", "not|never ^allowed|let leave|out|outside|go|alone|house|flat|room|apartment|"
      "building|farm|site", gap=3, neg="outer",
      unless=f"{_PARENTS} grounded curfew party"),
    r("rom", "cant leave", gap=3, neg="outer", unless=f"{_PARENTS} grounded party work early"),
    r("rom", "cant go ^out|outside", gap=3, neg="outer", unless=f"{_PARENTS} grounded party"),
    r("rom", "doesnt|dont|wont|didnt|never ^let|allow me|us leave|go|out|outside", gap=2,
      neg="outer", unless=f"{_PARENTS} grounded party"),
    r("rom", "locked|lock|locks|locking me|us|in|inside|up", gap=2, unless="phone bike car"),
    r("rom", "tracks|track|tracking|tracked|follows|monitors|checks location|where", gap=4),
    r("rom", "knows|know|sees|see|watches|checks ^where ^i|we", gap=2, unless=_PARENTS),
    r("rom", "guarded|guards|guard"),
    r("rom", "someone|somebody|he|they|always|guard comes|goes|come ^with ^me|us", gap=3,
      unless=_PARENTS),
    r("rom iso", "app|spyware|tracker|stalkerware|gps phone", gap=4),
    r("rom", "held|kept ^captive|prisoner|hostage"),
    # isolation
    r("iso", "took|takes|take|taken|has|keeps|kept|broke|smashed|confiscated|stole|takes my|her|"
      "our|the ^phone|phones|mobile|sim|cell", unless=f"{_PARENTS} gaming grounded teacher school "
      "late brother sister"),
    r("iso", "checks|check|checking|reads|read|goes ... phone|messages|texts|dms|chats|whatsapp|"
      "insta|snap*", gap=4, unless=_PARENTS),
    r("iso", "cant|not|never|havent|hasnt|wasnt|werent talk|call|text|message|see|contact|speak|"
      "visit mom|dad|father|mother|family|friends|anyone|anybody|parents|sister|brother|home|"
      "nobody|people", gap=3,
      neg="outer", unless="about"),
    r("iso", "stop|stopped seeing|talking|calling|texting family|friends|mom|parents|everyone",
      gap=3),
    r("iso", "delete|deleted|block|blocked|unfriend* friends|contacts|family|everyone|numbers",
      gap=3),
    r("iso", "friends delete|deleted|block|blocked ... them", gap=8),
    r("iso", "isolat*"),
    r("iso", "cut|cuts|cutting ^me|us|her ^off"),
    # physical and sexual violence
    r("vio", "hit|hits|hitting ^me|her|us", unless="up"),
    r("vio", "beat|beats|beaten|beating ^me|her|us|up"),
    r("vio", "raped|rape|raping|rapes|assaulted|molested|strangled|strangles|choked|chokes|choke|"
      "punched|punches|slapped|slaps|slap|kicked|kicks|bruises|bruised"),
    r("vio", "abused|abusing|abuses ^me|her|us"),
    r("vio", "hurt|hurts|hurting ^me|her|us", unless="feelings"),
    r("vio", "pushed|shoves|shoved|pushes|burned|burnt|burns ^me|her"),
    r("vio", "black ^and ^blue"),
    r("vio", "head against wall|door|table|floor", gap=2),
    r("vio", "forced|forces|made|makes himself|sex|touch", gap=2, unless="onlyfans cam"),
    r("vio", "touched|touches ... without|inappropriately", gap=3),
    # intimidation and threats
    r("thr", "threaten*|threat|threats"),
    r("thr", "hurt|kill|harm|hunt " + _FAMILY, gap=3),
    r("thr", "kill|kills|killing|murder|hurt|end me|you|us ... if|when|unless leave|run|tell|talk|"
      "go|police|stop|say|no|escape|report", gap=4, neg="outer", unless=_KILL_HYPERBOLE),
    r("thr", "find|finds|track ^me|you wherever|anywhere|everywhere", gap=2),
    r("thr", "call|report|tell|calls|reports|hand immigration|deport*|border", gap=3),
    r("thr", "get|have|send ^me|us deported"),
    r("thr", "or ^else"),
    r("thr", "otherwise he|they send|post|kill|hurt|tell|share", gap=2),
    r("thr onl", "send|post|share|leak|show|spread " + _MEDIA + " ... parents|mom|dad|school|"
      "everyone|online|internet|family|friends|insta*|snap*", gap=4,
      context="if unless otherwise threat threatens threatened threatening says said will"),
    r("thr onl", "leak|post|share|spread " + _MEDIA, gap=2,
      context="if unless otherwise threat threatens threatened threatening"),
    # retention of documents
    r("doc", "took|takes|take|taken|keeps|keep|kept|holds|holding|hold|confiscated|stole|stolen|"
      "hides|hid|has " + _DOCS, gap=3,
      unless=f"{_PARENTS} renew expired lost apply holiday"),
    r("doc", "they|he|she|boss|bosses|employer|man|agency|agent|landlord has|have ... " + _DOCS,
      gap=3, unless=_PARENTS),
    r("doc", _DOCS + " ... with|at boss|him|them|employer|agency|agent|landlord|he|they", gap=3,
      unless=_PARENTS),
    r("doc", _DOCS + " ... taken|confiscated|kept|held", gap=3, unless=_PARENTS),
    # withholding of wages
    r("wag", "give|hand|gives|hands|giving|handing all|every|everything|money|earnings|cash|pay|"
      "wages|salary|tips", gap=3, unless=_PARENTS),
    r("wag", "havent|hasnt|not|never|didnt|doesnt|dont|wasnt|werent paid|pay|wages|salary|wage|"
      "money|cent|penny", gap=3, neg="outer", unless="bills bill rent fine ticket"),
    r("wag", "get|got|getting|receive|earn ^nothing"),
    r("wag", "get|got|getting|receive|earn ^no ^money|pay|wages"),
    r("wag", "no ^pay|wages|salary"),
    r("wag", "bring|brings|bringing|hand ^him|them|back ... money|cash|earnings", gap=2),
    r("wag", "keeps|keep|kept|takes|take|took|holds|withholds|withheld|steals money|wages|pay|"
      "salary|earnings|tips|cash|everything|all", gap=3, unless=_PARENTS),
    r("wag", "money|earnings|cash|everything goes|go|went ^to him|them|boss|pimp", gap=3),
    # debt bondage
    r("debt", "owe|owes|owed|owing them|him|boss|man|guy|they|he|her|trip|travel|flight|#100|"
      "thousand|thousands|agency|smuggler", gap=3, neg="back",
      unless="apology sorry explanation favour favor"),
    r("debt", "debt|debts|indebted", neg="back",
      unless="student loan loans credit bank mortgage uni university college tax"),
    r("lov debt", "buys|bought|gives|gave|pays|paid ... back|owe|repay", gap=8),
    # abusive working and living conditions
    r("cond", "sleep|sleeping|sleeps|slept|live|living|lives warehouse|shed|barn|container|factory|"
      "workshop|floor|van|garage|basement|greenhouse|stable|site|kitchen", gap=4),
    r("cond", "#8|ten|twelve|fifteen|twenty ^of ^us room|rooms|house|container|flat|sleep|bed|beds",
      gap=4),
    r("cond", "#8|ten|twelve|fifteen|twenty ^people|men|women|workers room|rooms|container|flat|"
      "sleep|bed|beds", gap=4),
    r("cond", "#12 ^hours|hrs|hour day|days|night|shift|daily", gap=2),
    r("cond", "no|never|without|zero ^days|day|break|breaks|rest|food|water|sleep|weekend",
      neg="back"),
    r("cond", "never day|days ^off", gap=2, neg="off"),
    r("cond", "seven|7 ^days week", gap=2),
    # abuse of vulnerability
    r("vul", "nowhere ^to|else go|stay|sleep|live", gap=2, neg="back"),
    r("vul", "undocumented|homeless|runaway"),
    r("vul", "no ^papers|visa|status|documents|permit", neg="off"),
    r("vul", "am|are|here|stay|staying|live illegally|illegal|undocumented", gap=2),
    r("vul", "live|living|sleep|sleeping|slept|ended on ^the ^street|streets", gap=2),
    r("vul", "kicked|thrown|threw out", gap=2),
    r("vul", "addicted|addiction|hooked"),
    r("vul", "gives|give|gave|giving ^me|us drugs|weed|coke|pills|crack|heroin|alcohol|booze|stuff",
      gap=2),
    r("vul", "can|could ^stay|live|sleep|crash ... his|him|their if", gap=4),
    r("vul", "takes|taking|took ^advantage"),
    # forced sex work
    r("sex", "sleep|sleeping|sex|do with men|guys|clients|johns|strangers|older", gap=3),
    r("sex", "sleep|sleeping|sex with ^his|their ^friends|mates", gap=1),
    r("sex", "see|seeing|meet|meeting|do|entertain clients|men|johns|punters", gap=2,
      unless="salon shop store restaurant cafe bar"),
    r("sex", "sex|sleep|sleeping|blowjob*|stuff for ^money|cash|drugs|rent|food", gap=5),
    r("sex", "prostitut*|escort*|brothel|pimp|pimped|pimping|hooker"),
    r("sex", "make|makes|made|making|force|forced|forces|forcing sex|prostitut*|escort*|sleep",
      gap=4),
    r("sex", "ads|ad|adverts|advert|listing ^of|for ^me|her"),
    r("sex", "men|guys|clients come|visit|visits|coming|came flat|house|room|hotel|over", gap=3),
    r("sex", "flat|house|room|hotel|apartment where ^men|guys|clients", gap=1),
    r("sex", "nice ^to friends|men|guys", gap=2, context="pay pays paid money"),
    r("sex", "work|working men|guys|clients", gap=4, context="other older him pimp boyfriend"),
    r("sex", "go|goes|going|went ^with ^clients|men|guys|johns"),
    r("sex onl", _OBL + " cam|webcam|camera|onlyfans|livestream*|stream|streaming", gap=5),
    # forced criminal activity
    r("crim", "carry|carrying|carried|deliver|delivering|sell|selling|sold|move|moving|transport|"
      "transporting|smuggle|smuggling|hide|hiding|hold|run|running|stash|drop " + _DRUGS, gap=4,
      unless="amazon dpd ups fedex postnl job shift"),
    r("crim", _DRUGS + " lines"),
    r("crim", _OBL + "|keep deal|dealing|steal|stealing|shoplift*|rob|robbing|burgl*|break|"
      "launder*|scam|scamming|carry|carrying", gap=3),
    r("crim", "use|using|used|uses|borrow|lend account|accounts|card", gap=3, unless=_PARENTS),
    r("crim", "account|accounts ... move|moving|transfer|launder", gap=3),
    r("crim", "mule|mules|runner|runners", unless="documentary"),
    # online coercion
    r("onl", "nudes|nude|sexting|sextortion|dickpic*", neg="back"),
    r("onl", "naked|sexy ^pics|photos|pictures|videos|images|video"),
    r("onl", "has|have|got|keeps|kept|saved " + _MEDIA + " ^of ^me|her|us", gap=2,
      unless=f"{_PARENTS} holiday vacation"),
    r("onl", "blackmail*|extort*|sextort*"),
    r("onl", "send ^more|nudes|pics", context="wants want if dont unless threat threatens"),
    r("onl", "groom*"),
    # loverboy grooming
    r("lov", "if ^you|i ^love|loved ^me|him|you", neg="off"),
    r("lov", "for ^us", context="boyfriend he him lover"),
    r("lov", "loverboy|loverboys", unless="explain means meaning exactly recognise recognize"),
    r("lov", "lover ^boy"),
    r("lov", "boyfriend|he|guy|man #21", gap=1),
    r("lov", "at ^first boyfriend|relationship|loved|nice|sweet now", gap=4),
    r("lov", "only ^one ... have|loves|cares", gap=3),
    r("lov", "princess|angel", context="buys gifts older presents"),
    r("lov", "boyfriend|lover|girlfriend", requires="sex crim wag debt iso rom", neg="off"),
    # acute danger
    r("acute", "outside|downstairs|door|doorstep|window now|tonight", gap=3),
    r("acute", "he|they outside|downstairs|door|doorstep", gap=3,
      context="help scared now please afraid"),
    r("acute rom", "i|we|am|are|been|being locked|trapped|held|tied", gap=2,
      unless="used when ago years phone out"),
    r("acute rom", "locked|trapped ^me|us room|in|inside|up", gap=2,
      unless="used when ago years little"),
    r("acute", "in ^danger", neg="back"),
    r("acute", "danger now", gap=2),
    r("acute", "coming|come ^for|after|to ^me|get|kill|take", unless=f"{_PARENTS} pick"),
    r("acute vio", "has|had|holding|holds|pulled|pointing|points|got|grabbed|waving knife|gun|"
      "weapon|pistol|machete", gap=3),
    r("acute vio", "hitting|beating|kicking|choking|strangling ^me|us|her now|help", gap=2),
    r("acute", "looking|searching|hunting ^for ^me now|everywhere", gap=3),
    r("acute", "ran|run|escaped|fled ... looking|searching|hunting ^for", gap=6),
    r("acute", "ran|run|escaped|fled ... chasing|chase", gap=6),
    r("acute", "he|they|she ^still|now ^here"),
    r("acute", "he|they|she here ^now"),
    r("acute", "going ^to hurt|kill|take|get ... tonight|now|today", gap=4,
      unless=_KILL_HYPERBOLE),
    r("acute", "help ^me|us now|asap|quick|quickly", gap=2,
      unless="something question homework question"),
    r("acute", "call ^the ^police|ambulance|cops", context="please can could someone now"),
    r("acute", "call 911|999|112", context="please can could someone now"),
    r("acute", "kidnapped|abducted"),
    r("acute", "dont ^know ^where ^i", neg="off"),
    r("acute", "do ^not ^know ^where ^i", neg="off"),
    r("acute", "kill|hurt ^me|us tonight|now|today", gap=2, unless=_KILL_HYPERBOLE),
    r("acute", "scared|afraid|terrified tonight|now|coming|back", gap=5,
      unless="exam test grades presentation", context="he him they them she"),
    # added after the first fresh batch (t437-t470)
    r("rom", "cant|not|never ... go|leave ... anywhere|out ... without", gap=3, neg="outer"),
    r("rom", "cant|cannot ^get|go ^out", unless=f"{_PARENTS} grounded party"),
    r("rom", "they|he ^lock|locks|locked ... gate|gates|door|doors|us|me"),
    r("iso", "changed|changes|controls|has ... password|passwords|account|accounts", gap=2),
    r("iso", "reads|read|checks ^everything|all", context="phone messages texts he she"),
    r("vio", "threw|throws|slammed|slams|pinned ^me|her|us"),
    r("vio", "grabbed|grabs|grab ^me|her ... throat|neck|hair", gap=3),
    r("thr", "regret ... if|when", gap=3),
    r("thr", "know|knows ^where ^my|your " + _FAMILY + " ... live|lives|is|are", gap=2),
    r("doc", "hand|handed ^in|over ... " + _DOCS, gap=3),
    r("doc", "had|have|must ^to ^give|surrender ... " + _DOCS, gap=3),
    r("wag", "deduct*|deduction*|takes|take ... rent|food|fines|costs", gap=4,
      context="wages pay salary money end left"),
    r("wag", "end ^up ^with ^nothing"),
    r("wag", "left ^with ^nothing"),
    r("cond", "work|working|worked ... till|until|to ^midnight|2am|3am|4am", gap=6),
    r("cond", "#8|ten|twelve|fifteen|twenty ^people|men|women|workers ... share|bathroom|toilet|"
      "mattress", gap=3),
    r("vul", "ran ^away ... home|house|care|foster", gap=2),
    r("sex", "sells|sold|selling|rents|rented|offers|pimps ^me|her|us ... men|guys|clients|to",
      gap=2),
    r("crim", "hold|hide|keep|stash|store ^stuff|things|bags|drugs|packages|gear ^for ^them|him"),
    r("crim", _OBL + " ... sell|selling|deal|dealing", gap=6,
      context="them they towns town cities county lines him",
      unless="bike car clothes phone house tickets"),
    r("onl", _MEDIA + " ... porn|sites|site|pornhub|internet|online", gap=4,
      context="threat threatens threatened threatening if unless otherwise"),
    r("acute", "driving|taking|takes|took ^me ... somewhere|away", gap=2,
      context="dont know scared help afraid"),
    r("acute", "dont|do ^not ^know ^where", context="driving taking car van took", neg="off"),
    r("acute", "hiding|hide", context="looking searching coming find outside door"),
    # acute danger, general: fear or a cry for help together with "now"
    r("acute", "scared|afraid|terrified|help ... now", gap=8,
      unless="exam test grades presentation homework",
      context="he him they them she"),
    r("acute", "now ... scared|afraid|terrified", gap=8,
      unless="exam test grades presentation homework",
      context="he him they them she"),
    r("acute", "escaped|fled ... looking|searching|after", gap=8),
    r("acute", "dont|do ^not ^know ^where ^we|were|they ... going|taking", gap=2, neg="off"),
    r("acute", "put|pushed|dragged|forced|threw ^me|us ... van|car|trunk|boot", gap=3),
]
# fmt: on
