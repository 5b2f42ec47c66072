"""The audit log page for administrators: newest first, filtered by person, action and dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import Response

from baken.audit import kinds
from baken.i18n import negotiate
from baken.store.audit_repo import PAGE_SIZE, AuditFilter
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffMember
from baken.web.guards import staff_for
from baken.web.services import services_of
from baken.web.staff_nav import AUDIT
from baken.web.templating import render

MAX_FILTER_CHARS = 64


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _date(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


async def audit_page(
    request: Request, member: Annotated[StaffMember, Depends(staff_for(AUDIT))]
) -> Response:
    services = services_of(request.app)
    audit = services.chat.audit
    params = request.query_params
    actor = (params.get("actor") or "").strip()
    kind = params.get("kind") or ""
    since_text = params.get("from") or ""
    until_text = params.get("to") or ""
    before_text = params.get("before") or ""
    since = _date(since_text) if since_text else None
    until = _date(until_text) if until_text else None
    bad = (
        len(actor) > MAX_FILTER_CHARS
        or (kind != "" and kind not in kinds.ALL_KINDS)
        or (since_text != "" and since is None)
        or (until_text != "" and until is None)
        or (before_text != "" and not (before_text.isdigit() and len(before_text) < 19))
    )
    records = []
    more = False
    names: dict[str, tuple[str, str]] = {}
    if not bad:
        actor_id = actor or None
        if actor:
            found = await services.staff.by_username(actor)
            if found is not None:
                actor_id = found[0].id
        where = AuditFilter(
            # Issue 14: an administrator sees their own organisation's records; the default
            # organisation's also the installation's own (docs/organisations.md).
            organisation_id=member.organisation_id,
            installation=member.organisation_id == DEFAULT_ORGANISATION,
            actor_id=actor_id,
            kind=kind or None,
            since=since,
            # "to" names a day: everything on that day is included.
            until=until + timedelta(days=1) if until else None,
        )
        page = await audit.page(where, int(before_text) if before_text else None, PAGE_SIZE + 1)
        more = len(page) > PAGE_SIZE
        records = page[:PAGE_SIZE]
        names = await audit.staff_names({r.actor_id for r in records if r.actor_id})
        # Who looked at the log is in the log too.
        await audit.record(kinds.AUDIT_VIEW, kinds.Actor.of(member))
    filters = {"actor": actor, "kind": kind, "from": since_text, "to": until_text}
    next_query = None
    if more and records:
        kept = {key: value for key, value in filters.items() if value}
        next_query = urlencode({**kept, "before": records[-1].id, "lang": _lang(request)})
    return render(
        "audit.html",
        _lang(request),
        status_code=400 if bad else 200,
        staff={
            "display_name": member.display_name,
            "role": member.role.value,
            "organisation_id": member.organisation_id,
        },
        records=records,
        names=names,
        filters=filters,
        kinds=kinds.ALL_KINDS,
        bad=bad,
        next_query=next_query,
    )
