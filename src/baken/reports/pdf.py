"""The report as a PDF to publish: title page, method, then every table with its chart.

Drawn with matplotlib alone (PdfPages): a simple top-to-bottom layout on A4 pages.
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from baken.reports.charts import draw
from baken.reports.model import Report, Table

PAGE_W, PAGE_H = 8.27, 11.69  # A4 in inches
MARGIN = 0.8
LINE = 0.19
CHART_H = 2.5
BRAND = "#0b5394"


class _Writer:
    def __init__(self, pdf: PdfPages, footer: str) -> None:
        self.pdf = pdf
        self.footer = footer
        self.page = 0
        self.figure: Figure | None = None
        self.y = MARGIN

    def new_page(self) -> Figure:
        self.finish()
        self.figure = Figure(figsize=(PAGE_W, PAGE_H))
        FigureCanvasAgg(self.figure)
        self.page += 1
        self.y = MARGIN
        return self.figure

    def finish(self) -> None:
        if self.figure is not None:
            self.figure.text(
                MARGIN / PAGE_W, 0.4 / PAGE_H, self.footer, fontsize=7, color="#555555"
            )
            self.figure.text(
                1 - MARGIN / PAGE_W, 0.4 / PAGE_H, str(self.page), fontsize=7, ha="right"
            )
            self.pdf.savefig(self.figure)  # type: ignore[no-untyped-call]
            self.figure = None

    def room(self, height: float) -> Figure:
        if self.figure is None or self.y + height > PAGE_H - MARGIN:
            return self.new_page()
        return self.figure

    def text(
        self,
        x: float,
        content: str,
        size: float = 9,
        *,
        weight: str = "normal",
        colour: str = "#1a1a1a",
        ha: str = "left",
    ) -> None:
        assert self.figure is not None
        self.figure.text(
            x / PAGE_W,
            1 - self.y / PAGE_H,
            content,
            fontsize=size,
            fontweight=weight,
            color=colour,
            va="top",
            ha=ha,
        )

    def paragraph(self, content: str, size: float = 9.5, width: int = 95) -> None:
        lines = textwrap.wrap(content, width=width)
        self.room(len(lines) * LINE * size / 9 + 0.15)
        for line in lines:
            self.text(MARGIN, line, size)
            self.y += LINE * size / 9
        self.y += 0.15

    def heading(self, content: str, size: float = 14, keep: float = 1.0) -> None:
        # Keep a heading with what follows it (``keep``: the height of the first table).
        self.room(0.6 + min(keep, PAGE_H - 2 * MARGIN - 0.8))
        self.y += 0.15
        self.text(MARGIN, content, size, weight="bold", colour=BRAND)
        self.y += size / 40 + 0.15

    def table(self, table: Table, lang: str) -> None:
        wrapped_title = textwrap.wrap(table.title, width=80)
        figure = self.room(table_height(table))
        for line in wrapped_title:
            self.text(MARGIN, line, 10.5, weight="bold")
            self.y += LINE * 1.2
        self.y += 0.05
        label_w = 3.1 if len(table.columns) <= 4 else 1.6
        usable = PAGE_W - 2 * MARGIN - label_w
        col_w = min(1.0, usable / max(1, len(table.columns)))
        size = 8.5 if len(table.columns) <= 4 else 7
        self.text(MARGIN, table.stub, size, weight="bold")
        for n, column in enumerate(table.columns):
            x = MARGIN + label_w + (n + 1) * col_w
            self.text(
                x,
                _clip(column, max(6, int(col_w * 12))),
                size,
                weight="bold",
                ha="right",
            )
        self.y += LINE
        self._rule(figure)
        for row in table.rows:
            label = textwrap.shorten(row.label, 58 if label_w > 2 else 26, placeholder="…")
            self.text(
                MARGIN + 0.18 * row.level, label, size, weight="bold" if row.total else "normal"
            )
            for n, cell in enumerate(row.cells):
                x = MARGIN + label_w + (n + 1) * col_w
                self.text(
                    x, cell.text(lang), size, ha="right", weight="bold" if row.total else "normal"
                )
            self.y += LINE
        self._rule(figure)
        for note in table.notes:
            self.y += 0.05
            self.text(MARGIN, note, 7.5, colour="#444444")
            self.y += LINE
        self.y += 0.25
        if table.chart is not None:
            figure = self.room(CHART_H + 0.3)
            bottom = 1 - (self.y + CHART_H) / PAGE_H
            ax = figure.add_axes(
                (
                    (MARGIN + 0.9) / PAGE_W,
                    bottom + 0.45 / PAGE_H,
                    (PAGE_W - 2 * MARGIN - 1.0) / PAGE_W,
                    (CHART_H - 0.6) / PAGE_H,
                )
            )
            draw(ax, table.chart)
            ax.tick_params(labelsize=7)
            self.y += CHART_H + 0.3

    def _rule(self, figure: Figure) -> None:
        y = 1 - (self.y - 0.03) / PAGE_H
        figure.add_artist(
            Line2D([MARGIN / PAGE_W, 1 - MARGIN / PAGE_W], [y, y], color="#999999", linewidth=0.5)
        )
        self.y += 0.04


def table_height(table: Table) -> float:
    title_lines = len(textwrap.wrap(table.title, width=80))
    needed = (len(table.rows) + 2 + title_lines) * LINE + 0.3 + 0.2 * len(table.notes)
    if table.chart is not None:
        needed += CHART_H + 0.3  # a chart stays on the page of its table
    return needed


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def to_pdf(report: Report) -> bytes:
    buffer = io.BytesIO()
    metadata = {
        "Title": f"{report.title} {report.year}",
        "Subject": report.subtitle,
        "Creator": "Baken",
        # No creation date: the same data gives the same file, and no timestamp is published.
        "CreationDate": None,
    }
    with PdfPages(buffer, metadata=metadata) as pdf:
        writer = _Writer(pdf, f"{report.title} {report.year} · {report.organisation}")
        writer.new_page()
        writer.y = 3.0
        for line in textwrap.wrap(report.title, width=38):
            writer.text(MARGIN, line, 24, weight="bold", colour=BRAND)
            writer.y += 0.48
        writer.y += 0.2
        writer.text(MARGIN, report.subtitle, 14)
        writer.y += 0.9
        for note in report.notes:
            writer.paragraph(note, 10)
        writer.paragraph(report.generated_on, 10)
        for section in report.sections:
            if section.id in ("method", "headline"):
                writer.new_page()
            first = table_height(section.tables[0]) if section.tables else 1.0
            writer.heading(section.title, keep=0.0 if section.paragraphs else first)
            for paragraph in section.paragraphs:
                writer.paragraph(paragraph)
            for table in section.tables:
                writer.table(table, report.lang)
        writer.finish()
    return buffer.getvalue()
