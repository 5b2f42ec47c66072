"""Translated texts the page scripts need, handed to them as JSON in a ``data-strings`` attribute.

The scripts never contain prose of their own: every sentence a visitor or counselor reads is here or
in a template, with the English text as msgid, so both catalogues stay complete. Placeholders in
braces (``{name}``, ``{n}``, ``{time}``) are filled in by the script and always shown as plain text.

Event codes (``event_*``) are the ``event`` of system messages in docs/protocol.md; ``err_*`` are
error frame codes. A code without an entry falls back to ``event_unknown`` / ``err_generic``.
"""

from __future__ import annotations

from collections.abc import Callable

from baken.web.signal_strings import signal_strings

__all__ = ["console_strings", "partner_strings", "visitor_strings"]

Gettext = Callable[[str], str]


def _message_strings(_: Gettext) -> dict[str, str]:
    """Texts of the shared conversation view (messages, receipts, typing, composer)."""
    return {
        "you": _("You"),
        "counselor": _("Counselor"),
        "sending": _("Sending…"),
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "read": _("Read"),
        "not_sent": _("Not sent"),
        "typing": _("{name} is typing…"),
        "chars_left": _("{n} characters left"),
        "reconnecting": _("Reconnecting…"),
        "reconnect_slow": _("Still reconnecting. You can also reload the page."),
        "err_generic": _("Something went wrong. Please try again."),
        "err_offline": _("There is no connection right now. Please try again in a moment."),
        "err_text_empty": _("Please type a message first."),
        "err_text_too_long": _("Your message is too long. Please make it shorter."),
        "err_frame_too_large": _("Your message is too long. Please make it shorter."),
        "err_conversation_ended": _("This chat has ended. Your message was not sent."),
        "err_rate_limited": _("You are sending very fast. Please wait a moment."),
        "err_unavailable": _("Sending is taking a little longer. We keep trying."),
        # Issue 5: the server takes too many visitor messages at once; the page sends it again.
        "err_busy": _("Sending is taking a little longer. We keep trying."),
        "event_unknown": "",
    }


def visitor_strings(_: Gettext) -> dict[str, str]:
    """Texts for visitor.js."""
    strings = _message_strings(_)
    strings.update(
        {
            "title_start": _("Chat with a counselor"),
            "title_waiting": _("Waiting for a counselor"),
            "title_chat": _("Chat with {name}"),
            "title_ended": _("The chat has ended"),
            "queue_position": _("You are number {n} in line."),
            "queue_next": _("You are next in line."),
            "queue_waiting": _("You are in line."),
            # Issue 19, item 3: shown when the place number goes up (docs/signals.md).
            "queue_moved": _(
                "Someone went ahead of you, for example because they are in danger. "
                "You stay in line; we have not forgotten you."
            ),
            # The estimate from the recent service rate (issue 3); rounded in visitor.js.
            "wait_under_minute": _("Expected wait: less than a minute."),
            "wait_minutes": _("Expected wait: about {n} minutes."),
            "wait_over_hour": _("Expected wait: more than an hour."),
            "starting": _("One moment…"),
            # Issue 5: while the page does the proof-of-work, and when starts are throttled.
            "preparing": _("One moment, we are getting the chat ready."),
            "start_busy": _(
                "It is very busy right now. Please try again in a minute. In danger now? Call 112."
            ),
            "event_accepted": _("{name} has joined the chat."),
            "event_ended_visitor": _("You ended the chat."),
            "event_ended_quick_exit": _("The chat was closed with quick exit."),
            "event_ended_counselor": _("{name} ended the chat."),
            "event_ended_timeout": _("The chat was closed because it was quiet for a long time."),
            # Issue 15: a few minutes before a silent chat is closed.
            "event_timeout_warning": _(
                "Are you still there? This chat closes in a few minutes if nobody writes."
            ),
            "err_not_a_participant": _("Something went wrong. Please reload the page."),
            # Counselor tools (issue 3): what the visitor sees of a transfer, requeue or block.
            "event_transferred": _("A colleague is taking over the chat."),
            "event_requeued": _("You are back in line. A colleague will be with you soon."),
            "event_ended_blocked": _("This chat has been closed."),
            # Return codes (issue 3): getting a code, coming back with it, destroying it.
            "code_getting": _("One moment…"),
            "code_unavailable": _("A code cannot be made right now. Please try again later."),
            "code_wrong": _("This code does not work. Check it, or start a new chat."),
            "code_empty": _("Type your code first."),
            "code_destroyed": _("Done. If this code existed, it no longer works."),
            "followup_from": _("From the helpline"),
            # Issue 17: a partner professional's message, under their organisation's name.
            "followup_from_partner": _("From {name}"),
            # Waiting long (issue 3): leaving a message instead.
            "leaving_message": _("One moment…"),
            "err_try_later": _("Try again in a moment."),
            # Issue 12: once the message is left the visitor stopped nothing; say what did happen.
            "title_message_left": _("Message left"),
            "event_left_for_message": _("You are no longer waiting in line."),
            # Issue 17, item 3: a partner professional joined (warm hand-off); the visitor may
            # say no at once.
            "event_partner_joined": _(
                "{name} from the organisation you agreed to has joined the chat. "
                "Your counselor stays with you."
            ),
            "event_partner_left": _("{name} has left the chat."),
        }
    )
    return strings


def console_strings(_: Gettext) -> dict[str, str]:
    """Texts for console.js."""
    strings = _message_strings(_)
    strings.update(
        {
            "anonymous": _("Anonymous"),
            "anonymous_n": _("Anonymous {n}"),
            "accept": _("Accept"),
            "accepting": _("Accepting…"),
            "waiting_for": _("Waiting {time}"),
            "queue_count": _("{n} waiting"),
            # Issue 19, item 3: why a waiting visitor is placed ahead (docs/signals.md).
            "ranked_by": _("Placed ahead: {reasons}"),
            "rank_acute_signal": _("possible acute danger in the first message"),
            "rank_signals": _("possible signals in the first message"),
            "rank_age": _("younger visitor"),
            "capacity_full": _("You have reached the maximum number of open chats ({n})."),
            "state_active": _("Active"),
            "state_ended": _("Ended"),
            "unread": _("unread: {n}"),
            "message_to": _("Message to {name}"),
            "messages_with": _("Messages with {name}"),
            "event_accepted": _("{name} has joined the chat."),
            "event_partner_joined": _("{name} joined the chat."),
            "event_partner_left": _("{name} left the chat."),
            # Issue 17, item 3: the warm hand-off in the chat panel (partner_invite.js).
            "partner_title": _("Warm hand-off"),
            "partner_find": _("Invite a partner professional"),
            "partner_invite": _("Invite"),
            "partner_online": _("online"),
            "partner_offline": _("not online"),
            "partner_none": _("This organisation has no professionals in Baken yet."),
            "partner_invited": _("Invited until {time}."),
            "partner_end": _("End their access"),
            "partner_ended": _("The partner's access has ended."),
            "partner_ended_left": _("The partner left the chat."),
            "partner_ended_expired": _("The partner's time in the chat has run out."),
            "partner_ended_withdrawn": _("The visitor withdrew their consent; the partner is out."),
            "partner_ended_visitor_refused": _("The visitor said no; the partner is out."),
            "partner_ended_counselor_ended": _("You ended the partner's access."),
            "partner_ended_conversation_ended": _("The chat has ended."),
            "partner_err_no_handoff_consent": _(
                "This referral has no consent for a warm hand-off."
            ),
            "partner_err_no_handoff_partner": _(
                "This service takes no warm hand-offs through Baken."
            ),
            "partner_err_invalid_target": _("This person cannot be invited here."),
            "event_ended_visitor": _("The visitor ended the chat."),
            "event_ended_quick_exit": _("The visitor left via quick exit."),
            "event_ended_counselor": _("{name} ended the chat."),
            "event_ended_timeout": _("The chat was closed after a long silence."),
            "event_timeout_warning": _(
                "This chat closes in a few minutes unless someone writes or the visitor returns."
            ),
            "ended_visitor": _("The visitor ended the chat."),
            "ended_quick_exit": _("The visitor left via quick exit."),
            "ended_counselor": _("{name} ended the chat."),
            "ended_counselor_you": _("You ended the chat."),
            "ended_timeout": _("The chat was closed after a long silence."),
            "ended_technical": _("The chat was closed because of a technical problem."),
            "ended_left": _("The visitor left the queue."),
            "ended_unknown": _("This chat has ended."),
            "err_not_queued": _("Someone else has already taken this chat."),
            "err_at_capacity": _("You already have the maximum number of chats."),
            "err_not_available": _(
                "Your status does not take new chats. Set it to available first."
            ),
            "err_not_a_participant": _("This chat is no longer yours."),
            "err_conversation_ended": _("This chat has ended. The message was not sent."),
            "err_rate_limited": _("Too many messages at once. Please wait a moment."),
        }
    )
    strings.update(_counselor_tool_strings(_))
    # Issue 19, item 2: indicator names and the side list (signals.js); never for visitors.
    strings.update(signal_strings(_))
    return strings


def _counselor_tool_strings(_: Gettext) -> dict[str, str]:
    """Texts for chat_tools.js (counselor tools, issue 3)."""
    return {
        "event_transferred": _("The chat was handed over to {name}."),
        "event_requeued": _("{name} put the chat back in the queue."),
        "event_ended_blocked": _("{name} blocked the visitor and ended the chat."),
        "canned_count": _("{n} canned responses found. Use the arrow keys and Enter."),
        "canned_none": _('There are no canned responses yet. Add them with "Canned responses".'),
        "canned_none_match": _("No canned response matches."),
        "canned_team": _("team"),
        "canned_personal": _("only me"),
        "canned_add": _("Add"),
        "canned_save": _("Save changes"),
        "canned_saved": _("Saved."),
        "canned_deleted": _("Deleted."),
        "canned_confirm_delete": _('Delete "{name}"?'),
        "edit": _("Change"),
        "delete": _("Delete"),
        "edit_named": _("Change {name}"),
        "delete_named": _("Delete {name}"),
        "err_title_empty": _("Give the text a short title."),
        "err_title_too_long": _("The title is too long (at most 60 characters)."),
        "err_body_empty": _("The text cannot be empty."),
        "err_body_too_long": _("The text is too long (at most 2000 characters)."),
        "err_invalid_lang": _("Choose Dutch or English."),
        "err_forbidden": _("You may not change this."),
        "err_not_found": _("This no longer exists. Reload the list."),
        "notes": _("Notes"),
        "notes_n": _("Notes ({n})"),
        "note_saved": _("Note saved."),
        "note_transfer_by": _("Handover note from {name}"),
        "saving": _("Saving…"),
        "colleague_load": _("{name} ({n} of {max} chats)"),
        "no_colleagues": _("No colleague is online right now."),
        "transferring": _("Handing over…"),
        "transferred": _("Handed over."),
        "transfer_in": _("A colleague handed this chat to you. Read their note."),
        "released_transferred": _("You handed this chat over to a colleague."),
        "released_requeued": _("This chat is back in the queue."),
        # Supervision (issue 3, part 5).
        "released_taken_over": _("A supervisor took over this chat."),
        "note_whisper_by": _("Whisper from {name}"),
        "blocked_until": _("Visitor blocked until {time}."),
        "err_colleague_offline": _("This colleague is not online. Choose someone who is."),
        "err_colleague_full": _("This colleague has no room for another chat."),
        "err_unknown_colleague": _("There is no such colleague."),
        "err_invalid_target": _("This colleague already has this chat."),
        "err_not_held": _("This chat has just changed hands or ended; nothing was done."),
        "err_not_ended": _("This chat has not ended yet."),
        "err_invalid_duration": _("A block lasts at least 24 hours."),
        # Return codes (issue 3): the follow-up message for the visitor's mailbox.
        "returning_to_you": _("Coming back to you (return code)"),
        "followup_sent": _("Left. The visitor reads it when they come back with their code."),
        "err_no_return_code": _(
            "This visitor has no return code, so a follow-up cannot reach them."
        ),
        "sound_on": _("Sound on"),
        "sound_off": _("Sound off"),
        "notify_title": _("Baken: someone is waiting"),
        "notify_body": _("{n} waiting in the queue."),
        # Issue 12: a visitor who said "I am in danger now". Never a nickname in an alert.
        "urgent_badge": _("Urgent — in danger"),
        "visitor_language": _("The visitor's language: {code}"),
        "accept_urgent": _("Accept (urgent — in danger)"),
        "urgent_alert": _("Urgent: someone in danger is waiting. Accept this chat first."),
        "title_urgent": _("URGENT"),
        "notify_urgent_title": _("Baken: URGENT — someone in danger is waiting"),
        "notify_urgent_body": _("Accept this chat first. {n} waiting in the queue."),
    }


def partner_strings(_: Gettext) -> dict[str, str]:
    """Texts for partner.js (issue 17, item 3): a partner professional's invitations and chat."""
    return {
        "visitor": _("Visitor"),
        "counselor": _("Counselor"),
        "join": _("Join the chat"),
        "until": _("Invitation until {time}"),
        "shared_first_name": _("First name or nickname"),
        "shared_age_band": _("Age"),
        "shared_exploitation_type": _("Type of exploitation"),
        "shared_summary": _("Summary"),
        "shared_nothing": _("The visitor chose to share no details."),
        "age_under_16": _("Age: under 16"),
        "age_16_17": _("Age: 16 or 17"),
        "age_18_plus": _("Age: 18 or older"),
        "exploitation_sexual": _("Exploitation: sexual"),
        "exploitation_criminal": _("Exploitation: criminal"),
        "exploitation_labour": _("Exploitation: labour"),
        "exploitation_other": _("Exploitation: other"),
        "event_partner_joined": _("{name} joined the chat."),
        "event_partner_left": _("{name} left the chat."),
        "event_unknown": "",
        "mailbox_sent": _("Left in the visitor's mailbox."),
        "ended_left": _("You left the chat."),
        "ended_expired": _("Your time in this chat has ended."),
        "ended_withdrawn": _("The visitor withdrew their consent; the chat is closed to you."),
        "ended_visitor_refused": _(
            "The visitor did not want you in the chat; it is closed to you."
        ),
        "ended_conversation_ended": _("The chat has ended."),
        "ended_counselor_ended": _("The counselor ended your access to this chat."),
        "ended_unknown": _("This chat is closed to you."),
        "err_not_a_participant": _("This chat is not open to you (any more)."),
        "err_no_return_code": _("This visitor has no mailbox (no return code)."),
        "err_generic": _("Something went wrong. Please try again."),
    }
