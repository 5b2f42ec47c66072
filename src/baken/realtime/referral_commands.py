"""Referrals over the WebSocket (issue 17, item 2; docs/referrals.md, docs/protocol.md).

The chat's own counselor proposes a directory service (`referral_propose`); the visitor gets the
card (`referral_card`) and answers it (`referral_answer`); every console following the chat, on
every process, gets `referral_update`. A proposal on a chat that is not the counselor's own, or
no longer active, is refused exactly like one on a chat that does not exist.

Changes cross processes as a bare event (`referral_changed`, or the withdrawal's
`referral_withdrawn`) naming the referral; each process reads it back and tells its own sockets.
Referrals are rare, so the read costs nothing that matters, and no consent text crosses Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy.exc import SQLAlchemyError

from baken.audit import kinds
from baken.domain.conversation import Role, State
from baken.realtime import wire
from baken.realtime.broker import Broker
from baken.realtime.connection import Connection, StaffIdentity, VisitorIdentity
from baken.realtime.frames import (
    FrameError,
    ReferralAnswer,
    ReferralPropose,
    ReferralsGet,
    _Frame,
)
from baken.referrals.consent import card_for, card_frame, checked_summary, referral_view
from baken.referrals.model import PROPOSED, Card, Referral, ReferralRefused, checked_answer
from baken.referrals.repository import ReferralRepository
from baken.referrals.service_lookup import Lookup, directory_lookup
from baken.store.records import ConversationRecord

if TYPE_CHECKING:
    from baken.realtime.live import Live

log = logging.getLogger(__name__)

REFERRAL_FRAME_TYPES = (ReferralPropose, ReferralsGet, ReferralAnswer)
CHANGED_EVENT: Final = "referral_changed"
# Published when the visitor withdraws (web/referral_routes.py); helper F's partner access ends
# on it, on every process.
WITHDRAWN_EVENT: Final = "referral_withdrawn"
OVERSEERS = (Role.SUPERVISOR, Role.ADMIN)


def _not_participant(ref: str) -> FrameError:
    return FrameError("not_a_participant", "You are not part of this conversation.", ref)


class ReferralCommands:
    def __init__(self, live: Live, lookup: Lookup = directory_lookup) -> None:
        self.live = live
        self.hub = live.hub
        self.repo = ReferralRepository(live.repo)
        # The directory lookup; tests may give one of their own.
        self.lookup = lookup
        live.broker.on(wire.ReferralChanged, self.on_event)
        live.broker.on(wire.ReferralWithdrawn, self.on_event)

    # --- frames ---------------------------------------------------------------------------------

    async def handle(self, conn: Connection, frame: _Frame) -> None:
        if isinstance(frame, ReferralPropose):
            await self._propose(conn, frame)
        elif isinstance(frame, ReferralsGet):
            await self._list(conn, frame)
        elif isinstance(frame, ReferralAnswer):
            await self._answer(conn, frame)

    async def _own_active_chat(self, conn: Connection, conversation_id: str) -> ConversationRecord:
        identity = conn.identity
        assert isinstance(identity, StaffIdentity)
        member = identity.member
        record = await self.hub.conversation(conversation_id)
        if (
            record is None
            or record.counselor_id != member.id
            or record.organisation_id != member.organisation_id
            or record.state is not State.ACTIVE
        ):
            raise _not_participant("referral_propose")
        return record

    async def _propose(self, conn: Connection, frame: ReferralPropose) -> None:
        record = await self._own_active_chat(conn, frame.conversation_id)
        assert isinstance(conn.identity, StaffIdentity)
        member = conn.identity.member
        try:
            summary = checked_summary(frame.summary)
        except ReferralRefused as exc:
            raise FrameError(exc.code, exc.message, frame.type) from None
        service = await self.lookup(self.live.repo.db, member.organisation_id, frame.service_id)
        if service is None:
            raise FrameError("unknown_service", "This service is not in the directory.", frame.type)
        card = card_for(service, record.lang, summary)
        referral = await self.repo.propose(
            record.organisation_id,
            record.id,
            service.id,
            service.service_type,
            member.id,
            card,
        )
        await self._audit(
            kinds.REFERRAL_PROPOSE, member, referral.id, f"type={service.service_type}"
        )
        conn.send({"type": "referral_proposed", **_update(referral, card)})
        self._changed(referral)

    async def _list(self, conn: Connection, frame: ReferralsGet) -> None:
        identity = conn.identity
        if isinstance(identity, VisitorIdentity):
            if identity.conversation_id != frame.conversation_id:
                raise _not_participant(frame.type)
            for referral in await self.repo.for_conversation(frame.conversation_id):
                card = await self.repo.card(referral.id)
                if card is not None:
                    conn.send(card_frame(referral, card))
            conn.send({"type": "referrals", "conversation_id": frame.conversation_id})
            return
        assert isinstance(identity, StaffIdentity)
        member = identity.member
        record = await self.hub.conversation(frame.conversation_id)
        # The chat's counselor (ended chats too: the registration comes after), or an overseer
        # of its organisation; anyone else the same refusal as a missing chat.
        if (
            record is None
            or record.organisation_id != member.organisation_id
            or (record.counselor_id != member.id and member.role not in OVERSEERS)
        ):
            raise _not_participant(frame.type)
        shown = []
        for referral in await self.repo.for_conversation(frame.conversation_id):
            shown.append(referral_view(referral, await self.repo.card(referral.id)))
        conn.send(
            {"type": "referrals", "conversation_id": frame.conversation_id, "referrals": shown}
        )

    async def _answer(self, conn: Connection, frame: ReferralAnswer) -> None:
        identity = conn.identity
        assert isinstance(identity, VisitorIdentity)  # only VISITOR_FRAMES carry it
        if identity.conversation_id != frame.conversation_id:
            raise _not_participant(frame.type)
        referral = await self.answer(
            frame.conversation_id, frame.referral_id, frame.answer, frame.scope
        )
        conn.send(
            {
                "type": "referral_answered",
                "conversation_id": referral.conversation_id,
                "referral_id": referral.id,
                "status": referral.status,
                "consent_level": referral.consent_level,
                "consent_scope": list(referral.consent_scope),
            }
        )

    async def answer(
        self, conversation_id: str, referral_id: str, answer: str, scope: Sequence[str]
    ) -> Referral:
        """The visitor's answer, from the socket or the chat without JavaScript (the caller has
        tied the conversation to the visitor); FrameError with the frame's codes."""
        try:
            checked = checked_answer(answer, scope)
        except ReferralRefused as exc:
            raise FrameError(exc.code, exc.message, "referral_answer") from None
        referral = await self.repo.answer(referral_id, conversation_id, answer, checked)
        if referral is None:
            # Answered already, withdrawn, or not a proposal of this chat: one answer for all.
            raise FrameError(
                "referral_closed", "This suggestion can no longer be answered.", "referral_answer"
            )
        self._changed(referral)
        return referral

    async def pending(self, conversation_id: str) -> list[tuple[Referral, Card]]:
        """The proposals of a chat still waiting for the visitor's answer, with their cards."""
        found = []
        for referral in await self.repo.for_conversation(conversation_id):
            card = await self.repo.card(referral.id) if referral.status == PROPOSED else None
            if card is not None:
                found.append((referral, card))
        return found

    async def _audit(
        self, kind: str, member: Any, referral_id: str, detail: str | None = None
    ) -> None:
        try:
            await self.live.audit.record(
                kind, kinds.Actor.of(member), kinds.REFERRAL, referral_id, detail
            )
        except SQLAlchemyError:
            log.exception("writing an audit record failed")

    # --- events ---------------------------------------------------------------------------------

    def _changed(self, referral: Referral) -> None:
        ids = _ids(referral)
        self.live.broker.publish({"kind": CHANGED_EVENT, **ids, "wire": ids})

    def on_event(self, event: wire.ReferralChanged | wire.ReferralWithdrawn) -> None:
        conversation_id, referral_id = event.get("conversation_id"), event.get("referral_id")
        if not isinstance(conversation_id, str) or not isinstance(referral_id, str):
            return
        if self.hub.by_conversation.get(conversation_id):
            self.hub._spawn(self._tell(conversation_id, referral_id))

    async def _tell(self, conversation_id: str, referral_id: str) -> None:
        """This process's sockets of the chat: the visitor their card (while it waits for an
        answer) or its new state; the consoles the referral with its consent."""
        referral = await self.repo.get(referral_id)
        if referral is None or referral.conversation_id != conversation_id:
            return
        card = await self.repo.card(referral_id)
        for conn in list(self.hub.by_conversation.get(conversation_id, ())):
            if conn.is_visitor:
                if referral.status == PROPOSED and card is not None:
                    conn.send(card_frame(referral, card))
                else:
                    conn.send(
                        {
                            "type": "referral_state",
                            "conversation_id": conversation_id,
                            "referral_id": referral.id,
                            "status": referral.status,
                        }
                    )
            else:
                conn.send({"type": "referral_update", **_update(referral, card)})


def _update(referral: Referral, card: Any) -> wire.ReferralUpdateBody:
    return {"conversation_id": referral.conversation_id, "referral": referral_view(referral, card)}


def _ids(referral: Referral) -> wire.ReferralWire:
    return {
        "organisation_id": referral.organisation_id,
        "conversation_id": referral.conversation_id,
        "referral_id": referral.id,
    }


def publish_withdrawn(broker: Broker, referral: Referral) -> None:
    """The visitor withdrew their consent (web/referral_routes.py, the form without JavaScript):
    every process ends the partner access and tells the chat's sockets."""
    ids = _ids(referral)
    broker.publish({"kind": WITHDRAWN_EVENT, **ids, "wire": ids})
