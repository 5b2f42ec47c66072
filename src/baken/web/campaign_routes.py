"""Campaign entry points (issue 18): the short address on posters and cards, ``/c/<CODE>``, and
the campaign counts page for an organisation's supervisors and administrators.

``/c/<CODE>`` leads to the chat's entry page, whatever the code: a poster must never end in an
error page, and an unknown or malformed code is simply an ordinary visit, counted as "unknown".
The visit is counted in memory (campaigns/counter.py), never with anything about the visitor, and
the code goes on in the address (``/?c=<code>``) so that a chat started from that page is counted
too — nothing is stored on the visitor's device for it. The code in that address is the counted,
normalised one: a malformed code is never echoed back.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.campaigns.codes import UNKNOWN, campaign_code, local_day
from baken.campaigns.counter import CampaignCounter
from baken.campaigns.repository import DayCount, counts_between
from baken.i18n import negotiate, visitor_language
from baken.reports.suppression import DEFAULT_THRESHOLD
from baken.store.clock import utcnow
from baken.store.staff_repo import StaffMember
from baken.web.guards import staff_for
from baken.web.organisation_entry import entry_of
from baken.web.services import services_of
from baken.web.staff_nav import CAMPAIGNS
from baken.web.templating import render

# The staff page shows this many days, today included.
DAYS_SHOWN = 28


def campaigns_of(app: Any) -> CampaignCounter:
    counter: CampaignCounter = app.state.campaigns
    return counter


async def campaign_entry(request: Request) -> Response:
    entry = entry_of(request)
    code = campaign_code(request.path_params.get("code")) or UNKNOWN
    campaigns_of(request.app).visit(entry.organisation.id, code)
    query = {"c": code}
    # A launcher on a partner's page passes the page's language on (docs/reach.md).
    lang = visitor_language(request.query_params.get("lang"))
    if lang is not None:
        query["lang"] = lang
    # /o/<slug>/c/CODE leads to that organisation's entry page (issue 14).
    return RedirectResponse(f"{entry.base}/?{urlencode(query)}", status_code=303)


def shown(count: int, threshold: int = DEFAULT_THRESHOLD) -> str:
    """A count as the staff page shows it: below the report threshold only "< threshold".

    Zero is shown: it says nobody came, which tells nothing about anyone (as in the report)."""
    return str(count) if count == 0 or count >= threshold else f"< {threshold}"


def _row(row: DayCount) -> dict[str, Any]:
    return {
        "day": row.day.isoformat(),
        "code": row.code,
        "unknown": row.code == UNKNOWN,
        "visits": shown(row.tally.visits),
        "started": shown(row.tally.started),
        "answered": shown(row.tally.answered),
    }


async def campaigns_page(
    request: Request, member: Annotated[StaffMember, Depends(staff_for(CAMPAIGNS))]
) -> Response:
    lang = negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))
    services = services_of(request.app)
    # What this process counted in the last seconds is shown too, not only after the next flush.
    await campaigns_of(request.app).flush()
    last: date = local_day(utcnow())
    first = last - timedelta(days=DAYS_SHOWN - 1)
    rows = await counts_between(services.db, member.organisation_id, first, last)
    return render(
        "campaigns.html",
        lang,
        staff={
            "display_name": member.display_name,
            "role": member.role.value,
            "organisation_id": member.organisation_id,
        },
        rows=[_row(row) for row in rows],
        first=first.isoformat(),
        last=last.isoformat(),
        threshold=DEFAULT_THRESHOLD,
    )
