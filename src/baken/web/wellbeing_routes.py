"""The "My day" page (issue 15, item 6; docs/wellbeing.md): a counselor's own figures for today,
their choice to share them with supervisors, and — for supervisors and administrators — the team's
totals and the figures of those who chose to share. Never a ranking: no sorting by any figure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.audit import kinds
from baken.i18n import negotiate
from baken.store.clock import utcnow
from baken.store.staff_repo import StaffMember
from baken.web.audit_hooks import audit
from baken.web.guards import SameOrigin, staff_for
from baken.web.pages import error_page
from baken.web.services import services_of
from baken.web.staff_nav import FIGURE_VIEWERS, WELLBEING
from baken.web.templating import render
from baken.wellbeing.day import ZONE, Day, Stint, day_start, figures
from baken.wellbeing.repository import WellbeingRepository

MAX_FORM_BYTES = 1024
# Team totals are shown only when at least this many colleagues had chats today: with fewer,
# a total points at a person.
MIN_TEAM = 3


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


Member = Annotated[StaffMember, Depends(staff_for(WELLBEING))]


def _shown(day: Day) -> dict[str, Any]:
    minutes = day.seconds // 60
    return {"chats": day.chats, "heavy": day.heavy, "hours": minutes // 60, "minutes": minutes % 60}


def _local_date(moment: datetime | None) -> str | None:
    return moment.astimezone(ZONE).date().isoformat() if moment is not None else None


def _team(stints: Iterable[Stint], now: Any) -> dict[str, Any]:
    by_staff: dict[str, list[Stint]] = {}
    for stint in stints:
        by_staff.setdefault(stint.staff_id, []).append(stint)
    people = {s for s, found in by_staff.items() if figures(found, now).chats > 0}
    everyone = [s for found in by_staff.values() for s in found]
    total = figures(everyone, now)
    return {
        "shown": len(people) >= MIN_TEAM,
        "people": len(people),
        "chats": total.chats,
        "heavy": total.heavy,
        "by_staff": by_staff,
    }


async def wellbeing_page(request: Request, member: Member) -> Response:
    services = services_of(request.app)
    repo = WellbeingRepository(services.db)
    now = utcnow()
    since = day_start(now)
    own = await repo.stints(member.organisation_id, since, member.id)
    context: dict[str, Any] = {
        "day": _shown(figures(own, now)),
        "sharing": _local_date(await repo.shares(member.id)),
        "team": None,
        "shared": [],
    }
    if member.role in FIGURE_VIEWERS:
        team = _team(await repo.stints(member.organisation_id, since), now)
        context["team"] = team
        # Alphabetical, never by a figure: this is not a league table.
        names = await repo.sharing(member.organisation_id)
        context["shared"] = [
            {"name": name, **_shown(figures(team["by_staff"].get(staff_id, []), now))}
            for staff_id, name in sorted(names.items(), key=lambda item: item[1].casefold())
        ]
    return render(
        "staff_wellbeing.html",
        _lang(request),
        staff={
            "display_name": member.display_name,
            "role": member.role.value,
            "organisation_id": member.organisation_id,
        },
        pause_minutes=services.settings.wellbeing_pause_minutes,
        break_minutes=services.settings.break_reminder_minutes,
        min_team=MIN_TEAM,
        **context,
    )


async def wellbeing_share(request: Request, _origin: SameOrigin, member: Member) -> Response:
    services = services_of(request.app)
    form = await request.form(max_files=0, max_fields=4, max_part_size=MAX_FORM_BYTES)
    choice = form.get("share")
    if choice not in ("yes", "no"):
        return error_page(_lang(request), 400)
    changed = await WellbeingRepository(services.db).set_share(member.id, choice == "yes", utcnow())
    if changed:
        # The record that consent was given, and when it ended: it opens a person's figures to
        # others (docs/wellbeing.md, "What is kept").
        await audit(
            request, kinds.WELLBEING_SHARE, member, kinds.STAFF, member.id, f"share={choice}"
        )
    return RedirectResponse("/staff/wellbeing", status_code=303)
