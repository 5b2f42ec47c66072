"""What visitors and counselors can do, checked and carried out; the sockets and pages call this."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from baken.abuse.lanes import LanedBucket
from baken.audit import kinds as audit_kinds
from baken.config import Settings
from baken.crypto.code_hash import code_hash
from baken.domain.conversation import EndedBy, Sender, State
from baken.domain.languages import LANGUAGE_HOLD, speaks
from baken.domain.queue import AgeBand, PriorityRules, is_urgent, priority_for
from baken.domain.rate import TokenBucket
from baken.domain.return_code import is_well_formed, new_code, normalize
from baken.domain.text import TextError, validate_message_text
from baken.i18n import DEFAULT_LANGUAGE
from baken.realtime import audit_hooks, views, wire
from baken.realtime.alerts import Alerts
from baken.realtime.broker import Broker
from baken.realtime.connection import Connection, StaffIdentity, VisitorIdentity
from baken.realtime.counselor_tools import TOOL_FRAME_TYPES, CounselorTools
from baken.realtime.frames import (
    Accept,
    End,
    FrameError,
    Handover,
    Leave,
    MailboxSend,
    MarkCompromised,
    Ping,
    Receipt,
    RequestCode,
    Send,
    SignalsFeedback,
    Sync,
    TakeNext,
    Typing,
    _Frame,
)
from baken.realtime.handover import Handovers
from baken.realtime.hub import VISITOR_LINK_KIND, Hub
from baken.realtime.left_messages_push import LeftMessagesPush
from baken.realtime.live import Live
from baken.realtime.partner_access import PARTNER_FRAME_TYPES, PartnerAccessService, is_partner
from baken.realtime.presence import Presence
from baken.realtime.queue_signals import QueueSignals
from baken.realtime.referral_commands import REFERRAL_FRAME_TYPES, ReferralCommands
from baken.realtime.signals_feedback import SignalsFeedbackHandler
from baken.realtime.signals_push import SignalsPush
from baken.realtime.staff_status import TEAM_FRAME_TYPES, NotAvailable, StaffStatuses
from baken.realtime.supervision import SUPERVISION_FRAME_TYPES, Supervision
from baken.realtime.timeouts import Timeouts
from baken.realtime.wellbeing import WELLBEING_FRAME_TYPES, Wellbeing
from baken.registration.case_links import join_code_thread
from baken.slow_hashing import run_hash
from baken.store.audit_repo import AuditLog
from baken.store.clock import iso_ms, utcnow
from baken.store.conversation_repo import (
    PAGE_SIZE,
    RECEIPT_COLUMNS,
    AtCapacity,
    ConversationRepository,
    NotQueued,
)
from baken.store.message_writer import MessageWriter, WriteRejected
from baken.store.records import ConversationRecord, StoredMessage
from baken.store.return_code_repo import (
    Direction,
    MailboxMessage,
    ReturnCode,
    ReturnCodeRepository,
)
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffMember

log = logging.getLogger(__name__)

RECEIPT_FLUSH_SECONDS = 1.0
DEGRADED_POLL_SECONDS = 2.0
QUEUE_REFRESH_SECONDS = 30.0
TAKE_NEXT_TRIES = 5
CODE_TRIES_PER_SECOND = 5.0
CODE_TRIES_BURST = 20.0
# A returning visitor waits this long for their own counselor before others take them next.
PREFERRED_HOLD = timedelta(minutes=2)

# The author key of every visitor message (Connection.author on a visitor socket): resends are
# recognised per conversation, author and client_msg_id, so ids never collide across chats.
VISITOR_AUTHOR = "v"

BUSY_MESSAGE = "Very many messages right now; this one was not stored. Send it again shortly."

WRITE_ERRORS = {
    "conversation_ended": "The conversation has ended; the message was not stored.",
    "unavailable": "The message could not be stored right now; send it again.",
}


# One command of the core: who asks (the connection's identity), and what (the parsed frame).
Command = Callable[[Connection, Any], Awaitable[None]]


class QueueFull(Exception):
    """The queue is at BAKEN_QUEUE_MAX; the visitor is asked to try again later."""


class QueueEmpty(Exception):
    pass


class CodeNotAccepted(Exception):
    """Wrong, unknown, destroyed or compromised: one answer for all, so nothing is revealed."""


class TryLater(Exception):
    """Too many code attempts right now (across everyone); nothing was checked."""


class VisitorBlocked(Exception):
    """A counselor blocked this return code for a while (counselor tools)."""

    def __init__(self, until: datetime) -> None:
        super().__init__("blocked")
        self.until = until


class ChatService:
    def __init__(
        self,
        settings: Settings,
        repo: ConversationRepository,
        broker: Broker,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.broker = broker
        self.hub = Hub(repo, broker)
        # Queue entries being written, per organisation, counted against its cap.
        self._starting: dict[str, int] = {}
        self.codes = ReturnCodeRepository(repo.db, repo.ciphers)
        self.audit = AuditLog(repo.db)
        # Who is online on any process (supervision); the counselor tools use it for transfers.
        self.presence = Presence(self.hub, broker)
        self.hub.language_spoken = self.presence.speaks
        self.hub.takes_new_chats = self.presence.available
        # What the tools share with this service; they get this, never the service itself.
        self.live = Live(settings, repo, broker, self.hub, self.codes, self.audit, self.presence)
        self.writer = MessageWriter(repo, self.live.committed)
        self.tools = CounselorTools(self.live)
        self.supervision = Supervision(self.live, self.tools)
        # Issue 15, item 6: heavy marks, one's own day, pauses, "I would like to talk".
        self.wellbeing = Wellbeing(self.live)
        self.supervision.overview.paused_until = self.wellbeing.paused_until
        self.wellbeing.listeners.append(self.supervision.overview.changed)
        # Issue 15, item 1: statuses (in presence) and each counselor's capacity.
        self.statuses = StaffStatuses(self.live)
        self.tools.capacity_of = self.statuses.capacity_of
        self.supervision.overview.statuses = self.statuses
        self.statuses.listeners.append(self.supervision.overview.changed)
        # A pause is a wrap-up with the pause's timer; another status ends the pause.
        self.wellbeing.statuses = self.statuses
        self.statuses.status_listeners.append(self.wellbeing.status_changed)
        # Issue 15, item 3: alerts for the supervisors with a console open here.
        self.alerts = Alerts(self.live, self.statuses)
        # Issue 15, item 4: shift handover, and nothing left hanging at sign-out.
        self.handovers = Handovers(self.live, self.tools)
        # Issue 12: consoles hear at once that a left message came in (made here, at start-up,
        # so that every process listens, not only one that served a left-message request).
        self.left_messages_push = LeftMessagesPush(self.hub, broker)
        # Issue 19: indicator detections for the chat's counselor, never for the visitor.
        self.signals_push = SignalsPush(self.hub) if settings.signals else None
        # Issue 19, item 3: the first messages of waiting visitors rank the queue.
        self.queue_signals = QueueSignals(self.live) if settings.signals else None
        self.signals_feedback = SignalsFeedbackHandler(self.hub, repo.db)
        # Issue 17, item 2: referrals with the visitor's recorded consent.
        self.referrals = ReferralCommands(self.live)
        # Issue 17, item 3: partner professionals invited into one chat (warm hand-off).
        self.partners = PartnerAccessService(self.live)
        # Return codes cost an argon2 hash each: bound the rate and the parallel work, globally
        # (there is no identity to limit per person, by design).
        # Issue 16: a lane for requests with a proof-of-work, one for the rest (abuse/lanes.py).
        self._code_bucket: LanedBucket | TokenBucket = LanedBucket(
            CODE_TRIES_PER_SECOND, CODE_TRIES_BURST
        )
        # Issue 5: all visitors' messages together, per process (a flood from many sockets).
        rate = float(settings.visitor_messages_per_second)
        self.visitor_messages = TokenBucket(rate, 2 * rate)
        self._receipts: dict[tuple[str, str], int] = {}
        self.rejected: dict[str, int] = {}
        self._background: list[asyncio.Task[None]] = []
        # Issue 15: visitors who are gone leave the queue; silent chats close after a warning.
        self.timeouts = Timeouts(settings, self.repo, self.hub, self.live)
        self.commands = self._command_table()

    async def start(self) -> None:
        await self.broker.start()
        await self.hub.load()
        await self.presence.start()
        self.supervision.start()
        self.writer.start()
        self.timeouts.start()
        self.statuses.start()
        self.alerts.start()
        self.partners.start()
        loop = asyncio.get_running_loop()
        self._background = [
            loop.create_task(self._flush_receipts_forever()),
            loop.create_task(self._sweep_silent_sockets()),
            loop.create_task(self._poll_while_broker_down()),
            loop.create_task(self._refresh_queue_forever()),
        ]

    async def stop(self) -> None:
        await self.timeouts.stop()
        await self.statuses.stop()
        await self.alerts.stop()
        await self.partners.stop()
        await self.writer.stop()
        if self.queue_signals is not None:
            await self.queue_signals.stop()
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._flush_receipts()
        await self.supervision.stop()
        await self.presence.stop()
        await self.hub.close_all()
        await self.broker.stop()

    def count_rejected(self, code: str) -> None:
        self.rejected[code] = self.rejected.get(code, 0) + 1

    # --- visitors -------------------------------------------------------------------------------

    async def start_conversation(
        self,
        nickname: str | None,
        lang: str,
        danger: bool = False,
        age_band: AgeBand | None = None,
        *,
        organisation_id: str = DEFAULT_ORGANISATION,
        queue_max: int | None = None,
        rules: PriorityRules | None = None,
    ) -> tuple[ConversationRecord, str]:
        """Put a new visitor in their organisation's queue; QueueFull when it is at its cap
        (``queue_max``, the organisation's own, or BAKEN_QUEUE_MAX). ``rules``: the
        organisation's priority points, or the installation's."""
        # Someone in danger is never turned away by the cap.
        if not danger:
            self._admit_to_queue(organisation_id, queue_max)
        rules = rules or PriorityRules(
            self.settings.priority_under_16, self.settings.priority_16_17
        )
        try:
            record, token = await self.repo.create(
                nickname,
                lang,
                priority=priority_for(danger, age_band, rules),
                organisation_id=organisation_id,
            )
            # Publishing puts the visitor in this process's queue at once.
            self.broker.publish({"kind": "conversation", "record": record})
        finally:
            if not danger:
                self._done_starting(organisation_id)
        return record, token

    def _admit_to_queue(self, organisation_id: str, queue_max: int | None) -> None:
        """Count a start against the cap while its row is being written, so that a burst of
        simultaneous starts cannot overshoot it (within this process; across processes each may
        overshoot by the starts in flight at that moment)."""
        cap = queue_max if queue_max is not None else self.settings.queue_max
        starting = self._starting.get(organisation_id, 0)
        if self.hub.queue_size(organisation_id) + starting >= cap:
            raise QueueFull()
        self._starting[organisation_id] = starting + 1

    def _done_starting(self, organisation_id: str) -> None:
        left = self._starting.get(organisation_id, 0) - 1
        if left > 0:
            self._starting[organisation_id] = left
        else:
            self._starting.pop(organisation_id, None)

    async def visitor_conversation(self, token: str) -> ConversationRecord | None:
        """The open conversation behind a visitor token, or None."""
        record = await self.repo.by_visitor_token(token)
        if record is None or record.state is State.ENDED:
            return None
        return record

    async def end_for_visitor(
        self, conversation_id: str, ended_by: EndedBy
    ) -> ConversationRecord | None:
        transition = await self.repo.end(conversation_id, ended_by)
        return None if transition is None else self.live.transition(transition)

    # --- return codes -----------------------------------------------------------------------

    async def _hash_code(self, normalized: str) -> str:
        pepper = await self.codes.pepper()
        return await run_hash(code_hash, pepper, normalized)

    async def issue_code(self, conversation_id: str) -> str:
        """A new code for this conversation's thread; shown once, stored only as a hash."""
        record = await self.repo.get(conversation_id)
        code = new_code(record.lang if record else DEFAULT_LANGUAGE)  # the visitor's language
        await self.codes.issue(
            conversation_id,
            await self._hash_code(normalize(code)),
            record.counselor_id if record else None,
        )
        return code

    async def _active_code(self, raw: str) -> ReturnCode:
        normalized = normalize(raw)  # CodeError for empty or too long: cheap, and says so
        if not self._code_bucket.take(time.monotonic()):
            raise TryLater()
        # Always hash, even when the words cannot be a code: every wrong code costs the same.
        hashed = await self._hash_code(normalized)
        found = await self.codes.find_active(hashed)
        if found is None or not is_well_formed(normalized):
            raise CodeNotAccepted()
        return found

    async def return_with_code(
        self,
        raw: str,
        lang: str,
        *,
        organisation_id: str = DEFAULT_ORGANISATION,
        queue_max: int | None = None,
    ) -> tuple[ConversationRecord, str, list[MailboxMessage]]:
        """Start a new chat in the visitor's thread. Earlier transcripts are not shown to the
        visitor (whoever holds the phone may not be them); only unread mailbox messages are.
        A code works only at its own organisation's entry (issue 14): elsewhere it is refused
        exactly like a wrong code."""
        code = await self._active_code(raw)
        if code.organisation_id != organisation_id:
            raise CodeNotAccepted()
        block = await self.tools.code_blocked(code.id)
        if block is not None:
            raise VisitorBlocked(block.expires_at)
        self._admit_to_queue(organisation_id, queue_max)
        try:
            record, token = await self.repo.create(
                None,
                lang,
                organisation_id=organisation_id,
                return_code_id=code.id,
                preferred_staff_id=code.preferred_staff_id,
            )
            self.broker.publish({"kind": "conversation", "record": record})
        finally:
            self._done_starting(organisation_id)
        await self.codes.touch(code.id)
        # Issue 6: the same person as the code's earlier conversations, counted once.
        await join_code_thread(self.repo.db, record.id)
        return record, token, await self.codes.unread(code.id, Direction.TO_VISITOR)

    async def active_code(self, raw: str, organisation_id: str) -> ReturnCode:
        """The active code behind the typed words, at this organisation's entry (issue 17: a
        visitor's referrals); CodeNotAccepted, TryLater or CodeError as for coming back."""
        code = await self._active_code(raw)
        if code.organisation_id != organisation_id:
            raise CodeNotAccepted()
        return code

    async def destroy_code(self, raw: str) -> None:
        try:
            code = await self._active_code(raw)
        except CodeNotAccepted:
            return  # the same answer either way: nothing to learn from destroying
        await self.codes.destroy(code.id)

    def info(self, record: ConversationRecord) -> dict[str, Any]:
        live = self.hub.visitor_live.get(record.id)
        return views.conversation_info(record, self.hub.place_of(record.id), live)

    # --- the visitor's door without a socket (issue 13: web/nojs_chat_routes.py) -----------------

    async def visitor_send(
        self, conversation_id: str, client_msg_id: str, text: str
    ) -> tuple[StoredMessage, bool]:
        """A visitor's message posted as a form: the rules of a socket `send` frame (text check,
        the global visitor rate, the group writer with its seq and resend detection), and the
        same refusals (FrameError with the frame's codes). The caller has already tied the
        conversation to the visitor's cookie. Returns the stored message and whether it was a
        resend of one already stored."""
        record = await self.hub.conversation(conversation_id)
        if record is None or record.state is State.ENDED:
            raise FrameError(
                "conversation_ended", WRITE_ERRORS["conversation_ended"], client_msg_id
            )
        checked = self._checked_text(text, client_msg_id, visitor=True)
        future = self.writer.submit(
            conversation_id, VISITOR_AUTHOR, Sender.VISITOR, None, None, client_msg_id, checked
        )
        try:
            return await future
        except WriteRejected as exc:
            message = WRITE_ERRORS.get(exc.code, WRITE_ERRORS["unavailable"])
            raise FrameError(exc.code, message, client_msg_id) from None

    def visitor_link(self, conversation_id: str, live: bool) -> None:
        """The visitor is on a socket (live) or on the chat without JavaScript: tell every
        process, whose hub tells the counselor (`visitor_live`). Only a change is published, so a
        visitor who stays on one door costs nothing more; a socket visitor never did anything
        else, so a socket counts as a change only after the chat without JavaScript was seen."""
        if not live:
            self.timeouts.touch(conversation_id)  # each page of the chat counts as being there
        if self.hub.visitor_live.get(conversation_id, True) == live:
            return
        text_free: wire.VisitorLinkWire = {"conversation_id": conversation_id, "live": live}
        self.broker.publish({"kind": VISITOR_LINK_KIND, **text_free, "wire": text_free})

    async def visitor_transcript(self, conversation_id: str) -> list[dict[str, Any]]:
        """Everything a visitor socket's sync from seq 0 would be sent, as the same message
        views (the counselor's messages decrypted by the repository, as for the socket)."""
        shown: list[dict[str, Any]] = []
        after = 0
        while True:
            batch = await self.repo.messages_after(conversation_id, after, PAGE_SIZE)
            shown.extend(views.message(m, m.author == VISITOR_AUTHOR) for m in batch)
            if len(batch) < PAGE_SIZE:
                return shown
            after = batch[-1].seq

    def _checked_text(self, text: str, ref: str, *, visitor: bool) -> str:
        try:
            checked = validate_message_text(text, self.settings.max_message_chars)
        except TextError as exc:
            raise FrameError(exc.code, exc.message, ref) from None
        if visitor and not self.visitor_messages.take(time.monotonic()):
            raise FrameError("busy", BUSY_MESSAGE, ref)
        return checked

    # --- staff ----------------------------------------------------------------------------------

    async def accept(self, member: StaffMember, conversation_id: str) -> ConversationRecord:
        # Another organisation's waiting visitor is not in this member's queue (issue 5: object
        # level); answered like a chat that is no longer waiting, so it reveals nothing.
        record = await self.hub.conversation(conversation_id)
        if record is None or record.organisation_id != member.organisation_id:
            raise NotQueued()
        self.statuses.check_takes_new(member)  # NotAvailable: busy, on a break, away...
        transition = await self.repo.accept(
            conversation_id,
            member.id,
            member.display_name,
            await self.statuses.capacity_of(member.id),
        )
        # Published before the audit entry is written: the accept is committed either way, the
        # waiting visitors' new places should not wait for a second write, and a failing audit
        # write must not leave the other sockets and processes believing the chat still waits.
        record = self.live.transition(transition)
        await audit_hooks.record_open(
            self.audit, member, conversation_id, audit_kinds.CONVERSATION_ACCEPT
        )
        return record

    def _take_next_order(self, member: StaffMember) -> list[str]:
        """Urgent first; then visitors returning to this counselor; then everyone not being held
        for another counselor who is online right now — those in a language this counselor speaks
        (or who have waited LANGUAGE_HOLD already) before the others (issue 14)."""
        now = utcnow()
        urgent, mine, rest, other_language = [], [], [], []
        for conversation_id in self.hub.queue_order():
            record = self.hub.open[conversation_id]
            if record.organisation_id != member.organisation_id:
                continue  # another organisation's queue
            preferred = record.preferred_staff_id
            if is_urgent(record.priority):
                urgent.append(conversation_id)
            elif preferred == member.id:
                mine.append(conversation_id)
            elif (
                preferred is not None
                and self.presence.is_online(preferred)
                and now - record.created_at < PREFERRED_HOLD
            ):
                continue
            elif speaks(member.languages, record.lang) or now - record.created_at >= LANGUAGE_HOLD:
                rest.append(conversation_id)
            else:
                other_language.append(conversation_id)
        return urgent + mine + rest + other_language

    async def take_next(self, member: StaffMember) -> ConversationRecord:
        """Accept the most urgent waiting chat; if someone beats us to it, the next one."""
        self.statuses.check_takes_new(member)  # refused before looking at the queue
        for conversation_id in self._take_next_order(member)[:TAKE_NEXT_TRIES]:
            try:
                return await self.accept(member, conversation_id)
            except NotQueued:
                continue
        raise QueueEmpty()

    async def end_for_staff(
        self, member: StaffMember, conversation_id: str, reason: str | None = None
    ) -> ConversationRecord | None:
        transition = await self.repo.end(
            conversation_id, EndedBy.COUNSELOR, member.id, member.display_name, end_reason=reason
        )
        return None if transition is None else self.live.transition(transition)

    async def staff_conversations(self, member: StaffMember) -> list[ConversationRecord]:
        return await self.repo.active_for(member.id)

    # --- frames ---------------------------------------------------------------------------------

    async def may_act_on(self, conn: Connection, conversation_id: str, *, write: bool) -> bool:
        """Object-level check for every frame that names a conversation."""
        identity = conn.identity
        if isinstance(identity, VisitorIdentity):
            return identity.conversation_id == conversation_id
        if is_partner(conn):
            return self.partners.may_act(conn, conversation_id)  # joined, and not run out
        record = await self.hub.conversation(conversation_id)
        if record is None or record.counselor_id != identity.member.id:
            return False
        return not write or record.state is State.ACTIVE

    def _command_table(self) -> dict[type[_Frame], Command]:
        """Which command each frame type runs: the one table every door dispatches through (the
        sockets, and the HTTP door of web/command_routes.py). A frame type a door does not
        allow never reaches it: ``frames.parse`` refuses it first with ``unknown_type``."""
        table: dict[type[_Frame], Command] = {
            Ping: self._ping,
            Send: self._send,
            Sync: self._sync,
            Typing: self._typing,
            Receipt: self._receipt,
            Leave: self._leave,
            Accept: self._accept_frame,
            TakeNext: self._take_next_frame,
            End: self._end_frame,
            RequestCode: self._request_code,
            MarkCompromised: self._mark_compromised,
            MailboxSend: self._mailbox_send,
            Handover: self.handovers.handle,
            SignalsFeedback: self.signals_feedback.handle,
        }
        for types_, command in (
            (TOOL_FRAME_TYPES, self.tools.handle),
            (SUPERVISION_FRAME_TYPES, self.supervision.handle),
            (WELLBEING_FRAME_TYPES, self.wellbeing.handle),
            (TEAM_FRAME_TYPES, self.statuses.handle),
            (REFERRAL_FRAME_TYPES, self.referrals.handle),
            (PARTNER_FRAME_TYPES, self.partners.handle),
        ):
            for frame_type in types_:
                table.setdefault(frame_type, command)
        return table

    async def handle(self, conn: Connection, frame: _Frame) -> None:
        # Issue 16: pings count too, else a socket could flood the server with them. A client
        # pings once every several seconds, far inside the budget of 30 frames a second.
        if not conn.bucket.take(time.monotonic()):
            raise FrameError("rate_limited", "Too many frames; slow down.")
        await self.commands[type(frame)](conn, frame)

    async def _ping(self, conn: Connection, frame: Ping) -> None:
        conn.send({"type": "pong", "t": frame.t})

    async def _sync(self, conn: Connection, frame: Sync) -> None:
        if not await self.may_act_on(
            conn, frame.conversation_id, write=False
        ) or not self.partners.may_sync(conn, frame.conversation_id, frame.after_seq):
            raise _not_participant(frame.type)
        if not await audit_hooks.before_transcript(self.live, conn, frame.conversation_id):
            return
        if conn.one_shot:
            # Nothing to follow on a connection that ends with this command: its pages now.
            await self.hub.catch_up_once(conn, frame.conversation_id, frame.after_seq)
            return
        self.hub.follow(conn, frame.conversation_id)
        self.hub.start_catch_up(conn, frame.conversation_id, frame.after_seq)

    async def _typing(self, conn: Connection, frame: Typing) -> None:
        if not await self.may_act_on(conn, frame.conversation_id, write=True):
            raise _not_participant(frame.type)
        self.broker.publish(
            {
                "kind": "typing",
                "frame": {
                    "type": "typing",
                    "conversation_id": frame.conversation_id,
                    "from": conn.side,
                    "active": frame.active,
                },
            }
        )

    async def _leave(self, conn: Connection, frame: Leave) -> None:
        if not await self.may_act_on(conn, frame.conversation_id, write=False):
            raise _not_participant(frame.type)
        if await self.end_for_visitor(frame.conversation_id, EndedBy.VISITOR) is None:
            raise FrameError("conversation_ended", "The conversation has already ended.", "leave")

    async def _accept_frame(self, conn: Connection, frame: Accept) -> None:
        assert isinstance(conn.identity, StaffIdentity)
        try:
            await self.accept(conn.identity.member, frame.conversation_id)
        except NotQueued:
            raise FrameError(
                "not_queued", "This chat is no longer waiting; someone else took it.", "accept"
            ) from None
        except AtCapacity:
            raise await self._at_capacity(conn, "accept") from None
        except NotAvailable as exc:
            raise _not_available(exc, "accept") from None
        conn.send({"type": "accepted", "conversation_id": frame.conversation_id})

    async def _request_code(self, conn: Connection, frame: RequestCode) -> None:
        if not await self.may_act_on(conn, frame.conversation_id, write=False):
            raise _not_participant(frame.type)
        code = await self.issue_code(frame.conversation_id)
        conn.send({"type": "return_code", "conversation_id": frame.conversation_id, "code": code})

    async def _mark_compromised(self, conn: Connection, frame: MarkCompromised) -> None:
        code_id = await self._staff_code(conn, frame.conversation_id, frame.type)
        await self.codes.mark_compromised(code_id)
        conn.send({"type": "code_compromised", "conversation_id": frame.conversation_id})

    async def _mailbox_send(self, conn: Connection, frame: MailboxSend) -> None:
        code_id = await self._staff_code(conn, frame.conversation_id, frame.type)
        try:
            text = validate_message_text(frame.text, self.settings.max_message_chars)
        except TextError as exc:
            raise FrameError(exc.code, exc.message, frame.type) from None
        assert isinstance(conn.identity, StaffIdentity)
        seq = await self.codes.post(code_id, Direction.TO_VISITOR, conn.identity.member.id, text)
        # An answer here can also settle a thread in the consoles' "left messages".
        self.left_messages_push.changed(conn.identity.member.organisation_id)
        conn.send({"type": "mailbox_sent", "conversation_id": frame.conversation_id, "seq": seq})

    async def _take_next_frame(self, conn: Connection, _frame: TakeNext) -> None:
        assert isinstance(conn.identity, StaffIdentity)
        try:
            record = await self.take_next(conn.identity.member)
        except QueueEmpty:
            raise FrameError("queue_empty", "Nobody is waiting.", "take_next") from None
        except AtCapacity:
            raise await self._at_capacity(conn, "take_next") from None
        except NotAvailable as exc:
            raise _not_available(exc, "take_next") from None
        conn.send({"type": "accepted", "conversation_id": record.id})

    async def _end_frame(self, conn: Connection, frame: End) -> None:
        assert isinstance(conn.identity, StaffIdentity)
        if not await self.may_act_on(conn, frame.conversation_id, write=True):
            raise _not_participant(frame.type)
        ended = await self.end_for_staff(conn.identity.member, frame.conversation_id, frame.reason)
        if ended is None:
            raise FrameError("conversation_ended", "The conversation has already ended.", "end")
        conn.send(
            {"type": "ended", "conversation_id": frame.conversation_id, "reason": frame.reason}
        )

    async def _at_capacity(self, conn: Connection, ref: str) -> FrameError:
        capacity = await self.statuses.capacity_of(_staff_id(conn) or "")
        return FrameError("at_capacity", f"You already have {capacity} chats open.", ref)

    async def _staff_code(self, conn: Connection, conversation_id: str, ref: str) -> str:
        """The return code of a conversation this counselor handled (ended ones included)."""
        record = await self.hub.conversation(conversation_id)
        if record is None or record.counselor_id != _staff_id(conn):
            raise _not_participant(ref)
        code_id = record.return_code_id or await self.codes.code_of(conversation_id)
        if code_id is None:
            raise FrameError("no_return_code", "This visitor has no return code.", ref)
        return code_id

    async def _send(self, conn: Connection, frame: Send) -> None:
        if not await self.may_act_on(conn, frame.conversation_id, write=True):
            record = await self.hub.conversation(frame.conversation_id)
            if (
                record is not None
                and record.state is State.ENDED
                and (conn.is_visitor or record.counselor_id == _staff_id(conn))
            ):
                raise FrameError(
                    "conversation_ended", WRITE_ERRORS["conversation_ended"], frame.client_msg_id
                )
            raise _not_participant(frame.client_msg_id)
        text = self._checked_text(frame.text, frame.client_msg_id, visitor=conn.is_visitor)
        identity = conn.identity
        if isinstance(identity, StaffIdentity):
            sender, staff_id, name = (
                Sender.PARTNER if is_partner(conn) else Sender.COUNSELOR,
                identity.member.id,
                identity.member.display_name,
            )
        else:
            sender, staff_id, name = Sender.VISITOR, None, None
        future = self.writer.submit(
            frame.conversation_id, conn.author, sender, staff_id, name, frame.client_msg_id, text
        )
        client_msg_id = frame.client_msg_id

        def answer(done: asyncio.Future[tuple[StoredMessage, bool]]) -> None:
            error = done.exception()
            if error is None:
                message, duplicate = done.result()
                conn.send(
                    {
                        "type": "ack",
                        "client_msg_id": client_msg_id,
                        "conversation_id": message.conversation_id,
                        "seq": message.seq,
                        "sent_at": iso_ms(message.sent_at_ms),
                        "duplicate": duplicate,
                    }
                )
                return
            code = error.code if isinstance(error, WriteRejected) else "unavailable"
            conn.send(
                views.error(
                    code, WRITE_ERRORS.get(code, WRITE_ERRORS["unavailable"]), client_msg_id
                )
            )

        future.add_done_callback(answer)
        if conn.one_shot:
            conn.answer_later(future)

    async def _receipt(self, conn: Connection, frame: Receipt) -> None:
        if not await self.may_act_on(conn, frame.conversation_id, write=False):
            raise _not_participant(frame.type)
        # A receipt cannot claim more than this socket was sent (over HTTP, than there is).
        seq = min(frame.seq, await self._receipt_bound(conn, frame.conversation_id))
        if seq <= 0:
            return
        key = (frame.conversation_id, RECEIPT_COLUMNS[(conn.side, frame.kind)])
        if self._receipts.get(key, 0) >= seq:
            return
        # Read implies delivered: the web client sends only `read` for the chat on screen, and
        # a `delivered` already covered by a `read` goes to nobody (issue 21: fewer frames per
        # message). The delivered pointer is raised with it, without a frame of its own.
        delivered = (frame.conversation_id, RECEIPT_COLUMNS[(conn.side, "delivered")])
        if frame.kind == "delivered":
            read = (frame.conversation_id, RECEIPT_COLUMNS[(conn.side, "read")])
            if self._receipts.get(read, 0) >= seq:
                return
        elif self._receipts.get(delivered, 0) < seq:
            self._receipts[delivered] = seq
        self._receipts[key] = seq
        self.broker.publish(
            {
                "kind": "receipt",
                "frame": {
                    "type": "receipt",
                    "conversation_id": frame.conversation_id,
                    "from": conn.side,
                    "kind": frame.kind,
                    "seq": seq,
                },
            }
        )

    async def _receipt_bound(self, conn: Connection, conversation_id: str) -> int:
        if not conn.one_shot:
            return _cursor_seq(conn, conversation_id)
        record = await self.repo.get(conversation_id)
        return 0 if record is None else record.last_seq

    # --- background -----------------------------------------------------------------------------

    async def _flush_receipts(self) -> None:
        if not self._receipts:
            return
        pending, self._receipts = self._receipts, {}
        try:
            await self.repo.save_receipts([(c, col, seq) for (c, col), seq in pending.items()])
        except Exception:
            log.exception("saving read receipts failed; they will be sent again by clients")

    async def _flush_receipts_forever(self) -> None:
        while True:
            await asyncio.sleep(RECEIPT_FLUSH_SECONDS)
            await self._flush_receipts()

    async def _refresh_queue_forever(self) -> None:
        while True:
            await asyncio.sleep(QUEUE_REFRESH_SECONDS)
            self.hub.refresh_queue()

    async def _poll_while_broker_down(self) -> None:
        """Without Redis, other processes' events do not arrive: read them from the database."""
        while True:
            await asyncio.sleep(DEGRADED_POLL_SECONDS)
            if self.broker.is_ready() is False:
                try:
                    await self.hub.resync()
                except Exception:
                    log.exception("polling the database while Redis is away failed")

    async def _sweep_silent_sockets(self) -> None:
        limit = 3 * self.settings.heartbeat_seconds
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            now = time.monotonic()
            for conn in list(self.hub.connections):
                if now - conn.last_heard > limit:
                    conn.abort(4000)


def _not_participant(ref: str | None) -> FrameError:
    return FrameError("not_a_participant", "You are not part of this conversation.", ref)


def _not_available(exc: NotAvailable, ref: str) -> FrameError:
    return FrameError(
        "not_available",
        f"Your status is '{exc.status.value}': set it to available to take new chats.",
        ref,
    )


def _staff_id(conn: Connection) -> str | None:
    return conn.identity.member.id if isinstance(conn.identity, StaffIdentity) else None


def _cursor_seq(conn: Connection, conversation_id: str) -> int:
    cursor = conn.cursors.get(conversation_id)
    return cursor.seq if cursor else 0
