"""The researcher page: the yearly report in the browser, its charts and its downloads.

Aggregates only, after suppression: the page never shows a conversation or a single case. The
threshold is the default one here; only whoever runs ``baken report`` on the server can change it.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import Response

from baken.audit import kinds as audit_kinds
from baken.i18n import negotiate
from baken.reports.model import Report
from baken.reports.service import (
    DEFAULT_RULE,
    DEFAULT_THRESHOLD,
    ReportError,
    Rule,
    available_years,
    make_report,
)
from baken.store.staff_repo import StaffMember
from baken.web.guards import FILE, staff_for
from baken.web.pages import error_page
from baken.web.services import services_of
from baken.web.staff_nav import RESEARCH
from baken.web.templating import render

# web/staff_nav.py: the navigation shows the page to the same roles; the files answer 403
# without a session.
Reader = Annotated[StaffMember, Depends(staff_for(RESEARCH))]
FileReader = Annotated[StaffMember, Depends(staff_for(RESEARCH, FILE))]
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
}


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _rule(request: Request) -> Rule:
    """The counting rule asked for; anything else is the default (CKM) rule."""
    try:
        return Rule(request.query_params.get("rule", DEFAULT_RULE.value))
    except ValueError:
        return DEFAULT_RULE


async def _report(request: Request, member: StaffMember, year: int) -> Report:
    services = services_of(request.app)
    return await make_report(
        services.db,
        organisation_id=member.organisation_id,
        organisation_name=services.settings.organisation_name,
        year=year,
        threshold=DEFAULT_THRESHOLD,
        lang=_lang(request),
        rule=_rule(request),
    )


def _year(text: str | None) -> int | None:
    if text is None or not text.isdigit() or len(text) != 4:
        return None
    return int(text)


async def research_page(request: Request, member: Reader) -> Response:
    services = services_of(request.app)
    years = await available_years(services.db, member.organisation_id, _rule(request))
    asked = request.query_params.get("year")
    year = _year(asked) if asked else (years[-1] if years else None)
    report: Report | None = None
    problem: str | None = None
    if asked and year is None:
        problem = "bad_year"
    elif year is not None:
        try:
            report = await _report(request, member, year)
        except ReportError as exc:
            problem = exc.code
        else:
            await services.chat.audit.record(
                audit_kinds.REPORT_VIEW,
                audit_kinds.Actor.of(member),
                audit_kinds.REPORT,
                str(year),
            )
    return render(
        "researcher.html",
        _lang(request),
        status_code=200 if problem in (None, "no_data", "future_year") else 400,
        staff={
            "display_name": member.display_name,
            "role": member.role.value,
            "organisation_id": member.organisation_id,
        },
        years=years,
        year=year,
        report=report,
        problem=problem,
        rule=_rule(request).value,
    )


async def download(request: Request, allowed: FileReader) -> Response:
    year = _year(request.path_params["year"])
    fmt = request.path_params["fmt"]
    if year is None or fmt not in FORMATS:
        return error_page(_lang(request), 404)
    try:
        report = await _report(request, allowed, year)
    except ReportError:
        return error_page(_lang(request), 404)
    if fmt == "csv":
        from baken.reports.export import to_csv

        body: bytes = to_csv(report).encode("utf-8")
    elif fmt == "json":
        from baken.reports.export import to_json

        body = to_json(report)
    elif fmt == "html":
        from baken.reports.html import to_html

        body = (await asyncio.to_thread(to_html, report)).encode("utf-8")
    else:
        from baken.reports.pdf import to_pdf

        # Drawing takes CPU: keep it off the event loop that serves the chats.
        body = await asyncio.to_thread(to_pdf, report)
    await services_of(request.app).chat.audit.record(
        audit_kinds.REPORT_DOWNLOAD,
        audit_kinds.Actor.of(allowed),
        audit_kinds.REPORT,
        str(year),
        f"fmt={fmt} rule={report.rule}",
    )
    return Response(
        body,
        media_type=FORMATS[fmt],
        headers={"content-disposition": f'attachment; filename="baken-report-{year}.{fmt}"'},
    )


async def chart(request: Request, allowed: FileReader) -> Response:
    year = _year(request.path_params["year"])
    if year is None:
        return error_page(_lang(request), 404)
    try:
        report = await _report(request, allowed, year)
    except ReportError:
        return error_page(_lang(request), 404)
    table_id = request.path_params["table"]
    found = next((t for t in report.tables() if t.id == table_id and t.chart), None)
    if found is None or found.chart is None:
        return error_page(_lang(request), 404)
    from baken.reports.charts import render as render_chart

    png = await asyncio.to_thread(render_chart, found.chart, found.title)
    return Response(png, media_type="image/png")
