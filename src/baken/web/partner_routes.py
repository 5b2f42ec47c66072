"""The "Invitations" page of a partner professional (issue 17, item 3; docs/partners.md): the
conversations they are invited into now, and the chat itself over the staff socket (partner.js).

Only partner accounts open it (other staff: 403, like any page of another role); a partner gets a
404 on every other staff page, like a page that does not exist (web/guards.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import Response

from baken.i18n import negotiate
from baken.store.clock import iso
from baken.store.staff_repo import StaffMember
from baken.web.guards import staff_for
from baken.web.services import services_of
from baken.web.staff_nav import PARTNER
from baken.web.templating import render
from baken.web.ui_strings import partner_strings


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


async def partner_page(
    request: Request, member: Annotated[StaffMember, Depends(staff_for(PARTNER))]
) -> Response:
    # Other staff get the 403 page; signed in on a staff page, that is the staff version
    # (web/pages.py ErrorPage).
    services = services_of(request.app)
    partners = services.chat.partners
    invitations = await partners.repo.open_for_staff(member.id, partners.clock())
    return render(
        "staff_partner.html",
        _lang(request),
        partner_strings,
        staff={
            "id": member.id,
            "display_name": member.display_name,
            "role": member.role.value,
            "organisation_id": member.organisation_id,
        },
        current_page=PARTNER.key,
        invitations=[
            {"id": a.id, "expires_at": iso(a.expires_at), "joined": a.joined_at is not None}
            for a in invitations
        ],
        max_chars=services.settings.max_message_chars,
    )
