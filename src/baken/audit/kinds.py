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


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: a staff member, the operator on the command line, or the server itself."""

    id: str | None
    role: str | None

    @classmethod
    def of(cls, member: StaffMember) -> Actor:
        return cls(member.id, member.role.value)

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
