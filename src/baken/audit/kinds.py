"""What can be audited. Kinds are stable codes (the admin page translates them); details hold
structured codes such as ``fmt=pdf``, never text a person typed."""

from __future__ import annotations

from dataclasses import dataclass

from baken.store.staff_repo import StaffMember

# Conversations: taking one from the queue, joining one, reading its transcript, observing.
CONVERSATION_ACCEPT = "conversation.accept"
CONVERSATION_JOIN = "conversation.join"
CONVERSATION_READ = "conversation.read"
CONVERSATION_OBSERVE = "conversation.observe"
# Case registrations.
REGISTRATION_READ = "registration.read"
REGISTRATION_CHANGE = "registration.change"
# Reports: the page, downloads, exports on the command line.
REPORT_VIEW = "report.view"
REPORT_DOWNLOAD = "report.download"
REPORT_EXPORT = "report.export"
# Accounts and sign-in.
ACCOUNT_CREATE = "account.create"
ACCOUNT_ROLE = "account.role"
ACCOUNT_DISABLE = "account.disable"
ACCOUNT_ENABLE = "account.enable"
ACCOUNT_PASSWORD = "account.password"  # noqa: S105 (a kind, not a password)
ACCOUNT_SESSIONS_ENDED = "account.sessions_ended"
ACCOUNT_SECOND_FACTOR_RESET = "account.second_factor_reset"
LOGIN_SUCCESS = "login.success"
LOGIN_FAILURE = "login.failure"
LOGOUT = "logout"
# Passkeys (issue 16): one's own added or removed, used to sign in, refused (detail: step and
# reason codes); an administrator requiring them for the organisation, or no longer.
PASSKEY_ADD = "passkey.add"
PASSKEY_REMOVE = "passkey.remove"
PASSKEY_USE = "passkey.use"
PASSKEY_FAIL = "passkey.fail"
ORGANISATION_PASSKEYS = "organisation.passkeys"
# Organisations as data (issue 14): made, changed (detail: the settings' names), disabled,
# enabled again, or deleted while still empty.
ORGANISATION_ADD = "organisation.add"
ORGANISATION_CHANGE = "organisation.change"
ORGANISATION_DISABLE = "organisation.disable"
ORGANISATION_ENABLE = "organisation.enable"
ORGANISATION_DELETE = "organisation.delete"
# Issue 15: a supervisor or administrator lifting a visitor block (detail: the reason code).
BLOCK_LIFT = "block.lift"
# Issue 17, item 4: anonymous signals to the police (docs/police-signals.md). Details hold codes
# only (status, the refused field and reason), never what was typed.
POLICE_SIGNAL_DRAFT = "police_signal.draft"
POLICE_SIGNAL_EDIT = "police_signal.edit"
POLICE_SIGNAL_REFUSED = "police_signal.refused"
POLICE_SIGNAL_SUBMIT = "police_signal.submit"
POLICE_SIGNAL_APPROVE = "police_signal.approve"
POLICE_SIGNAL_REJECT = "police_signal.reject"
POLICE_SIGNAL_EXPORT = "police_signal.export"
# Reading a signal's page (issue 17, item 4): who looked at which signal, never what it says.
POLICE_SIGNAL_VIEW = "police_signal.view"
# Issue 17, item 3 (warm hand-off): a counselor inviting a partner professional into a chat, the
# partner joining, the access ending (detail: reason=left|expired|withdrawn|visitor_refused|
# conversation_ended|counselor_ended), a partner's mailbox message for the visitor.
PARTNER_INVITE = "partner.invite"
PARTNER_JOIN = "partner.join"
PARTNER_END = "partner.end"
PARTNER_MAILBOX = "partner.mailbox"
# Issue 17: a counselor proposing a referral (detail: the service type), recording its outcome
# (detail: the outcome code).
REFERRAL_PROPOSE = "referral.propose"
REFERRAL_OUTCOME = "referral.outcome"
# Issue 15, item 1: a supervisor or administrator setting a counselor's capacity (detail: the
# number of chats, or "default").
STAFF_CAPACITY = "staff.capacity"
# Issue 15, item 4: a chat handed over at the end of a shift (detail: "colleague", "queue", or
# "sign_out" for the chats requeued when their counselor signed out).
CONVERSATION_HANDOVER = "conversation.handover"
# Issue 17, item 1: the partner directory. An administrator adding, changing or removing a service
# (object: the HSDS service id), an import from the command line (detail: added/changed counts).
DIRECTORY_ADD = "directory.add"
DIRECTORY_CHANGE = "directory.change"
DIRECTORY_REMOVE = "directory.remove"
DIRECTORY_IMPORT = "directory.import"
# Issue 15, items 6 and 7: a staff member choosing to share their wellbeing figures with their
# supervisors, or to stop (detail: share=yes|no; object: themselves) — the record that the
# consent was given, and when it ended; a supervisor or administrator opening the per-counselor
# figures (detail: from=… to=… fmt=html|csv).
WELLBEING_SHARE = "wellbeing.share"
FIGURES_COUNSELORS = "figures.counselors"
# The audit log itself, retention and keys.
AUDIT_VIEW = "audit.view"
RETENTION_PURGE = "retention.purge"
KEYS_ROTATE = "keys.rotate"

ALL_KINDS = (
    CONVERSATION_ACCEPT,
    CONVERSATION_JOIN,
    CONVERSATION_READ,
    CONVERSATION_OBSERVE,
    REGISTRATION_READ,
    REGISTRATION_CHANGE,
    REPORT_VIEW,
    REPORT_DOWNLOAD,
    REPORT_EXPORT,
    ACCOUNT_CREATE,
    ACCOUNT_ROLE,
    ACCOUNT_DISABLE,
    ACCOUNT_ENABLE,
    ACCOUNT_PASSWORD,
    ACCOUNT_SESSIONS_ENDED,
    ACCOUNT_SECOND_FACTOR_RESET,
    LOGIN_SUCCESS,
    LOGIN_FAILURE,
    LOGOUT,
    PASSKEY_ADD,
    PASSKEY_REMOVE,
    PASSKEY_USE,
    PASSKEY_FAIL,
    ORGANISATION_PASSKEYS,
    ORGANISATION_ADD,
    ORGANISATION_CHANGE,
    ORGANISATION_DISABLE,
    ORGANISATION_ENABLE,
    ORGANISATION_DELETE,
    BLOCK_LIFT,
    POLICE_SIGNAL_DRAFT,
    POLICE_SIGNAL_EDIT,
    POLICE_SIGNAL_REFUSED,
    POLICE_SIGNAL_SUBMIT,
    POLICE_SIGNAL_APPROVE,
    POLICE_SIGNAL_REJECT,
    POLICE_SIGNAL_EXPORT,
    POLICE_SIGNAL_VIEW,
    PARTNER_INVITE,
    PARTNER_JOIN,
    PARTNER_END,
    PARTNER_MAILBOX,
    REFERRAL_PROPOSE,
    REFERRAL_OUTCOME,
    STAFF_CAPACITY,
    CONVERSATION_HANDOVER,
    DIRECTORY_ADD,
    DIRECTORY_CHANGE,
    DIRECTORY_REMOVE,
    DIRECTORY_IMPORT,
    WELLBEING_SHARE,
    FIGURES_COUNSELORS,
    AUDIT_VIEW,
    RETENTION_PURGE,
    KEYS_ROTATE,
)

# Object types.
CONVERSATION = "conversation"
REGISTRATION = "registration"
REPORT = "report"
STAFF = "staff"
KEY = "key"
PASSKEY = "passkey"
ORGANISATION = "organisation"
BLOCK = "block"
POLICE_SIGNAL = "police_signal"
REFERRAL = "referral"
PARTNER_ACCESS = "partner_access"
DIRECTORY_SERVICE = "directory_service"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: a staff member, the operator on the command line, or the server itself."""

    id: str | None
    role: str | None
    # Issue 14: the organisation the record belongs to; its administrators see it.
    organisation_id: str | None = None

    @classmethod
    def of(cls, member: StaffMember) -> Actor:
        return cls(member.id, member.role.value, member.organisation_id)

    def for_organisation(self, organisation_id: str | None) -> Actor:
        """The same actor, recording an action on one organisation's objects (the operator's
        command line acts for any organisation)."""
        return Actor(self.id, self.role, organisation_id)

    @classmethod
    def operator(cls) -> Actor:
        import getpass

        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (containers)
            user = "unknown"
        return cls(f"os:{user}"[:40], "operator")


SYSTEM = Actor("system", "system")
UNKNOWN = Actor(None, None)
