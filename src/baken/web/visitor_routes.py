"""The visitor's pages: start, the chat itself, and quick exit."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from baken.campaigns.codes import campaign_code
from baken.domain.conversation import EndedBy
from baken.domain.queue import AgeBand, PriorityRules
from baken.domain.return_code import CodeError
from baken.domain.text import TextError, clean_nickname
from baken.i18n import VISITOR_LANGUAGES, negotiate, translations, visitor_language
from baken.realtime.chat_service import CodeNotAccepted, QueueFull, TryLater, VisitorBlocked
from baken.store.clock import iso
from baken.store.records import ConversationRecord
from baken.store.return_code_repo import MailboxMessage
from baken.web.abuse_guard import form_gate, visitor_gate, way_back_gate
from baken.web.campaign_routes import campaigns_of
from baken.web.cookies import VISITOR_COOKIE, clear_session_cookie, set_session_cookie
from baken.web.guards import SameOriginVisitor, SameOriginVisitorApi
from baken.web.json_body import load_json
from baken.web.mailbox_view import visitor_mailbox
from baken.web.organisation_entry import entry_of
from baken.web.pages import error_page
from baken.web.service_routes import ServiceClosed, closed_error, closed_state
from baken.web.services import services_of
from baken.web.templating import render
from baken.web.ui_strings import visitor_strings

log = logging.getLogger(__name__)

EXIT_PATH = "/exit"
MAX_FORM_BYTES = 8 * 1024


def _lang(request: Request) -> str:
    return negotiate(
        request.query_params.get("lang"), request.headers.get("accept-language"), VISITOR_LANGUAGES
    )


async def visitor_page(request: Request) -> Response:
    services = services_of(request.app)
    token = request.cookies.get(VISITOR_COOKIE)
    record = await services.chat.visitor_conversation(token) if token else None
    lang = _lang(request)
    # Opening hours (issue 3): without an open chat, outside hours the page shows the closed state.
    closed = await closed_state(request, lang) if record is None else None
    response = _visitor_page(request, record, lang, closed=closed)
    if token and record is None:
        clear_session_cookie(response, VISITOR_COOKIE)
    return response


def _visitor_page(
    request: Request,
    record: ConversationRecord | None,
    lang: str,
    notice: str | None = None,
    status: int = 200,
    closed: dict[str, Any] | None = None,
    forms: dict[str, Any] | None = None,
) -> Response:
    """``forms``: what a form posted without JavaScript answers on the page (visitor_forms.py)."""
    services = services_of(request.app)
    entry = entry_of(request)
    return render(
        "visitor.html",
        lang,
        visitor_strings,
        status_code=status,
        conversation=services.chat.info(record) if record else None,
        notice=notice,
        max_chars=services.settings.max_message_chars,
        offer_message_after=services.settings.offer_message_after_seconds,
        base=entry.base,
        organisation_name=entry.organisation.name,
        exit_path=entry.base + EXIT_PATH,
        emergency_number=entry.organisation.emergency,
        ws_path="/ws/visitor",
        closed=closed,
        forms=forms or {},
        # Issue 18: the campaign a visitor came from (/c/<code> → /?c=<code>), carried by the
        # start form itself and nowhere else; only a normalised code is written back.
        campaign=campaign_code(request.query_params.get("c")),
    )


@dataclass(frozen=True)
class StartRequest:
    nickname: str | None
    lang: str | None
    danger: bool
    age_band: AgeBand | None
    campaign: str | None = None


def _parse_start(data: Mapping[str, Any], from_form: bool) -> StartRequest:
    """Validate what a start form or JSON post carries; TextError with a code when it is wrong."""
    nickname_raw = data.get("nickname")
    if nickname_raw is not None and not isinstance(nickname_raw, str):
        raise TextError("invalid_nickname", "The nickname must be text.")
    lang_raw = data.get("lang")
    danger_raw = data.get("danger")
    if from_form:
        danger = danger_raw in ("1", "on", "true")
    elif danger_raw is None or isinstance(danger_raw, bool):
        danger = bool(danger_raw)
    else:
        raise TextError("invalid_danger", "danger must be true or false.")
    age_raw = data.get("age_band") or None
    if age_raw is not None and (
        not isinstance(age_raw, str) or age_raw not in {band.value for band in AgeBand}
    ):
        raise TextError("invalid_age_band", "age_band must be under_16, 16_17 or 18_plus.")
    return StartRequest(
        nickname=clean_nickname(nickname_raw),
        lang=visitor_language(lang_raw),
        danger=danger,
        age_band=AgeBand(age_raw) if age_raw else None,
        campaign=campaign_code(data.get("campaign")),
    )


def _or(own: int | None, installation: int) -> int:
    return installation if own is None else own


async def _start(request: Request, wanted: StartRequest) -> tuple[dict[str, Any], str | None]:
    """Start (or resume) the visitor's conversation; returns its info and a new token, if any."""
    services = services_of(request.app)
    settings = services.settings
    token = request.cookies.get(VISITOR_COOKIE)
    existing = await services.chat.visitor_conversation(token) if token else None
    if existing is not None:
        return services.chat.info(existing), None
    closed = await closed_state(request, wanted.lang or _lang(request))
    if closed is not None:
        raise ServiceClosed(closed)
    organisation = entry_of(request).organisation
    record, new_token = await services.chat.start_conversation(
        wanted.nickname,
        wanted.lang or _lang(request),
        wanted.danger,
        wanted.age_band,
        organisation_id=organisation.id,
        queue_max=organisation.queue_max,
        rules=PriorityRules(
            _or(organisation.priority_under_16, settings.priority_under_16),
            _or(organisation.priority_16_17, settings.priority_16_17),
        ),
    )
    if wanted.campaign is not None:
        # Counted in memory, not stored with the chat (campaigns/counter.py).
        campaigns_of(request.app).started(organisation.id, wanted.campaign, record.id)
    return services.chat.info(record), new_token


async def start_form(request: Request, _origin: SameOriginVisitor) -> Response:
    lang = _lang(request)
    if not form_gate(request):
        # No proof-of-work without JavaScript: a tight limit for everyone (docs/security.md).
        return _visitor_page(request, None, lang, notice="busy", status=429)
    form = await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM_BYTES)
    try:
        wanted = _parse_start(form, from_form=True)
        _info, token = await _start(request, wanted)
    except TextError:
        return error_page(lang, 400)
    except QueueFull:
        return _visitor_page(request, None, wanted.lang or lang, notice="queue_full", status=503)
    except ServiceClosed as exc:
        return _visitor_page(request, None, wanted.lang or lang, status=503, closed=exc.closed)
    base = entry_of(request).base
    response = RedirectResponse(f"{base}/?lang={wanted.lang or lang}", status_code=303)
    if token:
        set_session_cookie(response, VISITOR_COOKIE, token)
    return response


async def start_api(request: Request, _origin: SameOriginVisitorApi) -> Response:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return JSONResponse({"error": "too_large"}, status_code=413)
    try:
        data = load_json(body)
    except ValueError:
        return JSONResponse({"error": "invalid_json"}, status_code=400)
    if not isinstance(data, dict) or set(data) - {
        "nickname",
        "lang",
        "danger",
        "age_band",
        "pow",
        "campaign",
    }:
        return JSONResponse({"error": "invalid_request"}, status_code=400)
    refused = await visitor_gate(request, data)  # issue 5: address throttle, proof-of-work
    if refused is not None:
        return refused
    try:
        wanted = _parse_start(data, from_form=False)
        info, token = await _start(request, wanted)
    except TextError as exc:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=400)
    except ServiceClosed as exc:
        return closed_error(wanted.lang or _lang(request), exc.closed)
    except QueueFull:
        return JSONResponse(
            {"error": "queue_full", "message": "Everyone is busy. Please try again later."},
            status_code=503,
        )
    response = JSONResponse({"conversation": info})
    if token:
        set_session_cookie(response, VISITOR_COOKIE, token)
    return response


async def _json_body(request: Request, allowed: set[str]) -> dict[str, Any] | JSONResponse:
    """The JSON body, bounded, with only ``allowed`` keys (the route's guard checked the
    origin)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return JSONResponse({"error": "too_large"}, status_code=413)
    try:
        data = load_json(body)
    except ValueError:
        return JSONResponse({"error": "invalid_json"}, status_code=400)
    if not isinstance(data, dict) or set(data) - allowed:
        return JSONResponse({"error": "invalid_request"}, status_code=400)
    return data


_NOT_ACCEPTED = {
    "error": "code_not_accepted",
    "message": "This code does not work. Check it, or start a new chat.",
}


async def return_with_code(
    request: Request, raw: str, lang: str
) -> tuple[ConversationRecord, str, list[MailboxMessage]]:
    """A new chat in the code's thread, with its unread mailbox messages (shown once: they are
    marked read). ServiceClosed outside opening hours; otherwise ChatService's refusals."""
    closed = await closed_state(request, lang)
    if closed is not None:
        raise ServiceClosed(closed)
    organisation = entry_of(request).organisation
    return await services_of(request.app).chat.return_with_code(
        raw, lang, organisation_id=organisation.id, queue_max=organisation.queue_max
    )


async def return_api(request: Request, _origin: SameOriginVisitorApi) -> Response:
    """Come back with a return code: a new chat in the same thread, and any mailbox messages."""
    data = await _json_body(request, {"code", "lang", "pow"})
    if isinstance(data, JSONResponse):
        return data
    services = services_of(request.app)
    raw = data.get("code")
    if not isinstance(raw, str):
        return JSONResponse({"error": "code_empty", "message": "Type your code."}, 400)
    refused = await visitor_gate(request, data)  # issue 5: address throttle, proof-of-work
    if refused is not None:
        return refused
    lang_raw = data.get("lang")
    lang = visitor_language(lang_raw) or _lang(request)
    try:
        record, token, mailbox = await return_with_code(request, raw, lang)
    except ServiceClosed as exc:
        return closed_error(lang, exc.closed)
    except CodeError as exc:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=400)
    except TryLater:
        return JSONResponse({"error": "try_later", "message": "Try again in a moment."}, 429)
    except CodeNotAccepted:
        return JSONResponse(_NOT_ACCEPTED, status_code=400)
    except QueueFull:
        return JSONResponse({"error": "queue_full"}, status_code=503)
    except VisitorBlocked as exc:
        # Counselor tools: calm, and no more than when it can be used again.
        message = translations(lang).gettext(
            "You cannot chat with this code right now. Please try again later."
        )
        until = iso(exc.until)
        return JSONResponse(
            {"error": "blocked", "message": message, "until": until}, status_code=403
        )
    response = JSONResponse(
        {
            "conversation": services.chat.info(record),
            # Issue 17: each with `partner`, the partner organisation's name, or null.
            "mailbox": await visitor_mailbox(request, mailbox),
        }
    )
    set_session_cookie(response, VISITOR_COOKIE, token)
    return response


async def destroy_code_api(request: Request, _origin: SameOriginVisitorApi) -> Response:
    """The visitor ends their code for good. The answer is the same whether it existed or not."""
    data = await _json_body(request, {"code", "pow"})
    if isinstance(data, JSONResponse):
        return data
    raw = data.get("code")
    if not isinstance(raw, str):
        return JSONResponse({"error": "code_empty", "message": "Type your code."}, 400)
    refused = await way_back_gate(request, data)  # issue 16: proof, then address budget
    if refused is not None:
        return refused
    try:
        await services_of(request.app).chat.destroy_code(raw)
    except CodeError as exc:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=400)
    except TryLater:
        return JSONResponse({"error": "try_later", "message": "Try again in a moment."}, 429)
    return JSONResponse({"status": "done"})


async def quick_exit(request: Request) -> Response:
    """End the chat, wipe this site from the browser and land on a neutral page. Must never fail."""
    services = services_of(request.app)
    token = request.cookies.get(VISITOR_COOKIE)
    try:
        record = await services.chat.visitor_conversation(token) if token else None
        if record is not None:
            await services.chat.end_for_visitor(record.id, EndedBy.QUICK_EXIT)
    except Exception:
        # The visitor leaves regardless; the chat then ends by heartbeat timeout instead.
        log.exception("quick exit could not end the conversation")
    exit_url = entry_of(request).organisation.exit_url or services.settings.exit_url
    response = RedirectResponse(exit_url, status_code=303)
    response.headers["clear-site-data"] = '"cache", "cookies", "storage"'
    clear_session_cookie(response, VISITOR_COOKIE)
    return response
