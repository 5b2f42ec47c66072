"""The organisation's visitor blocks in force, for supervisors and administrators (issue 15).

The page shows when a block was placed, until when, its reason code, whether it holds a return
code or only the one chat, and who placed it: never the visitor's text, the code or the chat.
Lifting is one conditional update (store/block_repo.py ``lift``): of two supervisors lifting the
same block at once, one lifts it and leaves the one audit record, the other is told calmly that it
was already lifted. Blocks are read from the database at every check (chat_service.py
``return_with_code``), so a lifted block stops working at once on every process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.audit import kinds as audit_kinds
from baken.i18n import negotiate
from baken.store.block_repo import BlockRepository
from baken.store.staff_repo import StaffMember
from baken.web.audit_hooks import audit
from baken.web.guards import SameOrigin, staff_for
from baken.web.pages import error_page
from baken.web.services import services_of
from baken.web.staff_nav import BLOCKS
from baken.web.templating import render

DONE = frozenset({"lifted", "already"})
# The helpline's own clock, as on the figures pages; the page says so.
ZONE = ZoneInfo("Europe/Amsterdam")


def local_time(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _blocks(request: Request) -> BlockRepository:
    return BlockRepository(services_of(request.app).db)


Overseer = Annotated[StaffMember, Depends(staff_for(BLOCKS))]


async def blocks_page(request: Request, member: Overseer) -> Response:
    listed = await _blocks(request).active_of_organisation(member.organisation_id)
    done = request.query_params.get("done")
    return render(
        "staff_blocks.html",
        _lang(request),
        staff=member,
        blocks=listed,
        local_time=local_time,
        done=done if done in DONE else None,
    )


async def lift_block(request: Request, _origin: SameOrigin, member: Overseer) -> Response:
    lang = _lang(request)
    repo = _blocks(request)
    found = await repo.get(str(request.path_params.get("block_id", "")))
    # Another organisation's block is treated as one that does not exist.
    if found is None or found[1] != member.organisation_id:
        return error_page(lang, 404)
    block = found[0]
    if not await repo.lift(block.id, member.id):
        return RedirectResponse(f"{BLOCKS.path}?done=already&lang={lang}", status_code=303)
    await audit(
        request,
        audit_kinds.BLOCK_LIFT,
        member,
        audit_kinds.BLOCK,
        block.id,
        detail=f"reason={block.reason}",
    )
    return RedirectResponse(f"{BLOCKS.path}?done=lifted&lang={lang}", status_code=303)
