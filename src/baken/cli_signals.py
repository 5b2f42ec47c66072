"""``baken signals``: run the indicator detector over a file (issue 19; docs/signals.md).

``eval`` prints how well it does on a labelled set; ``detect`` writes what it finds, one JSON
line per message — the same detector the server runs. Both read JSON lines; a bad line stops
the run with its line number and exit status 1.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import orjson
import typer

from baken.signals import detect
from baken.signals.evaluate import BadInput, Figures, Report, evaluate, read_items
from baken.signals.labels import LABELS

signals_app = typer.Typer(help="Indicator detection in chat messages.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@contextmanager
def _lines(path: Path) -> Iterator[IO[str]]:
    if str(path) == "-":
        yield io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="strict")
        return
    try:
        with path.open(encoding="utf-8", errors="strict") as f:
            yield f
    except FileNotFoundError:
        raise _fail(f"{path}: no such file") from None
    except IsADirectoryError:
        raise _fail(f"{path}: is a directory") from None


def _pct(x: float) -> str:
    return f"{x:.3f}"


def _summary_lines(name: str, f: Figures) -> list[str]:
    micro = f.micro
    return [
        f"{name}: {f.items} items, {f.negatives} without a label",
        f"  micro precision {_pct(micro.precision)}  recall {_pct(micro.recall)}  "
        f"F1 {_pct(micro.f1)}   macro F1 {_pct(f.macro_f1)}",
        f"  false-positive rate on items without a label {_pct(f.fp_rate)} "
        f"({f.false_alarms}/{f.negatives})",
        f"  acute_danger recall {_pct(f.acute_recall)} "
        f"({f.per_label['acute_danger'].tp}/"
        f"{f.per_label['acute_danger'].tp + f.per_label['acute_danger'].fn})",
    ]


def render(report: Report, misses: int = 0) -> str:
    out: list[str] = []
    f = report.overall
    out.append(f"{'label':<26} {'prec':>6} {'recall':>6} {'F1':>6} {'support':>7} {'pred':>5}")
    for label in LABELS:
        c = f.per_label[label]
        out.append(
            f"{label:<26} {_pct(c.precision):>6} {_pct(c.recall):>6} {_pct(c.f1):>6} "
            f"{c.tp + c.fn:>7} {c.tp + c.fp:>5}"
        )
    out.append("")
    out.extend(_summary_lines("all", f))
    for split, fs in sorted(report.by_split.items()):
        out.extend(_summary_lines(f"split {split}", fs))
    out.append("")
    out.append(
        f"{'lang':<5} {'items':>5} {'no-label':>8} {'micro P':>7} {'micro R':>7} {'micro F1':>8} "
        f"{'macro F1':>8} {'FP rate':>7} {'acute R':>7}"
    )
    for lang, fl in sorted(report.by_lang.items()):
        m = fl.micro
        acute = fl.per_label["acute_danger"]
        acute_r = _pct(fl.acute_recall) if acute.tp + acute.fn else "-"
        out.append(
            f"{lang:<5} {fl.items:>5} {fl.negatives:>8} {_pct(m.precision):>7} "
            f"{_pct(m.recall):>7} {_pct(m.f1):>8} {_pct(fl.macro_f1):>8} "
            f"{_pct(fl.fp_rate):>7} {acute_r:>7}"
        )
    if misses:
        out.append("")
        out.append(f"misses (first {misses} of {len(report.misses)}):")
        for item, predicted in report.misses[:misses]:
            out.append(
                f"  {item.id} [{item.lang}] expected {sorted(item.labels or ())} "
                f"got {sorted(predicted)}: {item.text[:120]!r}"
            )
    return "\n".join(out)


@signals_app.command("eval")
def eval_command(
    file: Path = typer.Argument(..., help="JSON lines with id, text, lang, labels (- = stdin)."),
    misses: int = typer.Option(0, help="Also list this many items where the labels differ."),
    json_out: bool = typer.Option(False, "--json", help="Print the figures as JSON instead."),
) -> None:
    """Per-label precision, recall and F1, micro and macro F1, the false-positive rate on
    items without a label, acute_danger recall, and the figures per language (and per split
    when the items have a "split" field)."""
    with _lines(file) as lines:
        try:
            items = list(read_items(lines, labelled=True))
        except BadInput as error:
            raise _fail(f"{file}: {error}") from None
        except UnicodeDecodeError:
            raise _fail(f"{file}: not UTF-8") from None
    if not items:
        raise _fail(f"{file}: no items")
    report = evaluate(items)
    if json_out:
        data = {
            "all": report.overall.summary(),
            "per_label": {
                label: {
                    "precision": round(c.precision, 4),
                    "recall": round(c.recall, 4),
                    "f1": round(c.f1, 4),
                    "support": c.tp + c.fn,
                }
                for label, c in report.overall.per_label.items()
            },
            "per_lang": {k: v.summary() for k, v in sorted(report.by_lang.items())},
            "per_split": {k: v.summary() for k, v in sorted(report.by_split.items())},
        }
        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    typer.echo(render(report, misses))


@signals_app.command("detect")
def detect_command(
    file: Path = typer.Argument(..., help='JSON lines {"id", "text", "lang"} (- = stdin).'),
    out: Path | None = typer.Option(None, help="Write here instead of to standard output."),
) -> None:
    """Labels and spans for each message, one JSON line {"id", "labels", "spans"} each."""
    with _lines(file) as lines:
        results: list[bytes] = []
        try:
            for item in read_items(lines, labelled=False):
                found = detect(item.text, item.lang).as_dict()
                results.append(orjson.dumps({"id": item.id, **found}))
        except BadInput as error:
            raise _fail(f"{file}: {error}") from None
        except UnicodeDecodeError:
            raise _fail(f"{file}: not UTF-8") from None
    body = b"".join(r + b"\n" for r in results)
    if out is None:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    else:
        try:
            out.write_bytes(body)
        except OSError as error:
            raise _fail(f"{out}: {error.strerror}") from None


@signals_app.command("dismissals")
def dismissals_command(
    days: int = typer.Option(90, min=1, max=3660, help="The last this many days, today included."),
    organisation: str | None = typer.Option(
        None, "--org", help="One organisation's id; all organisations together by default."
    ),
) -> None:
    """How often counselors dismissed each indicator (issue 19, item 2), most dismissed first.

    Counts only: the table holds no chat, counselor or words. A label dismissed often is where
    the lexicon cries wolf; add its false alarms to the dev set first (docs/signals.md)."""
    import asyncio
    from datetime import timedelta

    from baken.campaigns.codes import local_day
    from baken.config import Settings
    from baken.store import migrate
    from baken.store.clock import utcnow
    from baken.store.database import Database
    from baken.store.signal_dismissal_repo import LabelCount, dismissals_between

    settings = Settings()
    migrate.upgrade(settings)
    last = local_day(utcnow())
    first = last - timedelta(days=days - 1)

    async def run() -> list[LabelCount]:
        db = Database(settings)
        try:
            return await dismissals_between(db, first, last, organisation)
        finally:
            await db.dispose()

    rows = asyncio.run(run())
    typer.echo(f"dismissed indicators, {first.isoformat()} to {last.isoformat()}")
    if not rows:
        typer.echo("  none")
    for row in rows:
        typer.echo(f"  {row.label:<26} {row.dismissed:>6}")
