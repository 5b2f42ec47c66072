"""From counts to the finished report: tables, percentages, suppression, charts, method text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from baken.registration.codebook import (
    CODEBOOK_VERSION,
    UNKNOWN,
    Field,
    code,
    fields_newer_than,
    get,
    mask,
    version_key,
)
from baken.reports.model import Cell, CellKind, Chart, Report, Row, Section, Table
from baken.reports.queries import ReportCounts
from baken.reports.suppression import (
    Protection,
    Tree,
    check_threshold,
    one_way,
    protect,
    protect_cross,
    tree,
    withheld_cross,
)
from baken.reports.texts import MONTHS, t

TYPE_CLASSES = ("sexual", "criminal", "sexual_criminal", "labour", "other", "unknown")


def type_class(types: int | None) -> str:
    """One class per person for cross tables (a person can name several types)."""
    if types is None or types == 0 or types == mask("exploitation_types", UNKNOWN):
        return "unknown"
    sexual = mask("exploitation_types", "sexual")
    criminal = mask("exploitation_types", "criminal")
    if types == sexual:
        return "sexual"
    if types == criminal:
        return "criminal"
    if types == sexual | criminal:
        return "sexual_criminal"
    if types == mask("exploitation_types", "labour"):
        return "labour"
    return "other"


AGE_LEAVES = ("u12", "12_14", "15_17", "minor_unknown", "18_22", "23_29", "30", "adult_unknown")


def age_leaf(age: int | None, minor: int | None) -> str:
    if age is None:
        if minor == code("is_minor", "yes"):
            return "minor_unknown"
        if minor == code("is_minor", "no"):
            return "adult_unknown"
        return "unknown"
    if age < 12:
        return "u12"
    if age < 15:
        return "12_14"
    if age < 18:
        return "15_17"
    if age < 23:
        return "18_22"
    if age < 30:
        return "23_29"
    return "30"


# Issue 17: the rows of the referral tables; service types beyond these are shown by their id.
SERVICE_TYPES = (
    "shelter",
    "youth_care",
    "sexual_violence_centre",
    "legal_aid",
    "labour_inspectorate",
    "police",
    "coordination_centre",
    "interpreter",
    "care",
    "other",
)
CONSENT_ROWS = ("contact", "handoff", "none")
OUTCOME_ROWS = ("arrived", "appointment", "not_arrived", "declined", "unknown", "none")


class _Builder:
    def __init__(self, counts: ReportCounts, threshold: int, lang: str) -> None:
        self.c = counts
        self.threshold = threshold
        self.lang = lang
        totals = counts.years[counts.year]
        self.victims = totals.victims
        self.victims_hidden = 0 < totals.victims < threshold

    def tx(self, key: str, **params: object) -> str:
        return t(key, self.lang, **params)

    # --- generic shapes ---------------------------------------------------------------------

    def _count(self, value: int, hidden: bool) -> Cell:
        return Cell(None, suppressed=True) if hidden else Cell(value)

    def _share(self, value: int, hidden: bool, total: int, total_hidden: bool) -> Cell:
        if hidden or total_hidden:
            return Cell(None, CellKind.PERCENT, suppressed=hidden)
        return Cell(100.0 * value / total if total else None, CellKind.PERCENT)

    def distribution(
        self,
        table_id: str,
        title: str,
        labels: Sequence[str],
        values: Sequence[int],
        *,
        stub: str | None = None,
        chart: bool = False,
    ) -> Table:
        """Categories of one variable and their total (the total is a headline count)."""
        shape = one_way(list(values))
        assert shape.total is not None
        guard = protect(shape.network, self.threshold)
        total = sum(values)
        total_hidden = guard.hidden(shape.total)
        rows = [
            Row(
                label,
                [
                    self._count(v, guard.hidden(i)),
                    self._share(v, guard.hidden(i), total, total_hidden),
                ],
            )
            for label, v, i in zip(labels, values, shape.cells, strict=True)
        ]
        rows.append(
            Row(
                self.tx("row_total"),
                [self._count(total, total_hidden), self._share(total, total_hidden, total, False)],
                total=True,
            )
        )
        table = Table(
            table_id,
            title,
            stub or self.tx("stub_category"),
            [self.tx("col_count"), self.tx("col_share")],
            rows,
            withheld=guard.withheld,
        )
        if guard.withheld:
            table.notes.append(self.tx("withheld_note"))
        if chart and not guard.withheld:
            table.chart = Chart(
                "bar",
                list(labels),
                [
                    (
                        title,
                        [
                            None if guard.hidden(i) else v
                            for v, i in zip(values, shape.cells, strict=True)
                        ],
                    )
                ],
            )
        return table

    def mentions(
        self,
        table_id: str,
        title: str,
        labels: Sequence[str],
        values: Sequence[int],
        *,
        extra: Sequence[tuple[str, int]] = (),
        chart: bool = False,
    ) -> Table:
        """Counts of a multiple-answer question: each stands alone, none adds up to another."""
        all_labels = [*labels, *(label for label, _ in extra)]
        all_values = [*values, *(v for _, v in extra)]
        shape = one_way(all_values, with_total=False)
        guard = protect(shape.network, self.threshold)
        rows = [
            Row(
                label,
                [
                    self._count(v, guard.hidden(i)),
                    self._share(v, guard.hidden(i), self.victims, self.victims_hidden),
                ],
                level=1 if n >= len(labels) else 0,
            )
            for n, (label, v, i) in enumerate(zip(all_labels, all_values, shape.cells, strict=True))
        ]
        notes = [
            self.tx("multi_note"),
            self.tx("base_victims_hidden")
            if self.victims_hidden
            else self.tx("base_victims", n=self.victims),
        ]
        table = Table(
            table_id,
            title,
            self.tx("stub_category"),
            [self.tx("col_count"), self.tx("col_share")],
            rows,
            notes,
        )
        if chart:
            table.chart = Chart(
                "hbar",
                list(labels),
                [
                    (
                        title,
                        [
                            None if guard.hidden(i) else v
                            for v, i in zip(values, shape.cells[: len(values)], strict=True)
                        ],
                    )
                ],
            )
        return table

    # --- codebook fields ----------------------------------------------------------------------

    def _single_values(self, f: Field) -> tuple[list[str], list[int]]:
        by_code = self.c.single[f.id]
        labels, values = [], []
        for value in f.values:
            if value.id == UNKNOWN or (value.retired and not by_code.get(value.code)):
                continue
            labels.append(value.label.get(self.lang))
            values.append(by_code.get(value.code, 0))
        labels.append(f.value(UNKNOWN).label.get(self.lang))  # type: ignore[union-attr]
        values.append(by_code.get(f.code_of(UNKNOWN), 0) + by_code.get(None, 0))
        return labels, values

    def field_table(self, table_id: str, field_id: str, *, chart: bool = False) -> Table:
        labels, values = self._single_values(get(field_id))
        return self.distribution(table_id, self.tx(table_id), labels, values, chart=chart)

    def field_mentions(
        self,
        table_id: str,
        field_id: str,
        *,
        extra: Sequence[tuple[str, int]] = (),
        chart: bool = False,
    ) -> Table:
        f = get(field_id)
        by_code = self.c.multi[field_id]
        labels, values = [], []
        for value in f.values:
            if value.id == UNKNOWN or (value.retired and not by_code.get(value.code)):
                continue
            labels.append(value.label.get(self.lang))
            values.append(by_code.get(value.code, 0))
        labels.append(f.value(UNKNOWN).label.get(self.lang))  # type: ignore[union-attr]
        values.append(by_code.get(f.code_of(UNKNOWN), 0) + by_code.get(None, 0))
        return self.mentions(table_id, self.tx(table_id), labels, values, extra=extra, chart=chart)

    # --- sections -----------------------------------------------------------------------------

    def headline(self) -> Section:
        year = self.c.year
        now, before = self.c.years[year], self.c.years.get(year - 1)
        measures = [
            ("h_persons", "persons"),
            ("h_victims", "victims"),
            ("h_self", "self_victims"),
            ("h_conversations", "request_chats"),
        ]
        # Issue 20: new and returning victims are headline rows, not trend columns.
        headline_measures = [
            *measures[:3],
            ("h_new_victims", "new_victims"),
            ("h_returning_victims", "returning_victims"),
            measures[3],
        ]
        rows = []
        for key, attribute in headline_measures:
            current = int(getattr(now, attribute))
            previous = int(getattr(before, attribute)) if before else 0
            current_hidden = 0 < current < self.threshold
            previous_hidden = 0 < previous < self.threshold
            cells = [self._count(previous, previous_hidden), self._count(current, current_hidden)]
            if current_hidden or previous_hidden or previous == 0:
                cells += [Cell(None, CellKind.CHANGE), Cell(None, CellKind.CHANGE)]
            else:
                cells.append(Cell(current - previous, CellKind.CHANGE))
                cells.append(Cell(100.0 * (current - previous) / previous, CellKind.CHANGE))
            rows.append(Row(self.tx(key), cells))
        headline = Table(
            "headline",
            self.tx("t_headline", year=year, previous=year - 1),
            self.tx("stub_measure"),
            [str(year - 1), str(year), self.tx("col_change"), self.tx("col_change_pct")],
            rows,
        )
        # The trend starts at the first year with any data (a helpline's first year, say).
        active = [y for y, item in self.c.years.items() if item.persons or item.request_chats]
        years = [y for y in sorted(self.c.years) if y >= min(active, default=year)]
        trend_rows = []
        series: dict[str, list[int | None]] = {"persons": [], "victims": [], "self_victims": []}
        for y in years:
            item = self.c.years[y]
            cells = []
            for _, attribute in measures:
                value = int(getattr(item, attribute))
                hidden = 0 < value < self.threshold
                cells.append(self._count(value, hidden))
                if attribute in series:
                    series[attribute].append(None if hidden else value)
            trend_rows.append(Row(str(y), cells))
        trend = Table(
            "trend",
            self.tx("t_trend"),
            self.tx("stub_year"),
            [
                self.tx(key)
                for key in ("chart_persons", "chart_victims", "chart_self", "chart_chats")
            ],
            trend_rows,
            chart=Chart(
                "line",
                [str(y) for y in years],
                [
                    (self.tx("chart_persons"), series["persons"]),
                    (self.tx("chart_victims"), series["victims"]),
                    (self.tx("chart_self"), series["self_victims"]),
                ],
            ),
        )
        return Section("headline", self.tx("s_headline"), tables=[headline, trend])

    def months(self) -> Section:
        labels = MONTHS[self.lang]
        persons = [self.c.persons_by_month.get(m, 0) for m in range(1, 13)]
        victims = [self.c.victims_by_month.get(m, 0) for m in range(1, 13)]
        return Section(
            "month",
            self.tx("s_month"),
            tables=[
                self.distribution(
                    "persons_month",
                    self.tx("t_persons_month"),
                    labels,
                    persons,
                    stub=self.tx("stub_month"),
                ),
                self.distribution(
                    "victims_month",
                    self.tx("t_victims_month"),
                    labels,
                    victims,
                    stub=self.tx("stub_month"),
                    chart=True,
                ),
            ],
        )

    def gender_and_type(self) -> tuple[Section, Section]:
        """Gender and type each as a table protected on its own, then their cross table
        protected within what those two publish (coarsened or withheld, never hiding them)."""
        gender = get("gender")
        genders = [v for v in gender.values if v.id != UNKNOWN] + [gender.value(UNKNOWN)]
        gender_codes: list[set[int | None]] = [
            {v.code} if v.id != UNKNOWN else {v.code, None} for v in genders if v is not None
        ]
        matrix = [[0] * len(TYPE_CLASSES) for _ in gender_codes]
        for (g, types), n in self.c.gender_types.items():
            row = next(i for i, codes in enumerate(gender_codes) if g in codes)
            matrix[row][TYPE_CLASSES.index(type_class(types))] += n
        gender_labels = [v.label.get(self.lang) for v in genders if v is not None]
        type_labels = [self.tx(f"type_{name}") for name in TYPE_CLASSES]
        gender_table = self.distribution(
            "gender", self.tx("t_gender"), gender_labels, [sum(r) for r in matrix]
        )
        type_table = self.distribution(
            "type",
            self.tx("t_type"),
            type_labels,
            [sum(r[j] for r in matrix) for j in range(len(TYPE_CLASSES))],
            chart=True,
        )
        cross = self.cross_table(matrix, gender_table, type_table, gender_labels, type_labels)
        type_section = Section("type", self.tx("s_type"), tables=[type_table])
        gender_section = Section("gender", self.tx("s_gender"), tables=[gender_table, cross])
        return type_section, gender_section

    def cross_table(
        self,
        matrix: list[list[int]],
        rows_table: Table,
        columns_table: Table,
        row_labels: list[str],
        column_labels: list[str],
    ) -> Table:
        def hidden(table: Table) -> set[int]:
            return {i for i, row in enumerate(table.rows[:-1]) if row.cells[0].suppressed}

        row_hidden, column_hidden = hidden(rows_table), hidden(columns_table)
        total = sum(map(sum, matrix))
        total_hidden = rows_table.rows[-1].cells[0].suppressed
        if rows_table.withheld or columns_table.withheld:
            guard = withheld_cross(matrix)
        else:
            guard = protect_cross(
                matrix, row_hidden, column_hidden, self.threshold, total_hidden=total_hidden
            )
        row_totals = [sum(matrix[i]) for i in range(len(matrix))]
        column_totals = [sum(line[j] for line in matrix) for j in range(len(matrix[0]))]

        def margin(values: list[int], group: tuple[int, ...], hidden_margins: set[int]) -> Cell:
            # A merged total is shown only when the one-way table shows every part of it.
            if any(i in hidden_margins for i in group):
                return Cell(None, suppressed=True)
            return Cell(sum(values[i] for i in group))

        rows = [
            Row(
                " + ".join(row_labels[i] for i in group),
                [
                    *(
                        self._count(guard.matrix[g][h], (g, h) in guard.hidden)
                        for h in range(len(guard.columns))
                    ),
                    margin(row_totals, group, row_hidden),
                ],
            )
            for g, group in enumerate(guard.rows)
        ]
        rows.append(
            Row(
                self.tx("row_total"),
                [
                    *(margin(column_totals, group, column_hidden) for group in guard.columns),
                    self._count(total, total_hidden),
                ],
                total=True,
            )
        )
        table = Table(
            "gender_type",
            self.tx("t_gender_type"),
            self.tx("stub_gender"),
            [
                *(" + ".join(column_labels[j] for j in group) for group in guard.columns),
                self.tx("col_total"),
            ],
            rows,
            withheld=guard.withheld,
        )
        if guard.withheld:
            table.notes.append(self.tx("cross_withheld_note"))
        elif guard.coarsened:
            table.notes.append(self.tx("cross_merged_note"))
        return table

    def age(self) -> Section:
        leaves = dict.fromkeys((*AGE_LEAVES, "unknown"), 0)
        known: list[tuple[int, int]] = []
        for (age, minor), n in self.c.ages.items():
            leaves[age_leaf(age, minor)] += n
            if age is not None:
                known.append((age, n))
        shape = Tree(
            {
                "minor": Tree(
                    {
                        "under15": Tree({"u12": leaves["u12"], "12_14": leaves["12_14"]}),
                        "15_17": leaves["15_17"],
                        "minor_unknown": leaves["minor_unknown"],
                    }
                ),
                "adult": Tree(
                    {
                        "18_22": leaves["18_22"],
                        "23_29": leaves["23_29"],
                        "30": leaves["30"],
                        "adult_unknown": leaves["adult_unknown"],
                    }
                ),
                "unknown": leaves["unknown"],
            }
        )
        network, index, total_index = tree(shape)
        guard: Protection = protect(network, self.threshold)
        total = shape.sum()
        total_hidden = guard.hidden(total_index)
        order = [
            ("minor", 0),
            ("under15", 1),
            ("u12", 2),
            ("12_14", 2),
            ("15_17", 1),
            ("minor_unknown", 1),
            ("adult", 0),
            ("18_22", 1),
            ("23_29", 1),
            ("30", 1),
            ("adult_unknown", 1),
            ("unknown", 0),
        ]
        rows = []
        for key, level in order:
            i = index[key]
            value = network.values[i]
            rows.append(
                Row(
                    self.tx(f"age_{key}"),
                    [
                        self._count(value, guard.hidden(i)),
                        self._share(value, guard.hidden(i), total, total_hidden),
                    ],
                    total=key in ("minor", "adult", "under15"),
                    level=level,
                )
            )
        rows.append(
            Row(
                self.tx("row_total"),
                [self._count(total, total_hidden), self._share(total, total_hidden, total, False)],
                total=True,
            )
        )
        groups = Table(
            "age",
            self.tx("t_age"),
            self.tx("stub_category"),
            [self.tx("col_count"), self.tx("col_share")],
            rows,
            withheld=guard.withheld,
        )
        if guard.withheld:
            groups.notes.append(self.tx("withheld_note"))
        else:
            chart_keys = ["u12", "12_14", "15_17", "18_22", "23_29", "30"]
            groups.chart = Chart(
                "bar",
                [self.tx(f"age_{k}") for k in chart_keys],
                [
                    (
                        groups.title,
                        [
                            None if guard.hidden(index[k]) else network.values[index[k]]
                            for k in chart_keys
                        ],
                    )
                ],
            )
        n_known = sum(n for _, n in known)
        enough = n_known >= self.threshold
        # Youngest and oldest only tell which groups are empty, which a table that shows its
        # zeros tells anyway; a withheld table hides exactly that, so they go with it.
        extremes_shown = enough and not guard.withheld
        # The mean is a sum in disguise: in whole years its sum is uncertain by n_known years,
        # and it is left out whenever an age group is hidden, because together with the
        # groups, the youngest and the oldest it could bound a hidden group (docs/reports.md).
        mean_shown = enough and not guard.suppressed
        mean = (2 * sum(a * n for a, n in known) + n_known) // (2 * n_known) if n_known else 0

        def stat(value: int, shown: bool, kind: CellKind) -> Cell:
            if not n_known:
                return Cell(None, kind)
            return Cell(value, kind) if shown else Cell(None, kind, suppressed=True)

        stats = Table(
            "age_stats",
            self.tx("t_age_stats"),
            self.tx("stub_measure"),
            [self.tx("col_value")],
            [
                Row(self.tx("age_mean"), [stat(mean, mean_shown, CellKind.NUMBER)]),
                Row(
                    self.tx("age_min"),
                    [stat(min((a for a, _ in known), default=0), extremes_shown, CellKind.COUNT)],
                ),
                Row(
                    self.tx("age_max"),
                    [stat(max((a for a, _ in known), default=0), extremes_shown, CellKind.COUNT)],
                ),
            ],
        )
        if n_known and not mean_shown:
            stats.notes.append(self.tx("age_mean_note"))
        return Section("age", self.tx("s_age"), tables=[groups, stats])

    def new_and_returning(self) -> Section:
        """Victims first seen this year, and victims first seen earlier who asked again this
        year: type of exploitation and whether they are still in it (issue 20)."""
        tables = []
        for group_id, group in (("new", self.c.new), ("returning", self.c.returning)):
            types = dict.fromkeys(TYPE_CLASSES, 0)
            now_field = get("in_exploitation_now")
            now_by_code: dict[int | None, int] = {}
            for (stored_types, now), n in group.types_now.items():
                types[type_class(stored_types)] += n
                now_by_code[now] = now_by_code.get(now, 0) + n
            tables.append(
                self.distribution(
                    f"{group_id}_type",
                    self.tx(f"t_{group_id}_type"),
                    [self.tx(f"type_{name}") for name in TYPE_CLASSES],
                    list(types.values()),
                )
            )
            labels, values = [], []
            for value in now_field.values:
                if value.id == UNKNOWN or (value.retired and not now_by_code.get(value.code)):
                    continue
                labels.append(value.label.get(self.lang))
                values.append(now_by_code.get(value.code, 0))
            labels.append(now_field.value(UNKNOWN).label.get(self.lang))  # type: ignore[union-attr]
            values.append(now_by_code.get(now_field.code_of(UNKNOWN), 0) + now_by_code.get(None, 0))
            tables.append(
                self.distribution(f"{group_id}_now", self.tx(f"t_{group_id}_now"), labels, values)
            )
        return Section(
            "new_returning",
            self.tx("s_new_returning"),
            paragraphs=[self.tx("m_new_returning")],
            tables=tables,
        )

    def referrals(self) -> Section:
        """Issue 17: where chats referred people, what the visitors consented to, and what became
        of it, from the referrals table, with the same suppression as every table."""
        made = self.c.referrals
        types = made.get("service_type", {})
        known = [k for k in SERVICE_TYPES if k in types]
        extra = sorted(k for k in types if k not in SERVICE_TYPES)
        type_ids = known + extra
        type_labels = [
            self.tx(f"service_{k}") if k in SERVICE_TYPES else k.replace("_", " ") for k in type_ids
        ]
        consent = made.get("consent_level", {})
        outcome = made.get("outcome", {})
        return Section(
            "referrals_made",
            self.tx("s_referrals_made"),
            paragraphs=[self.tx("m_referrals_made")],
            tables=[
                self.distribution(
                    "t_referred_to",
                    self.tx("t_referred_to"),
                    type_labels,
                    [types[k] for k in type_ids],
                    stub=self.tx("stub_service_type"),
                ),
                self.distribution(
                    "t_consent_level",
                    self.tx("t_consent_level"),
                    [self.tx(f"consent_{k}") for k in CONSENT_ROWS],
                    [consent.get(k, 0) for k in CONSENT_ROWS],
                ),
                self.distribution(
                    "t_referral_outcome",
                    self.tx("t_referral_outcome"),
                    [self.tx(f"outcome_{k}") for k in OUTCOME_ROWS],
                    [outcome.get(k, 0) for k in OUTCOME_ROWS],
                ),
            ],
        )

    def version_notes(self) -> list[str]:
        """Say so when the year has registrations of an older codebook version: fields added
        later read as unknown there."""
        versions = sorted(self.c.codebook_versions, key=version_key)
        newer = fields_newer_than(versions[0]) if versions else ()
        if not newer:
            return []
        fields = ", ".join(f"'{f.label.get(self.lang)}' ({f.since})" for f in newer)
        return [self.tx("m_versions", versions=", ".join(versions), fields=fields)]

    def build(self, organisation: str, today: date) -> Report:
        type_section, gender_section = self.gender_and_type()
        relations = self.field_mentions(
            "t_relations",
            "perpetrator_relations",
            extra=[(self.tx("parent_any"), self.c.parent_perpetrator)],
            chart=True,
        )
        known = self.field_mentions(
            "t_known", "known_to", extra=[(self.tx("care_or_police"), self.c.care_or_police)]
        )
        sections = [
            Section(
                "method",
                self.tx("s_method"),
                paragraphs=[
                    self.tx(f"m_unit_{self.c.rule.value.replace('-', '_')}"),
                    self.tx(
                        f"m_rule_{self.c.rule.value.replace('-', '_')}", date=today.isoformat()
                    ),
                    self.tx("m_values"),
                    self.tx("m_counts"),
                    self.tx("m_source"),
                    self.tx("m_suppression", threshold=self.threshold),
                    self.tx("m_unknown"),
                    *self.version_notes(),
                    self.tx("codebook_version", version=CODEBOOK_VERSION),
                ],
            ),
            self.headline(),
            self.new_and_returning(),
            self.months(),
            type_section,
            self.age(),
            gender_section,
            Section(
                "origin",
                self.tx("s_origin"),
                tables=[self.field_table("t_origin", "origin")],
            ),
            Section(
                "situation",
                self.tx("s_situation"),
                tables=[
                    self.field_table("t_now", "in_exploitation_now"),
                    self.field_table("t_duration", "exploitation_duration", chart=True),
                ],
            ),
            Section(
                "perpetrators",
                self.tx("s_perpetrators"),
                tables=[
                    relations,
                    self.field_table("t_multiple", "multiple_perpetrators"),
                    self.field_table("t_clients", "clients_involved"),
                    self.field_table("t_siblings", "siblings_exploited"),
                ],
            ),
            Section(
                "disclosure",
                self.tx("s_disclosure"),
                tables=[self.field_table("t_first", "first_disclosure"), known],
            ),
            Section(
                "language",
                self.tx("s_language"),
                tables=[
                    self.field_table("t_language", "language"),
                    self.field_table("t_region", "region"),
                ],
            ),
            Section(
                "actions",
                self.tx("s_actions"),
                tables=[
                    self.field_mentions("t_referrals", "referrals"),
                    self.field_mentions("t_safety", "emergency_actions"),
                    self.field_table("t_risk", "risk_level"),
                ],
            ),
            self.referrals(),
        ]
        # Table ids without the text-key prefix, for csv/json consumers.
        for table in (tb for s in sections for tb in s.tables):
            table.id = table.id.removeprefix("t_")
        year = self.c.year
        notes = [
            self.tx("rule_line", rule=self.c.rule.value),
            self.tx("codebook_version", version=CODEBOOK_VERSION),
            self.tx("threshold_line", below=self.threshold - 1, threshold=self.threshold)
            if self.threshold > 1
            else self.tx("no_threshold_line"),
            self.tx("suppressed_mark"),
        ]
        provisional = year >= today.year
        if provisional:
            notes.append(self.tx("incomplete_year", year=year))
        return Report(
            year=year,
            lang=self.lang,
            title=self.tx("report_title"),
            subtitle=self.tx("report_subtitle", org=organisation, year=year),
            organisation=organisation,
            codebook_version=CODEBOOK_VERSION,
            threshold=self.threshold,
            generated_on=today.isoformat(),
            provisional=provisional,
            notes=notes,
            sections=sections,
            rule=self.c.rule.value,
        )


def build_report(
    counts: ReportCounts, *, threshold: int, lang: str, organisation: str, today: date
) -> Report:
    check_threshold(threshold)
    return _Builder(counts, threshold, "en" if lang == "en" else "nl").build(organisation, today)
