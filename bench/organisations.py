"""Several organisations in one benchmark run (issue 14, "Performance").

``--organisations N`` makes N organisations before the server starts: the default one (entry
``/``) and ``bench1`` … ``bench<N-1>`` (entries ``/o/bench<k>/``), each with its own counselors.
Visitors and accepts go round-robin over them. ``--organisations 1,10`` runs both configurations
one after the other in the same invocation (alternating the order with ``--repeat``) and compares
them, so that the machine's drift between invocations does not decide the comparison.

Imported by bench/load.py and bench/queue_updates.py (run them as scripts).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import benchlib as bl

DEFAULT_ID = "org_default"  # baken.store.staff_repo.DEFAULT_ORGANISATION


@dataclass(frozen=True)
class BenchOrganisation:
    index: int
    id: str
    slug: str
    prefix: str  # the visitor entry: "" for the default organisation, "/o/<slug>" otherwise
    tokens: tuple[str, ...]  # session cookies of its counselors


def parse_counts(text: str) -> list[int]:
    """``"10"`` → [10]; ``"1,10"`` → [1, 10] (compared in one run; the first is the baseline)."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from e
    if not counts or any(n < 1 for n in counts) or len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError(f"organisation counts must be distinct and ≥ 1: {text!r}")
    return counts


def share(total: int, organisations: int, index: int) -> int:
    """How many of `total` round-robin items (item i → organisation i mod N) one gets."""
    return len(range(index, total, organisations))


async def create(
    data_dir: Path, database_url: str | None, counselors: list[int]
) -> list[BenchOrganisation]:
    """One organisation per entry of `counselors`, with that many counselor sessions each."""
    from baken.config import Settings
    from baken.devtools import create_bench_counselors
    from baken.store.database import Database
    from baken.store.migrate import upgrade_async
    from baken.store.organisation_repo import OrganisationRepository

    kwargs: dict[str, Any] = {"data_dir": data_dir}
    if database_url:
        kwargs["database_url"] = database_url
    settings = Settings(**kwargs)
    await upgrade_async(settings)
    db = Database(settings)
    try:
        repo = OrganisationRepository(db)
        for k in range(1, len(counselors)):
            await repo.add(f"bench{k}", f"Bench helpline {k}", organisation_id=f"org_bench{k}")
    finally:
        await db.dispose()
    made = []
    for k, count in enumerate(counselors):
        org_id, slug = (DEFAULT_ID, "default") if k == 0 else (f"org_bench{k}", f"bench{k}")
        tokens = await create_bench_counselors(settings, count, organisation_id=org_id)
        if len(tokens) != count:
            raise bl.BenchError(f"{org_id}: {len(tokens)} counselor sessions, wanted {count}")
        made.append(
            BenchOrganisation(k, org_id, slug, "" if k == 0 else f"/o/{slug}", tuple(tokens))
        )
    return made


def label(organisations: int, repeat_index: int, repeats: int) -> str:
    name = f"{organisations} org" + ("" if organisations == 1 else "s")
    return name if repeats == 1 else f"{name} #{repeat_index + 1}"


def run_each(
    args: argparse.Namespace,
    run_target: Callable[[str, argparse.Namespace], Coroutine[Any, Any, dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Baken once per organisation count, ``args.repeat`` times, alternating the order so that a
    machine that drifts during the runs favours no configuration."""
    import uvloop

    counts: list[int] = args.organisations
    results: list[dict[str, Any]] = []
    for i in range(args.repeat):
        for n in counts if i % 2 == 0 else list(reversed(counts)):
            one = argparse.Namespace(**{**vars(args), "organisations": [n]})
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                result = runner.run(run_target("baken", one))
            result["target"] = label(n, i, args.repeat)
            results.append(result)
    return results


def compare(
    results: list[dict[str, Any]],
    metrics: dict[str, Callable[[dict[str, Any]], float | None]],
    judged: str,
    limit: float,
    valid: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """Median of each metric per organisation count, and its ratio to the first count's (the
    baseline). The verdict looks at `judged`: PASS when every other count's ratio ≤ `limit`;
    INVALID when a run was not valid (noisy machine, generator lag) or aborted."""
    counts: list[int] = []
    for r in results:
        if r["organisations"] not in counts:
            counts.append(r["organisations"])
    base = counts[0]
    per_count: dict[str, Any] = {}
    for n in counts:
        runs = [r for r in results if r["organisations"] == n and not r.get("aborted")]
        entry: dict[str, Any] = {"runs": len(runs)}
        for name, get in metrics.items():
            values = [v for v in (get(r) for r in runs) if v is not None]
            entry[name] = values
            entry[f"median_{name}"] = statistics.median(values) if values else None
        per_count[str(n)] = entry
    ratios: dict[str, dict[str, float | None]] = {}
    for n in counts[1:]:
        ratios[str(n)] = {}
        for name in metrics:
            a, b = per_count[str(base)][f"median_{name}"], per_count[str(n)][f"median_{name}"]
            ratios[str(n)][name] = round(b / a, 3) if a and b is not None else None
    judged_ratios = [ratios[str(n)][judged] for n in counts[1:]]
    if any(r.get("aborted") for r in results) or None in judged_ratios:
        verdict = "MISS (a run aborted or measured nothing)"
    else:
        verdict = "PASS" if all(x is not None and x <= limit for x in judged_ratios) else "MISS"
        if not all(valid(r) for r in results):
            verdict = "INVALID (generator lag or noisy machine)"
    return {
        "baseline_organisations": base,
        "per_count": per_count,
        "ratio_to_baseline": ratios,
        "judged": judged,
        "limit_ratio": limit,
        "verdict": verdict,
    }


def print_comparison(comparison: dict[str, Any], title: str, units: dict[str, str]) -> None:
    per = comparison["per_count"]
    counts = list(per)
    base = str(comparison["baseline_organisations"])
    print()
    print(title)
    rows = []
    for name, unit in units.items():
        row = [name]
        for n in counts:
            value = per[n][f"median_{name}"]
            row.append(bl.fmt(value, unit))
        for n in counts[1:]:
            ratio = comparison["ratio_to_baseline"][n][name]
            row.append("—" if ratio is None else f"{ratio:.3f} ({100 * (ratio - 1):+.1f} %)")
        rows.append(row)
    runs = per[base]["runs"]
    headers = [
        f"median over {runs} run(s)" if runs > 1 else "metric",
        *(f"{n} org(s)" for n in counts),
        *(f"{n} ÷ {base}" for n in counts[1:]),
    ]
    bl.print_table(headers, rows)
    limit = comparison["limit_ratio"]
    print(
        f"target: {comparison['judged']} with more organisations ≤ {limit:g} × the "
        f"{base}-organisation run's → {comparison['verdict']}"
    )
