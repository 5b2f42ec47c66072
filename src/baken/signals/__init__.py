"""Indicator detection over visitor messages (issue 19; docs/signals.md).

``detect(text, lang)`` returns the taxonomy labels it sees and the spans that explain them. It
keeps nothing: no state between calls, no logging of the text.
"""

from baken.signals.detector import Detection, Span, UnknownLanguage, detect, language, warm_up
from baken.signals.labels import LABELS, LANGUAGES

__all__ = [
    "LABELS",
    "LANGUAGES",
    "Detection",
    "Span",
    "UnknownLanguage",
    "detect",
    "language",
    "warm_up",
]
