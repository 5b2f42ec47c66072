"""Per-counselor figures for supervisors and administrators (issue 15, item 7; docs/wellbeing.md,
"Per counselor"): the page and the same as CSV, for the own organisation only. For support and
planning, never ranking: rows in alphabetical order, no sorting by any figure, and the wellbeing
columns only of those who chose to share them. Every view is audited (``figures.counselors``)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, timedelta
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import Response

from baken.audit import kinds
from baken.figures.compute import local_day_bounds
from baken.figures.counselor_repository import CounselorFigures
from baken.figures.per_counselor import CounselorRow, rows
from baken.reports.export import safe_cell
from baken.store.clock import utcnow
from baken.store.staff_repo import StaffMember
from baken.web.audit_hooks import audit
from baken.web.figures_routes import BadQuery, _local_today, _period, _seconds
from baken.web.guards import staff_for, staff_language
from baken.web.pages import error_page
from baken.web.service_routes import hours_store
from baken.web.services import services_of
from baken.web.staff_nav import FIGURES
from baken.web.templating import render

CSV_COLUMNS = (
    "name",
    "chats",
    "first_reply_median_s",
    "registrations_pending",
    "shares_wellbeing",  # 1: the three columns after it are theirs; 0: empty on purpose
    "heavy_chats",
    "chat_seconds",
    "longest_without_break_s",
)


async def _rows(
    request: Request, member: StaffMember, first: date, last: date
) -> tuple[list[CounselorRow], str]:
    services = services_of(request.app)
    config, _version = await hours_store(request.app).load(member.organisation_id)
    local_start, local_end = local_day_bounds(first, last, config.schedule.zone)
    # In UTC: SQLite compares stored times as text, and a bound in another offset would be off.
    start = local_start.astimezone(UTC)
    end = min(local_end.astimezone(UTC), utcnow())  # what has not happened yet counts as nothing
    repo = CounselorFigures(services.db)
    organisation_id = member.organisation_id
    stints = await repo.wellbeing.stints(organisation_id, start)
    replies = await repo.first_replies(organisation_id, start, end)
    pending = await repo.pending(organisation_id, start, end)
    shares = await repo.shares(organisation_id)
    busy = {s.staff_id for s in stints if s.start < end} | set(pending)
    # Everyone who may chat and still can, and anyone else who had chats in the period.
    names = {
        staff_id: name
        for staff_id, name, _role, active in await repo.people(organisation_id)
        if active or staff_id in busy
    }
    gap = timedelta(minutes=services.settings.wellbeing_pause_minutes)
    return rows(names, stints, replies, pending, shares, start, end, gap), config.schedule.timezone


def _hours_minutes(seconds: int) -> dict[str, int]:
    minutes = seconds // 60
    return {"h": minutes // 60, "m": minutes % 60}


def _shown(row: CounselorRow) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "name": row.name,
        "chats": row.chats,
        "first_reply": _seconds(row.first_reply_median),
        "pending": row.pending,
        "shared": None,
    }
    if row.shared is not None:
        shown["shared"] = {
            "heavy": row.shared.heavy,
            "time": _hours_minutes(row.shared.seconds),
            "longest": _hours_minutes(row.shared.longest_seconds),
        }
    return shown


def _detail(first: date, last: date, fmt: str) -> str:
    return f"from={first.isoformat()} to={last.isoformat()} fmt={fmt}"


async def _audit(request: Request, member: StaffMember, detail: str) -> None:
    # Figures about named colleagues: who looked at them, and for which period, is kept.
    organisation_id = member.organisation_id
    kind = kinds.FIGURES_COUNSELORS
    await audit(request, kind, member, kinds.ORGANISATION, organisation_id, detail)


# The service figures' roles (web/staff_nav.py): supervisors and administrators.
Viewer = Annotated[StaffMember, Depends(staff_for(FIGURES))]


async def counselor_figures_page(request: Request, member: Viewer) -> Response:
    lang = staff_language(request)
    try:
        first, last, _by = _period(request, await _local_today(request, member))
    except BadQuery:
        return error_page(lang, 400)
    found, timezone = await _rows(request, member, first, last)
    await _audit(request, member, _detail(first, last, "html"))
    return render(
        "counselor_figures.html",
        lang,
        staff={
            "display_name": member.display_name,
            "role": member.role.value,
            "organisation_id": member.organisation_id,
        },
        first=first.isoformat(),
        last=last.isoformat(),
        timezone=timezone,
        rows=[_shown(row) for row in found],
        pause_minutes=services_of(request.app).settings.wellbeing_pause_minutes,
        csv_query=f"from={first.isoformat()}&to={last.isoformat()}",
    )


def _csv_row(row: CounselorRow) -> list[str]:
    shared = row.shared
    return [
        row.name,
        str(row.chats),
        _seconds(row.first_reply_median),
        str(row.pending),
        "1" if shared is not None else "0",
        str(shared.heavy) if shared is not None else "",
        str(shared.seconds) if shared is not None else "",
        str(shared.longest_seconds) if shared is not None else "",
    ]


async def counselor_figures_csv(request: Request, member: Viewer) -> Response:
    try:
        first, last, _by = _period(request, await _local_today(request, member))
    except BadQuery:
        return error_page(staff_language(request), 400)
    found, _timezone = await _rows(request, member, first, last)
    await _audit(request, member, _detail(first, last, "csv"))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in found:
        # A display name is typed by a person: protected against formula injection like any cell.
        writer.writerow([safe_cell(cell) for cell in _csv_row(row)])
    name = f"baken-counselor-figures-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
