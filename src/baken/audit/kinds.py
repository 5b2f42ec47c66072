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
