"""Issue 18, item 4: ``baken poster`` writes a two-page A4 PDF whose QR code leads to the campaign's
entry, with the words in the chosen language; bad input is a clear error with exit code 1."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import segno
from PIL import Image
from typer.testing import CliRunner

from baken.cli import app
from baken.posters import CARD_CODE, PAGE_H, POSTER_QR, hours_lines, short_form, url_lines
from baken.service_hours.config import parse
from tests.browser_support import t

BASE = "https://chat.example.org"
URL = BASE + "/c/school-2027"
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftoppm, pdftotext) reads the PDF back; scripts/test.sh installs it",
)


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("BAKEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BAKEN_PUBLIC_URL", raising=False)
    monkeypatch.delenv("BAKEN_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["poster", *args])
    return result.exit_code, result.output


def make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> Path:
    out = tmp_path / f"poster-{lang}.pdf"
    code, output = run(
        tmp_path, monkeypatch, "--campaign", "school-2027", "--lang", lang,
        "--out", str(out), "--base-url", BASE,
    )  # fmt: skip
    assert code == 0, output
    assert URL in output
    return out


def page_text(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def grey(image: Image.Image, x: float, y: float) -> int:
    value = image.getpixel((int(x), int(y)))
    assert isinstance(value, int)
    return value


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    line = next(x for x in info.stdout.splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


@needs_poppler
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_two_pages_in_the_chosen_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    pdf = make(tmp_path, monkeypatch, lang)
    assert pages(pdf) == 2
    poster, cards = page_text(pdf, 1), page_text(pdf, 2)
    for msgid in ("Does something not feel right?", "Opening hours", "Open day and night"):
        assert t(lang, msgid) in poster, msgid
    assert t(lang, "Acute danger? Call {number}", number="112") in poster
    assert "chat.example.org/c/school-2027" in poster
    # Ten cards, each with the address (host above path), 112, and the cut-line note.
    assert cards.count(t(lang, "Chat anonymously")) == 10
    assert cards.count("/c/school-2027") == 10
    assert cards.count(t(lang, "Acute danger? Call {number}", number="112")) == 10
    assert t(lang, "Cut along the dotted lines.") in cards
    other = "en" if lang == "nl" else "nl"
    assert t(other, "Does something not feel right?") not in poster


@needs_poppler
def test_the_printed_qr_code_is_the_entry_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Render the poster as a printer would, read the QR code's modules back from the pixels,
    and compare them with a fresh encoding of the entry URL."""
    pdf = make(tmp_path, monkeypatch, "nl")
    dpi = 200
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-gray", "-png", str(pdf),
         str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    expected = segno.make(URL, error="m", boost_error=False).matrix
    n = len(expected)
    x, y, size = POSTER_QR
    module = size * dpi / (n + 8)  # the code plus a quiet zone of 4 modules each side
    # The code itself at least 3 cm wide, on the poster and on the cards: cheap phone cameras.
    assert size * n / (n + 8) * 2.54 >= 3.0
    assert CARD_CODE * 2.54 >= 3.0
    left, top = x * dpi, (PAGE_H - y - size) * dpi
    seen = [
        [
            int(grey(image, left + (c + 4.5) * module, top + (r + 4.5) * module) < 128)
            for c in range(n)
        ]
        for r in range(n)
    ]
    assert seen == [list(row) for row in expected]
    # And the quiet zone is white: nothing printed over the code's edge.
    assert grey(image, left + 1.5 * module, top + 1.5 * module) > 200


@pytest.mark.parametrize(
    "campaign", ["<b>x</b>", "x" * 33, "x" * 10_000, "school 2027", "school/2027", "é"]
)
def test_a_bad_campaign_code_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, campaign: str
) -> None:
    out = tmp_path / "p.pdf"
    code, output = run(
        tmp_path, monkeypatch, "--campaign", campaign, "--out", str(out), "--base-url", BASE
    )
    assert code == 1
    assert "1 to 32 letters, digits or hyphens" in output
    assert not out.exists()


def test_an_unknown_language_or_no_address_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "p.pdf"
    code, output = run(
        tmp_path, monkeypatch, "--campaign", "a", "--lang", "de", "--out", str(out),
        "--base-url", BASE,
    )  # fmt: skip
    assert code == 1 and "Unknown language 'de'" in output
    code, output = run(tmp_path, monkeypatch, "--campaign", "a", "--out", str(out))
    assert code == 1 and "BAKEN_PUBLIC_URL" in output
    assert not out.exists()


def test_hours_in_words_and_short_addresses() -> None:
    week = parse(
        {
            "enabled": True,
            "weekly": {str(d): [["09:00", "17:00"]] for d in range(5)}
            | {"5": [["12:00", "16:00"]]},
        }
    )
    assert hours_lines(week, "nl") == ["Maandag – Vrijdag  09:00–17:00", "Zaterdag  12:00–16:00"]
    assert hours_lines(week, "en")[0] == "Monday – Friday  09:00–17:00"
    assert short_form("https://www.example.org/c/a") == "example.org/c/a"
    assert url_lines("example.org/c/a") == ["example.org", "/c/a"]
