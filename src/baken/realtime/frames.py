"""Frames a client may send, and how a raw WebSocket frame becomes one (or a clear error)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_FRAME_BYTES = 64 * 1024

ConversationId = Annotated[str, Field(min_length=1, max_length=40)]
ClientMsgId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Seq = Annotated[int, Field(ge=0, le=2**53)]


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Ping(_Frame):
    type: Literal["ping"]
    t: Annotated[int, Field(ge=-(2**53), le=2**53)] | None = None


class Sync(_Frame):
    type: Literal["sync"]
    conversation_id: ConversationId
    after_seq: Seq


class Send(_Frame):
    type: Literal["send"]
    conversation_id: ConversationId
    client_msg_id: ClientMsgId
    # The real limit is configurable and checked with a clear code; this only bounds parsing.
    text: Annotated[str, Field(max_length=100_000)]


class Typing(_Frame):
    type: Literal["typing"]
    conversation_id: ConversationId
    active: bool


class Receipt(_Frame):
    type: Literal["receipt"]
    conversation_id: ConversationId
    kind: Literal["delivered", "read"]
    seq: Seq


class Leave(_Frame):
    type: Literal["leave"]
    conversation_id: ConversationId


class Accept(_Frame):
    type: Literal["accept"]
    conversation_id: ConversationId


class TakeNext(_Frame):
    type: Literal["take_next"]


class RequestCode(_Frame):
    type: Literal["request_code"]
    conversation_id: ConversationId


class MarkCompromised(_Frame):
    type: Literal["mark_compromised"]
    conversation_id: ConversationId


class MailboxSend(_Frame):
    type: Literal["mailbox_send"]
    conversation_id: ConversationId
    text: Annotated[str, Field(max_length=100_000)]


# Why a counselor ended a chat (counselor tools); domain.counselor_tools.EndReason holds the same.
EndReasonCode = Literal["helped", "visitor_left", "abusive", "test_prank", "other"]


class End(_Frame):
    type: Literal["end"]
    conversation_id: ConversationId
    reason: EndReasonCode | None = None  # counselor tools: why the chat ended


# --- counselor tools (issue 3, part 4): notes, transfers, end reasons, blocks ---------------------

BlockReasonCode = Literal["abusive", "threats", "sexual", "spam", "other"]
StaffId = Annotated[str, Field(min_length=1, max_length=40)]
# Free text of staff: the real limit is checked with a clear code; this only bounds parsing.
StaffText = Annotated[str, Field(max_length=100_000)]


class NotesGet(_Frame):
    type: Literal["notes_get"]
    conversation_id: ConversationId


class NoteAdd(_Frame):
    type: Literal["note_add"]
    conversation_id: ConversationId
    text: StaffText


class ColleaguesGet(_Frame):
    type: Literal["colleagues_get"]


class Transfer(_Frame):
    type: Literal["transfer"]
    conversation_id: ConversationId
    to_staff_id: StaffId
    note: StaffText = ""


class Requeue(_Frame):
    type: Literal["requeue"]
    conversation_id: ConversationId


class SetEndReason(_Frame):
    type: Literal["end_reason"]
    conversation_id: ConversationId
    reason: EndReasonCode


class BlockVisitor(_Frame):
    type: Literal["block"]
    conversation_id: ConversationId
    reason: BlockReasonCode
    hours: Annotated[int, Field(ge=0, le=100_000)] | None = None


class Unblock(_Frame):
    type: Literal["unblock"]
    block_id: Annotated[str, Field(min_length=1, max_length=40)]


TOOL_FRAMES: dict[str, type[_Frame]] = {
    "notes_get": NotesGet,
    "note_add": NoteAdd,
    "colleagues_get": ColleaguesGet,
    "transfer": Transfer,
    "requeue": Requeue,
    "end_reason": SetEndReason,
    "block": BlockVisitor,
    "unblock": Unblock,
}


# --- supervision (issue 3, part 5): overview, silent observe, whisper, take over, consults --------

# "team" for the organisation's staff room, or a colleague's staff id.
ConsultPeer = Annotated[str, Field(min_length=1, max_length=40)]


class OverviewSubscribe(_Frame):
    type: Literal["overview_subscribe"]


class OverviewUnsubscribe(_Frame):
    type: Literal["overview_unsubscribe"]


class Observe(_Frame):
    type: Literal["observe"]
    conversation_id: ConversationId
    after_seq: Seq = 0


class ObserveStop(_Frame):
    type: Literal["observe_stop"]
    conversation_id: ConversationId


class Whisper(_Frame):
    type: Literal["whisper"]
    conversation_id: ConversationId
    text: StaffText


class TakeOver(_Frame):
    type: Literal["take_over"]
    conversation_id: ConversationId


class ConsultSend(_Frame):
    type: Literal["consult_send"]
    to: ConsultPeer
    text: StaffText
    conversation_id: ConversationId | None = None


class ConsultHistory(_Frame):
    type: Literal["consult_history"]
    peer: ConsultPeer


SUPERVISION_FRAMES: dict[str, type[_Frame]] = {
    "overview_subscribe": OverviewSubscribe,
    "overview_unsubscribe": OverviewUnsubscribe,
    "observe": Observe,
    "observe_stop": ObserveStop,
    "whisper": Whisper,
    "take_over": TakeOver,
    "consult_send": ConsultSend,
    "consult_history": ConsultHistory,
}


# --- counselor wellbeing (issue 15, item 6; docs/wellbeing.md) ------------------------------------


class HeavyMark(_Frame):
    type: Literal["heavy_mark"]
    conversation_id: ConversationId
    heavy: bool = True  # false takes the mark back


class TalkRequest(_Frame):
    """ "I would like to talk about this": no text, no chat; only who asks reaches a supervisor."""

    type: Literal["talk_request"]


class Pause(_Frame):
    type: Literal["pause"]
    minutes: Annotated[int, Field(ge=0, le=60)]  # 0 ends the pause


class WellbeingGet(_Frame):
    type: Literal["wellbeing_get"]
    # A chat of one's own that just ended: the answer says whether it counts as heavy.
    conversation_id: ConversationId | None = None


WELLBEING_FRAMES: dict[str, type[_Frame]] = {
    "heavy_mark": HeavyMark,
    "talk_request": TalkRequest,
    "pause": Pause,
    "wellbeing_get": WellbeingGet,
}


# --- team operations (issue 15, item 1; docs/supervision.md) ------------------------------------

StaffStatusName = Literal["available", "busy", "break", "wrap_up", "away"]


class SetStatus(_Frame):
    """One's own status; only "available" takes new chats."""

    type: Literal["set_status"]
    status: StaffStatusName


class SetCapacity(_Frame):
    """A supervisor or administrator setting a colleague's capacity (None: the default)."""

    type: Literal["set_capacity"]
    staff_id: Annotated[str, Field(min_length=1, max_length=40)]
    max_chats: Annotated[int, Field(ge=1, le=50)] | None


class Handover(_Frame):
    """Shift handover (issue 15, item 4): one of one's open chats to a colleague who is online,
    or (``to_staff_id`` null) back to the team queue at its old place; with a handover note."""

    type: Literal["handover"]
    conversation_id: ConversationId
    to_staff_id: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    note: Annotated[str, Field(max_length=100_000)] = ""


TEAM_FRAMES: dict[str, type[_Frame]] = {
    "set_status": SetStatus,
    "set_capacity": SetCapacity,
    "handover": Handover,
}


# --- indicator signals (issue 19, item 2; docs/signals.md) --------------------------------------


class SignalsFeedback(_Frame):
    """The counselor dismissed a detected indicator: counted per label, nothing else kept."""

    type: Literal["signals_feedback"]
    conversation_id: ConversationId
    label: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]


# --- referrals with recorded consent (issue 17, item 2; docs/referrals.md) ----------------------

ReferralId = Annotated[str, Field(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
ScopeItem = Literal["first_name", "age_band", "exploitation_type", "summary"]


class ReferralPropose(_Frame):
    """The chat's counselor proposes a directory service, optionally with a summary they wrote
    for the visitor to read (and, if the visitor agrees, to share)."""

    type: Literal["referral_propose"]
    conversation_id: ConversationId
    service_id: Annotated[str, Field(min_length=1, max_length=64)]
    summary: StaffText | None = None


class ReferralsGet(_Frame):
    """The referrals of a chat: the console's side panel, or a visitor's open cards again."""

    type: Literal["referrals_get"]
    conversation_id: ConversationId


class ReferralAnswer(_Frame):
    type: Literal["referral_answer"]
    conversation_id: ConversationId
    referral_id: ReferralId
    answer: Literal["contact", "handoff", "declined"]
    scope: Annotated[list[ScopeItem], Field(max_length=4)] = []


REFERRAL_FRAMES: dict[str, type[_Frame]] = {
    "referral_propose": ReferralPropose,
    "referrals_get": ReferralsGet,
}
REFERRAL_VISITOR_FRAMES: dict[str, type[_Frame]] = {
    "referrals_get": ReferralsGet,
    "referral_answer": ReferralAnswer,
}

# --- warm hand-off (issue 17, item 3; docs/partners.md) ----------------------------------------

AccessId = Annotated[str, Field(min_length=1, max_length=40)]


class PartnerCandidates(_Frame):
    """Counselor: the partner accounts a referral's service could bring in (who is online)."""

    type: Literal["partner_candidates"]
    conversation_id: ConversationId
    referral_id: ReferralId


class PartnerInvite(_Frame):
    """Counselor: invite one partner account into this chat, for a referral with hand-off
    consent, for ``minutes`` (default BAKEN_PARTNER_ACCESS_MINUTES)."""

    type: Literal["partner_invite"]
    conversation_id: ConversationId
    referral_id: ReferralId
    partner_staff_id: StaffId
    minutes: Annotated[int, Field(ge=1, le=24 * 60)] | None = None


class PartnerEnd(_Frame):
    """Counselor: end a partner's access to this chat."""

    type: Literal["partner_end"]
    conversation_id: ConversationId
    access_id: AccessId


class PartnerInvitations(_Frame):
    """Partner: the conversations one is invited into now."""

    type: Literal["partner_invitations"]


class PartnerJoin(_Frame):
    type: Literal["partner_join"]
    access_id: AccessId


class PartnerLeave(_Frame):
    type: Literal["partner_leave"]
    access_id: AccessId


class PartnerMailboxSend(_Frame):
    """Partner: a callback arrangement or appointment proposal for the visitor's mailbox."""

    type: Literal["partner_mailbox_send"]
    access_id: AccessId
    text: StaffText


class PartnerRefuse(_Frame):
    """Visitor: "no" to the partner who joined; their access ends at once."""

    type: Literal["partner_refuse"]
    conversation_id: ConversationId


PARTNER_STAFF_FRAMES: dict[str, type[_Frame]] = {
    "partner_candidates": PartnerCandidates,
    "partner_invite": PartnerInvite,
    "partner_end": PartnerEnd,
}


ClientFrame = (
    Ping
    | Sync
    | Send
    | Typing
    | Receipt
    | Leave
    | RequestCode
    | Accept
    | TakeNext
    | End
    | MarkCompromised
    | MailboxSend
)

COMMON_FRAMES: dict[str, type[_Frame]] = {
    "ping": Ping,
    "sync": Sync,
    "send": Send,
    "typing": Typing,
    "receipt": Receipt,
}
VISITOR_FRAMES: dict[str, type[_Frame]] = {
    **COMMON_FRAMES,
    "leave": Leave,
    "request_code": RequestCode,
    **REFERRAL_VISITOR_FRAMES,
    "partner_refuse": PartnerRefuse,
}
STAFF_FRAMES: dict[str, type[_Frame]] = {
    **COMMON_FRAMES,
    "accept": Accept,
    "take_next": TakeNext,
    "end": End,
    "mark_compromised": MarkCompromised,
    "mailbox_send": MailboxSend,
    **TOOL_FRAMES,
    **SUPERVISION_FRAMES,
    **WELLBEING_FRAMES,
    **TEAM_FRAMES,
    "signals_feedback": SignalsFeedback,
    **REFERRAL_FRAMES,
    **PARTNER_STAFF_FRAMES,
}


# A partner professional's socket (issue 17, item 3): the chat frames, only for conversations
# they have joined, and their own invitations; nothing of the queue or the counselor tools.
PARTNER_FRAMES: dict[str, type[_Frame]] = {
    **COMMON_FRAMES,
    "partner_invitations": PartnerInvitations,
    "partner_join": PartnerJoin,
    "partner_leave": PartnerLeave,
    "partner_mailbox_send": PartnerMailboxSend,
}


class FrameError(Exception):
    def __init__(self, code: str, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref


def parse(raw: str | bytes, allowed: dict[str, type[_Frame]]) -> _Frame:
    if len(raw) > MAX_FRAME_BYTES:
        raise FrameError("frame_too_large", "A frame can be at most 64 KiB.")
    try:
        data: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise FrameError("invalid_json", "The frame is not valid JSON.") from None
    if not isinstance(data, dict):
        raise FrameError("invalid_json", "A frame must be a JSON object.")
    kind = data.get("type")
    ref = data.get("client_msg_id") if isinstance(data.get("client_msg_id"), str) else None
    if not isinstance(kind, str) or kind not in allowed:
        raise FrameError(
            "unknown_type",
            "This frame type is unknown or not allowed here.",
            ref or (kind if isinstance(kind, str) else None),
        )
    try:
        return allowed[kind].model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "frame"
        raise FrameError(
            "invalid_frame", f"Field '{where}': {first['msg']}.", ref or kind
        ) from None
