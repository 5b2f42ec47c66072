"""The visitor's chat without JavaScript (issue 13, item 5; docs/protocol.md, "The chat without
JavaScript").

A visitor whose browser runs no script reaches GET /chat: the visitor page sends them there with a
<meta http-equiv=refresh> inside <noscript>, which a browser that runs scripts ignores. While
waiting, the page refreshes itself every few seconds (place and estimate). In the chat, the
transcript is a page of its own (GET /chat/log) in an <iframe> that refreshes itself, so the
message box around it keeps what the visitor is typing. Sending is a form (POST /chat/send,
Post/Redirect/Get) with a `client_msg_id` made here, one per rendered form: a double submit is one
message. Ending is a second step (GET /chat?end=ask, then POST /chat/end). While a partner
professional is in the chat (warm hand-off), the transcript frame carries a one-tap "no" (POST
/chat/partner/refuse, issue 17, item 3); a waiting visitor moved back by the risk-ranked queue
reads the same calm note as on the live page (issue 19, item 3).

Every action goes through the chat service, as the socket's frames do: the same text check,
global visitor rate, writer (encryption, seq) and resend detection. The conversation is always
the one behind the visitor's own cookie, never one named in the request. The no-JS GETs and posts
of one conversation share a token bucket: a refresh storm gets a calm page, not the database.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.domain.conversation import EndedBy
from baken.domain.rate import BucketsByKey
from baken.i18n import translations
from baken.realtime.frames import FrameError
from baken.realtime.partner_access import EVENT_PARTNER_JOINED, EVENT_PARTNER_LEFT
from baken.referrals.model import SCOPE_ITEMS
from baken.store.records import ConversationRecord
from baken.web.cookies import VISITOR_COOKIE, clear_session_cookie
from baken.web.guards import SameOriginVisitor
from baken.web.organisation_entry import entry_of
from baken.web.pages import error_page
from baken.web.services import services_of
from baken.web.templating import render
from baken.web.ui_strings import visitor_strings
from baken.web.visitor_forms import _lang, _text, _try_later, posted_form
from baken.web.visitor_routes import EXIT_PATH

CHAT_PATH = "/chat"
LOG_PATH = "/chat/log"
PARTNER_REFUSE_PATH = "/chat/partner/refuse"
# Waiting: the whole page; in the chat: only the transcript frame (the message box stays put).
QUEUE_REFRESH_SECONDS = 5
LOG_REFRESH_SECONDS = 5
# Per conversation: a page and its frame refreshing every 5 s take 0.4 a second; a person
# pressing "Refresh" and sending stays far below this. Only a storm runs the bucket dry.
REQUESTS_PER_SECOND = 1.0
REQUEST_BURST = 20.0
STORM_RETRY_SECONDS = 10
MAX_BUCKETS = 20_000
_CLIENT_MSG_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# The place the waiting page showed last, carried in its own refresh address (`shown`).
_SHOWN_PLACE = re.compile(r"^[1-9][0-9]{0,5}$")


class _Buckets(BucketsByKey):
    """One token bucket per conversation, for its no-JS pages and posts together."""

    def __init__(self) -> None:
        super().__init__(REQUESTS_PER_SECOND, REQUEST_BURST, MAX_BUCKETS)


def _buckets(request: Request) -> _Buckets:
    state = request.app.state
    if not hasattr(state, "nojs_buckets"):
        state.nojs_buckets = _Buckets()
    buckets: _Buckets = state.nojs_buckets
    return buckets


async def _own_conversation(request: Request) -> ConversationRecord | None:
    """The open conversation behind the visitor's cookie; its counselor hears that this visitor
    has no live connection (only the first time: ChatService.visitor_link)."""
    chat = services_of(request.app).chat
    token = request.cookies.get(VISITOR_COOKIE)
    record = await chat.visitor_conversation(token) if token else None
    if record is not None:
        chat.visitor_link(record.id, live=False)
    return record


def _event_text(strings: dict[str, str], message: dict[str, Any]) -> str:
    text = strings.get(f"event_{message['event']}") or strings["event_unknown"]
    return text.replace("{name}", message.get("name") or strings["counselor"])


def _page(
    request: Request,
    lang: str,
    record: ConversationRecord | None,
    status: int = 200,
    form_id: str | None = None,
    **context: Any,
) -> Response:
    services = services_of(request.app)
    entry = entry_of(request)
    strings = visitor_strings(translations(lang).gettext)
    info = services.chat.info(record) if record else None
    wait = info["estimated_wait_seconds"] if info else None
    queue = _queue_view(request, lang, entry.base, info)
    return render(
        "nojs_chat.html",
        lang,
        status_code=status,
        conversation=info,
        wait_text=_wait_text(strings, wait),
        # A fresh id for every form rendered: the same form sent twice is one message.
        client_msg_id=form_id or secrets.token_urlsafe(16),
        max_chars=services.settings.max_message_chars,
        base=entry.base,
        exit_path=entry.base + EXIT_PATH,
        emergency_number=entry.organisation.emergency,
        queue_refresh=QUEUE_REFRESH_SECONDS,
        queue_url=queue.get("url"),
        queue_moved=strings["queue_moved"] if queue.get("moved") else None,
        **context,
    )


def moved_back(shown: int | None, position: int | None, noted: bool) -> bool:
    """Whether the waiting page says "someone went ahead of you", as visitor.js decides it: when
    the place went up since the page last showed it; the note stays while the place holds and
    goes once the line moves forward."""
    if shown is None or position is None:
        return False
    return position > shown or (position == shown and noted)


def _queue_view(
    request: Request, lang: str, base: str, info: dict[str, Any] | None
) -> dict[str, Any]:
    """Issue 19, item 3: the waiting page's refresh address carries the place it shows (and
    whether it showed the note), so the next refresh knows if the visitor was moved back. A
    forged address can change only this note on the visitor's own page."""
    if info is None or info["state"] != "queued":
        return {}
    position = info.get("position")
    position = position if isinstance(position, int) and position > 0 else None
    raw = request.query_params.get("shown", "")
    shown = int(raw) if _SHOWN_PLACE.match(raw) else None
    moved = moved_back(shown, position, request.query_params.get("moved") == "1")
    query = f"lang={lang}"
    if position is not None:
        query += f"&shown={position}" + ("&moved=1" if moved else "")
    return {"url": f"{base}{CHAT_PATH}?{query}", "moved": moved}


def _wait_text(strings: dict[str, str], seconds: int | None) -> str:
    """The estimate in the words and rounding visitor.js uses (waitText)."""
    if seconds is None or seconds < 0:
        return ""
    if seconds <= 60:
        return strings["wait_under_minute"]
    minutes = -(-seconds // 60)
    if minutes > 60:
        return strings["wait_over_hour"]
    shown = minutes if minutes <= 10 else -(-minutes // 5) * 5
    return strings["wait_minutes"].replace("{n}", str(shown))


def _storm(request: Request, lang: str, record: ConversationRecord | None) -> Response:
    notice = translations(lang).gettext(
        "You are refreshing very often. Please wait a few seconds. In danger now? Call 112."
    )
    page = _page(request, lang, record, status=429, storm=True, notice=notice)
    return _try_later(page, 429, STORM_RETRY_SECONDS)


def _ended_page(request: Request, lang: str, status: int, notice: str | None) -> Response:
    response = _page(request, lang, None, status=status, notice=notice, ended=True)
    if request.cookies.get(VISITOR_COOKIE):
        clear_session_cookie(response, VISITOR_COOKIE)
    return response


async def chat_page(request: Request) -> Response:
    """GET /chat: waiting (refreshing itself), the chat (transcript frame, message box, end), the
    second step of ending (`?end=ask`), or the ended page."""
    lang = _lang(request)
    record = await _own_conversation(request)
    if record is None:
        # Ended (by either side, or quick exit elsewhere), or never started.
        return _ended_page(request, lang, 200, None)
    if not _buckets(request).take(record.id, time.monotonic()):
        return _storm(request, lang, record)
    confirm_end = request.query_params.get("end") == "ask"
    # Issue 17: a referral waiting for the visitor's answer is shown as a form.
    cards = await pending_cards(request, record)
    notice = None
    if request.query_params.get("partner") == "refused":
        # After POST /chat/partner/refuse (Post/Redirect/Get); only ever a calm sentence.
        notice = translations(lang).gettext(
            "You said no. This person is no longer in the chat. Your counselor stays with you."
        )
    return _page(
        request, lang, record, confirm_end=confirm_end, referral_cards=cards, notice=notice
    )


async def log_page(request: Request) -> Response:
    """GET /chat/log: the transcript so far, for the frame on the chat page; refreshes itself
    while the chat is open."""
    lang = _lang(request)
    record = await _own_conversation(request)
    if record is None:
        return render("nojs_log.html", lang, messages=[], refresh=None, ended=True)
    if not _buckets(request).take(record.id, time.monotonic()):
        notice = translations(lang).gettext(
            "You are refreshing very often. Please wait a few seconds. In danger now? Call 112."
        )
        page = render(
            "nojs_log.html",
            lang,
            status_code=429,
            messages=[],
            refresh=STORM_RETRY_SECONDS,
            notice=notice,
        )
        return _try_later(page, 429, STORM_RETRY_SECONDS)
    strings = visitor_strings(translations(lang).gettext)
    shown = []
    # Issue 17, item 3: a partner professional is in the chat from their "joined" line until
    # their "left" line; meanwhile the frame offers the visitor's "no" (as visitor.js does).
    partner_here = False
    for message in await services_of(request.app).chat.visitor_transcript(record.id):
        if message["event"]:
            if message["event"] in (EVENT_PARTNER_JOINED, EVENT_PARTNER_LEFT):
                partner_here = message["event"] == EVENT_PARTNER_JOINED
            shown.append({"kind": "event", "text": _event_text(strings, message)})
        else:
            own = message["sender"] == "visitor"
            who = strings["you"] if own else (message["name"] or strings["counselor"])
            kind = "own" if own else "counselor"
            shown.append({"kind": kind, "who": who, "text": message["text"] or ""})
    return render(
        "nojs_log.html",
        lang,
        messages=shown,
        refresh=LOG_REFRESH_SECONDS,
        ended=False,
        partner_here=partner_here,
        base=entry_of(request).base,
    )


def _send_problem(lang: str, code: str) -> str:
    _ = translations(lang).gettext
    problems = {
        "text_empty": _("Please type a message first."),
        "text_too_long": _("Your message is too long. Please make it shorter."),
        "busy": _("Very busy right now. Your message was not sent. Please send it again."),
        "conversation_ended": _("This chat has ended. Your message was not sent."),
    }
    return problems.get(code, _("Something went wrong. Please try again."))


async def send_form(request: Request, _origin: SameOriginVisitor) -> Response:
    """POST /chat/send: form (`text`, `client_msg_id`, `lang`) → 303 to the chat page, or the
    chat page with the problem and the typed text kept."""
    services = services_of(request.app)

    async def too_long(lang: str) -> Response:
        record = await _own_conversation(request)
        problem = _send_problem(lang, "text_too_long")
        return _page(request, lang, record, status=413, problem=problem)

    posted = await posted_form(request, too_long)
    if isinstance(posted, Response):
        return posted
    form, lang = posted
    record = await _own_conversation(request)
    text = _text(form)
    if record is None:
        return _ended_page(request, lang, 409, _send_problem(lang, "conversation_ended"))
    client_msg_id = form.get("client_msg_id", "")
    if not _CLIENT_MSG_ID.match(client_msg_id):
        return error_page(lang, 400)
    if not _buckets(request).take(record.id, time.monotonic()):
        return _storm(request, lang, record)
    try:
        await services.chat.visitor_send(record.id, client_msg_id, text)
    except FrameError as exc:
        if exc.code == "conversation_ended":
            return _ended_page(request, lang, 409, _send_problem(lang, exc.code))
        status = 429 if exc.code == "busy" else (503 if exc.code == "unavailable" else 400)
        # The same id in the form again: should the first try have been stored after all,
        # sending the kept text once more cannot store it twice.
        page = _page(
            request,
            lang,
            record,
            status=status,
            problem=_send_problem(lang, exc.code),
            text=text,
            form_id=client_msg_id,
        )
        return _try_later(page, status)
    return RedirectResponse(f"{entry_of(request).base}{CHAT_PATH}?lang={lang}", status_code=303)


async def end_form(request: Request, _origin: SameOriginVisitor) -> Response:
    """POST /chat/end (the second step): ends the visitor's own chat, then 303 to the ended page."""
    services = services_of(request.app)
    posted = await posted_form(request)
    if isinstance(posted, Response):
        return posted
    _, lang = posted
    record = await _own_conversation(request)
    if record is not None:
        await services.chat.end_for_visitor(record.id, EndedBy.VISITOR)
    return RedirectResponse(f"{entry_of(request).base}{CHAT_PATH}?lang={lang}", status_code=303)


async def refuse_partner_form(request: Request, _origin: SameOriginVisitor) -> Response:
    """POST /chat/partner/refuse (issue 17, item 3): the visitor's one-tap "no" to a partner
    professional in their chat, from the transcript frame (the form targets the whole tab). The
    same core step as the socket's ``partner_refuse``: every partner access to the chat behind
    the visitor's own cookie ends at once, on every process, audited. The form names nothing;
    with or without a partner in the chat the answer is the same 303 to the chat page, which
    then says so calmly. Without an open chat: 303 to the ended page, nothing done."""
    services = services_of(request.app)
    posted = await posted_form(request)
    if isinstance(posted, Response):
        return posted
    _, lang = posted
    back = f"{entry_of(request).base}{CHAT_PATH}?lang={lang}"
    record = await _own_conversation(request)
    if record is None:
        return RedirectResponse(back, status_code=303)
    await services.chat.partners.visitor_refuses(record.id)
    return RedirectResponse(f"{back}&partner=refused", status_code=303)


async def pending_cards(request: Request, record: ConversationRecord) -> list[dict[str, Any]]:
    """The cards to show on the chat page: what the socket's `referral_card` carries."""
    found = await services_of(request.app).chat.referrals.pending(record.id)
    return [
        {
            "referral_id": referral.id,
            "service": card.service,
            "texts": card.texts,
            "summary": card.summary,
            "scope_items": SCOPE_ITEMS,
        }
        for referral, card in found
    ]
