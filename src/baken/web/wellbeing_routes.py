"""The "My day" page (issue 15, item 6; docs/wellbeing.md): a counselor's own figures for today,
their choice to share them with supervisors, and — for supervisors and administrators — the team's
totals and the figures of those who chose to share. Never a ranking: no sorting by any figure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.i18n import negotiate
from baken.store.clock import utcnow
from baken.store.staff_repo import StaffMember
from baken.web.origin import same_origin
from baken.web.pages import error_page
from baken.web.services import services_of
from baken.web.staff_nav import FIGURE_VIEWERS, WELLBEING
from baken.web.staff_routes import current_staff
from baken.web.templating import render
from baken.wellbeing.day import Day, Stint, day_start, figures
from baken.wellbeing.repository import WellbeingRepository

MAX_FORM_BYTES = 1024
# Team totals are shown only when at least this many colleagues had chats today: with fewer,
# a total points at a person.
MIN_TEAM = 3


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


async def _member(request: Request) -> StaffMember | Response:
    member = await current_staff(request)
    if member is None:
        return RedirectResponse("/staff/login", status_code=303)
    if not WELLBEING.open_to(member.role):
        return error_page(_lang(request), 403)
    return member


def _shown(day: Day) -> dict[str, Any]:
    minutes = day.seconds // 60
    return {"chats": day.chats, "heavy": day.heavy, "hours": minutes // 60, "minutes": minutes % 60}


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


async def wellbeing_page(request: Request) -> Response:
    member = await _member(request)
    if isinstance(member, Response):
        return member
    services = services_of(request.app)
    repo = WellbeingRepository(services.db)
    now = utcnow()
    since = day_start(now)
    own = await repo.stints(member.organisation_id, since, member.id)
    context: dict[str, Any] = {
        "day": _shown(figures(own, now)),
        "sharing": await repo.shares(member.id),
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


async def wellbeing_share(request: Request) -> Response:
    services = services_of(request.app)
    if not same_origin(request, services.settings.allowed_origins):
        return error_page(_lang(request), 403)
    member = await _member(request)
    if isinstance(member, Response):
        return member
    form = await request.form(max_files=0, max_fields=4, max_part_size=MAX_FORM_BYTES)
    choice = form.get("share")
    if choice not in ("yes", "no"):
        return error_page(_lang(request), 400)
    await WellbeingRepository(services.db).set_share(member.id, choice == "yes")
    return RedirectResponse("/staff/wellbeing", status_code=303)
