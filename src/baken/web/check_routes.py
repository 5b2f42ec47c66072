"""The self-check "is this OK?" (issue 18, item 5): ten yes / no / not sure questions and a calm
result that leads to the chat.

It stores nothing at all: no row, no log line, no counter, not even an aggregate of answers. The
answers live only in the one POST request that carries them and in the page it answers with (no
redirect, so they never appear in a URL or in the browser's history; Cache-Control: no-store as
everywhere). It needs no JavaScript. The result is never a diagnosis: it says what answers like
these may mean and that talking helps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from baken.i18n import VISITOR_LANGUAGES, negotiate, visitor_language
from baken.web.guards import SameOriginVisitor
from baken.web.organisation_entry import entry_of
from baken.web.pages import error_page
from baken.web.service_routes import closed_state
from baken.web.templating import render
from baken.web.visitor_routes import EXIT_PATH

CHECK_PATH = "/check"
# Ten questions of three short choices and the language: far below this; more is not our form.
MAX_FORM_BYTES = 2048
ANSWERS = ("yes", "no", "unsure")
# Each question's field name and the indicator it stands for (../shared/signals-taxonomy.md); the
# texts are in check.html, so that the catalogues' extraction finds them. The order is the page's
# order; acute danger comes last, and it decides what the result shows first.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("promise", "deception"),
    ("freedom", "restriction_of_movement"),
    ("phone", "isolation"),
    ("papers", "retention_of_documents"),
    ("money", "debt_bondage"),
    ("threats", "intimidation_threats"),
    ("sex", "forced_sex_work"),
    ("crime", "forced_criminal_activity"),
    ("partner", "loverboy_grooming"),
    ("danger", "acute_danger"),
)
DANGER = "danger"

Outcome = Literal["signs", "unsure", "none"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    # Acute danger answered "yes" or "not sure": 112 comes first on the result.
    danger_first: bool
    # "signs": at least one yes; "unsure": no yes but a "not sure"; "none": only no or skipped.
    outcome: Outcome


def assess(answers: dict[str, str]) -> CheckResult:
    """What the result page says; unknown fields and values count as not answered."""
    others = [answers.get(name) for name, _label in QUESTIONS if name != DANGER]
    outcome: Outcome = "none"
    if "yes" in others:
        outcome = "signs"
    elif "unsure" in others:
        outcome = "unsure"
    return CheckResult(danger_first=answers.get(DANGER) in ("yes", "unsure"), outcome=outcome)


def _lang(request: Request, wanted: str | None = None) -> str:
    return visitor_language(wanted) or negotiate(
        request.query_params.get("lang"), request.headers.get("accept-language"), VISITOR_LANGUAGES
    )


class _TooLarge(Exception):
    pass


async def _answers(request: Request) -> dict[str, str]:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise _TooLarge()
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    try:
        pairs = parse_qsl(
            body.decode("utf-8", errors="replace"),
            keep_blank_values=True,
            max_num_fields=len(QUESTIONS) + 4,
        )
    except ValueError:
        return {}
    known = {name for name, _label in QUESTIONS} | {"lang"}
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in known:
            fields.setdefault(name, value)
    return {
        name: value
        for name, value in fields.items()
        if name == "lang" or value in ANSWERS  # anything else: not answered
    }


def _page(
    request: Request, lang: str, result: CheckResult | None, closed: dict[str, Any] | None
) -> Response:
    entry = entry_of(request)
    return render(
        "check.html",
        lang,
        base=entry.base,
        exit_path=entry.base + EXIT_PATH,
        emergency_number=entry.organisation.emergency,
        questions=[name for name, _label in QUESTIONS],
        result=result,
        closed=closed,
    )


async def check_page(request: Request) -> Response:
    return _page(request, _lang(request), result=None, closed=None)


async def check_result(request: Request, _origin: SameOriginVisitor) -> Response:
    """The result, rendered in the answer to the POST itself: the answers go nowhere else."""
    # It changes nothing, but like every form post it must come from Baken's own page: another
    # site must not be able to show a visitor a result page made of answers it chose.
    try:
        answers = await _answers(request)
    except _TooLarge:
        return error_page(_lang(request), 400)
    lang = _lang(request, answers.pop("lang", None))
    closed = await closed_state(request, lang)
    return _page(request, lang, result=assess(answers), closed=closed)
