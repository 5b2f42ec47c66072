"""Warm hand-off over the sockets (issue 17, item 3; docs/partners.md).

A counselor invites a partner professional (an account of role ``partner`` in the partner
organisation behind the referral's service) into ONE conversation, for a referral whose visitor
consented to a hand-off, for a limited time. The partner joins from their own socket (the staff
socket, with only ``PARTNER_FRAMES``) and sees the chat from the moment they join: their cursor
starts at the join, and a ``sync`` from before it is refused like a conversation that is not
theirs. The visitor sees a "joined" line and can say no at once.

Access ends when the partner leaves, the time runs out, the counselor ends it, the visitor says
no, the chat ends or the visitor withdraws their consent (broker event ``referral_withdrawn``).
Ending is one guarded UPDATE in the database (exactly one process audits it); every process drops
the partner's sockets from the conversation as soon as it hears of it, and every frame checks the
access and its expiry against ``clock`` first, so a process that missed an event still refuses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from baken.audit import kinds as audit_kinds
from baken.domain.conversation import Role, State
from baken.domain.text import TextError, validate_message_text
from baken.partners.consent import (
    ConsentLookup,
    HandoffConsent,
    TargetLookup,
    handoff_target,
    referral_consent,
)
from baken.partners.shared import consented_details
from baken.realtime.broker import Broker
from baken.realtime.connection import Connection, StaffIdentity, VisitorIdentity
from baken.realtime.frames import (
    FrameError,
    PartnerCandidates,
    PartnerEnd,
    PartnerInvitations,
    PartnerInvite,
    PartnerJoin,
    PartnerLeave,
    PartnerMailboxSend,
    PartnerRefuse,
    _Frame,
)
from baken.realtime.wire import (
    PartnerAccessEnded,
    PartnerEndedBody,
    PartnerEndedEvent,
    PartnerEndedWire,
    PartnerInvitedEvent,
    PartnerInvitedWire,
    ReferralWithdrawn,
)
from baken.store.clock import iso, utcnow
from baken.store.partner_access_repo import EndedReason, PartnerAccess, PartnerAccessRepository
from baken.store.records import ConversationRecord
from baken.store.return_code_repo import Direction
from baken.store.staff_repo import StaffMember, StaffRepository

if TYPE_CHECKING:
    from baken.realtime.live import Live

log = logging.getLogger(__name__)

PARTNER_FRAME_TYPES = (
    PartnerCandidates,
    PartnerInvite,
    PartnerEnd,
    PartnerInvitations,
    PartnerJoin,
    PartnerLeave,
    PartnerMailboxSend,
    PartnerRefuse,
)
# Broker events (docs/protocol.md, "Warm hand-off").
INVITED_EVENT: Final = "partner_invited"
ENDED_EVENT: Final = "partner_access_ended"
WITHDRAWN_EVENT: Final = "referral_withdrawn"  # published by the referrals (issue 17, item 2)
# System events in the transcript; clients translate them (the name is the partner's).
EVENT_PARTNER_JOINED = "partner_joined"
EVENT_PARTNER_LEFT = "partner_left"
CHAT_ROLES = frozenset({Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN})


def is_partner(conn: Connection) -> bool:
    return conn.is_partner


def _not_participant(ref: str | None) -> FrameError:
    # The same refusal as for a conversation that does not exist or is not one's own.
    return FrameError("not_a_participant", "You are not part of this conversation.", ref)


def _publish_invited(broker: Broker, wire: PartnerInvitedWire) -> None:
    # Ids and codes only: the same form goes to the other processes (redis_broker.wire_form).
    broker.publish({"kind": INVITED_EVENT, **wire, "wire": wire})


def _publish_ended(broker: Broker, wire: PartnerEndedWire) -> None:
    broker.publish({"kind": ENDED_EVENT, **wire, "wire": wire})


def _actor(member: StaffMember, access: PartnerAccess) -> audit_kinds.Actor:
    # Recorded for the helpline whose conversation it is: its administrators read the log.
    return audit_kinds.Actor.of(member).for_organisation(access.organisation_id)


def access_view(access: PartnerAccess) -> dict[str, Any]:
    return {
        "id": access.id,
        "conversation_id": access.conversation_id,
        "referral_id": access.referral_id,
        "partner_staff_id": access.partner_staff_id,
        "invited_at": iso(access.invited_at),
        "expires_at": iso(access.expires_at),
        "joined_at": iso(access.joined_at),
        "ended_at": iso(access.ended_at),
        "ended_reason": access.ended_reason.value if access.ended_reason else None,
    }


class PartnerAccessService:
    def __init__(
        self,
        live: Live,
        consent: ConsentLookup = referral_consent,
        target: TargetLookup = handoff_target,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.live = live
        self.hub = live.hub
        self.broker = live.broker
        self.db = live.repo.db
        self.repo = PartnerAccessRepository(self.db)
        self.staff = StaffRepository(self.db)
        self.consent = consent
        self.target = target
        self.clock = clock
        # Per partner socket on this process: the conversations it has joined, and the access.
        self.joined: dict[Connection, dict[str, PartnerAccess]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self.broker.on(PartnerEndedEvent, self.on_ended)
        self.broker.on(PartnerInvitedEvent, self.on_invited)
        self.broker.on(ReferralWithdrawn, self.on_withdrawn)
        self.hub.conversation_listeners.append(self._conversation_changed)
        self.hub.staff_listeners.append(self._prune)

    def start(self) -> None:
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper

    # --- checks the chat service asks for ---------------------------------------------------------

    def may_act(self, conn: Connection, conversation_id: str) -> bool:
        """A partner socket may use a conversation only while its access is open."""
        access = self.joined.get(conn, {}).get(conversation_id)
        if access is None:
            return False
        if not access.is_open(self.clock()):
            self._revoke_local(access.id, conversation_id, access.partner_staff_id, "expired")
            self.hub._spawn(self._end(access, EndedReason.EXPIRED))
            return False
        return True

    def may_sync(self, conn: Connection, conversation_id: str, after_seq: int) -> bool:
        """Nothing from before the join: a partner's sync must start at or after it."""
        if not is_partner(conn):
            return True
        access = self.joined.get(conn, {}).get(conversation_id)
        return access is not None and after_seq >= (access.joined_seq or 0)

    # --- frames -----------------------------------------------------------------------------------

    async def handle(self, conn: Connection, frame: _Frame) -> None:
        if isinstance(frame, PartnerRefuse):
            await self._refuse(conn, frame)
            return
        identity = conn.identity
        assert isinstance(identity, StaffIdentity)  # the visitor's only frame is handled above
        member = identity.member
        if isinstance(frame, PartnerCandidates | PartnerInvite | PartnerEnd):
            if member.role not in CHAT_ROLES:
                raise FrameError("forbidden", "Only counselors can do this.", frame.type)
            if isinstance(frame, PartnerCandidates):
                await self._candidates(conn, member, frame)
            elif isinstance(frame, PartnerInvite):
                await self._invite(conn, member, frame)
            else:
                await self._counselor_end(conn, member, frame)
            return
        if member.role is not Role.PARTNER:
            ref = str(getattr(frame, "type", ""))
            raise FrameError("forbidden", "Only partner accounts can do this.", ref)
        if isinstance(frame, PartnerInvitations):
            await self.send_invitations(conn, member)
        elif isinstance(frame, PartnerJoin):
            await self._join(conn, member, frame)
        elif isinstance(frame, PartnerLeave):
            access = await self._own_open_access(member, frame.access_id, frame.type)
            await self._end(access, EndedReason.LEFT)
            conn.send({"type": "partner_left", "access_id": access.id})
        elif isinstance(frame, PartnerMailboxSend):
            await self._mailbox(conn, member, frame)

    # --- the counselor ----------------------------------------------------------------------------

    async def _held(
        self, member: StaffMember, conversation_id: str, ref: str
    ) -> ConversationRecord:
        record = await self.hub.conversation(conversation_id)
        if (
            record is None
            or record.organisation_id != member.organisation_id
            or record.counselor_id != member.id
            or record.state is not State.ACTIVE
        ):
            raise _not_participant(ref)
        return record

    async def _consent_for(
        self, record: ConversationRecord, referral_id: str, ref: str
    ) -> HandoffConsent:
        consent = await self.consent(self.db, referral_id)
        if (
            consent is None
            or consent.conversation_id != record.id
            or consent.organisation_id != record.organisation_id
        ):
            # No consent, withdrawn, another chat's or another organisation's referral: one answer.
            raise FrameError(
                "no_handoff_consent", "This referral has no consent for a warm hand-off.", ref
            )
        return consent

    async def _partner_organisation(self, consent: HandoffConsent, ref: str) -> str:
        target = await self.target(self.db, consent.organisation_id, consent.service_id)
        if target is None:
            raise FrameError(
                "no_handoff_partner",
                "This service does not take warm hand-offs through Baken.",
                ref,
            )
        return target.partner_organisation_id

    async def _candidates(
        self, conn: Connection, member: StaffMember, frame: PartnerCandidates
    ) -> None:
        record = await self._held(member, frame.conversation_id, frame.type)
        consent = await self._consent_for(record, frame.referral_id, frame.type)
        partner_org = await self._partner_organisation(consent, frame.type)
        online = self.live.presence.online(partner_org)
        people = [
            {"id": m.id, "display_name": m.display_name, "online": m.id in online}
            for m in await self.staff.members(partner_org)
            if m.active and m.role is Role.PARTNER
        ]
        people.sort(key=lambda p: (not p["online"], str(p["display_name"])))
        conn.send(
            {
                "type": "partner_candidates",
                "conversation_id": record.id,
                "referral_id": consent.referral_id,
                "candidates": people,
            }
        )

    async def _invite(self, conn: Connection, member: StaffMember, frame: PartnerInvite) -> None:
        ref = frame.type
        record = await self._held(member, frame.conversation_id, ref)
        consent = await self._consent_for(record, frame.referral_id, ref)
        partner_org = await self._partner_organisation(consent, ref)
        partner = await self.staff.by_id(frame.partner_staff_id)
        if (
            partner is None
            or not partner.active
            or partner.role is not Role.PARTNER
            or partner.organisation_id != partner_org
        ):
            raise FrameError("invalid_target", "This person cannot be invited here.", ref)
        now = self.clock()
        minutes = frame.minutes or self.live.settings.partner_access_minutes
        access = await self.repo.invite(
            referral_id=consent.referral_id,
            conversation_id=record.id,
            organisation_id=record.organisation_id,
            partner_organisation_id=partner_org,
            partner_staff_id=partner.id,
            invited_by=member.id,
            now=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        await self._audit(
            audit_kinds.PARTNER_INVITE, audit_kinds.Actor.of(member), access, f"minutes={minutes}"
        )
        conn.send({"type": "partner_invited", "access": access_view(access)})
        _publish_invited(self.broker, {"partner_staff_id": partner.id, "access_id": access.id})

    async def _counselor_end(
        self, conn: Connection, member: StaffMember, frame: PartnerEnd
    ) -> None:
        record = await self.hub.conversation(frame.conversation_id)
        access = await self.repo.get(frame.access_id)
        if (
            record is None
            or record.counselor_id != member.id
            or access is None
            or access.conversation_id != record.id
            or access.ended_at is not None
        ):
            raise _not_participant(frame.type)
        await self._end(access, EndedReason.COUNSELOR_ENDED, actor=member)
        conn.send({"type": "partner_access_ended", **self._ended_wire(access, "counselor_ended")})

    # --- the visitor ------------------------------------------------------------------------------

    async def _refuse(self, conn: Connection, frame: PartnerRefuse) -> None:
        identity = conn.identity
        if not isinstance(identity, VisitorIdentity) or identity.conversation_id != (
            frame.conversation_id
        ):
            raise _not_participant(frame.type)
        await self.visitor_refuses(frame.conversation_id)
        conn.send({"type": "partner_refused", "conversation_id": frame.conversation_id})

    async def visitor_refuses(self, conversation_id: str) -> None:
        """The visitor's "no" (the socket's ``partner_refuse`` or the form of the chat without
        JavaScript): every partner access to their conversation ends now, on every process.
        The caller has already checked that the conversation is the visitor's own."""
        for access in await self.repo.not_ended(conversation_id):
            await self._end(access, EndedReason.VISITOR_REFUSED)

    # --- the partner ------------------------------------------------------------------------------

    async def send_invitations(self, conn: Connection, member: StaffMember) -> None:
        now = self.clock()
        found = await self.repo.open_for_staff(member.id, now)
        conn.send({"type": "partner_invitations", "invitations": [access_view(a) for a in found]})

    async def _own_open_access(
        self, member: StaffMember, access_id: str, ref: str
    ) -> PartnerAccess:
        access = await self.repo.get(access_id)
        if access is None or access.partner_staff_id != member.id:
            raise _not_participant(ref)
        if not access.is_open(self.clock()):
            if access.ended_at is None:
                await self._end(access, EndedReason.EXPIRED)
            raise _not_participant(ref)
        return access

    async def _join(self, conn: Connection, member: StaffMember, frame: PartnerJoin) -> None:
        ref = frame.type
        access = await self._own_open_access(member, frame.access_id, ref)
        if await self.consent(self.db, access.referral_id) is None:
            await self._end(access, EndedReason.WITHDRAWN)
            raise _not_participant(ref)
        record = await self.hub.conversation(access.conversation_id)
        if record is None or record.state is not State.ACTIVE:
            await self._end(access, EndedReason.CONVERSATION_ENDED)
            raise _not_participant(ref)
        if access.joined_at is None:
            # The visitor sees who joined, in their language; the partner's view starts there.
            line = await self.live.repo.add_event(
                record.id, EVENT_PARTNER_JOINED, member.id, member.display_name
            )
            if line is None:
                await self._end(access, EndedReason.CONVERSATION_ENDED)
                raise _not_participant(ref)
            joined = await self.repo.join(access.id, line.seq - 1, self.clock())
            self.live.committed([line])
            if joined is None:
                raise _not_participant(ref)
            access = joined
            await self._audit(audit_kinds.PARTNER_JOIN, _actor(member, access), access)
        self.joined.setdefault(conn, {})[record.id] = access
        conn.send(
            {
                "type": "partner_joined",
                "access": access_view(access),
                "conversation": await self._scoped_view(record, access),
            }
        )
        self.hub.follow(conn, record.id)
        self.hub.start_catch_up(conn, record.id, access.joined_seq or 0)

    async def _scoped_view(
        self, record: ConversationRecord, access: PartnerAccess
    ) -> dict[str, Any]:
        """What the partner may know of the conversation: only what the consent allows."""
        consent = await self.consent(self.db, access.referral_id)
        scope = consent.scope if consent is not None else frozenset()
        shared = await consented_details(
            self.live.repo, scope, record.id, access.referral_id, record.nickname
        )
        return {
            "id": record.id,
            "state": record.state.value,
            "lang": record.lang,
            "joined_seq": access.joined_seq,
            "scope": sorted(scope),
            "shared": shared,
        }

    async def _mailbox(
        self, conn: Connection, member: StaffMember, frame: PartnerMailboxSend
    ) -> None:
        ref = frame.type
        access = await self._own_open_access(member, frame.access_id, ref)
        if access.joined_at is None:
            raise _not_participant(ref)
        record = await self.hub.conversation(access.conversation_id)
        code_id = (record.return_code_id if record else None) or await self.live.codes.code_of(
            access.conversation_id
        )
        if code_id is None:
            raise FrameError("no_return_code", "This visitor has no return code.", ref)
        try:
            text = validate_message_text(frame.text, self.live.settings.max_message_chars)
        except TextError as exc:
            raise FrameError(exc.code, exc.message, ref) from None
        seq = await self.live.codes.post(code_id, Direction.TO_VISITOR, member.id, text)
        await self._audit(audit_kinds.PARTNER_MAILBOX, _actor(member, access), access)
        conn.send({"type": "partner_mailbox_sent", "access_id": access.id, "seq": seq})

    # --- ending -----------------------------------------------------------------------------------

    def _ended_wire(self, access: PartnerAccess, reason: str) -> PartnerEndedBody:
        return {
            "access_id": access.id,
            "conversation_id": access.conversation_id,
            "reason": reason,
        }

    async def _end(
        self, access: PartnerAccess, reason: EndedReason, actor: StaffMember | None = None
    ) -> None:
        """End an access: locally at once, then in the database (one process wins and audits),
        then on every process through the broker."""
        self._revoke_local(access.id, access.conversation_id, access.partner_staff_id, reason)
        ended = await self.repo.end(access.id, reason, self.clock())
        if ended is None:
            return
        who = audit_kinds.Actor.of(actor) if actor is not None else audit_kinds.SYSTEM
        if reason is EndedReason.LEFT:
            who = audit_kinds.Actor(access.partner_staff_id, Role.PARTNER.value)
        await self._audit(
            audit_kinds.PARTNER_END,
            who.for_organisation(access.organisation_id),
            ended,
            f"reason={reason.value}",
        )
        if ended.joined_at is not None and reason is not EndedReason.CONVERSATION_ENDED:
            partner = await self.staff.by_id(access.partner_staff_id)
            line = await self.live.repo.add_event(
                access.conversation_id,
                EVENT_PARTNER_LEFT,
                access.partner_staff_id,
                partner.display_name if partner else None,
            )
            if line is not None:
                self.live.committed([line])
        _publish_ended(
            self.broker,
            {
                "partner_staff_id": access.partner_staff_id,
                **self._ended_wire(access, reason.value),
            },
        )

    def _revoke_local(
        self, access_id: str, conversation_id: str, partner_staff_id: str, reason: str
    ) -> None:
        """Close this process's partner sockets for the conversation and tell them why."""
        frame: PartnerAccessEnded = {
            "type": "partner_access_ended",
            "access_id": access_id,
            "conversation_id": conversation_id,
            "reason": reason,
        }
        for conn in list(self.hub.staff_by_id.get(partner_staff_id, ())):
            joined = self.joined.get(conn)
            if joined is None or conversation_id not in joined:
                continue
            if joined[conversation_id].id != access_id:
                continue
            del joined[conversation_id]
            self.hub.unfollow(conn, conversation_id)
            conn.send(frame)

    async def _end_where(
        self, conversation_id: str | None, reason: EndedReason, referral_id: str | None = None
    ) -> None:
        for access in await self.repo.not_ended(conversation_id):
            if referral_id is None or access.referral_id == referral_id:
                await self._end(access, reason)

    async def sweep(self) -> None:
        """End every access whose time ran out (any process may; the first one wins)."""
        now = self.clock()
        for access in await self.repo.not_ended():
            if now >= access.expires_at:
                await self._end(access, EndedReason.EXPIRED)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.live.settings.partner_sweep_seconds)
            try:
                await self.sweep()
            except Exception:
                log.exception("ending expired partner accesses failed; trying again later")

    # --- events -----------------------------------------------------------------------------------

    def on_ended(self, event: PartnerEndedEvent) -> None:
        conversation_id = str(event.get("conversation_id"))
        self._revoke_local(
            str(event.get("access_id")),
            conversation_id,
            str(event.get("partner_staff_id")),
            str(event.get("reason")),
        )
        frame: PartnerAccessEnded = {
            "type": "partner_access_ended",
            "access_id": str(event.get("access_id")),
            "conversation_id": conversation_id,
            "reason": str(event.get("reason")),
        }
        for conn in self.hub.by_conversation.get(conversation_id, ()):
            if not conn.is_visitor and not is_partner(conn):
                conn.send(frame)  # the counselor (and observers) see it ended

    def on_invited(self, event: PartnerInvitedEvent) -> None:
        staff_id = str(event.get("partner_staff_id"))
        for conn in list(self.hub.staff_by_id.get(staff_id, ())):
            if is_partner(conn):
                self.hub._spawn(self._tell_invited(conn))

    def on_withdrawn(self, event: ReferralWithdrawn) -> None:
        referral_id = str(event.get("referral_id"))
        # At once on this process, before any database round trip.
        for joined in list(self.joined.values()):
            for conversation_id, access in list(joined.items()):
                if access.referral_id == referral_id:
                    self._revoke_local(
                        access.id, conversation_id, access.partner_staff_id, "withdrawn"
                    )
        self.hub._spawn(
            self._end_where(str(event.get("conversation_id")), EndedReason.WITHDRAWN, referral_id)
        )

    async def _tell_invited(self, conn: Connection) -> None:
        identity = conn.identity
        if isinstance(identity, StaffIdentity) and not conn.closed:
            await self.send_invitations(conn, identity.member)

    def _conversation_changed(self, record: ConversationRecord) -> None:
        if record.state is not State.ENDED:
            return
        for joined in list(self.joined.values()):
            access = joined.get(record.id)
            if access is not None:
                self._revoke_local(
                    access.id, record.id, access.partner_staff_id, "conversation_ended"
                )
        self.hub._spawn(self._end_where(record.id, EndedReason.CONVERSATION_ENDED))

    def _prune(self) -> None:
        for conn in [c for c in self.joined if c.closed or c not in self.hub.connections]:
            del self.joined[conn]

    async def _audit(
        self,
        kind: str,
        actor: audit_kinds.Actor,
        access: PartnerAccess,
        detail: str | None = None,
    ) -> None:
        try:
            await self.live.audit.record(kind, actor, audit_kinds.PARTNER_ACCESS, access.id, detail)
        except Exception:
            log.exception("writing a partner access audit record failed")
