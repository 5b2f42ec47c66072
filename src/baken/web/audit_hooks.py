"""One call for the HTTP routes that must leave a record in the audit log (docs/security.md)."""

from __future__ import annotations

from starlette.requests import Request

from baken.audit import kinds
from baken.store.staff_repo import StaffMember
from baken.web.services import services_of


async def audit(
    request: Request,
    kind: str,
    actor: StaffMember | None,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Append a record; ``actor`` None means unknown (a sign-in with an unknown username: the
    name typed is never written down, it may be someone's password typed in the wrong field)."""
    who = kinds.Actor.of(actor) if actor is not None else kinds.UNKNOWN
    await services_of(request.app).chat.audit.record(kind, who, object_type, object_id, detail)
