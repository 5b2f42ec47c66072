"""Figures for a labelled set: the same numbers ``baken signals eval`` prints and a test checks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baken.signals.detector import UnknownLanguage, detect, language
from baken.signals.labels import LABELS


class BadInput(ValueError):
    """A line that is not a usable item; the message says which line and why."""


@dataclass(frozen=True)
class Item:
    id: str | int  # as given, so `detect` can echo it back unchanged
    text: str
    lang: str
    labels: frozenset[str] | None  # None: unlabelled (for `detect`)
    split: str = ""


def parse_line(line: str, number: int, *, labelled: bool) -> Item:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadInput(f"line {number}: not JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise BadInput(f"line {number}: expected an object")
    item_id, text, lang = data.get("id"), data.get("text"), data.get("lang")
    if not isinstance(item_id, str | int) or isinstance(item_id, bool):
        raise BadInput(f"line {number}: 'id' must be a string or a number")
    if not isinstance(text, str):
        raise BadInput(f"line {number}: 'text' must be a string")
    if not isinstance(lang, str):
        raise BadInput(f"line {number}: 'lang' must be a string")
    try:
        lang = language(lang)
    except UnknownLanguage as error:
        raise BadInput(f"line {number}: {error}") from None
    labels: frozenset[str] | None = None
    if labelled:
        raw = data.get("labels")
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            raise BadInput(f"line {number}: 'labels' must be a list of label ids")
        unknown = sorted(set(raw) - set(LABELS))
        if unknown:
            raise BadInput(f"line {number}: unknown label(s) {', '.join(unknown)}")
        labels = frozenset(raw)
    split = data.get("split", "")
    return Item(item_id, text, lang, labels, split if isinstance(split, str) else "")


def read_items(lines: Iterable[str], *, labelled: bool) -> Iterator[Item]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield parse_line(line, number, labelled=labelled)


def load(path: Path) -> list[Item]:
    with path.open(encoding="utf-8") as f:
        return list(read_items(f, labelled=True))


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Figures:
    items: int = 0
    per_label: dict[str, Counts] = field(default_factory=lambda: {x: Counts() for x in LABELS})
    negatives: int = 0
    false_alarms: int = 0  # no-label items that got any label
    exact: int = 0

    def add(self, gold: frozenset[str], predicted: frozenset[str]) -> None:
        self.items += 1
        for label in LABELS:
            c = self.per_label[label]
            if label in predicted and label in gold:
                c.tp += 1
            elif label in predicted:
                c.fp += 1
            elif label in gold:
                c.fn += 1
        if not gold:
            self.negatives += 1
            self.false_alarms += bool(predicted)
        self.exact += gold == predicted

    @property
    def micro(self) -> Counts:
        total = Counts()
        for c in self.per_label.values():
            total.tp += c.tp
            total.fp += c.fp
            total.fn += c.fn
        return total

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the labels that occur in the gold set or the predictions."""
        used = [c.f1 for c in self.per_label.values() if c.tp + c.fp + c.fn]
        return sum(used) / len(used) if used else 0.0

    @property
    def fp_rate(self) -> float:
        return self.false_alarms / self.negatives if self.negatives else 0.0

    @property
    def acute_recall(self) -> float:
        return self.per_label["acute_danger"].recall

    def summary(self) -> dict[str, Any]:
        micro = self.micro
        return {
            "items": self.items,
            "micro_precision": round(micro.precision, 4),
            "micro_recall": round(micro.recall, 4),
            "micro_f1": round(micro.f1, 4),
            "macro_f1": round(self.macro_f1, 4),
            "no_label_items": self.negatives,
            "fp_rate_no_label": round(self.fp_rate, 4),
            "acute_danger_recall": round(self.acute_recall, 4),
            "acute_danger_support": self.per_label["acute_danger"].tp
            + self.per_label["acute_danger"].fn,
            "exact_match": round(self.exact / self.items, 4) if self.items else 0.0,
        }


@dataclass
class Report:
    overall: Figures = field(default_factory=Figures)
    by_lang: dict[str, Figures] = field(default_factory=dict)
    by_split: dict[str, Figures] = field(default_factory=dict)
    misses: list[tuple[Item, frozenset[str]]] = field(default_factory=list)


def evaluate(items: Iterable[Item]) -> Report:
    report = Report()
    for item in items:
        assert item.labels is not None
        predicted = frozenset(detect(item.text, item.lang).labels)
        report.overall.add(item.labels, predicted)
        report.by_lang.setdefault(item.lang, Figures()).add(item.labels, predicted)
        if item.split:
            report.by_split.setdefault(item.split, Figures()).add(item.labels, predicted)
        if predicted != item.labels:
            report.misses.append((item, predicted))
    return report
