"""Every frame the server sends and every broker event, declared in one place (issue 13, item 3).

The declarations are `TypedDict`s: mypy checks each place that builds a frame or publishes an
event against them, and at run time a frame is still a plain dict that orjson writes directly.
A pydantic model or a msgspec struct per outgoing frame would validate or convert data the server
itself just built, on the hot path of 2,000 messages a second (docs/architecture.md, "Typed
wire", has the measurement). Frames a client sends are parsed with pydantic (frames.py): those
come from outside and must be checked.

`FRAMES` and `EVENTS` map each `type` / `kind` to its declaration, so tests can enumerate them:
tests/test_protocol_doc.py checks docs/protocol.md against `FRAMES` and the sources against both.

Nested objects (a conversation's info, a message, a note, …) are typed as plain mappings here; their
fields are documented in docs/protocol.md beside the frames that carry them.
"""

# No `from __future__ import annotations`: the TypedDicts keep real annotations, so their
# required and optional keys are known at run time (the tests read them).

from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict

import orjson

if TYPE_CHECKING:
    from baken.store.consult_repo import ConsultMessage
    from baken.store.note_repo import Note
    from baken.store.records import ConversationRecord, StoredMessage

# A nested object as docs/protocol.md describes it (ConversationInfo, Message, a note, …).
View = dict[str, Any]


# --- frames the server sends ----------------------------------------------------------------------


class StaffRef(TypedDict):
    id: str
    display_name: str


class StaffStatus(TypedDict):
    type: Literal["staff_status"]
    status: str
    until: str | None


class Welcome(TypedDict):
    type: Literal["welcome"]
    role: str
    protocol: int
    heartbeat: int
    conversations: list[View]
    # Staff only (a partner gets `staff` but no capacity or status).
    max_chats: NotRequired[int]
    staff: NotRequired[StaffRef]
    status: NotRequired[StaffStatus]


class Messages(TypedDict):
    type: Literal["messages"]
    conversation_id: str
    messages: list[View]
    last_seq: int
    more: bool
    expired: NotRequired[bool]


class Message(TypedDict):
    type: Literal["message"]
    conversation_id: str
    message: View


class Ack(TypedDict):
    type: Literal["ack"]
    client_msg_id: str
    conversation_id: str
    seq: int
    sent_at: str | None
    duplicate: bool


# `from` is a keyword: these use the functional form.
Typing = TypedDict(
    "Typing",
    {"type": Literal["typing"], "conversation_id": str, "from": str, "active": bool},
)
Receipt = TypedDict(
    "Receipt",
    {
        "type": Literal["receipt"],
        "conversation_id": str,
        "from": str,
        "kind": Literal["delivered", "read"],
        "seq": int,
    },
)


class Conversation(TypedDict):
    type: Literal["conversation"]
    conversation: View


class Place(TypedDict):
    type: Literal["place"]
    conversation_id: str
    position: int
    estimated_wait_seconds: int | None


class Queue(TypedDict):
    type: Literal["queue"]
    entries: list[View]
    total: int
    server_time: str | None


class LeftMessagesChanged(TypedDict):
    type: Literal["left_messages_changed"]


class Signals(TypedDict):
    type: Literal["signals"]
    conversation_id: str
    seq: int
    labels: list[str]
    spans: list[View]


class Accepted(TypedDict):
    type: Literal["accepted"]
    conversation_id: str


class Ended(TypedDict):
    type: Literal["ended"]
    conversation_id: str
    reason: str | None


class Pong(TypedDict):
    type: Literal["pong"]
    t: int | None


class Error(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    ref: str | None


class ReturnCode(TypedDict):
    type: Literal["return_code"]
    conversation_id: str
    code: str


class CodeCompromised(TypedDict):
    type: Literal["code_compromised"]
    conversation_id: str


class MailboxSent(TypedDict):
    type: Literal["mailbox_sent"]
    conversation_id: str
    seq: int


# --- counselor tools, supervision, consultations --------------------------------------------------


class Notes(TypedDict):
    type: Literal["notes"]
    conversation_id: str
    notes: list[View]


class NoteFrame(TypedDict):
    type: Literal["note"]
    conversation_id: str
    note: View


class Colleagues(TypedDict):
    type: Literal["colleagues"]
    colleagues: list[View]


class Requeued(TypedDict):
    type: Literal["requeued"]
    conversation_id: str


class EndReasonSaved(TypedDict):
    type: Literal["end_reason_saved"]
    conversation_id: str
    reason: str


class TransferIn(TypedDict):
    type: Literal["transfer_in"]
    conversation_id: str
    from_staff_id: str


class Transferred(TypedDict):
    type: Literal["transferred"]
    conversation_id: str
    to_staff_id: str


class Released(TypedDict):
    type: Literal["released"]
    conversation_id: str
    reason: str


class BlockView(TypedDict):
    block_id: str
    conversation_id: str | None
    by_code: bool
    reason: str
    expires_at: str | None


class Blocked(BlockView):
    type: Literal["blocked"]


class Unblocked(TypedDict):
    type: Literal["unblocked"]
    block_id: str


class OverviewStopped(TypedDict):
    type: Literal["overview_stopped"]


class ObserveStopped(TypedDict):
    type: Literal["observe_stopped"]
    conversation_id: str


class Observing(TypedDict):
    type: Literal["observing"]
    conversation_id: str
    conversation: View


class WhisperFrame(TypedDict):
    type: Literal["whisper"]
    conversation_id: str
    whisper: View


class TakenOver(TypedDict):
    type: Literal["taken_over"]
    conversation_id: str


class ObserveEnded(TypedDict):
    type: Literal["observe_ended"]
    conversation_id: str
    reason: str


class Overview(TypedDict):
    type: Literal["overview"]
    server_time: str | None
    queue: View
    counselors: list[View]
    chats: list[View]


class ConsultHistory(TypedDict):
    type: Literal["consult_history"]
    peer: str
    messages: list[View]


class Consult(TypedDict):
    type: Literal["consult"]
    message: View


# --- statuses, alerts, handover, wellbeing --------------------------------------------------------


class CapacitySet(TypedDict):
    type: Literal["capacity_set"]
    staff_id: str
    max_chats: int


class Capacity(TypedDict):
    type: Literal["capacity"]
    max_chats: int


class Alerts(TypedDict):
    type: Literal["alerts"]
    at: str | None
    alerts: list[View]


class HandedOver(TypedDict):
    type: Literal["handed_over"]
    conversation_id: str
    to_staff_id: str | None


class SignalsFeedbackSaved(TypedDict):
    type: Literal["signals_feedback_saved"]
    conversation_id: str
    label: str


class HeavyMarked(TypedDict):
    type: Literal["heavy_marked"]
    conversation_id: str
    heavy: bool


class TalkRequestSent(TypedDict):
    type: Literal["talk_request_sent"]
    supervisors_online: int


class Wellbeing(TypedDict):
    type: Literal["wellbeing"]
    chats: int
    chat_seconds: int
    heavy: int
    in_chats_since: str | None
    break_due: bool
    break_reminder_minutes: int
    pause_minutes: int
    pause_until: str | None
    # Only when the question named a conversation.
    conversation_id: NotRequired[str]
    conversation_heavy: NotRequired[bool]


class PauseState(TypedDict):
    type: Literal["pause_state"]
    until: str | None


TalkRequest = TypedDict(
    "TalkRequest",
    {"type": Literal["talk_request"], "from_staff_id": str, "from": str, "at": str | None},
)


# --- referrals and the warm hand-off --------------------------------------------------------------


class ReferralUpdateBody(TypedDict):
    conversation_id: str
    referral: View


class ReferralProposed(ReferralUpdateBody):
    type: Literal["referral_proposed"]


class ReferralUpdate(ReferralUpdateBody):
    type: Literal["referral_update"]


class Referrals(TypedDict):
    type: Literal["referrals"]
    conversation_id: str
    # Staff only: a visitor gets its cards (`referral_card`) first, then this frame as the end.
    referrals: NotRequired[list[View]]


class ReferralAnswered(TypedDict):
    type: Literal["referral_answered"]
    conversation_id: str
    referral_id: str
    status: str
    consent_level: str | None
    consent_scope: list[str]


class ReferralState(TypedDict):
    type: Literal["referral_state"]
    conversation_id: str
    referral_id: str
    status: str


class ReferralCard(TypedDict):
    type: Literal["referral_card"]
    conversation_id: str
    referral_id: str
    status: str
    lang: str
    service: View
    texts: View
    summary: str | None
    scope_items: list[str]
    handoff_possible: bool


class PartnerLeft(TypedDict):
    type: Literal["partner_left"]
    access_id: str


class PartnerCandidates(TypedDict):
    type: Literal["partner_candidates"]
    conversation_id: str
    referral_id: str
    candidates: list[View]


class PartnerInvited(TypedDict):
    type: Literal["partner_invited"]
    access: View


class PartnerEndedBody(TypedDict):
    access_id: str
    conversation_id: str
    reason: str


class PartnerAccessEnded(PartnerEndedBody):
    type: Literal["partner_access_ended"]


class PartnerRefused(TypedDict):
    type: Literal["partner_refused"]
    conversation_id: str


class PartnerInvitations(TypedDict):
    type: Literal["partner_invitations"]
    invitations: list[View]


class PartnerJoined(TypedDict):
    type: Literal["partner_joined"]
    access: View
    conversation: View


class PartnerMailboxSent(TypedDict):
    type: Literal["partner_mailbox_sent"]
    access_id: str
    seq: int


OutgoingFrame = (
    Welcome
    | Messages
    | Message
    | Ack
    | Typing
    | Receipt
    | Conversation
    | Place
    | Queue
    | LeftMessagesChanged
    | Signals
    | Accepted
    | Ended
    | Pong
    | Error
    | ReturnCode
    | CodeCompromised
    | MailboxSent
    | Notes
    | NoteFrame
    | Colleagues
    | Requeued
    | EndReasonSaved
    | TransferIn
    | Transferred
    | Released
    | Blocked
    | Unblocked
    | OverviewStopped
    | ObserveStopped
    | Observing
    | WhisperFrame
    | TakenOver
    | ObserveEnded
    | Overview
    | ConsultHistory
    | Consult
    | StaffStatus
    | CapacitySet
    | Capacity
    | Alerts
    | HandedOver
    | SignalsFeedbackSaved
    | HeavyMarked
    | TalkRequestSent
    | Wellbeing
    | PauseState
    | TalkRequest
    | ReferralProposed
    | ReferralUpdate
    | Referrals
    | ReferralAnswered
    | ReferralState
    | ReferralCard
    | PartnerLeft
    | PartnerCandidates
    | PartnerInvited
    | PartnerAccessEnded
    | PartnerRefused
    | PartnerInvitations
    | PartnerJoined
    | PartnerMailboxSent
)

FRAMES: dict[str, type] = {
    "welcome": Welcome,
    "messages": Messages,
    "message": Message,
    "ack": Ack,
    "typing": Typing,
    "receipt": Receipt,
    "conversation": Conversation,
    "place": Place,
    "queue": Queue,
    "left_messages_changed": LeftMessagesChanged,
    "signals": Signals,
    "accepted": Accepted,
    "ended": Ended,
    "pong": Pong,
    "error": Error,
    "return_code": ReturnCode,
    "code_compromised": CodeCompromised,
    "mailbox_sent": MailboxSent,
    "notes": Notes,
    "note": NoteFrame,
    "colleagues": Colleagues,
    "requeued": Requeued,
    "end_reason_saved": EndReasonSaved,
    "transfer_in": TransferIn,
    "transferred": Transferred,
    "released": Released,
    "blocked": Blocked,
    "unblocked": Unblocked,
    "overview_stopped": OverviewStopped,
    "observe_stopped": ObserveStopped,
    "observing": Observing,
    "whisper": WhisperFrame,
    "taken_over": TakenOver,
    "observe_ended": ObserveEnded,
    "overview": Overview,
    "consult_history": ConsultHistory,
    "consult": Consult,
    "staff_status": StaffStatus,
    "capacity_set": CapacitySet,
    "capacity": Capacity,
    "alerts": Alerts,
    "handed_over": HandedOver,
    "signals_feedback_saved": SignalsFeedbackSaved,
    "heavy_marked": HeavyMarked,
    "talk_request_sent": TalkRequestSent,
    "wellbeing": Wellbeing,
    "pause_state": PauseState,
    "talk_request": TalkRequest,
    "referral_proposed": ReferralProposed,
    "referral_update": ReferralUpdate,
    "referrals": Referrals,
    "referral_answered": ReferralAnswered,
    "referral_state": ReferralState,
    "referral_card": ReferralCard,
    "partner_left": PartnerLeft,
    "partner_candidates": PartnerCandidates,
    "partner_invited": PartnerInvited,
    "partner_access_ended": PartnerAccessEnded,
    "partner_refused": PartnerRefused,
    "partner_invitations": PartnerInvitations,
    "partner_joined": PartnerJoined,
    "partner_mailbox_sent": PartnerMailboxSent,
}


def encode(frame: OutgoingFrame) -> str:
    """The frame as the text written to a socket (for one text sent to many sockets)."""
    return orjson.dumps(frame).decode()


# --- broker events --------------------------------------------------------------------------------
#
# An event is what one part of Baken tells the others, in this process and (through Redis) in the
# other processes. Local handlers get it with its objects (a stored message, a record, a note);
# other processes get its text-free form: the `...Wire` part, as `{"kind": …, **wire, "origin": …}`
# (redis_broker.wire_form). A handler registered with `broker.on(Declaration, handler)` gets both,
# so it reads the objects as optional.


class MessageCommitted(TypedDict):
    """A message was stored, in this process: published once per message, after the commit, only
    to this process's handlers (the hub's fan-out, queue signals). The hook for later features
    that read what was said; other processes get it as a `message` event."""

    kind: Literal["message_committed"]
    conversation_id: str
    message: "StoredMessage"
    sealed: NotRequired[str]  # for the other processes (peer_messages.py), when they exist


class PeerMessage(TypedDict):
    """A message another process stored: its seq, sealed with the conversation's key if that
    process had the key at hand (else the receiver reads it from the database)."""

    kind: Literal["message"]
    conversation_id: str
    seq: int
    sealed: NotRequired[str]


class ConversationChanged(TypedDict):
    """A conversation's stored state changed: the record here, only its id from elsewhere."""

    kind: Literal["conversation"]
    record: NotRequired["ConversationRecord"]
    conversation_id: NotRequired[str]


class Resync(TypedDict):
    """The link to the other processes was lost and is back: every socket catches up."""

    kind: Literal["resync"]


class TypingEvent(TypedDict):
    kind: Literal["typing"]
    frame: Typing


class ReceiptEvent(TypedDict):
    kind: Literal["receipt"]
    frame: Receipt


class VisitorLinkWire(TypedDict):
    conversation_id: str
    live: bool


class VisitorLink(VisitorLinkWire):
    kind: Literal["visitor_link"]
    wire: NotRequired[VisitorLinkWire]


class StaffFrameWire(TypedDict):
    staff_id: str
    frame: TransferIn | Released
    release: str | None


class StaffFrame(StaffFrameWire):
    """A frame for every console of one staff member, on whichever process it is."""

    kind: Literal["staff_frame"]
    wire: NotRequired[StaffFrameWire]


class NoteWire(TypedDict):
    conversation_id: str
    note_id: str
    organisation_id: str
    counselor_id: str | None


class NoteAdded(NoteWire):
    kind: Literal["note"]
    note: NotRequired["Note"]
    wire: NotRequired[NoteWire]


class WhisperAdded(NoteWire):
    kind: Literal["whisper"]
    note: NotRequired["Note"]
    wire: NotRequired[NoteWire]


class ConsultWire(TypedDict):
    message_id: str
    organisation_id: str
    sender_id: str | None
    recipient_id: str | None


class ConsultAdded(ConsultWire):
    kind: Literal["consult"]
    message: NotRequired["ConsultMessage"]
    wire: NotRequired[ConsultWire]


class PresenceWire(TypedDict):
    process: str
    state: str
    # One list per staff member online: id, organisation, role, languages, status.
    staff: list[list[str]]


class PresenceEvent(PresenceWire):
    kind: Literal["presence"]
    wire: NotRequired[PresenceWire]


class StatusWire(TypedDict):
    staff_id: str
    organisation_id: str
    status: str
    until: str | None


class StatusChanged(StatusWire):
    kind: Literal["staff_status"]
    wire: NotRequired[StatusWire]


class CapacityWire(TypedDict):
    staff_id: str
    organisation_id: str
    max_chats: int


class CapacityChanged(CapacityWire):
    kind: Literal["staff_capacity"]
    wire: NotRequired[CapacityWire]


class PauseWire(TypedDict):
    organisation_id: str
    staff_id: str
    until: str | None


class PauseChanged(PauseWire):
    kind: Literal["wellbeing_pause"]
    wire: NotRequired[PauseWire]


class TalkWire(TypedDict):
    organisation_id: str
    staff_id: str
    at: str | None


class TalkAsked(TalkWire):
    kind: Literal["wellbeing_talk"]
    wire: NotRequired[TalkWire]


class LeftMessagesWire(TypedDict):
    organisation_id: str


class LeftMessagesEvent(LeftMessagesWire):
    kind: Literal["left_messages"]
    wire: NotRequired[LeftMessagesWire]


class ReferralWire(TypedDict):
    organisation_id: str
    conversation_id: str
    referral_id: str


class ReferralChanged(ReferralWire):
    kind: Literal["referral_changed"]
    wire: NotRequired[ReferralWire]


class ReferralWithdrawn(ReferralWire):
    kind: Literal["referral_withdrawn"]
    wire: NotRequired[ReferralWire]


class PartnerInvitedWire(TypedDict):
    partner_staff_id: str
    access_id: str


class PartnerInvitedEvent(PartnerInvitedWire):
    kind: Literal["partner_invited"]
    wire: NotRequired[PartnerInvitedWire]


class PartnerEndedWire(PartnerEndedBody):
    partner_staff_id: str


class PartnerEndedEvent(PartnerEndedWire):
    kind: Literal["partner_access_ended"]
    wire: NotRequired[PartnerEndedWire]


BrokerEvent = (
    MessageCommitted
    | PeerMessage
    | ConversationChanged
    | Resync
    | TypingEvent
    | ReceiptEvent
    | VisitorLink
    | StaffFrame
    | NoteAdded
    | WhisperAdded
    | ConsultAdded
    | PresenceEvent
    | StatusChanged
    | CapacityChanged
    | PauseChanged
    | TalkAsked
    | LeftMessagesEvent
    | ReferralChanged
    | ReferralWithdrawn
    | PartnerInvitedEvent
    | PartnerEndedEvent
)

EVENTS: dict[str, type] = {
    "message_committed": MessageCommitted,
    "message": PeerMessage,
    "conversation": ConversationChanged,
    "resync": Resync,
    "typing": TypingEvent,
    "receipt": ReceiptEvent,
    "visitor_link": VisitorLink,
    "staff_frame": StaffFrame,
    "note": NoteAdded,
    "whisper": WhisperAdded,
    "consult": ConsultAdded,
    "presence": PresenceEvent,
    "staff_status": StatusChanged,
    "staff_capacity": CapacityChanged,
    "wellbeing_pause": PauseChanged,
    "wellbeing_talk": TalkAsked,
    "left_messages": LeftMessagesEvent,
    "referral_changed": ReferralChanged,
    "referral_withdrawn": ReferralWithdrawn,
    "partner_invited": PartnerInvitedEvent,
    "partner_access_ended": PartnerEndedEvent,
}
# Declaration → kind, for `broker.on(Declaration, handler)`: one dict lookup at registration.
KIND_OF: dict[type, str] = {declaration: kind for kind, declaration in EVENTS.items()}
