"""Charts of report tables with matplotlib (Agg, no display, no pyplot global state)."""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from baken.reports.model import Chart

# Colour-blind safe (Okabe–Ito), dark enough for text contrast on white.
COLOURS = ("#0b5394", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
SUPPRESSED_MARK = "x"


def draw(ax: Axes, chart: Chart) -> None:
    """Draw a chart into existing axes (used for the PDF pages and for single images)."""
    ax.spines[["top", "right"]].set_visible(False)
    if chart.kind == "line":
        positions = list(range(len(chart.categories)))
        for n, (name, values) in enumerate(chart.series):
            ys = [math.nan if v is None else float(v) for v in values]
            ax.plot(positions, ys, marker="o", label=name, color=COLOURS[n % len(COLOURS)])
        ax.set_xticks(positions, chart.categories)
        ax.set_ylim(bottom=0)
        ax.legend(frameon=False, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        return
    name, values = chart.series[0]
    heights = [0.0 if v is None else float(v) for v in values]
    positions = list(range(len(chart.categories)))
    if chart.kind == "hbar":
        ax.barh(positions, heights, color=COLOURS[0])
        ax.set_yticks(positions, chart.categories, fontsize=8)
        ax.invert_yaxis()
        for p, v in zip(positions, values, strict=True):
            if v is None:
                ax.text(0, p, " " + SUPPRESSED_MARK, va="center", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        return
    ax.bar(positions, heights, color=COLOURS[0])
    ax.set_xticks(positions, chart.categories, fontsize=8, rotation=30, ha="right")
    for p, v in zip(positions, values, strict=True):
        if v is None:
            ax.text(p, 0, SUPPRESSED_MARK, ha="center", va="bottom", fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def render(chart: Chart, title: str, fmt: str = "png") -> bytes:
    figure = Figure(figsize=(7, 3.6), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    draw(ax, chart)
    ax.set_title(title, fontsize=10, loc="left")
    buffer = io.BytesIO()
    # No metadata: nothing about the machine or the time goes into a published image.
    figure.savefig(buffer, format=fmt, metadata={"Software": None} if fmt == "png" else None)
    return buffer.getvalue()
