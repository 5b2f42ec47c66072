"""``baken demo seed``: synthetic cases, conversations and registrations, fast.

Everything is generated column-wise with numpy from one seed, so the same seed gives the same
data. Conversations are metadata rows only (no messages) with a real wrapped key, so they are
valid conversations for every other part of Baken. On SQLite the rows go in through the standard
library driver with ``executemany`` in large transactions (a million registrations in well under
two minutes); other databases get batched SQLAlchemy Core inserts.

The report bookkeeping (``cases.first_request_at``, the representative registration's
``report_year``/``report_month`` and the ``report_persons`` rows) is computed here with the same
rule as ``baken.registration.repository.refresh_case``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import insert, select

from baken.config import Settings
from baken.crypto.envelope import MasterKey, new_data_key
from baken.crypto.keyfile import load_or_create_master_key
from baken.demo import distributions as d
from baken.registration.codebook import CODEBOOK_VERSION, FIELDS, UNKNOWN, Kind, code, get, mask
from baken.registration.periods import REPORT_TIMEZONE, year_bounds
from baken.registration.person_values import PERSON_FIELDS
from baken.store.database import Database
from baken.store.migrate import upgrade_async
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository
from baken.store.tables import cases, conversations, registrations, report_persons

Progress = Callable[[str, int, int], None]
IntArray = NDArray[np.int64]
BATCH = 50_000
NULL = -1
FIELD_IDS = tuple(f.id for f in FIELDS)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SeedError(Exception):
    pass


def parse_years(text: str) -> list[int]:
    """``2019-2023``, ``2021`` or ``2019,2021``."""
    years: set[int] = set()
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                low, high = (int(x) for x in part.split("-", 1))
                if high < low:
                    raise SeedError(f"{part}: the range runs backwards")
                years.update(range(low, high + 1))
            else:
                years.add(int(part))
    except ValueError:
        raise SeedError(f"{text!r} is not a year or a range of years like 2019-2023") from None
    if not years or min(years) < 2000 or max(years) > 2100:
        raise SeedError("years must lie between 2000 and 2100")
    return sorted(years)


@dataclass
class Generated:
    """All rows, column-wise. Codes are -1 where the column is NULL."""

    seed: int
    case_ids: list[str] = field(default_factory=list)
    case_first_seen: list[IntArray] = field(default_factory=list)
    conv_ids: list[str] = field(default_factory=list)
    conv_case: list[IntArray] = field(default_factory=list)
    conv_time: list[IntArray] = field(default_factory=list)
    conv_year: list[IntArray] = field(default_factory=list)
    values: dict[str, list[IntArray]] = field(default_factory=dict)

    def column(self, name: str) -> IntArray:
        return np.concatenate(self.values[name]) if self.values[name] else np.empty(0, np.int64)


def _pick(rng: np.random.Generator, weights: d.Weights, field_id: str, n: int) -> IntArray:
    f = get(field_id)
    codes = np.array([f.code_of(v) for v, _ in weights], dtype=np.int64)
    p = np.array([w for _, w in weights], dtype=np.float64)
    return codes[rng.choice(len(codes), size=n, p=p / p.sum())]


def _pick_sets(
    rng: np.random.Generator,
    weights: Sequence[tuple[tuple[str, ...], float]],
    field_id: str,
    n: int,
) -> IntArray:
    masks = np.array([mask(field_id, *values) for values, _ in weights], dtype=np.int64)
    p = np.array([w for _, w in weights], dtype=np.float64)
    return masks[rng.choice(len(masks), size=n, p=p / p.sum())]


def _personas(rng: np.random.Generator, n: int) -> dict[str, IntArray]:
    """Per person values, consistent with the codebook's rules."""
    v: dict[str, IntArray] = {}
    request = _pick(rng, d.TRAFFICKING_REQUEST, "trafficking_request", n)
    v["trafficking_request"] = request
    with_request = _pick(rng, d.VICTIM_IF_REQUEST, "victim_assessment", n)
    without = _pick(rng, d.VICTIM_IF_NO_REQUEST, "victim_assessment", n)
    v["victim_assessment"] = np.where(
        request == code("trafficking_request", "yes"), with_request, without
    )
    v["contact_role"] = _pick(rng, d.CONTACT_ROLE, "contact_role", n)
    v["gender"] = _pick(rng, d.GENDER, "gender", n)
    bands = np.array([(lo, hi) for lo, hi, _ in d.AGE_BANDS], dtype=np.int64)
    p = np.array([w for *_, w in d.AGE_BANDS])
    band = rng.choice(len(bands), size=n, p=p / p.sum())
    age = rng.integers(bands[band, 0], bands[band, 1] + 1)
    known = rng.random(n) < d.AGE_KNOWN
    minor_known = rng.random(n) < d.MINOR_KNOWN_WITHOUT_AGE
    yes, no, unknown = (code("is_minor", x) for x in ("yes", "no", "unknown"))
    v["age"] = np.where(known, age, NULL)
    v["is_minor"] = np.where(known | minor_known, np.where(age < 18, yes, no), unknown)
    v["exploitation_types"] = _pick_sets(rng, d.TYPES, "exploitation_types", n)
    v["in_exploitation_now"] = _pick(rng, d.IN_EXPLOITATION_NOW, "in_exploitation_now", n)
    v["exploitation_duration"] = _pick(rng, d.DURATION, "exploitation_duration", n)
    v["perpetrator_relations"] = _pick_sets(rng, d.RELATIONS, "perpetrator_relations", n)
    v["multiple_perpetrators"] = _pick(rng, d.MULTIPLE_PERPETRATORS, "multiple_perpetrators", n)
    v["clients_involved"] = _pick(rng, d.CLIENTS, "clients_involved", n)
    v["siblings_exploited"] = _pick(rng, d.SIBLINGS, "siblings_exploited", n)
    v["first_disclosure"] = _pick(rng, d.FIRST_DISCLOSURE, "first_disclosure", n)
    v["known_to"] = _pick_sets(rng, d.KNOWN_TO, "known_to", n)
    indicators = np.zeros(n, dtype=np.int64)
    for value_id, chance in d.INDICATORS:
        indicators |= np.where(rng.random(n) < chance, mask("indicators", value_id), 0)
    v["indicators"] = np.where(indicators == 0, mask("indicators", "unknown"), indicators)
    v["risk_level"] = _pick(rng, d.RISK, "risk_level", n)
    v["emergency_actions"] = _pick_sets(rng, d.EMERGENCY, "emergency_actions", n)
    v["consent_level"] = _pick(rng, d.CONSENT, "consent_level", n)
    v["referrals"] = _pick_sets(rng, d.REFERRALS, "referrals", n)
    v["language"] = _pick(rng, d.LANGUAGE, "language", n)
    v["region"] = _pick(rng, d.REGION, "region", n)
    v["origin"] = _pick(rng, d.ORIGIN, "origin", n)
    # Fields that do not apply to someone who is not a victim are stored empty.
    not_victim = v["victim_assessment"] == code("victim_assessment", "not_victim")
    for f in FIELDS:
        if f.not_applicable_when:
            v[f.id] = np.where(not_victim, NULL, v[f.id])
    return v


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _times(rng: np.random.Generator, year: int, n: int) -> IntArray:
    """Moments in ``year`` (Dutch time), mostly evenings and nights, as UTC microseconds."""
    start, end = year_bounds(year)
    days = (end - start).days
    hours = np.array(d.HOUR_WEIGHTS, dtype=np.float64)
    local = (
        rng.integers(0, days, n) * 86_400_000_000
        + rng.choice(24, size=n, p=hours / hours.sum()) * 3_600_000_000
        + rng.integers(0, 3_600_000_000, n)
    )
    # Local wall time to UTC: one hour in winter, two in summer time.
    summer_start = _micros(_last_sunday(year, 3)) - _micros(start)
    summer_end = _micros(_last_sunday(year, 10)) - _micros(start)
    shift = np.where((local >= summer_start) & (local < summer_end), 3_600_000_000, 0)
    moments: IntArray = np.clip(_micros(start) + local - shift, _micros(start), _micros(end) - 1)
    return moments


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month + 1, 1, 1, tzinfo=UTC) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def generate(years: Sequence[int], per_year: int, seed: int) -> Generated:
    if per_year < 1:
        raise SeedError("--per-year must be at least 1")
    out = Generated(seed=seed, values={f: [] for f in FIELD_IDS})
    persona_parts: dict[str, list[IntArray]] = {f: [] for f in FIELD_IDS}
    previous_cases: IntArray = np.empty(0, np.int64)
    case_count = 0
    for year in years:
        rng = np.random.default_rng([seed, year])
        n_return = round(per_year * d.RETURN_FROM_LAST_YEAR) if previous_cases.size else 0
        n_repeat = round(per_year * d.REPEAT_SAME_YEAR)
        n_new = max(1, per_year - n_return - n_repeat)
        n_repeat = per_year - n_new - n_return
        new_times = _times(rng, year, n_new)
        new_cases = np.arange(case_count, case_count + n_new, dtype=np.int64)
        case_count += n_new
        out.case_ids.extend(f"k_demo{seed}_{year}_{i}" for i in range(n_new))
        out.case_first_seen.append(new_times)
        for f, column in _personas(rng, n_new).items():
            persona_parts[f].append(column)
        pick = rng.integers(0, n_new, n_repeat)
        _, end = year_bounds(year)
        span = _micros(end) - 1 - new_times[pick]
        repeat_times = new_times[pick] + (rng.random(n_repeat) * span).astype(np.int64)
        returning = (
            previous_cases[rng.integers(0, previous_cases.size, n_return)]
            if n_return
            else np.empty(0, np.int64)
        )
        conv_case = np.concatenate([new_cases, new_cases[pick], returning])
        conv_time = np.concatenate([new_times, repeat_times, _times(rng, year, n_return)])
        out.conv_case.append(conv_case)
        out.conv_time.append(conv_time)
        out.conv_year.append(np.full(conv_case.size, year, dtype=np.int64))
        out.conv_ids.extend(f"c_demo{seed}_{year}_{i:07d}" for i in range(conv_case.size))
        personas = {f: np.concatenate(parts) for f, parts in persona_parts.items()}
        for f in FIELD_IDS:
            out.values[f].append(personas[f][conv_case])
        # A later visit is not always about trafficking again.
        later = np.arange(conv_case.size) >= n_new
        again = rng.random(conv_case.size) < 0.85
        fresh = _pick(rng, d.TRAFFICKING_REQUEST, "trafficking_request", conv_case.size)
        out.values["trafficking_request"][-1] = np.where(
            later & ~again, fresh, out.values["trafficking_request"][-1]
        )
        previous_cases = new_cases
    return out


@dataclass
class Units:
    case_first_request: IntArray  # per case, -1 if none
    report_year: IntArray  # per conversation, -1 if not the representative
    report_month: IntArray


def units(g: Generated) -> Units:
    """Same rule as refresh_case: first request moment per case; the last request conversation
    in that (local) year represents the case."""
    case = np.concatenate(g.conv_case)
    time = np.concatenate(g.conv_time)
    year = np.concatenate(g.conv_year)
    request = g.column("trafficking_request") == code("trafficking_request", "yes")
    n_cases = len(g.case_ids)
    first_request = np.full(n_cases, NULL, dtype=np.int64)
    report_year = np.full(case.size, NULL, dtype=np.int64)
    report_month = np.full(case.size, NULL, dtype=np.int64)
    idx = np.flatnonzero(request)
    if idx.size == 0:
        return Units(first_request, report_year, report_month)
    # Conversation ids sort like their position, so position breaks ties like the id does.
    ordered = idx[np.lexsort((idx, time[idx], case[idx]))]
    grouped = case[ordered]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    sizes = np.diff(np.r_[starts, ordered.size])
    first_rows = ordered[starts]
    first_request[grouped[starts]] = time[first_rows]
    first_year = np.repeat(year[first_rows], sizes)
    same_year = (year[ordered] == first_year).astype(np.int64)
    representative = ordered[starts + np.add.reduceat(same_year, starts) - 1]
    report_year[representative] = year[first_rows]
    report_month[representative] = _local_months(time[first_rows], year[first_rows])
    return Units(first_request, report_year, report_month)


def _local_months(times: IntArray, years: IntArray) -> IntArray:
    months = np.zeros(times.size, dtype=np.int64)
    for y in np.unique(years):
        starts = np.array(
            [
                _micros(datetime(int(y), m, 1, tzinfo=REPORT_TIMEZONE).astimezone(UTC))
                for m in range(1, 13)
            ]
        )
        chosen = years == y
        months[chosen] = np.searchsorted(starts, times[chosen], side="right")
    return months


@dataclass
class PersonYears:
    """Rows of ``report_persons``, column-wise (see registration/person_values.py)."""

    case: IntArray
    year: IntArray
    seen_year: IntArray
    seen_month: IntArray
    request_year: IntArray  # -1: never
    request_month: IntArray
    request: IntArray
    counted_first_seen: IntArray  # -1 except on the row of the first request's year
    counted_first_request: IntArray
    returning_year: IntArray  # -1 unless first seen earlier and asked again this year
    values: dict[str, IntArray]


def _known(field_id: str, column: IntArray) -> NDArray[np.bool_]:
    kind = get(field_id).kind
    known: NDArray[np.bool_] = column != NULL
    if kind is not Kind.INT:
        known &= column != 0
    if kind is Kind.MULTI:
        known &= column != mask(field_id, UNKNOWN)
    return known


def person_years(g: Generated, u: Units) -> PersonYears:
    """Same rule as person_values.person_years: per case and local year with a registration, the
    latest known value of every field up to the end of that year."""
    case = np.concatenate(g.conv_case)
    time = np.concatenate(g.conv_time)
    year = np.concatenate(g.conv_year)
    position = np.arange(case.size)
    ordered = np.lexsort((position, time, case))
    s_case, s_year = case[ordered], year[ordered]
    case_start = np.flatnonzero(np.r_[True, s_case[1:] != s_case[:-1]])
    start_of = np.repeat(case_start, np.diff(np.r_[case_start, case.size]))
    group_start = np.flatnonzero(
        np.r_[True, (s_case[1:] != s_case[:-1]) | (s_year[1:] != s_year[:-1])]
    )
    group_last = np.r_[group_start[1:], case.size] - 1
    row_case = s_case[group_start]
    first_seen = time[ordered[case_start]]
    seen_year = np.repeat(year[ordered[case_start]], np.diff(np.r_[case_start, case.size]))
    seen_month = _local_months(first_seen, year[ordered[case_start]])
    seen_month = np.repeat(seen_month, np.diff(np.r_[case_start, case.size]))
    request_at = u.case_first_request[row_case]
    has_request = request_at != NULL
    request_year = np.full(row_case.size, NULL, dtype=np.int64)
    request_month = np.full(row_case.size, NULL, dtype=np.int64)
    if has_request.any():
        years = _local_years(request_at[has_request])
        request_year[has_request] = years
        request_month[has_request] = _local_months(request_at[has_request], years)
    yes = g.column("trafficking_request")[ordered] == code("trafficking_request", "yes")
    request = np.maximum.reduceat(yes.astype(np.int64), group_start)
    values: dict[str, IntArray] = {}
    sorted_position = np.arange(case.size)
    for field_id in PERSON_FIELDS:
        column = g.column(field_id)[ordered]
        known_at = np.where(_known(field_id, column), sorted_position, -1)
        last_known = np.maximum.accumulate(known_at)[group_last]
        # Nothing known yet in this case: the first explicit "unknown", if any.
        big = case.size
        first_set = np.minimum.reduceat(np.where(column != NULL, sorted_position, big), case_start)
        first_set = np.repeat(first_set, np.diff(np.r_[case_start, case.size]))[group_last]
        in_case = last_known >= start_of[group_last]
        chosen = np.where(in_case, last_known, np.where(first_set <= group_last, first_set, -1))
        values[field_id] = np.where(chosen >= 0, column[np.maximum(chosen, 0)], NULL)
    row_year = s_year[group_start]
    row_seen = seen_year[group_start]
    anchor = row_year == request_year
    return PersonYears(
        case=row_case,
        year=row_year,
        seen_year=row_seen,
        seen_month=seen_month[group_start],
        request_year=request_year,
        request_month=request_month,
        request=request,
        counted_first_seen=np.where(anchor, row_seen, NULL),
        counted_first_request=np.where(anchor, request_year, NULL),
        returning_year=np.where((request == 1) & (row_seen < row_year), row_year, NULL),
        values=values,
    )


def _local_years(times: IntArray) -> IntArray:
    low = int(np.datetime64(int(times.min()), "us").astype(object).year) - 1
    high = int(np.datetime64(int(times.max()), "us").astype(object).year) + 1
    starts = np.array([_micros(year_bounds(y)[0]) for y in range(low, high + 2)])
    found: IntArray = low + np.searchsorted(starts, times, side="right") - 1
    return found


# --- writing ----------------------------------------------------------------------------------


def _stamp(micros: IntArray) -> list[str]:
    """UTC microseconds as the text SQLAlchemy stores for DateTime on SQLite."""
    text = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us")
    return [s.replace("T", " ") for s in text.tolist()]


def _nullable(column: IntArray) -> list[int | None]:
    return [None if x == NULL else x for x in column.tolist()]


def _rows(
    g: Generated, u: Units, p: PersonYears, master: MasterKey, organisation: str
) -> Iterator[tuple[str, list[tuple[object, ...]], int]]:
    """Batches of rows: ("cases" | "conversations" | "registrations" | "report_persons", rows,
    count)."""
    first_seen = np.concatenate(g.case_first_seen)
    for start in range(0, len(g.case_ids), BATCH):
        stop = min(start + BATCH, len(g.case_ids))
        seen = _stamp(first_seen[start:stop])
        first = u.case_first_request[start:stop]
        first_text = _stamp(np.where(first == NULL, 0, first))
        rows: list[tuple[object, ...]] = [
            (
                g.case_ids[i],
                organisation,
                seen[k],
                None if first[k] == NULL else first_text[k],
                seen[k],
            )
            for k, i in enumerate(range(start, stop))
        ]
        yield "cases", rows, len(rows)
    case = np.concatenate(g.conv_case)
    time = np.concatenate(g.conv_time)
    columns = {f: g.column(f) for f in FIELD_IDS}
    language = columns["language"]
    en = code("language", "en")
    key_id = master.key_id
    total = case.size
    for start in range(0, total, BATCH):
        stop = min(start + BATCH, total)
        created = time[start:stop]
        stamps = _stamp(created)
        accepted = _stamp(created + 90_000_000)
        ended = _stamp(created + 1_500_000_000)
        case_ids = [g.case_ids[c] for c in case[start:stop].tolist()]
        conversation_ids = g.conv_ids[start:stop]
        is_english = (language[start:stop] == en).tolist()
        conv_rows: list[tuple[object, ...]] = [
            (
                conversation_id,
                organisation,
                "ended",
                0,
                "en" if english else "nl",
                stamps[k],
                accepted[k],
                ended[k],
                "visitor",
                master.wrap(conversation_id, new_data_key()),
                key_id,
                case_ids[k],
            )
            for k, (conversation_id, english) in enumerate(
                zip(conversation_ids, is_english, strict=True)
            )
        ]
        yield "conversations", conv_rows, 0
        field_values = [_nullable(columns[f][start:stop]) for f in FIELD_IDS]
        years = _nullable(u.report_year[start:stop])
        months = _nullable(u.report_month[start:stop])
        reg_rows: list[tuple[object, ...]] = [
            (
                conversation_ids[k],
                organisation,
                case_ids[k],
                CODEBOOK_VERSION,
                1,
                stamps[k],
                years[k],
                months[k],
                stamps[k],
                stamps[k],
                *values,
            )
            for k, values in enumerate(zip(*field_values, strict=True))
        ]
        yield "registrations", reg_rows, len(reg_rows)
    for start in range(0, p.case.size, BATCH):
        stop = min(start + BATCH, p.case.size)
        person_columns = [
            p.year[start:stop].tolist(),
            p.seen_year[start:stop].tolist(),
            p.seen_month[start:stop].tolist(),
            _nullable(p.request_year[start:stop]),
            _nullable(p.request_month[start:stop]),
            p.request[start:stop].tolist(),
            _nullable(p.counted_first_seen[start:stop]),
            _nullable(p.counted_first_request[start:stop]),
            _nullable(p.returning_year[start:stop]),
            *(_nullable(p.values[f][start:stop]) for f in PERSON_FIELDS),
        ]
        person_cases = [g.case_ids[c] for c in p.case[start:stop].tolist()]
        person_rows: list[tuple[object, ...]] = [
            (organisation, person_cases[k], *values)
            for k, values in enumerate(zip(*person_columns, strict=True))
        ]
        yield "report_persons", person_rows, 0


CASE_COLUMNS = ("id", "organisation_id", "first_seen_at", "first_request_at", "created_at")
CONVERSATION_COLUMNS = (
    "id", "organisation_id", "state", "priority", "lang", "created_at", "accepted_at",
    "ended_at", "ended_by", "wrapped_key", "key_id", "case_id",
)  # fmt: skip
REGISTRATION_COLUMNS = (
    "conversation_id", "organisation_id", "case_id", "codebook_version", "version", "started_at",
    "report_year", "report_month", "created_at", "updated_at", *FIELD_IDS,
)  # fmt: skip
PERSON_COLUMNS = (
    "organisation_id", "case_id", "year", "first_seen_year", "first_seen_month",
    "first_request_year", "first_request_month", "request", "counted_first_seen",
    "counted_first_request", "returning_year", *PERSON_FIELDS,
)  # fmt: skip
COLUMNS = {
    "cases": CASE_COLUMNS,
    "conversations": CONVERSATION_COLUMNS,
    "registrations": REGISTRATION_COLUMNS,
    "report_persons": PERSON_COLUMNS,
}
# Columns the seed leaves at their "nothing yet" value.
CONVERSATION_ZEROS = (
    "last_seq", "visitor_read_seq", "visitor_delivered_seq", "counselor_read_seq",
    "counselor_delivered_seq",
)  # fmt: skip


def _sqlite_insert(table: str) -> str:
    names = list(COLUMNS[table])
    values = ["?"] * len(names)
    if table == "conversations":
        names += list(CONVERSATION_ZEROS)
        values += ["0"] * len(CONVERSATION_ZEROS)
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(values)})"  # noqa: S608


def _write_sqlite(
    path: str,
    batches: Iterator[tuple[str, list[tuple[object, ...]], int]],
    progress: Progress | None,
    total: int,
) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        # Demo data can be made again: trading the per-commit fsync for speed is fine here.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA cache_size=-200000")
        statements = {table: _sqlite_insert(table) for table in COLUMNS}
        done = 0
        conn.execute("BEGIN")
        for table, rows, count in batches:
            conn.executemany(statements[table], rows)
            if table != "conversations":
                conn.execute("COMMIT")
                conn.execute("BEGIN")
            if table == "registrations":
                done += count
                if progress:
                    progress("registrations", done, total)
        conn.execute("COMMIT")
    except sqlite3.IntegrityError as exc:
        conn.execute("ROLLBACK")
        raise SeedError(
            "these demo rows exist already (same --seed and years?); use another --seed"
        ) from exc
    finally:
        conn.close()


async def _write_sqlalchemy(
    db: Database,
    batches: Iterator[tuple[str, list[tuple[object, ...]], int]],
    progress: Progress | None,
    total: int,
) -> None:
    tables = {
        "cases": cases,
        "conversations": conversations,
        "registrations": registrations,
        "report_persons": report_persons,
    }
    done = 0
    for table, rows, count in batches:
        names = COLUMNS[table]
        dicts: list[dict[str, object]] = []
        for row in rows:
            item = dict(zip(names, row, strict=True))
            for name, value in item.items():
                if isinstance(value, str) and name.endswith("_at") and value:
                    item[name] = datetime.fromisoformat(value).replace(tzinfo=UTC)
            if table == "registrations":
                item["started_at"] = item["created_at"]
            if table == "conversations":
                item.update(dict.fromkeys(CONVERSATION_ZEROS, 0))
            dicts.append(item)
        async with db.writer.begin() as conn:
            for part in range(0, len(dicts), 5_000):
                await conn.execute(insert(tables[table]), dicts[part : part + 5_000])
        if table == "registrations":
            done += count
            if progress:
                progress("registrations", done, total)


async def seed(
    settings: Settings,
    years: Sequence[int],
    per_year: int = d.DEFAULT_PER_YEAR,
    seed_value: int = 1,
    progress: Progress | None = None,
    organisation_id: str = DEFAULT_ORGANISATION,
) -> int:
    """Generate and store demo data; returns the number of registrations written."""
    await upgrade_async(settings)
    master, _ = load_or_create_master_key(settings.master_key, settings.data_dir)
    db = Database(settings)
    try:
        await StaffRepository(db).ensure_organisation(settings.organisation_name, organisation_id)
        async with db.reader.connect() as conn:
            taken = await conn.scalar(
                select(conversations.c.id).where(
                    conversations.c.id == f"c_demo{seed_value}_{years[0]}_0000000"
                )
            )
        if taken is not None:
            raise SeedError(
                f"demo data with --seed {seed_value} for {years[0]} is already in this database; "
                "use another --seed"
            )
        if progress:
            progress("generating", 0, 1)
        generated = generate(years, per_year, seed_value)
        bookkeeping = units(generated)
        per_person = person_years(generated, bookkeeping)
        total = len(generated.conv_ids)
        if progress:
            progress("generating", 1, 1)
        batches = _rows(generated, bookkeeping, per_person, master, organisation_id)
        if settings.is_sqlite:
            path = settings.resolved_database_url.split(":///", 1)[1]
            await db.dispose()
            await asyncio.to_thread(_write_sqlite, path, batches, progress, total)
        else:
            await _write_sqlalchemy(db, batches, progress, total)
        return total
    finally:
        await db.dispose()
