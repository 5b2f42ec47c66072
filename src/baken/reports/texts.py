"""The report's own words in Dutch and English (the codebook carries the field and value labels).

The report is a document that is also made offline (``baken report``), so its text lives here
rather than in the web interface's catalogues.
"""

from __future__ import annotations

from baken.registration.codebook import Text

T: dict[str, Text] = {
    "report_title": Text(
        "Jaarrapport hulpvragen over mensenhandel",
        "Yearly report: help requests about human trafficking",
    ),
    "report_subtitle": Text("Chats van {org}, {year}", "Chats of {org}, {year}"),
    "generated": Text("Gemaakt op {date}", "Made on {date}"),
    "codebook_version": Text("Codeboek versie {version}", "Codebook version {version}"),
    "rule_line": Text("Telregel: {rule}", "Counting rule: {rule}"),
    "threshold_line": Text(
        "Aantallen van 1 tot en met {below} zijn afgeschermd (drempel {threshold}).",
        "Counts from 1 to {below} are suppressed (threshold {threshold}).",
    ),
    "no_threshold_line": Text(
        "Drempel 1: er is niets afgeschermd. Niet geschikt om te publiceren.",
        "Threshold 1: nothing is suppressed. Not suitable for publication.",
    ),
    "incomplete_year": Text(
        "Let op: {year} is nog niet voorbij; de cijfers zijn voorlopig.",
        "Note: {year} has not ended yet; the figures are provisional.",
    ),
    "suppressed_mark": Text("x = afgeschermd (klein aantal)", "x = suppressed (small number)"),
    "withheld_note": Text(
        "Deze tabel is in zijn geheel afgeschermd: de aantallen zijn te klein om veilig te tonen.",
        "This table is withheld as a whole: the counts are too small to show safely.",
    ),
    "cross_withheld_note": Text(
        "De cellen zijn afgeschermd (te klein). Totalen: zie de tabellen naar gender en vorm.",
        "The cells are withheld (too small). Totals: see the tables by gender and by type.",
    ),
    "cross_merged_note": Text(
        "Groepen met weinig slachtoffers zijn hier samengevoegd (met +).",
        "Groups with few victims are combined here (joined with +).",
    ),
    "age_mean_note": Text(
        "Gemiddelde in hele jaren; alleen als geen leeftijdsgroep is afgeschermd.",
        "Mean in whole years; given only when no age group is suppressed.",
    ),
    "multi_note": Text(
        "Meerdere antwoorden mogelijk: de aantallen tellen niet op tot het totaal.",
        "Several answers possible: the counts do not add up to the total.",
    ),
    "base_victims": Text("Basis: {n} slachtoffers", "Base: {n} victims"),
    "base_victims_hidden": Text(
        "Basis: slachtoffers (aantal afgeschermd)", "Base: victims (count suppressed)"
    ),
    # columns
    "col_count": Text("aantal", "count"),
    "col_share": Text("%", "%"),
    "col_change": Text("verschil", "change"),
    "col_change_pct": Text("verschil %", "change %"),
    "col_total": Text("totaal", "total"),
    "col_value": Text("waarde", "value"),
    "stub_category": Text("categorie", "category"),
    "stub_measure": Text("telling", "measure"),
    "stub_month": Text("maand", "month"),
    "stub_year": Text("jaar", "year"),
    "stub_gender": Text("gender", "gender"),
    "row_total": Text("totaal", "total"),
    # sections and tables
    "s_method": Text("Methode en definities", "Method and definitions"),
    "s_headline": Text("Kerncijfers", "Headline figures"),
    "s_new_returning": Text("Nieuwe en terugkerende slachtoffers", "New and returning victims"),
    "m_new_returning": Text(
        "Nieuw: slachtoffers die dit jaar meetellen en dit jaar voor het eerst in beeld kwamen. "
        "Terugkerend: slachtoffers die in een eerder jaar voor het eerst in beeld kwamen en dit "
        "jaar een hulpvraag over mensenhandel hadden; zij kunnen in een eerder jaar al zijn "
        "geteld.",
        "New: victims counted this year who first came into view this year. Returning: victims "
        "first seen in an earlier year who had a help request about human trafficking this year; "
        "they may have been counted in an earlier year already.",
    ),
    "t_new_type": Text(
        "Nieuwe slachtoffers naar vorm van uitbuiting", "New victims by type of exploitation"
    ),
    "t_new_now": Text(
        "Nieuwe slachtoffers: nog in uitbuiting", "New victims: still in exploitation"
    ),
    "t_returning_type": Text(
        "Terugkerende slachtoffers naar vorm van uitbuiting",
        "Returning victims by type of exploitation",
    ),
    "t_returning_now": Text(
        "Terugkerende slachtoffers: nog in uitbuiting", "Returning victims: still in exploitation"
    ),
    "s_month": Text("Per maand", "Per month"),
    "s_type": Text("Vorm van uitbuiting", "Type of exploitation"),
    "s_age": Text("Leeftijd", "Age"),
    "s_gender": Text("Gender", "Gender"),
    "s_situation": Text("Situatie", "Situation"),
    "s_perpetrators": Text("Daders", "Perpetrators"),
    "s_disclosure": Text("Eerder verteld en bekend bij", "Disclosure and known to"),
    "s_origin": Text("Herkomst", "Origin"),
    "s_language": Text("Taal en regio", "Language and region"),
    "s_actions": Text("Doorverwijzing en veiligheid", "Referrals and safety"),
    "t_headline": Text(
        "Kerncijfers {year} en {previous}", "Headline figures {year} and {previous}"
    ),
    "t_trend": Text("Meerjarig verloop", "Multi-year trend"),
    "t_persons_month": Text(
        "Personen met een hulpvraag over mensenhandel per maand",
        "Persons with a help request about trafficking per month",
    ),
    "t_victims_month": Text("Slachtoffers per maand", "Victims per month"),
    "t_type": Text("Slachtoffers naar vorm van uitbuiting", "Victims by type of exploitation"),
    "t_age": Text("Slachtoffers naar leeftijd", "Victims by age"),
    "t_age_stats": Text(
        "Leeftijd van slachtoffers met bekende leeftijd", "Age of victims whose age is known"
    ),
    "t_gender": Text("Slachtoffers naar gender", "Victims by gender"),
    "t_gender_type": Text(
        "Slachtoffers naar gender en vorm van uitbuiting",
        "Victims by gender and type of exploitation",
    ),
    "t_now": Text(
        "Nog in uitbuiting ten tijde van de chat", "Still in exploitation at the time of the chat"
    ),
    "t_duration": Text("Duur van de uitbuiting", "Duration of the exploitation"),
    "t_relations": Text("Relatie tot dader(s)", "Relation to the perpetrator(s)"),
    "t_multiple": Text("Meerdere daders", "Multiple perpetrators"),
    "t_clients": Text("Klanten betrokken", "Clients involved"),
    "t_siblings": Text("Broers/zussen ook uitgebuit", "Siblings also exploited"),
    "t_first": Text("Eerste keer verteld", "First disclosure"),
    "t_known": Text("Al bekend bij", "Already known to"),
    "t_language": Text("Taal van de chat", "Language of the chat"),
    "t_region": Text("Regio", "Region"),
    "t_origin": Text("Herkomst van slachtoffers", "Origin of victims"),
    "t_referrals": Text("Doorverwijzingen", "Referrals"),
    # Issue 17: the referrals table (docs/referrals.md).
    "s_referrals_made": Text("Doorverwijzingen vanuit de chat", "Referrals from the chat"),
    "m_referrals_made": Text(
        "Geteld per voorstel van een hulpverlener in de chat, uit de vastgelegde doorverwijzingen"
        " (niet uit de gesprekken zelf), in het jaar waarin het voorstel is gedaan.",
        "Counted per proposal a counselor made in the chat, from the recorded referrals (never"
        " from the conversations themselves), in the year the proposal was made.",
    ),
    "t_referred_to": Text("Doorverwezen naar (soort hulp)", "Referred to (type of service)"),
    "t_consent_level": Text("Toestemming van de bezoeker", "Consent level"),
    "t_referral_outcome": Text("Uitkomst van doorverwijzingen", "Outcome of referrals"),
    "stub_service_type": Text("Soort hulp", "Type of service"),
    "consent_contact": Text("Alleen contactgegevens", "Contact details only"),
    "consent_handoff": Text("Warme overdracht", "Warm hand-off"),
    "consent_none": Text("Geen (afgewezen of geen antwoord)", "None (declined or no answer)"),
    "outcome_arrived": Text("Aangekomen", "Arrived"),
    "outcome_appointment": Text("Afspraak gemaakt", "Appointment made"),
    "outcome_not_arrived": Text("Niet aangekomen", "Did not arrive"),
    "outcome_declined": Text("Afgewezen", "Declined"),
    "outcome_unknown": Text("Onbekend", "Unknown"),
    "outcome_none": Text("Niet vastgelegd", "Not recorded"),
    "service_shelter": Text("Opvang", "Shelter"),
    "service_youth_care": Text("Jeugdzorg", "Youth care"),
    "service_sexual_violence_centre": Text("Centrum Seksueel Geweld", "Sexual violence centre"),
    "service_legal_aid": Text("Juridische hulp", "Legal aid"),
    "service_labour_inspectorate": Text("Arbeidsinspectie", "Labour inspectorate"),
    "service_police": Text("Politie", "Police"),
    "service_coordination_centre": Text("Coördinatiecentrum", "Coordination centre"),
    "service_interpreter": Text("Tolk", "Interpreter"),
    "service_care": Text("Zorg", "Care"),
    "service_other": Text("Anders", "Other"),
    "t_safety": Text("Veiligheidsacties", "Safety actions"),
    "t_risk": Text("Ingeschat risico", "Assessed risk"),
    # headline rows
    "h_persons": Text(
        "Personen met een hulpvraag over mensenhandel",
        "Persons with a help request about human trafficking",
    ),
    "h_victims": Text("Slachtoffers (alle melders)", "Victims (any reporter)"),
    "h_self": Text("Slachtoffers die zelf chatten", "Self-reporting victims"),
    "h_new_victims": Text(
        "Nieuwe slachtoffers (dit jaar voor het eerst in beeld)",
        "New victims (first seen this year)",
    ),
    "h_returning_victims": Text(
        "Terugkerende slachtoffers (eerder in beeld, dit jaar een hulpvraag)",
        "Returning victims (seen before, help request this year)",
    ),
    "h_conversations": Text(
        "Chats met een hulpvraag over mensenhandel",
        "Chats with a help request about human trafficking",
    ),
    # derived categories
    "type_sexual": Text("alleen seksueel", "sexual only"),
    "type_criminal": Text("alleen crimineel", "criminal only"),
    "type_sexual_criminal": Text("seksueel én crimineel", "sexual and criminal"),
    "type_labour": Text("alleen arbeid", "labour only"),
    "type_other": Text("andere of meerdere vormen", "other or several types"),
    "type_unknown": Text("onbekend", "unknown"),
    "age_minor": Text("minderjarig", "minor"),
    "age_under15": Text("jonger dan 15", "under 15"),
    "age_u12": Text("jonger dan 12", "under 12"),
    "age_12_14": Text("12–14", "12–14"),
    "age_15_17": Text("15–17", "15–17"),
    "age_minor_unknown": Text("minderjarig, leeftijd onbekend", "minor, exact age unknown"),
    "age_adult": Text("volwassen", "adult"),
    "age_18_22": Text("18–22", "18–22"),
    "age_23_29": Text("23–29", "23–29"),
    "age_30": Text("30 of ouder", "30 or older"),
    "age_adult_unknown": Text("volwassen, leeftijd onbekend", "adult, exact age unknown"),
    "age_unknown": Text("onbekend", "unknown"),
    "age_known": Text("leeftijd bekend", "age known"),
    "age_mean": Text("gemiddelde leeftijd", "mean age"),
    "age_min": Text("jongste", "youngest"),
    "age_max": Text("oudste", "oldest"),
    "parent_any": Text(
        "waarvan een ouder (vader, moeder, stief- of pleegouder)",
        "of which a parent (father, mother, step or foster parent)",
    ),
    "care_or_police": Text(
        "bekend bij hulpverlening of politie", "known to care services or police"
    ),
    "chart_persons": Text("personen", "persons"),
    "chart_victims": Text("slachtoffers", "victims"),
    "chart_self": Text("zelf chattend", "self-reporting"),
    "chart_chats": Text("chats", "chats"),
    # method
    "m_unit_first_seen": Text(
        "Eenheid: een persoon (een casus). Gesprekken van dezelfde persoon zijn aan één casus "
        "gekoppeld (via de terugkeercode of door de hulpverlener). Telregel 'first-seen' (de "
        "methode van het CKM): een persoon telt mee in het jaar waarin die voor het eerst in "
        "beeld kwam (het eerste gesprek van de casus), als een hulpverlener in een van de "
        "gesprekken van die persoon een hulpvraag over mensenhandel registreerde, en in geen "
        "ander jaar: elke persoon wordt over alle jaren heen één keer geteld.",
        "Unit: a person (a case). Conversations of the same person are linked to one case (by the "
        "return code or by a counselor). Counting rule 'first-seen' (the CKM method): a person "
        "counts in the year they first came into view (the first conversation of the case), if a "
        "counselor registered a help request about human trafficking in any of their "
        "conversations, and in no other year: across all years every person is counted once.",
    ),
    "m_unit_first_request": Text(
        "Eenheid: een persoon (een casus). Gesprekken van dezelfde persoon zijn aan één casus "
        "gekoppeld (via de terugkeercode of door de hulpverlener). Telregel 'first-request': een "
        "persoon telt mee in het jaar van het eerste gesprek waarin de hulpverlener een hulpvraag "
        "over mensenhandel registreerde, en in geen ander jaar: elke persoon wordt over alle "
        "jaren heen één keer geteld.",
        "Unit: a person (a case). Conversations of the same person are linked to one case (by the "
        "return code or by a counselor). Counting rule 'first-request': a person counts in the "
        "year of the first conversation in which a counselor registered a help request about "
        "human trafficking, and in no other year: across all years every person is counted once.",
    ),
    "m_rule_first_seen": Text(
        "Een gepubliceerd jaar kan daardoor later nog groeien: vraagt iemand die in dat jaar "
        "voor het eerst in beeld kwam pas later om hulp bij mensenhandel, dan telt die persoon "
        "alsnog mee in dat eerdere jaar. Deze cijfers geven de gegevens weer zoals ze waren op "
        "{date}. Met de telregel 'first-request' telt zo iemand in het jaar van de eerste "
        "hulpvraag.",
        "A published year can therefore still grow: when someone first seen in that year asks "
        "for help about trafficking only later, that person is added to the earlier year. These "
        "figures show the data as it was on {date}. Under the counting rule 'first-request' such a "
        "person counts in the year of their first help request instead.",
    ),
    "m_rule_first_request": Text(
        "Deze cijfers geven de gegevens weer zoals ze waren op {date}. Dit is niet de methode van "
        "het CKM: met de telregel 'first-seen' telt een persoon in het jaar waarin die voor het "
        "eerst in beeld kwam.",
        "These figures show the data as it was on {date}. This is not the CKM method: under the "
        "counting rule 'first-seen' a person counts in the year they first came into view.",
    ),
    "m_values": Text(
        "Per persoon geldt voor elk veld de laatst bekende waarde tot het einde van het jaar van "
        "de eerste hulpvraag; bij terugkerende slachtoffers tot het einde van het rapportjaar. "
        "'Onbekend' overschrijft nooit een eerder bekende waarde. Jaar en maand volgen de "
        "Nederlandse tijd.",
        "For each person every field takes its latest known value up to the end of the year of "
        "their first help request; for returning victims up to the end of the report year. "
        "'Unknown' never overwrites a value known before. Year and month follow Dutch time.",
    ),
    "m_counts": Text(
        "Drie kerncijfers: (1) personen met een hulpvraag over mensenhandel; (2) slachtoffers, "
        "door "
        "wie ook gemeld: de hulpverlener schatte de persoon in als slachtoffer of vermoedelijk "
        "slachtoffer; (3) slachtoffers die zelf chatten. De tabellen na de kerncijfers gaan over "
        "slachtoffers (2). Het aantal chats telt alle gesprekken met een hulpvraag in het jaar.",
        "Three headline counts: (1) persons with a help request about human trafficking; (2) "
        "victims, whoever reported: the counselor assessed the person as a victim or presumed "
        "victim; (3) self-reporting victims. The tables after the headline figures describe "
        "victims (2). The number of chats counts every conversation with a help request in the "
        "year.",
    ),
    "m_source": Text(
        "Bron: uitsluitend de gecodeerde registraties van hulpverleners. Gespreksteksten, namen en "
        "andere vrije tekst worden nooit gelezen en komen niet in dit rapport.",
        "Source: only the coded registrations made by counselors. Conversation texts, names and "
        "other free text are never read and never reach this report.",
    ),
    "m_suppression": Text(
        "Afscherming: aantallen van 1 tot de drempel ({threshold}) worden niet getoond (x). Waar "
        "een totaal een afgeschermd aantal zou verraden, wordt ook een ander aantal afgeschermd, "
        "zodat uit de gepubliceerde totalen niet af te leiden is of een afgeschermd aantal klein "
        "is. Nullen worden wel getoond. Elke tabel wordt apart afgeschermd; een kruistabel "
        "verbergt nooit een getal dat een andere tabel toont, maar voegt zo nodig groepen samen "
        "of wordt weggelaten. Jongste en oudste leeftijd staan er alleen bij als de leeftijd van "
        "minstens {threshold} personen bekend is; de gemiddelde leeftijd is afgerond op hele "
        "jaren en staat er alleen bij als bovendien geen leeftijdsgroep is afgeschermd.",
        "Suppression: counts from 1 up to the threshold ({threshold}) are not shown (x). Where a "
        "total would reveal a suppressed count, another count is suppressed as well, so that the "
        "published totals do not even show whether a suppressed count is small. Zeros are shown. "
        "Each table is protected on its own; a cross table never hides a number another table "
        "shows, but combines groups or is left out instead. Youngest and oldest age are given "
        "only when the age of at least {threshold} persons is known; the mean age is rounded to "
        "whole years and given only when, in addition, no age group is suppressed.",
    ),
    "m_versions": Text(
        "De registraties van dit jaar zijn gemaakt met codeboekversies {versions}. Velden die "
        "later zijn toegevoegd, {fields}, ontbreken in registraties met een oudere versie en "
        "tellen daar als 'onbekend'.",
        "This year's registrations were made with codebook versions {versions}. Fields added "
        "later, {fields}, are missing from registrations made with an older version and count "
        "as 'unknown' there.",
    ),
    "m_unknown": Text(
        "'Onbekend' omvat ook velden die niet zijn ingevuld.",
        "'Unknown' includes fields that were not filled in.",
    ),
}

MONTHS = {
    "nl": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def t(key: str, lang: str, **params: object) -> str:
    text = T[key].get(lang)
    return text.format(**params) if params else text
