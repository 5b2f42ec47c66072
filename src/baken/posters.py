"""Posters and cards for a campaign (issue 18, item 4): ``baken poster --campaign CODE``.

One PDF of two A4 pages: a poster to hang up, and a sheet of ten wallet cards to cut or tear off.
Both carry a QR code to the campaign's entry (``<public URL>/c/<CODE>``), that address in short
form to type, the opening hours and 112. Drawn with matplotlib's PDF backend, as the yearly report
is (reports/pdf.py): no other PDF library. All words come from the catalogues (English msgid).

Large, calm type: the poster is read from a few metres away, the cards by someone who may have to
hide one. The QR code is at least 3 cm wide everywhere (about 6 cm on the poster), so cheap phone
cameras read it from a distance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import segno
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from baken.i18n import LANGUAGES, translations
from baken.service_hours.config import ServiceConfig, format_time

PAGE_W, PAGE_H = 8.27, 11.69  # A4 in inches
CM = 1 / 2.54
# Where the poster's QR code sits, in inches from the page's bottom left (the tests read it back).
POSTER_QR = (PAGE_W / 2 - 3.0 * CM, 3.85, 6.0 * CM)  # x, y, size: 6 cm
CARD_COLUMNS, CARD_ROWS = 2, 5
CARD_W, CARD_H = 8.5 * CM, 5.4 * CM  # a bank card's size
# The card's code itself (modules, without the quiet zone) is 3.1 cm wide. The card draws a quiet
# zone of 2 modules; the card's white margin and the gap to the text make up the rest.
CARD_CODE = 3.1 * CM
CARD_BORDER = 2
INK = "#0b3d4a"
CALM = "#e6f0f2"
CAMPAIGN_CODE = re.compile(r"[A-Za-z0-9-]{1,32}")
DAY_MSGIDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class PosterError(ValueError):
    """Bad input for a poster: the message says what to fix."""


@dataclass(frozen=True)
class PosterTexts:
    lang: str
    url: str
    short_url: str
    hours: list[str]


def check_campaign(code: str) -> str:
    if not CAMPAIGN_CODE.fullmatch(code):
        raise PosterError(
            "A campaign code has 1 to 32 letters, digits or hyphens (for example school-2027)."
        )
    return code


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise PosterError(f"Unknown language {lang!r}; choose one of: {', '.join(LANGUAGES)}.")
    return lang


def entry_url(base_url: str, campaign: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PosterError("The public URL must be like https://chat.example.org.")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/c/{check_campaign(campaign)}"


def short_form(url: str) -> str:
    """What people type: no https://, no www."""
    bare = url.split("://", 1)[1]
    return bare[4:] if bare.startswith("www.") else bare


def hours_lines(config: ServiceConfig, lang: str) -> list[str]:
    """The weekly hours, days with the same hours together ("Monday – Friday 09:00–17:00")."""
    _ = translations(lang).gettext
    if not config.enabled:
        return [_("Open day and night")]
    weekly = config.schedule.weekly
    lines: list[str] = []
    day = 0
    while day < 7:
        ranges = weekly[day]
        last = day
        while last + 1 < 7 and weekly[last + 1] == ranges:
            last += 1
        if ranges:
            days = _(DAY_MSGIDS[day])
            if last > day:
                days += " – " + _(DAY_MSGIDS[last])
            times = ", ".join(f"{format_time(r.start)}–{format_time(r.end)}" for r in ranges)
            lines.append(f"{days}  {times}")
        day = last + 1
    return lines or [_("See the website for the opening hours")]


MONO = "DejaVu Sans Mono"
# DejaVu Sans Mono's advance is 0.602 em; a little room on top.
MONO_ADVANCE = 0.62


def url_lines(short_url: str) -> list[str]:
    """The host, and under it the path (/c/CODE): a long address still fits on a card."""
    host, _slash, path = short_url.partition("/")
    return [host, "/" + path] if path else [host]


def fitted_size(lines: list[str], width_inches: float, largest: float) -> float:
    """The largest font size (points, at most ``largest``) at which the monospaced lines fit."""
    longest = max(len(line) for line in lines)
    return min(largest, width_inches * 72 / (MONO_ADVANCE * longest))


def qr_matrix(url: str) -> list[list[int]]:
    return [list(row) for row in segno.make(url, error="m", boost_error=False).matrix]


def card_qr_size(url: str) -> float:
    """Inches taken by a card's QR code with its drawn quiet zone."""
    modules = len(qr_matrix(url))
    return CARD_CODE * (modules + 2 * CARD_BORDER) / modules


def _qr(figure: Figure, url: str, x: float, y: float, size: float, border: int = 4) -> None:
    """The QR code as crisp modules (no smoothing), with its quiet zone, x/y/size in inches."""
    matrix = np.array(qr_matrix(url), dtype=float)
    padded = np.pad(matrix, border)
    axes = figure.add_axes((x / PAGE_W, y / PAGE_H, size / PAGE_W, size / PAGE_H), frame_on=False)
    axes.imshow(1 - padded, cmap="gray", interpolation="nearest", vmin=0, vmax=1)
    axes.set_axis_off()


def _text(figure: Figure, x: float, y: float, text: str, size: float, **style: object) -> None:
    figure.text(x / PAGE_W, y / PAGE_H, text, fontsize=size, color=INK, **style)  # type: ignore[arg-type]


def _poster(texts: PosterTexts) -> Figure:
    _ = translations(texts.lang).gettext
    figure = Figure(figsize=(PAGE_W, PAGE_H))
    FigureCanvasAgg(figure)
    middle = PAGE_W / 2
    figure.patches.append(
        _band(figure, 0, PAGE_H - 3.3, PAGE_W, 3.3),
    )
    _text(
        figure,
        middle,
        PAGE_H - 1.35,
        _("Does something not feel right?"),
        28,
        ha="center",
        va="center",
        weight="bold",
    )
    _text(
        figure,
        middle,
        PAGE_H - 2.35,
        _("Chat anonymously with a counselor."),
        24,
        ha="center",
        va="center",
    )
    _text(
        figure,
        middle,
        PAGE_H - 3.85,
        _("Free. You do not have to give your name."),
        18,
        ha="center",
        va="center",
    )
    _text(figure, middle, PAGE_H - 4.55, _("Scan the code or go to"), 18, ha="center", va="center")
    # One line when it fits at a size readable from a distance, else the host above the path.
    lines = [texts.short_url]
    if fitted_size(lines, PAGE_W - 1.0, 26) < 20:
        lines = url_lines(texts.short_url)
    size = fitted_size(lines, PAGE_W - 1.0, 26)
    for number, line in enumerate(lines):
        _text(
            figure,
            middle,
            PAGE_H - 5.2 - (number - (len(lines) - 1) / 2) * size / 60,
            line,
            size,
            ha="center",
            va="center",
            weight="bold",
            family=MONO,
        )
    x, y, size = POSTER_QR
    _qr(figure, texts.url, x, y, size)
    _text(figure, middle, 3.4, _("Opening hours"), 18, ha="center", va="center", weight="bold")
    for number, line in enumerate(texts.hours[:4]):
        _text(figure, middle, 2.95 - 0.38 * number, line, 16, ha="center", va="center")
    _text(
        figure,
        middle,
        0.9,
        _("Acute danger? Call {number}").format(number="112"),
        26,
        ha="center",
        va="center",
        weight="bold",
    )
    return figure


def _band(figure: Figure, x: float, y: float, w: float, h: float) -> Rectangle:
    return Rectangle(
        (x / PAGE_W, y / PAGE_H),
        w / PAGE_W,
        h / PAGE_H,
        transform=figure.transFigure,
        facecolor=CALM,
        edgecolor="none",
        zorder=-1,
    )


def _cut_line(figure: Figure, xs: list[float], ys: list[float]) -> Line2D:
    """A dashed grey line to cut or tear along, in figure coordinates."""
    return Line2D(
        xs, ys, transform=figure.transFigure, color="#555555", linestyle=(0, (4, 4)), linewidth=0.8
    )


def _cards(texts: PosterTexts) -> Figure:
    _ = translations(texts.lang).gettext
    figure = Figure(figsize=(PAGE_W, PAGE_H))
    FigureCanvasAgg(figure)
    left = (PAGE_W - CARD_COLUMNS * CARD_W) / 2
    bottom = (PAGE_H - CARD_ROWS * CARD_H) / 2 - 0.15
    low, high = (bottom - 0.3) / PAGE_H, (bottom + CARD_ROWS * CARD_H + 0.3) / PAGE_H
    for column in range(CARD_COLUMNS + 1):
        x = (left + column * CARD_W) / PAGE_W
        figure.lines.append(_cut_line(figure, [x, x], [low, high]))
    start, end = (left - 0.3) / PAGE_W, (left + CARD_COLUMNS * CARD_W + 0.3) / PAGE_W
    for row in range(CARD_ROWS + 1):
        y = (bottom + row * CARD_H) / PAGE_H
        figure.lines.append(_cut_line(figure, [start, end], [y, y]))
    hours = texts.hours[:2]
    card_qr = card_qr_size(texts.url)
    column_width = CARD_W - card_qr - 0.2 * CM - 0.35 * CM - 0.1 * CM
    url = url_lines(texts.short_url)
    url_size = fitted_size(url, column_width, 8.5)
    for column in range(CARD_COLUMNS):
        for row in range(CARD_ROWS):
            x0, y0 = left + column * CARD_W, bottom + row * CARD_H
            pad = 0.2 * CM
            _qr(
                figure,
                texts.url,
                x0 + CARD_W - card_qr - pad,
                y0 + (CARD_H - card_qr) / 2,
                card_qr,
                border=CARD_BORDER,
            )
            tx = x0 + 0.35 * CM
            _text(
                figure,
                tx,
                y0 + CARD_H - 0.38,
                _("Chat anonymously"),
                11.5,
                weight="bold",
                va="center",
            )
            for number, line in enumerate(url):
                _text(
                    figure,
                    tx,
                    y0 + CARD_H - 0.72 - number * url_size / 60,
                    line,
                    url_size,
                    va="center",
                    family=MONO,
                )
            for number, line in enumerate(hours):
                _text(figure, tx, y0 + CARD_H - 1.2 - number * 0.15, line, 7.5, va="center")
            _text(
                figure,
                tx,
                y0 + 0.3,
                _("Acute danger? Call {number}").format(number="112"),
                9,
                weight="bold",
                va="center",
            )
    _text(
        figure,
        PAGE_W / 2,
        bottom + CARD_ROWS * CARD_H + 0.5,
        _("Cut along the dotted lines."),
        9,
        ha="center",
        va="center",
    )
    return figure


def write_poster(path: Path, texts: PosterTexts) -> None:
    with PdfPages(path, metadata={"Title": "Baken", "Creator": "Baken"}) as pdf:
        for figure in (_poster(texts), _cards(texts)):
            pdf.savefig(figure)


def make_poster(
    path: Path, *, campaign: str, lang: str, base_url: str, config: ServiceConfig
) -> str:
    """Write the PDF; returns the entry URL it points to."""
    check_lang(lang)
    url = entry_url(base_url, campaign)
    write_poster(path, PosterTexts(lang, url, short_form(url), hours_lines(config, lang)))
    return url
