"""Who left a mailbox message for the visitor (issue 17): a partner professional's callback or
appointment (``partner_mailbox_send``) is shown as coming from their partner organisation, under
its name, never under a staff member's personal name; everything else is the helpline's.
"""

from __future__ import annotations

from collections.abc import Sequence

from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.return_code_repo import MailboxMessage
from baken.store.staff_repo import StaffRepository


async def partner_senders(db: Database, messages: Sequence[MailboxMessage]) -> list[str | None]:
    """For each message, the name of the partner organisation whose professional wrote it, or
    None for the helpline's own (a counselor, or no author)."""
    names: dict[str, str | None] = {}
    staff, organisations = StaffRepository(db), OrganisationRepository(db)
    for staff_id in {m.staff_id for m in messages if m.staff_id}:
        member = await staff.by_id(staff_id)
        names[staff_id] = None
        if member is None or member.role is not Role.PARTNER:
            continue
        # Only partner accounts write with partner_mailbox_send; their organisation is whose
        # name the visitor agreed to in the referral.
        organisation = await organisations.by_id(member.organisation_id)
        if organisation is not None:
            names[staff_id] = organisation.name
    return [names.get(m.staff_id) if m.staff_id else None for m in messages]
