"""What the console and the command line share: reading a conversation's visitor traces for the
checks, and making the signed export of an approved signal."""

from __future__ import annotations

import asyncio
import hmac

from baken.crypto.code_hash import code_hash
from baken.crypto.envelope import MasterKey
from baken.domain.conversation import Sender
from baken.police_signals.checks import Result, VisitorTraces, check
from baken.police_signals.export import Signed, content_of, sign
from baken.police_signals.fields import SignalFields
from baken.police_signals.repository import PoliceSignal, PoliceSignalRepository
from baken.police_signals.signing import fingerprint, signing_key
from baken.store.conversation_repo import ConversationRepository
from baken.store.organisation_repo import OrganisationRepository
from baken.store.return_code_repo import ReturnCodeRepository


async def traces_of(conversations: ConversationRepository, conversation_id: str) -> VisitorTraces:
    """The visitor's nickname and every message they wrote in the conversation (none when its key
    was destroyed by retention: then there is nothing left to leak, and nothing to compare)."""
    record = await conversations.get(conversation_id)
    if record is None:
        return VisitorTraces()
    said: list[str] = []
    after = 0
    while True:
        page = await conversations.messages_after(conversation_id, after)
        if not page:
            break
        said.extend(m.text for m in page if m.sender is Sender.VISITOR and m.event is None)
        after = page[-1].seq
    return VisitorTraces(nickname=record.nickname, messages=tuple(said))


async def check_draft(
    signals: PoliceSignalRepository,
    conversations: ConversationRepository,
    codes: ReturnCodeRepository,
    fields: SignalFields,
    conversation_id: str | None,
) -> Result:
    if conversation_id is None:
        return check(fields, VisitorTraces(), None)
    traces = await traces_of(conversations, conversation_id)
    stored = await signals.code_hash_of(conversation_id)
    if stored is None:
        return await asyncio.to_thread(check, fields, traces, None)
    pepper = await codes.pepper()

    def is_code(candidate: str) -> bool:
        return hmac.compare_digest(code_hash(pepper, candidate), stored)

    # argon2 per candidate: off the event loop.
    return await asyncio.to_thread(check, fields, traces, is_code)


async def signed_export(
    signals: PoliceSignalRepository, master: MasterKey, signal: PoliceSignal
) -> Signed:
    """The signed document of an approved signal (workflow.check_export said yes)."""
    assert signal.approved_at is not None
    organisation = await OrganisationRepository(signals.db).by_id(signal.organisation_id)
    key = await signing_key(signals.db, master, signal.organisation_id)
    content = content_of(
        signal_id=signal.id,
        organisation_id=signal.organisation_id,
        organisation_name=organisation.name if organisation is not None else "",
        fields=signal.fields,
        approved_at=signal.approved_at,
        drafted_by_role=signal.drafted_by_role,
        approved_by_role=signal.approved_by_role,
        key_fingerprint=fingerprint(key.public_key()),
    )
    return sign(content, key)
