"""Mailbox messages as a visitor reads them (with the return code, on the start page, the closed
page and their forms without JavaScript): the text, when, and who left it — the partner
organisation's name for a partner professional's message (issue 17), None for the helpline's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request

from baken.partners.mailbox import partner_senders
from baken.store.clock import iso_ms
from baken.store.return_code_repo import MailboxMessage
from baken.web.services import services_of


async def visitor_mailbox(
    request: Request, messages: Sequence[MailboxMessage]
) -> list[dict[str, Any]]:
    partners = await partner_senders(services_of(request.app).db, messages)
    return [
        {"seq": m.seq, "text": m.text, "sent_at": iso_ms(m.sent_at_ms), "partner": partner}
        for m, partner in zip(messages, partners, strict=True)
    ]
