"""Service figures for supervisors (page and CSV), and the visitor's feedback after a chat."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from baken.figures.compute import (
    Answer,
    Bucket,
    Granularity,
    figures,
    local_day_bounds,
    median,
    p90,
    response_times,
)
from baken.figures.feedback import ANSWERS, FeedbackRefused, FeedbackStore
from baken.figures.queries import contacts_between, feedback_between, mailbox_lines_since
from baken.i18n import negotiate
from baken.reports.export import safe_cell
from baken.store.clock import utcnow
from baken.store.staff_repo import StaffMember
from baken.web.cookies import VISITOR_COOKIE
from baken.web.guards import SameOriginVisitorApi, staff_for
from baken.web.json_body import load_json
from baken.web.pages import error_page
from baken.web.service_routes import hours_store
from baken.web.services import services_of
from baken.web.staff_nav import FIGURES
from baken.web.templating import render

# web/staff_nav.py: the navigation shows the page to the same roles.
Viewer = Annotated[StaffMember, Depends(staff_for(FIGURES))]
MAX_DAYS = {Granularity.DAY: 366, Granularity.HOUR: 31}
MAX_BODY_BYTES = 4 * 1024
CSV_COLUMNS = (
    "period_start",
    "contacts",
    "answered",
    "abandoned_in_queue",
    "wait_median_s",
    "wait_p90_s",
    "duration_median_s",
    "duration_p90_s",
    "quick_exits",
    "feedback",
    "helped_yes",
    "helped_partly",
    "helped_no",
    "come_back_yes",
    "come_back_partly",
    "come_back_no",
    "answered_within_pct",  # issue 15, item 7: BAKEN_ANSWERED_WITHIN_MINUTES
)


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


class BadQuery(Exception):
    pass


async def _local_today(request: Request, member: StaffMember) -> date:
    """Today where the organisation is: between midnight there and midnight UTC the two differ,
    and a default period ending on UTC's date left out the chats of the local day so far."""
    config, _version = await hours_store(request.app).load(member.organisation_id)
    return utcnow().astimezone(config.schedule.zone).date()


def _period(request: Request, today: date) -> tuple[date, date, Granularity]:
    """from/to (local dates, inclusive) and by; the last 14 days by day when not given."""
    params = request.query_params
    try:
        by = Granularity(params.get("by") or "day")
        last = date.fromisoformat(params["to"]) if params.get("to") else today
        first = (
            date.fromisoformat(params["from"])
            if params.get("from")
            else last - timedelta(days=13 if by is Granularity.DAY else 0)
        )
    except ValueError:
        raise BadQuery() from None
    if first > last or (last - first).days + 1 > MAX_DAYS[by]:
        raise BadQuery()
    return first, last, by


async def _figures(
    request: Request, member: StaffMember, first: date, last: date, by: Granularity
) -> tuple[list[Bucket], Bucket, str]:
    services = services_of(request.app)
    config, _version = await hours_store(request.app).load(member.organisation_id)
    zone = config.schedule.zone
    start, end = local_day_bounds(first, last, zone)
    contacts = await contacts_between(services.db, member.organisation_id, start, end)
    answers = await feedback_between(services.db, member.organisation_id, start, end)
    within = timedelta(minutes=services.settings.answered_within_minutes)
    rows, total = figures(contacts, answers, zone, by, within)
    return rows, total, config.schedule.timezone


async def _left_message_responses(
    request: Request, member: StaffMember, first: date, last: date
) -> list[float]:
    """Issue 15, item 7: how long left messages waited for the team's answer (seconds)."""
    services = services_of(request.app)
    config, _version = await hours_store(request.app).load(member.organisation_id)
    start, end = local_day_bounds(first, last, config.schedule.zone)
    lines = await mailbox_lines_since(services.db, member.organisation_id, start)
    return response_times(lines, int(start.timestamp() * 1000), int(end.timestamp() * 1000))


def _seconds(value: float | None) -> str:
    return "" if value is None else str(round(value))


def _row(label: str, bucket: Bucket) -> list[str]:
    return [
        label,
        str(bucket.contacts),
        str(bucket.answered),
        str(bucket.abandoned),
        _seconds(bucket.wait_median),
        _seconds(bucket.wait_p90),
        _seconds(bucket.duration_median),
        _seconds(bucket.duration_p90),
        str(bucket.quick_exits),
        str(bucket.feedback),
        *(str(bucket.helped.get(code, 0)) for code in (Answer.YES, Answer.PARTLY, Answer.NO)),
        *(str(bucket.come_back.get(code, 0)) for code in (Answer.YES, Answer.PARTLY, Answer.NO)),
        "" if bucket.answered_within_pct is None else str(bucket.answered_within_pct),
    ]


def _label(bucket: Bucket, by: Granularity) -> str:
    if by is Granularity.DAY:
        return bucket.start.date().isoformat()
    return bucket.start.isoformat(timespec="minutes")


async def figures_page(request: Request, member: Viewer) -> Response:
    lang = _lang(request)
    try:
        first, last, by = _period(request, await _local_today(request, member))
    except BadQuery:
        return error_page(lang, 400)
    rows, total, timezone = await _figures(request, member, first, last, by)
    left = await _left_message_responses(request, member, first, last)
    return render(
        "figures.html",
        lang,
        staff={
            "display_name": member.display_name,
            "role": member.role.value,
            "organisation_id": member.organisation_id,
        },
        first=first.isoformat(),
        last=last.isoformat(),
        by=by.value,
        timezone=timezone,
        rows=[_row(_label(b, by), b) for b in rows],
        total=_row("", total),
        answered_within_minutes=services_of(request.app).settings.answered_within_minutes,
        left_answered=len(left),
        left_median=_seconds(median(left)),
        left_p90=_seconds(p90(left)),
        csv_query=f"from={first.isoformat()}&to={last.isoformat()}&by={by.value}",
    )


async def figures_csv(request: Request, member: Viewer) -> Response:
    try:
        first, last, by = _period(request, await _local_today(request, member))
    except BadQuery:
        return error_page(_lang(request), 400)
    rows, total, _timezone = await _figures(request, member, first, last, by)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for bucket in rows:
        writer.writerow([safe_cell(cell) for cell in _row(_label(bucket, by), bucket)])
    writer.writerow([safe_cell(cell) for cell in _row("total", total)])
    name = f"baken-figures-{first.isoformat()}-{last.isoformat()}-{by.value}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- the visitor's feedback --------------------------------------------------------------------


def feedback_store(app: Any) -> FeedbackStore:
    store: FeedbackStore | None = getattr(app.state, "feedback_store", None)
    if store is None:
        chat = services_of(app).chat
        store = FeedbackStore(chat.repo.db, chat.repo.ciphers)
        app.state.feedback_store = store
    return store


async def _json(request: Request, allowed: set[str]) -> dict[str, Any] | Response:
    """The JSON body, bounded, with only ``allowed`` keys (the route's guard checked the
    origin)."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return JSONResponse({"error": "too_large"}, status_code=413)
    try:
        data = load_json(body)
    except ValueError:
        return JSONResponse({"error": "invalid_json"}, status_code=400)
    if not isinstance(data, dict) or set(data) - allowed:
        return JSONResponse({"error": "invalid_request"}, status_code=400)
    return data


async def feedback_ticket_api(request: Request, _origin: SameOriginVisitorApi) -> Response:
    """While the chat runs: a ticket to answer the two questions once it has ended."""
    data = await _json(request, set())
    if isinstance(data, Response):
        return data
    token = request.cookies.get(VISITOR_COOKIE)
    record = await services_of(request.app).chat.visitor_conversation(token) if token else None
    if record is None:
        return JSONResponse({"error": "no_conversation"}, status_code=404)
    return JSONResponse({"ticket": await feedback_store(request.app).ticket(record.id)})


async def feedback_status_api(request: Request, _origin: SameOriginVisitorApi) -> Response:
    data = await _json(request, {"ticket"})
    if isinstance(data, Response):
        return data
    store = feedback_store(request.app)
    try:
        conversation_id = await store.conversation_of(data.get("ticket"))
    except FeedbackRefused as exc:
        return JSONResponse({"error": exc.code}, status_code=400)
    return JSONResponse({"eligible": await store.eligible(conversation_id)})


def _answer(raw: object) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or raw not in ANSWERS:
        raise FeedbackRefused("invalid_answer")
    return ANSWERS[raw]


async def feedback_api(request: Request, _origin: SameOriginVisitorApi) -> Response:
    """Store the answers (either may be skipped, not both). No free text: nothing to identify."""
    data = await _json(request, {"ticket", "helped", "come_back"})
    if isinstance(data, Response):
        return data
    store = feedback_store(request.app)
    try:
        conversation_id = await store.conversation_of(data.get("ticket"))
        helped, come_back = _answer(data.get("helped")), _answer(data.get("come_back"))
        if helped is None and come_back is None:
            raise FeedbackRefused("nothing_answered")
        await store.submit(conversation_id, helped, come_back)
    except FeedbackRefused as exc:
        status = 409 if exc.code == "not_possible" else 400
        return JSONResponse({"error": exc.code}, status_code=status)
    return JSONResponse({"status": "thanks"})
