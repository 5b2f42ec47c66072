"""The signed signal as a PDF for people: the same content as the JSON file, its signature and the
key's fingerprint. Drawn with matplotlib like the yearly report (reports/pdf.py); no creation date
in the metadata, so the file says no more than its content."""

from __future__ import annotations

import base64
import io
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from baken.police_signals.export import Signed

PAGE_W, PAGE_H = 8.27, 11.69  # A4 in inches
MARGIN = 0.8
LINE = 0.2
WIDTH = 90
BRAND = "#0b5394"

# Labels in both staff languages: the police partner may read either.
LABELS = {
    "title": "Signaal aan de politie / Signal to the police",
    "signal_id": "Signaal / Signal",
    "organisation": "Organisatie / Organisation",
    "approved_at": "Goedgekeurd / Approved",
    "roles": "Opgesteld door / Drafted by → goedgekeurd door / approved by",
    "what": "Wat / What",
    "where": "Waar / Where",
    "when": "Wanneer / When",
    "exploitation_types": "Vorm van uitbuiting / Type of exploitation",
    "perpetrators": "Daders / Perpetrators",
    "vehicles": "Voertuigen / Vehicles",
    "phones": "Telefoonnummers / Phone numbers",
    "online_handles": "Online accounts / Online handles",
    "signature": "Handtekening (Ed25519, base64) / Signature",
    "fingerprint": "Sleutel-vingerafdruk / Key fingerprint (SHA-256)",
    "sha256": "SHA-256 van het JSON-bestand / of the JSON file",
    "note": "Controleer met het JSON-bestand en de publieke sleutel: "
    "baken police-signal verify FILE SIG --key KEY.pem. "
    "Check with the JSON file and the public key.",
}


class _Pages:
    def __init__(self, pdf: PdfPages) -> None:
        self.pdf = pdf
        self.figure: Figure | None = None
        self.y = MARGIN

    def _room(self, height: float) -> Figure:
        if self.figure is None or self.y + height > PAGE_H - MARGIN:
            self.finish()
            self.figure = Figure(figsize=(PAGE_W, PAGE_H))
            FigureCanvasAgg(self.figure)
            self.y = MARGIN
        return self.figure

    def line(
        self, text: str, size: float = 9.5, weight: str = "normal", colour: str = "#111"
    ) -> None:
        figure = self._room(LINE)
        figure.text(
            MARGIN / PAGE_W,
            1 - self.y / PAGE_H,
            text,
            fontsize=size,
            fontweight=weight,
            color=colour,
            va="top",
        )
        self.y += LINE * size / 9

    def field(self, label: str, value: str) -> None:
        self.y += 0.08
        self.line(label, 9, "bold", BRAND)
        for paragraph in (value or "–").split("\n"):
            for text in textwrap.wrap(paragraph, WIDTH) or [""]:
                self.line(text)

    def finish(self) -> None:
        if self.figure is not None:
            self.pdf.savefig(self.figure)  # type: ignore[no-untyped-call]
            self.figure = None


def to_pdf(signed: Signed) -> bytes:
    content = signed.content
    signal = content["signal"]
    buffer = io.BytesIO()
    metadata = {"Title": f"Baken {content['signal_id']}", "Creator": "Baken", "CreationDate": None}
    with PdfPages(buffer, metadata=metadata) as pdf:
        pages = _Pages(pdf)
        pages.line(LABELS["title"], 16, "bold", BRAND)
        pages.y += 0.2
        pages.field(LABELS["signal_id"], content["signal_id"])
        organisation = content["organisation"]
        pages.field(LABELS["organisation"], f"{organisation['name']} ({organisation['id']})")
        pages.field(LABELS["approved_at"], content["approved_at"])
        roles = f"{content['drafted_by_role'] or '?'} → {content['approved_by_role'] or '?'}"
        pages.field(LABELS["roles"], roles)
        pages.field(LABELS["what"], signal["what"])
        where = signal["where"]
        places = (where["place"], where["city"], where["region"])
        pages.field(LABELS["where"], "\n".join(v for v in places if v))
        when = signal["when"]
        span = " – ".join(v for v in (when["from"], when["to"]) if v)
        pages.field(LABELS["when"], "\n".join(v for v in (span, when["period"]) if v))
        types = ", ".join(
            f"{t['nl']} / {t['en']} ({t['code']})" for t in signal["exploitation_types"]
        )
        pages.field(LABELS["exploitation_types"], types)
        for name in ("perpetrators", "vehicles", "phones", "online_handles"):
            pages.field(LABELS[name], signal[name])
        pages.y += 0.2
        signature = base64.b64encode(signed.signature).decode()
        pages.field(LABELS["signature"], "\n".join(textwrap.wrap(signature, 64)))
        pages.field(LABELS["fingerprint"], signed.fingerprint)
        pages.field(LABELS["sha256"], signed.sha256)
        pages.field("", LABELS["note"])
        pages.finish()
    return buffer.getvalue()
