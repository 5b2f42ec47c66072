"""Opening hours (issue 3, part 2): the visitor's closed state, the admin page, the left messages.

Visitors have no organisation of their own: like their conversations, they belong to the default
organisation. Closed means: hours are switched on and now is outside them. Then starting a chat
is refused here, on the server, whatever the page shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from babel.dates import format_date
from fastapi import Depends
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from baken.access import Permission
from baken.domain.return_code import CodeError
from baken.domain.text import TextError, validate_message_text
from baken.i18n import VISITOR_LANGUAGES, negotiate, translations, visitor_language
from baken.realtime.chat_service import CodeNotAccepted, TryLater
from baken.realtime.left_messages_push import READERS_OF_LEFT_MESSAGES
from baken.service_hours.config import ConfigInvalid, ServiceConfig, parse, to_document
from baken.service_hours.form import FORM_FIELDS, document_from_form, form_from_document
from baken.service_hours.left_messages import LeftMessages
from baken.service_hours.store import ServiceHoursStore, VersionConflict
from baken.store.clock import iso, iso_ms, utcnow
from baken.store.return_code_repo import MailboxMessage
from baken.store.staff_repo import StaffMember
from baken.web.abuse_guard import way_back_gate
from baken.web.guards import (
    API,
    FILE,
    SameOrigin,
    SameOriginVisitorApi,
    staff_for,
)
from baken.web.json_body import load_json
from baken.web.mailbox_view import visitor_mailbox
from baken.web.organisation_entry import entry_of
from baken.web.services import services_of
from baken.web.staff_nav import HOURS
from baken.web.templating import render

MAX_BODY_BYTES = 16 * 1024
MAX_FORM_BYTES = 32 * 1024

# Error codes of the config, as the admin reads them next to the field.
CONFIG_ERRORS = {
    "bad_ranges": "Write times as 09:00-17:00, several separated by commas.",
    "bad_time": "Use times from 00:00 to 24:00.",
    "end_before_start": "An end time must come after its start time.",
    "overlap": "These times overlap.",
    "bad_date": "Start the line with a date: 2026-12-25.",
    "duplicate_date": "This date is listed twice.",
    "bad_exception": "Write: date, then 'closed' or times, then an optional name.",
    "bad_label": "Fill in both names (at most 80 characters each).",
    "bad_phone_number": "Write: Dutch name | English name | number.",
    "bad_numbers": "At most 8 numbers.",
    "bad_exceptions": "At most 400 dates.",
    "bad_message": "At most 600 characters.",
    "unknown_timezone": "Unknown time zone.",
    "version_conflict": "Someone else saved the hours just now. Reload the page.",
}


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _visitor_lang(request: Request) -> str:
    return negotiate(
        request.query_params.get("lang"), request.headers.get("accept-language"), VISITOR_LANGUAGES
    )


def _error(status: int, code: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, **extra}, status_code=status)


def hours_store(app: Any) -> ServiceHoursStore:
    store: ServiceHoursStore | None = getattr(app.state, "service_hours", None)
    if store is None:
        store = ServiceHoursStore(services_of(app).db)
        app.state.service_hours = store
    return store


def left_messages(app: Any) -> LeftMessages:
    found: LeftMessages | None = getattr(app.state, "left_messages", None)
    if found is None:
        found = LeftMessages(services_of(app).chat)
        app.state.left_messages = found
    return found


def opens_text(config: ServiceConfig, opens: datetime, now: datetime, lang: str) -> str:
    """'today at 09:00', 'tomorrow at 09:00' or 'Monday 28 December at 09:00', in local time."""
    _ = translations(lang).gettext
    zone = config.schedule.zone
    local, today = opens.astimezone(zone), now.astimezone(zone).date()
    time_text = local.strftime("%H:%M")
    if local.date() == today:
        return _("today at {time}").format(time=time_text)
    if local.date() == today + timedelta(days=1):
        return _("tomorrow at {time}").format(time=time_text)
    day = format_date(local.date(), "EEEE d MMMM", locale=lang)
    return _("{day} at {time}").format(day=day, time=time_text)


async def closed_state(
    request: HTTPConnection, lang: str, now: datetime | None = None
) -> dict[str, Any] | None:
    """None while the visitor's organisation is open; otherwise what the closed page shows."""
    organisation_id = entry_of(request).organisation.id
    config, _version = await hours_store(request.app).load(organisation_id)
    now = now or utcnow()
    if not config.enabled or config.schedule.is_open(now):
        services = services_of(request.app)
        if not services.settings.open_needs_staff or services.chat.presence.staffed(
            organisation_id
        ):
            return None
        # Issue 15: inside the hours, but nobody is signed in to take a chat. Waiting would be
        # waiting for no one: the closed page, without an opening time (nobody knows it).
        return {
            "opens_at": None,
            "opens_text": None,
            "message": config.message(lang),
            "numbers": [{"label": n.label(lang), "number": n.number} for n in config.numbers],
            "reason": "unstaffed",
        }
    opens = config.schedule.next_opening(now)
    return {
        "reason": "hours",
        "opens_at": iso(opens),
        "opens_text": opens_text(config, opens, now, lang) if opens else None,
        "message": config.message(lang),
        "numbers": [{"label": n.label(lang), "number": n.number} for n in config.numbers],
    }


class ServiceClosed(Exception):
    """Starting a chat outside opening hours; carries what the closed page shows."""

    def __init__(self, closed: dict[str, Any]) -> None:
        super().__init__("the chat is closed")
        self.closed = closed


def closed_error(lang: str, closed: dict[str, Any]) -> JSONResponse:
    _ = translations(lang).gettext
    message = _("The chat is closed now.")
    if closed["opens_text"]:
        message += " " + _("We open again {when}.").format(when=closed["opens_text"])
    return JSONResponse(
        {"error": "closed", "message": message, "opens_at": closed["opens_at"]}, status_code=503
    )


# --- visitors ------------------------------------------------------------------------------------


async def status_api(request: Request) -> Response:
    """Open or closed right now, for the visitor page (no credentials: nothing personal here)."""
    lang = _visitor_lang(request)
    closed = await closed_state(request, lang)
    if closed is None:
        return JSONResponse({"open": True})
    return JSONResponse({"open": False, **closed})


async def _visitor_json(request: Request, allowed: set[str]) -> dict[str, Any] | Response:
    """The JSON body, bounded and with only ``allowed`` keys (the route's guard checked the
    origin)."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "too_large")
    try:
        data = load_json(body)
    except ValueError:
        return _error(400, "invalid_json")
    if not isinstance(data, dict) or set(data) - allowed:
        return _error(400, "invalid_request")
    return data


def _request_lang(request: Request, data: dict[str, Any]) -> str:
    return visitor_language(data.get("lang")) or _visitor_lang(request)


def _message_text(request: Request, raw: object) -> str:
    if not isinstance(raw, str):
        raise TextError("text_empty", "Please type a message first.")
    return validate_message_text(raw, services_of(request.app).settings.max_message_chars)


class VisitorRefused(Exception):
    """A left message or a mailbox visit that is refused: the HTTP status, the error code and
    the English text (the msgid). The JSON API and the no-JavaScript forms answer from it."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


async def leave_message(request: Request, raw_text: object, lang: str) -> str:
    """Store an anonymous message; returns its new code (shown once). VisitorRefused if not."""
    try:
        text = _message_text(request, raw_text)
    except TextError as exc:
        raise VisitorRefused(400, exc.code, exc.message) from exc
    try:
        organisation_id = entry_of(request).organisation.id
        return await left_messages(request.app).leave(organisation_id, text, lang)
    except TryLater as exc:
        raise VisitorRefused(429, "try_later", "Try again in a moment.") from exc


async def read_answers(
    request: Request, raw_code: object, raw_text: object = None
) -> list[MailboxMessage]:
    """The answers not read yet with this code (then marked read), after storing the visitor's
    new message if there is one. VisitorRefused, the same for wrong and unknown codes, if not."""
    if not isinstance(raw_code, str):
        raise VisitorRefused(400, "code_empty", "Type your code.")
    text: str | None = None
    if raw_text is not None:
        try:
            text = _message_text(request, raw_text)
        except TextError as exc:
            raise VisitorRefused(400, exc.code, exc.message) from exc
    try:
        organisation_id = entry_of(request).organisation.id
        return await left_messages(request.app).visitor_visit(raw_code, text, organisation_id)
    except CodeError as exc:
        raise VisitorRefused(400, exc.code, exc.message) from exc
    except TryLater as exc:
        raise VisitorRefused(429, "try_later", "Try again in a moment.") from exc
    except CodeNotAccepted as exc:
        raise VisitorRefused(
            400, "code_not_accepted", "This code does not work. Check it, or start a new chat."
        ) from exc


async def leave_message_api(request: Request, _origin: SameOriginVisitorApi) -> Response:
    """Leave an anonymous message; the answer is read later with the code this returns."""
    data = await _visitor_json(request, {"text", "lang", "pow"})
    if isinstance(data, Response):
        return data
    refused = await way_back_gate(request, data)  # issue 16: proof, then address budget
    if refused is not None:
        return refused
    lang = _request_lang(request, data)
    _ = translations(lang).gettext
    try:
        code = await leave_message(request, data.get("text"), lang)
    except VisitorRefused as exc:
        return _error(exc.status, exc.code, message=_(exc.message))
    return JSONResponse({"status": "stored", "code": code})


async def visitor_mailbox_api(request: Request, _origin: SameOriginVisitorApi) -> Response:
    """Read answers with a code (marked read once shown); optionally leave another message."""
    data = await _visitor_json(request, {"code", "text", "lang", "pow"})
    if isinstance(data, Response):
        return data
    refused = await way_back_gate(request, data)  # issue 16: proof, then address budget
    if refused is not None:
        return refused
    _ = translations(_request_lang(request, data)).gettext
    try:
        answers = await read_answers(request, data.get("code"), data.get("text"))
    except VisitorRefused as exc:
        return _error(exc.status, exc.code, message=_(exc.message))
    return JSONResponse(
        {
            # Issue 17: `partner` names the partner organisation that left one, else null.
            "messages": [
                {"text": m["text"], "sent_at": m["sent_at"], "partner": m["partner"]}
                for m in await visitor_mailbox(request, answers)
            ],
            "stored": data.get("text") is not None,
        }
    )


# --- staff: the messages left while closed ------------------------------------------------------


Reader = Annotated[StaffMember, Depends(staff_for(Permission(READERS_OF_LEFT_MESSAGES), API))]
ApiAdmin = Annotated[StaffMember, Depends(staff_for(HOURS, API))]
PageAdmin = Annotated[StaffMember, Depends(staff_for(HOURS))]
# The form post answers the 403 page without a session too.
FormAdmin = Annotated[StaffMember, Depends(staff_for(HOURS, FILE))]


async def waiting_messages_api(request: Request, member: Reader) -> Response:
    threads = await left_messages(request.app).waiting(member.organisation_id)
    return JSONResponse(
        {
            "threads": [
                {
                    "id": t.code_id,
                    "waiting_since": iso_ms(t.waiting_since_ms),
                    "unanswered": t.unanswered,
                }
                for t in threads
            ]
        }
    )


async def thread_api(request: Request, member: Reader) -> Response:
    inbox = left_messages(request.app)
    code_id = request.path_params["code_id"]
    if not await inbox.belongs_to(code_id, member.organisation_id):
        return _error(404, "not_found")
    messages = await inbox.thread(code_id)
    return JSONResponse(
        {
            "id": code_id,
            "messages": [
                {
                    "seq": m.seq,
                    "from": "visitor" if m.direction == "to_staff" else "counselor",
                    "text": m.text,
                    "sent_at": iso_ms(m.sent_at_ms),
                }
                for m in messages
            ],
        }
    )


async def reply_api(request: Request, member: Reader, _origin: SameOriginVisitorApi) -> Response:
    data = await _visitor_json(request, {"text"})
    if isinstance(data, Response):
        return data
    inbox = left_messages(request.app)
    code_id = request.path_params["code_id"]
    if not await inbox.belongs_to(code_id, member.organisation_id):
        return _error(404, "not_found")
    try:
        text = _message_text(request, data.get("text"))
    except TextError as exc:
        return _error(400, exc.code, message=exc.message)
    try:
        seq = await inbox.reply(code_id, member.id, text)
    except LookupError:
        return _error(404, "not_found")
    return JSONResponse({"status": "sent", "seq": seq})


# --- admin: the hours themselves ----------------------------------------------------------------


async def hours_api(request: Request, member: ApiAdmin) -> Response:
    config, version = await hours_store(request.app).load(member.organisation_id)
    return JSONResponse({"version": version, "config": to_document(config)})


async def put_hours_api(
    request: Request, member: ApiAdmin, _origin: SameOriginVisitorApi
) -> Response:
    data = await _visitor_json(request, {"version", "config"})
    if isinstance(data, Response):
        return data
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        return _error(400, "invalid_request")
    lang = _lang(request)
    try:
        config = parse(data.get("config"))
    except ConfigInvalid as exc:
        return _config_invalid(exc, lang)
    try:
        saved = await hours_store(request.app).save(
            member.organisation_id, config, version, member.id
        )
    except VersionConflict as exc:
        return _error(409, "version_conflict", current_version=exc.current_version)
    return JSONResponse({"version": saved, "config": to_document(config)})


def _config_invalid(exc: ConfigInvalid, lang: str) -> JSONResponse:
    _ = translations(lang).gettext
    fields = {
        key: {"code": code, "message": _(CONFIG_ERRORS.get(code, "Check this field."))}
        for key, code in exc.errors.items()
    }
    return JSONResponse({"error": "invalid", "fields": fields}, status_code=422)


def _page(
    request: Request,
    member: StaffMember,
    lang: str,
    form: dict[str, str],
    version: int,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    _ = translations(lang).gettext
    return render(
        "service_hours.html",
        lang,
        status_code=status_code,
        staff={
            "display_name": member.display_name,
            "role": member.role.value,
            "organisation_id": member.organisation_id,
        },
        form=form,
        version=version,
        errors={
            key: _(CONFIG_ERRORS.get(code, "Check this field."))
            for key, code in (errors or {}).items()
        },
        saved=saved,
    )


async def hours_page(request: Request, member: PageAdmin) -> Response:
    lang = _lang(request)
    config, version = await hours_store(request.app).load(member.organisation_id)
    saved = request.query_params.get("saved") == "1"
    return _page(
        request, member, lang, form_from_document(to_document(config)), version, saved=saved
    )


async def save_hours_page(request: Request, member: FormAdmin, _origin: SameOrigin) -> Response:
    lang = _lang(request)
    raw = await request.form(max_files=0, max_fields=30, max_part_size=MAX_FORM_BYTES)
    form = {name: str(raw.get(name) or "") for name in FORM_FIELDS}
    form["enabled"] = "1" if raw.get("enabled") else ""
    version_text = str(raw.get("version") or "0")
    version = int(version_text) if version_text.isdigit() else 0
    document, errors = document_from_form(form)
    if not errors:
        try:
            config = parse(document)
        except ConfigInvalid as exc:
            errors = _form_errors(exc.errors)
    if errors:
        return _page(request, member, lang, form, version, errors, status_code=400)
    try:
        await hours_store(request.app).save(member.organisation_id, config, version, member.id)
    except VersionConflict:
        errors = {"form": "version_conflict"}
        return _page(request, member, lang, form, version, errors, status_code=409)
    return RedirectResponse(f"/staff/hours?saved=1&lang={lang}", status_code=303)


def _form_errors(errors: dict[str, str]) -> dict[str, str]:
    """Config field keys (weekly.3, exceptions.2) to the form's fields (day_3, exceptions)."""
    out: dict[str, str] = {}
    for key, code in errors.items():
        if key.startswith("weekly."):
            out.setdefault("day_" + key.split(".", 1)[1], code)
        elif key.startswith("exceptions"):
            out.setdefault("exceptions", code)
        elif key.startswith("numbers"):
            out.setdefault("numbers", code)
        else:
            out.setdefault(key if key in FORM_FIELDS else "form", code)
    return out
