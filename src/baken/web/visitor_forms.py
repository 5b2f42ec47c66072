"""The visitor's forms without JavaScript (issue 12): leave a message, read an answer, come back
with a code or destroy it.

With JavaScript, closed.js and visitor.js post these forms as JSON to the /api/visitor/... routes
and never reach here. Without it the browser posts the form itself; these handlers run the very
same logic as the JSON routes (service_routes.leave_message / read_answers,
visitor_routes.return_with_code, ChatService.destroy_code) and answer with the visitor page, server
rendered in the visitor's language, showing the result next to the form: a new code (shown once, so
in this response itself and nowhere else: no redirect with the code in a URL or cookie), the
answers as text, or an error with the visitor's typed text kept in the field. Every response is
Cache-Control: no-store (web/security.py), so the code stays out of the browser's cache.

The same-origin rule of the start form applies (web/origin.py). A browser without JavaScript
cannot solve a proof-of-work, so every form here goes through the forms' own limits
(abuse_guard.form_gate: a budget per address, then a tight one for everyone together). They work
as usual at normal load; under a flood they are what is refused first ("very busy, in danger call
112"), never a visitor whose browser sends a proof over the JSON API (issue 16, docs/security.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.domain.return_code import CodeError
from baken.i18n import VISITOR_LANGUAGES, negotiate, translations, visitor_language
from baken.realtime.chat_service import CodeNotAccepted, QueueFull, TryLater, VisitorBlocked
from baken.web.abuse_guard import form_gate
from baken.web.cookies import VISITOR_COOKIE, set_session_cookie
from baken.web.guards import SameOriginVisitor
from baken.web.mailbox_view import visitor_mailbox
from baken.web.organisation_entry import entry_of
from baken.web.pages import error_page
from baken.web.service_routes import (
    ServiceClosed,
    VisitorRefused,
    closed_state,
    leave_message,
    read_answers,
)
from baken.web.services import services_of
from baken.web.visitor_routes import _visitor_page, return_with_code

MAX_FIELDS = 8
# Room for the longest message when every character is 4 UTF-8 bytes, each sent as "%XX".
BYTES_PER_CHAR = 12
FORM_OVERHEAD_BYTES = 4096


class FormTooLarge(Exception):
    """More than any of these forms can hold: not read to the end."""


async def _form(request: Request) -> dict[str, str]:
    """The posted form's fields (first value of each), read with a bound; only URL-encoded
    forms (what the pages send) are parsed, anything else counts as an empty form."""
    limit = services_of(request.app).settings.max_message_chars * BYTES_PER_CHAR
    limit += FORM_OVERHEAD_BYTES
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise FormTooLarge()
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    fields: dict[str, str] = {}
    try:
        pairs = parse_qsl(
            body.decode("utf-8", errors="replace"),
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
        )
    except ValueError:
        return {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def _lang(request: Request, form: dict[str, str] | None = None) -> str:
    wanted = visitor_language((form or {}).get("lang"))
    if wanted is not None:
        return wanted
    return negotiate(
        request.query_params.get("lang"), request.headers.get("accept-language"), VISITOR_LANGUAGES
    )


TooLarge = Callable[[str], Awaitable[Response]]


async def posted_form(
    request: Request, too_large: TooLarge | None = None
) -> tuple[dict[str, str], str] | Response:
    """What every visitor form starts with (after its route's origin guard, ``SameOriginVisitor``):
    the bounded form and the language it asks for. A Response when the form is refused: too
    large → ``too_large(lang)`` where the form has a gentler answer, else 400."""
    lang = _lang(request)
    try:
        form = await _form(request)
    except FormTooLarge:
        return await too_large(lang) if too_large is not None else error_page(lang, 400)
    return form, _lang(request, form)


def _text(form: dict[str, str]) -> str:
    # Browsers send a textarea's line breaks as CRLF; the page (and the JSON API) counts and
    # stores them as LF, so the same text fits the same limit either way.
    return form.get("text", "").replace("\r\n", "\n")


def _try_later(response: Response, status: int, seconds: int = 1) -> Response:
    """A refusal by a throttle says when to try again, as a page can: Retry-After."""
    if status == 429:
        response.headers["retry-after"] = str(seconds)
    return response


# --- the closed page: leave a message, read an answer ------------------------------------------


async def _closed_page(request: Request, lang: str, status: int, forms: dict[str, Any]) -> Response:
    """The visitor page with the closed section and this form's result. Should the chat have
    opened in the meantime, the result is still shown (above the start form)."""
    closed = await closed_state(request, lang)
    return _visitor_page(request, None, lang, status=status, closed=closed, forms=forms)


def _busy(lang: str) -> str:
    return translations(lang).gettext(
        "It is very busy right now. Please try again in a minute. In danger now? Call 112."
    )


def _leave_problem(lang: str, exc: VisitorRefused) -> str:
    _ = translations(lang).gettext
    if exc.code == "text_empty":
        return _("Please type a message first.")
    if exc.code == "text_too_long":
        return _("Your message is too long. Please make it shorter.")
    return _(exc.message)


async def leave_message_form(request: Request, _origin: SameOriginVisitor) -> Response:
    """POST /closed/message: form (`text`, `lang`) → the page with the new code, or the error
    with the text kept. Each post that is stored is a new message with a new code."""

    async def too_long(lang: str) -> Response:
        problem = translations(lang).gettext("Your message is too long. Please make it shorter.")
        return await _closed_page(request, lang, 413, {"leave": {"error": problem}})

    posted = await posted_form(request, too_long)
    if isinstance(posted, Response):
        return posted
    form, lang = posted
    text = _text(form)
    if not form_gate(request):
        result = {"leave": {"text": text, "error": _busy(lang)}}
        return _try_later(await _closed_page(request, lang, 429, result), 429, 60)
    try:
        code = await leave_message(request, text, lang)
    except VisitorRefused as exc:
        result = {"leave": {"text": text, "error": _leave_problem(lang, exc)}}
        return _try_later(await _closed_page(request, lang, exc.status, result), exc.status)
    return await _closed_page(request, lang, 200, {"leave": {"code": code}})


def _code_problem(lang: str, code: str) -> str:
    _ = translations(lang).gettext
    if code == "code_empty":
        return _("Type your code first.")
    if code == "try_later":
        return _("Try again in a moment.")
    # Wrong, unknown, malformed or too long: one answer, so nothing is learnt from it.
    return _("This code does not work. Check it, or start a new chat.")


async def read_answers_form(request: Request, _origin: SameOriginVisitor) -> Response:
    """POST /closed/answers: form (`code`, `lang`) → the page with the answers not read yet
    (then marked read, as over the JSON API), or the error with the code kept."""
    posted = await posted_form(request)
    if isinstance(posted, Response):
        return posted
    form, lang = posted
    _ = translations(lang).gettext
    raw = form.get("code", "")
    if not form_gate(request):
        result = {"answers": {"code": raw, "error": _busy(lang)}}
        return _try_later(await _closed_page(request, lang, 429, result), 429, 60)
    try:
        answers = await read_answers(request, raw)
    except VisitorRefused as exc:
        result = {"answers": {"code": raw, "error": _code_problem(lang, exc.code)}}
        return _try_later(await _closed_page(request, lang, exc.status, result), exc.status)
    status = (
        _("The answer:") if answers else _("There is no new answer yet. Please look again later.")
    )
    messages = await visitor_mailbox(request, answers)
    shown: dict[str, Any] = {"code": raw, "status": status, "messages": messages}
    return await _closed_page(request, lang, 200, {"answers": shown})


# --- the start page: come back with a code, or destroy it ---------------------------------------


def _return_page(
    request: Request, lang: str, status: int, result: dict[str, Any], retry_after: int = 1
) -> Response:
    """The start page with the code box open and its result. Also outside opening hours: the
    visitor must see what happened to their code (starting is refused on the server anyway)."""
    page = _visitor_page(request, None, lang, status=status, forms={"code_box": result})
    return _try_later(page, status, retry_after)


async def return_form(request: Request, _origin: SameOriginVisitor) -> Response:
    """POST /return: form (`code`, `lang`) → like POST /start, 303 to the chat with the session
    cookie; when the code's mailbox holds messages not read yet they are shown once, so then the
    chat page is this response itself. A visitor whose chat is still open (a second press, a
    resent form) is sent back to it: no second chat, the code is not used again."""
    services = services_of(request.app)
    posted = await posted_form(request)
    if isinstance(posted, Response):
        return posted
    form, lang = posted
    _ = translations(lang).gettext
    token = request.cookies.get(VISITOR_COOKIE)
    if token and await services.chat.visitor_conversation(token) is not None:
        return RedirectResponse(f"{entry_of(request).base}/?lang={lang}", status_code=303)
    raw = form.get("code", "")
    if not raw.strip():
        return _return_page(request, lang, 400, {"error": _("Type your code first.")})
    busy = _("It is very busy right now. Please try again in a minute. In danger now? Call 112.")
    if not form_gate(request):
        return _return_page(request, lang, 429, {"code": raw, "error": busy}, retry_after=60)
    try:
        record, new_token, mailbox = await return_with_code(request, raw, lang)
    except ServiceClosed as exc:
        return _visitor_page(request, None, lang, status=503, closed=exc.closed)
    except CodeError as exc:
        return _return_page(
            request, lang, 400, {"code": raw, "error": _code_problem(lang, exc.code)}
        )
    except CodeNotAccepted:
        wrong = _code_problem(lang, "code_not_accepted")
        return _return_page(request, lang, 400, {"code": raw, "error": wrong})
    except TryLater:
        return _return_page(request, lang, 429, {"code": raw, "error": busy})
    except QueueFull:
        return _return_page(request, lang, 503, {"code": raw, "error": busy})
    except VisitorBlocked:
        blocked = _("You cannot chat with this code right now. Please try again later.")
        return _return_page(request, lang, 403, {"code": raw, "error": blocked})
    response: Response
    if mailbox:
        followups = await visitor_mailbox(request, mailbox)
        response = _visitor_page(request, record, lang, forms={"followups": followups})
    else:
        response = RedirectResponse(f"{entry_of(request).base}/?lang={lang}", status_code=303)
    set_session_cookie(response, VISITOR_COOKIE, new_token)
    return response


async def destroy_code_form(request: Request, _origin: SameOriginVisitor) -> Response:
    """POST /return/destroy (the form's second button): the same answer whether the code existed
    or not, as POST /api/visitor/code/destroy."""
    posted = await posted_form(request)
    if isinstance(posted, Response):
        return posted
    form, lang = posted
    _ = translations(lang).gettext
    raw = form.get("code", "")
    if not raw.strip():
        return _return_page(request, lang, 400, {"error": _("Type your code first.")})
    if not form_gate(request):
        return _return_page(request, lang, 429, {"code": raw, "error": _busy(lang)}, 60)
    try:
        await services_of(request.app).chat.destroy_code(raw)
    except CodeError as exc:
        return _return_page(
            request, lang, 400, {"code": raw, "error": _code_problem(lang, exc.code)}
        )
    except TryLater:
        return _return_page(request, lang, 429, {"code": raw, "error": _("Try again in a moment.")})
    return _return_page(
        request, lang, 200, {"status": _("Done. If this code existed, it no longer works.")}
    )
