"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/versions`` must match these."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Every person and record belongs to an organisation, so partners can later share one installation.
organisations = Table(
    "organisations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Issue 16: an administrator can require every staff member to sign in with a passkey.
    Column("passkeys_required", Boolean, nullable=False, default=False, server_default=false()),
    # Issue 14: organisations as data. The visitor's entry is /o/<slug>/ or the organisation's own
    # host name; the default organisation also answers on /.
    Column("slug", String(40), nullable=False, unique=True),
    Column("host", String(253), nullable=True, unique=True),
    Column("exit_url", String(500), nullable=True),  # None: the installation's quick-exit page
    Column("emergency_number", String(20), nullable=True),  # None: 112
    Column("phones", Text, nullable=True),  # JSON: other numbers shown to visitors
    Column("queue_max", Integer, nullable=True),  # None: BAKEN_QUEUE_MAX
    # Points that move younger visitors forward in this organisation's queue (None: the
    # installation's BAKEN_PRIORITY_UNDER_16 / BAKEN_PRIORITY_16_17).
    Column("priority_under_16", Integer, nullable=True),
    Column("priority_16_17", Integer, nullable=True),
    # Days after which its transcripts become unreadable (None: BAKEN_RETENTION_DAYS).
    Column("retention_days", Integer, nullable=True),
    # Organisations with data are never deleted (their figures and reports stay); disabled ones
    # answer visitors with the same neutral 404 as an unknown one.
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
    # Issue 17, item 3: 'helpline', or 'partner' (a care, shelter or police partner whose
    # professionals can be invited into one chat for a warm hand-off; they run no queue).
    Column("kind", String(12), nullable=False, default="helpline", server_default="helpline"),
    # Issue 15, item 3: when the supervisors' alerts fire here (None: the installation's
    # BAKEN_ALERT_* setting of the same name). Migration 0024.
    Column("alert_wait_minutes", Integer, nullable=True),
    Column("alert_silent_minutes", Integer, nullable=True),
    Column("alert_left_message_hours", Integer, nullable=True),
    Column("alert_queue_near_percent", Integer, nullable=True),
)

staff = Table(
    "staff",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(80), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Issue 14: languages the member speaks (comma-separated codes); take-next prefers a match.
    Column("languages", String(80), nullable=False, default="", server_default=""),
)

# Only a hash of the session token is stored: a database leak does not hand out live sessions.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", String(40), ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_staff_sessions_staff_id", "staff_id"),
)

# Issue 15: the one-time link an administrator hands a new staff member (store/invitation_repo.py).
# Only the token's hash; one row per account, kept after use so a second use says "used".
staff_invitations = Table(
    "staff_invitations",
    metadata,
    Column("staff_id", String(40), ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(40), ForeignKey("staff.id"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("state", String(12), nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("lang", String(8), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("ended_by", String(16), nullable=True),
    Column("counselor_id", String(40), ForeignKey("staff.id"), nullable=True),
    # The conversation's data key, wrapped by the master key identified by key_id.
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("nickname_ct", LargeBinary, nullable=True),
    Column("visitor_token_hash", String(64), nullable=True, unique=True),
    Column("last_seq", BigInteger, nullable=False, default=0),
    Column("visitor_read_seq", BigInteger, nullable=False, default=0),
    Column("visitor_delivered_seq", BigInteger, nullable=False, default=0),
    Column("counselor_read_seq", BigInteger, nullable=False, default=0),
    Column("counselor_delivered_seq", BigInteger, nullable=False, default=0),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=True),  # issue 6
    # Set when the visitor came back with a return code: links their conversations, and offers
    # the new chat first to the counselor they spoke with before.
    Column("return_code_id", String(40), nullable=True),
    Column("preferred_staff_id", String(40), nullable=True),
    # Issue 15: when a process last saw the visitor on a socket or a no-JavaScript page (written
    # in batches every few seconds); the timeouts sweep reads it (realtime/timeouts.py).
    Column("visitor_seen_at", DateTime(timezone=True), nullable=True),
    # Why the counselor ended it (issue 3, counselor tools): one of domain.tools.EndReason.
    Column("end_reason", String(16), nullable=True),
    # Service hours and figures (issue 3, parts 2 and 6): whether the visitor already answered
    # the feedback form; the feedback itself is stored apart, without this link.
    Column("feedback_given", Boolean, nullable=False, default=False, server_default=false()),
    # Issue 19, item 3: what detections in a waiting visitor's first messages add to their place
    # (domain/queue.py). No labels, no words; cleared when the chat is taken or ends.
    Column("queue_acute", Boolean, nullable=False, default=False, server_default=false()),
    Column("queue_signal_points", Integer, nullable=False, default=0, server_default="0"),
    Index("ix_conversations_state_created", "state", "created_at"),
    Index("ix_conversations_counselor_state", "counselor_id", "state"),
    Index("ix_conversations_org_created", "organisation_id", "created_at"),
)

participants = Table(
    "participants",
    metadata,
    Column("conversation_id", String(40), ForeignKey("conversations.id"), primary_key=True),
    Column("staff_id", String(40), ForeignKey("staff.id"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("joined_at", DateTime(timezone=True), nullable=False),
    Column("left_at", DateTime(timezone=True), nullable=True),
    # Issue 15, item 6: one counselor's chats of today, and everyone's (wellbeing/repository.py).
    Index("ix_participants_staff_left", "staff_id", "left_at"),
    Index("ix_participants_left_at", "left_at"),
)

messages = Table(
    "messages",
    metadata,
    Column("conversation_id", String(40), ForeignKey("conversations.id"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    # "v" for the visitor, "s:<staff id>" for staff, "system" for events; scopes client_msg_id.
    Column("author", String(44), nullable=False),
    Column("sender", String(12), nullable=False),
    Column("staff_id", String(40), nullable=True),
    Column("client_msg_id", String(64), nullable=True),
    Column("event", String(32), nullable=True),
    Column("body", LargeBinary, nullable=False),
    Column("sent_at_ms", BigInteger, nullable=False),
    UniqueConstraint("conversation_id", "author", "client_msg_id", name="uq_messages_client_msg"),
)


# --- registrations (issue 6) ---
# Registrations hold coded values only: no column here can hold free text, so nothing a visitor
# wrote can reach a report through them. One wide row per conversation keeps a yearly report to a
# few GROUP BY scans over one index range.

# A case is one person over time; conversations link to it (return code or a counselor's link).
cases = Table(
    "cases",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    # Start of the first conversation registered with a trafficking help request: the report
    # counts a person once, in the year of this moment.
    Column("first_request_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_cases_org_first_request", "organisation_id", "first_request_at"),
)

registrations = Table(
    "registrations",
    metadata,
    Column("conversation_id", String(40), ForeignKey("conversations.id"), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("case_id", String(40), ForeignKey("cases.id"), nullable=False),
    Column("codebook_version", String(16), nullable=False),
    # Optimistic concurrency: a save names the version it edited; a stale one is refused.
    Column("version", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    # Set on the one registration that stands for its case in the report (the case's last
    # registration with a help request in the year of its first one); NULL on all others.
    Column("report_year", SmallInteger, nullable=True),
    Column("report_month", SmallInteger, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(40), ForeignKey("staff.id"), nullable=True),
    # Codebook fields: codes for single and yes/no fields, bitmasks (1 << code) for multi fields,
    # the number itself for age. NULL: not registered or not applicable.
    Column("trafficking_request", SmallInteger, nullable=True),
    Column("contact_role", SmallInteger, nullable=True),
    Column("victim_assessment", SmallInteger, nullable=True),
    Column("exploitation_types", Integer, nullable=True),
    Column("in_exploitation_now", SmallInteger, nullable=True),
    Column("exploitation_duration", SmallInteger, nullable=True),
    Column("age", SmallInteger, nullable=True),
    Column("is_minor", SmallInteger, nullable=True),
    Column("gender", SmallInteger, nullable=True),
    Column("perpetrator_relations", Integer, nullable=True),
    Column("multiple_perpetrators", SmallInteger, nullable=True),
    Column("clients_involved", SmallInteger, nullable=True),
    Column("siblings_exploited", SmallInteger, nullable=True),
    Column("first_disclosure", SmallInteger, nullable=True),
    Column("known_to", Integer, nullable=True),
    Column("indicators", Integer, nullable=True),
    Column("risk_level", SmallInteger, nullable=True),
    Column("emergency_actions", Integer, nullable=True),
    Column("consent_level", SmallInteger, nullable=True),
    Column("referrals", Integer, nullable=True),
    Column("language", SmallInteger, nullable=True),
    Column("region", SmallInteger, nullable=True),
    # Codebook 2026.2 (issue 20): coarse origin group; NULL in registrations of 2026.1.
    Column("origin", SmallInteger, nullable=True),
    # Set when the counselor marked the registration complete (issue 6, the console form).
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("completed_by", String(40), nullable=True),
    Index("ix_registrations_case_id", "case_id"),
    Index("ix_registrations_org_report_year", "organisation_id", "report_year"),
    Index(
        "ix_registrations_request_started", "organisation_id", "trafficking_request", "started_at"
    ),
    # Whether a year mixes codebook versions is then a few index probes (issue 20).
    Index(
        "ix_registrations_org_codebook_started", "organisation_id", "codebook_version", "started_at"
    ),
)

# Issue 20: one row per person (case) and year in which they had a registered conversation,
# derived from registrations in the transaction that saves one (registration/person_values.py).
# Field columns hold the latest *known* value up to the end of that year, so "unknown" never
# overwrites what was known; the report is then a GROUP BY over one index range.
# Codebook fields carried per person (a new codebook field needs its own migration here too).
_PERSON_FIELDS = (
    "trafficking_request", "contact_role", "victim_assessment", "exploitation_types",
    "in_exploitation_now", "exploitation_duration", "age", "is_minor", "gender",
    "perpetrator_relations", "multiple_perpetrators", "clients_involved", "siblings_exploited",
    "first_disclosure", "known_to", "indicators", "risk_level", "emergency_actions",
    "consent_level", "referrals", "language", "region",
    # Codebook 2026.2 (issue 20): empty until the registrations carry it.
    "origin",
)  # fmt: skip
_PERSON_MASK_FIELDS = frozenset(
    {"exploitation_types", "perpetrator_relations", "known_to", "indicators",
     "emergency_actions", "referrals"}
)  # fmt: skip
report_persons = Table(
    "report_persons",
    metadata,
    Column("organisation_id", String(40), ForeignKey("organisations.id"), primary_key=True),
    Column("case_id", String(40), ForeignKey("cases.id"), primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    # Local (Dutch) year and month of the case's first conversation and first help request;
    # the same on every row of a case, so that no report query needs another table.
    Column("first_seen_year", SmallInteger, nullable=False),
    Column("first_seen_month", SmallInteger, nullable=False),
    Column("first_request_year", SmallInteger, nullable=True),
    Column("first_request_month", SmallInteger, nullable=True),
    # 1 when a conversation of this year has trafficking_request = yes.
    Column("request", SmallInteger, nullable=False),
    # Index keys that hold only the rows a report reads, like registrations.report_year: on the
    # row of the year of the first request (the one that describes a counted person) the year the
    # person counts in under each rule, NULL elsewhere; and the year on rows of a person first
    # seen earlier who asked again that year (returning), NULL elsewhere.
    Column("counted_first_seen", SmallInteger, nullable=True),
    Column("counted_first_request", SmallInteger, nullable=True),
    Column("returning_year", SmallInteger, nullable=True),
    *(
        Column(name, Integer if name in _PERSON_MASK_FIELDS else SmallInteger, nullable=True)
        for name in _PERSON_FIELDS
    ),
    Index("ix_report_persons_org_counted_first_seen", "organisation_id", "counted_first_seen"),
    Index(
        "ix_report_persons_org_counted_first_request", "organisation_id", "counted_first_request"
    ),
    Index("ix_report_persons_org_returning_year", "organisation_id", "returning_year"),
)

# Who changed which field of a registration when, old and new as stored codes (never text).
registration_changes = Table(
    "registration_changes",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column(
        "conversation_id", String(40), ForeignKey("registrations.conversation_id"), nullable=False
    ),
    Column("staff_id", String(40), ForeignKey("staff.id"), nullable=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("field", String(40), nullable=False),
    Column("old_value", Integer, nullable=True),
    Column("new_value", Integer, nullable=True),
    Index("ix_registration_changes_conversation", "conversation_id", "id"),
)

# --- return codes and mailbox (issue 3) ---

# Installation-wide secrets, each wrapped by the master key like a conversation key, so that a
# stolen database alone reveals none of them and key rotation re-wraps them too.
installation_secrets = Table(
    "installation_secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("wrapped", LargeBinary, nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

return_codes = Table(
    "return_codes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    # Only the peppered slow hash of the code; the code itself exists only with the visitor.
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("state", String(12), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("preferred_staff_id", String(40), ForeignKey("staff.id"), nullable=True),
    # The mailbox's own data key; destroying the code destroys this, and with it the mailbox.
    Column("wrapped_key", LargeBinary, nullable=True),
    Column("key_id", String(32), nullable=False),
)

mailbox_messages = Table(
    "mailbox_messages",
    metadata,
    Column("return_code_id", String(40), ForeignKey("return_codes.id"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("direction", String(12), nullable=False),
    Column("staff_id", String(40), ForeignKey("staff.id"), nullable=True),
    Column("body", LargeBinary, nullable=False),
    Column("sent_at_ms", BigInteger, nullable=False),
    Column("read_at_ms", BigInteger, nullable=True),
)


# --- counselor tools (issue 3, part 4) ---

# Ready-made texts. owner_staff_id NULL: a team text, managed by supervisors and admins.
# Issue 16: title and body are sealed together under the organisation's key (organisation_keys,
# crypto/organisation_cipher.py): they say how an organisation works, a stolen disk must not.
canned_responses = Table(
    "canned_responses",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("owner_staff_id", String(40), ForeignKey("staff.id", ondelete="CASCADE"), nullable=True),
    Column("lang", String(8), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(40), ForeignKey("staff.id"), nullable=True),
    Index("ix_canned_responses_org_owner", "organisation_id", "owner_staff_id"),
)

# Issue 16: one data key per organisation, wrapped by the master key (context "org:<id>").
organisation_keys = Table(
    "organisation_keys",
    metadata,
    Column("organisation_id", String(40), ForeignKey("organisations.id"), primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Private notes of staff on a conversation (kind "note", or "transfer" for the note handed to a
# colleague). The body is encrypted with the conversation's key, bound to the note id.
conversation_notes = Table(
    "conversation_notes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("conversation_id", String(40), ForeignKey("conversations.id"), nullable=False),
    Column("staff_id", String(40), ForeignKey("staff.id"), nullable=True),
    Column("kind", String(12), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_conversation_notes_conversation", "conversation_id", "created_at"),
)

# A block of an abusive visitor: by conversation and, when it has one, by its return code;
# never by anything that identifies a person or a device.
visitor_blocks = Table(
    "visitor_blocks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("conversation_id", String(40), ForeignKey("conversations.id"), nullable=False),
    Column("return_code_id", String(40), ForeignKey("return_codes.id"), nullable=True),
    Column("reason", String(16), nullable=False),
    Column("created_by", String(40), ForeignKey("staff.id"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("lifted_at", DateTime(timezone=True), nullable=True),
    Column("lifted_by", String(40), ForeignKey("staff.id"), nullable=True),
    Index("ix_visitor_blocks_conversation", "conversation_id"),
    Index("ix_visitor_blocks_return_code", "return_code_id"),
)


# --- service hours, visitor feedback (issue 3, parts 2 and 6) ---

# The organisation's opening hours, holidays and closed-state texts as one validated JSON document
# (baken.service_hours.config), saved whole by an administrator; version guards against overwrites.
service_hours = Table(
    "service_hours",
    metadata,
    Column("organisation_id", String(40), ForeignKey("organisations.id"), primary_key=True),
    Column("config", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(40), nullable=True),
)

# Anonymous answers to the two questions after a chat: no conversation, no exact time (the hour
# only), so an answer cannot be traced back to a chat or a counselor.
visitor_feedback = Table(
    "visitor_feedback",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("submitted_hour", DateTime(timezone=True), nullable=False),
    Column("helped", SmallInteger, nullable=True),
    Column("come_back", SmallInteger, nullable=True),
    Index("ix_visitor_feedback_org_hour", "organisation_id", "submitted_hour"),
)


# --- audit log and retention (issue 5, parts 3 and 4) ---

# Who did what to which object, when; never content. Each row's hash covers the previous row's
# hash, so an edited, removed or inserted row breaks the chain (`baken audit verify`). The id is
# the position in the chain, handed out by audit_head, not by a sequence.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # Staff id, "os:<user>" for the command line, NULL when unknown (a failed login).
    Column("actor_id", String(40), nullable=True),
    Column("actor_role", String(20), nullable=True),
    Column("kind", String(40), nullable=False),
    Column("object_type", String(20), nullable=True),
    Column("object_id", String(64), nullable=True),
    # Structured codes only ("fmt=pdf year=2024"), never text a person typed.
    Column("detail", String(200), nullable=True),
    Column("hash", String(64), nullable=False),
    # Issue 14: whose record (its administrators see it); NULL for the installation's own.
    Column("organisation_id", String(40), nullable=True),
    Index("ix_audit_log_actor_id", "actor_id", "id"),
    Index("ix_audit_log_organisation_id", "organisation_id", "id"),
    Index("ix_audit_log_kind", "kind", "id"),
    Index("ix_audit_log_at", "at"),
)

# One row: the end of the chain. Appending updates it first, which locks it (PostgreSQL) or takes
# the write lock (SQLite), so appends from any number of processes form one line.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("last_id", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

# Retention finds conversations that ended long enough ago.
Index("ix_conversations_ended_at", conversations.c.ended_at)


# --- staff security (issue 5, part 1): second factor, recovery codes, sign-in state, throttle ---

# One TOTP factor per staff member. The secret is wrapped by the master key (bound to the staff id),
# so a copy of the database alone cannot produce codes.
staff_totp = Table(
    "staff_totp",
    metadata,
    Column("staff_id", String(40), ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("secret", LargeBinary, nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # NULL while enrolment waits for the first correct code.
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    # The last accepted 30-second step: codes of this step or earlier are refused (no replay).
    Column("last_step", BigInteger, nullable=True),
)

# Only hashes; the codes were shown once at enrolment.
staff_recovery_codes = Table(
    "staff_recovery_codes",
    metadata,
    Column("staff_id", String(40), ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("code_hash", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

# Between a correct password and the second factor: short-lived, server-side, not a session.
staff_login_challenges = Table(
    "staff_login_challenges",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", String(40), ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
    # "code" (enrolled: asks for a code) or "enrol" (shows the QR code first).
    Column("stage", String(8), nullable=False),
    # The throttle bucket the password step counted against; wrong codes count there too.
    Column("bucket", String(80), nullable=False),
    Column("attempts", SmallInteger, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_staff_login_challenges_expires_at", "expires_at"),
)

# One row per failed sign-in step within the last window; the bucket names an account (by a hash
# of the username, known or not) or a device that once signed in to it. No address is stored.
login_failures = Table(
    "login_failures",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("bucket", String(80), nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False),
    Index("ix_login_failures_bucket_failed_at", "bucket", "failed_at"),
    Index("ix_login_failures_failed_at", "failed_at"),
)

# Browsers that completed a full sign-in for an account: their failures count apart, so a flood of
# wrong guesses from elsewhere cannot keep the owner out (see docs/security.md).
staff_devices = Table(
    "staff_devices",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", String(40), ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_staff_devices_staff_id", "staff_id"),
)

# --- passkeys for staff (issue 16): WebAuthn credentials as a phishing-resistant second factor ---

# Only public data: the credential's id and public key (COSE, CBOR-encoded), its signature counter
# and transports (hints for the browser), and the name its owner gave it. Nothing here can sign.
staff_passkeys = Table(
    "staff_passkeys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("staff_id", String(40), ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
    Column("credential_id", LargeBinary, nullable=False, unique=True),
    Column("public_key", LargeBinary, nullable=False),
    Column("sign_count", BigInteger, nullable=False, default=0),
    # Comma-separated, from the fixed set the browser may report ("internal,hybrid").
    Column("transports", String(100), nullable=False, default=""),
    Column("name", String(60), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Index("ix_staff_passkeys_staff_id", "staff_id"),
)

# Challenges handed to a browser for one WebAuthn ceremony: single use (deleted by the statement
# that accepts them), short-lived, and bound to the cookie of the sign-in step or session that
# asked (``owner``, a hash). Only a hash of the challenge is kept.
passkey_challenges = Table(
    "passkey_challenges",
    metadata,
    Column("challenge_hash", String(64), primary_key=True),
    Column("owner", String(64), nullable=False),
    # "register" or "sign_in".
    Column("purpose", String(8), nullable=False),
    Column("staff_id", String(40), ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_passkey_challenges_owner", "owner", "purpose"),
    Index("ix_passkey_challenges_expires_at", "expires_at"),
)

# --- supervision (issue 3, part 5): the consultation channel between staff ----------------------

# A message between staff of one organisation: to its team room (recipient_id NULL) or to one
# colleague, optionally about a conversation. The text is encrypted under a key of its own,
# wrapped by the master key like a conversation's.
consult_messages = Table(
    "consult_messages",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("sender_id", String(40), ForeignKey("staff.id"), nullable=False),
    Column("recipient_id", String(40), ForeignKey("staff.id"), nullable=True),
    Column("conversation_id", String(40), ForeignKey("conversations.id"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Index("ix_consult_messages_org_recipient", "organisation_id", "recipient_id", "created_at"),
    Index("ix_consult_messages_org_sender", "organisation_id", "sender_id", "created_at"),
    Index("ix_consult_messages_created_at", "created_at"),
)

# --- campaign counts (issue 18, docs/reach.md) --------------------------------------------------

# Daily totals per organisation and campaign code, and nothing else: no conversation, session,
# time of day or address. Added to in batches ("visits = visits + n"), so several processes can
# write the same row. The code "unknown" stands for every malformed or unrecognised code.
campaign_counts = Table(
    "campaign_counts",
    metadata,
    Column("organisation_id", String(40), ForeignKey("organisations.id"), primary_key=True),
    Column("day", Date, primary_key=True),  # the calendar day in Europe/Amsterdam
    Column("code", String(32), primary_key=True),
    Column("visits", Integer, nullable=False, default=0, server_default="0"),
    Column("started", Integer, nullable=False, default=0, server_default="0"),
    Column("answered", Integer, nullable=False, default=0, server_default="0"),
)

# --- counselor wellbeing (issue 15, item 6; docs/wellbeing.md) ----------------------------------

# "This was a heavy chat", one tap by the counselor: the pair only — no text, no time, no reason.
# Read by its own staff member (their day) and counted, never listed, for the team.
heavy_marks = Table(
    "heavy_marks",
    metadata,
    Column("staff_id", String(40), ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("conversation_id", String(40), ForeignKey("conversations.id"), primary_key=True),
)

# A staff member who chose to show their own figures to their supervisors (My day, and the
# wellbeing columns of the per-counselor figures), since when; no row: they see only the team's
# totals (migration 0025).
wellbeing_shares = Table(
    "wellbeing_shares",
    metadata,
    Column("staff_id", String(40), ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("since", DateTime(timezone=True), nullable=False),
)

# Issue 15, item 1: a counselor's capacity (chats at once) as a supervisor or administrator set
# it; no row: BAKEN_MAX_CHATS. Statuses are not stored (they live in presence).
staff_capacity = Table(
    "staff_capacity",
    metadata,
    Column("staff_id", String(40), ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("max_chats", Integer, nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

# --- indicator signals (issue 19, item 2; docs/signals.md) --------------------------------------

# How often counselors dismissed a detected indicator, per organisation, day and label, and
# nothing else: no conversation, counselor, time of day or words. Read to improve the lexicons.
signal_dismissals = Table(
    "signal_dismissals",
    metadata,
    Column("organisation_id", String(40), ForeignKey("organisations.id"), primary_key=True),
    Column("day", Date, primary_key=True),  # the calendar day in Europe/Amsterdam
    Column("label", String(40), primary_key=True),
    Column("dismissed", Integer, nullable=False, default=0, server_default="0"),
)

# --- partner directory (issue 17, item 1; docs/directory.md) ------------------------------------

# One HSDS 3.0 service of an organisation's directory: the fields Baken searches on and shows, and
# the service's full HSDS JSON so an export gives back exactly what was imported. List fields hold
# their values one per line. Partner information, never anything about a visitor or a case.
directory_services = Table(
    "directory_services",
    metadata,
    Column("organisation_id", String(40), ForeignKey("organisations.id"), primary_key=True),
    Column("id", String(64), primary_key=True),  # the HSDS service id, unique per organisation
    Column("position", Integer, nullable=False),  # the order of the export
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("organization_name", Text, nullable=False),
    Column("organization_url", Text, nullable=True),
    Column("service_type", String(40), nullable=False),
    Column("age_min", Integer, nullable=True),
    Column("age_max", Integer, nullable=True),
    Column("genders", Text, nullable=False),
    Column("languages", Text, nullable=False),
    Column("regions", Text, nullable=False),
    Column("exploitation_types", Text, nullable=False),
    Column("phones", Text, nullable=False),
    Column("email", Text, nullable=True),
    Column("url", Text, nullable=True),
    Column("opening_hours_text", Text, nullable=True),
    Column("accepts_warm_handoff", Boolean, nullable=False),
    Column("baken_organisation_id", String(40), nullable=True),
    Column("hsds", Text, nullable=False),  # the service's HSDS JSON
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Bumped in the same transaction as every change of an organisation's directory, so each process
# knows its in-memory search index is stale with one primary-key read.
directory_versions = Table(
    "directory_versions",
    metadata,
    Column("organisation_id", String(40), ForeignKey("organisations.id"), primary_key=True),
    Column("version", BigInteger, nullable=False),
)

# --- referrals with recorded consent (issue 17, items 2 and 5; docs/referrals.md) ---------------

# A partner service proposed in a chat, the visitor's consent (level, scope, time, the sealed card
# text they read) and the outcome recorded later. service_type is copied so the yearly report
# never needs the directory; consent_text is sealed with the conversation's key.
referrals = Table(
    "referrals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("conversation_id", String(40), ForeignKey("conversations.id"), nullable=False),
    Column("service_id", String(64), nullable=False),
    Column("service_type", String(40), nullable=False),
    Column("proposed_by", String(40), ForeignKey("staff.id"), nullable=True),
    Column("proposed_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),
    Column("consent_level", String(12), nullable=True),
    Column("consent_scope", Text, nullable=True),  # JSON list of referrals.model.SCOPE_ITEMS
    Column("consent_at", DateTime(timezone=True), nullable=True),
    Column("consent_text", LargeBinary, nullable=True),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
    Column("outcome", String(16), nullable=True),
    Column("outcome_at", DateTime(timezone=True), nullable=True),
    Column("outcome_by", String(40), ForeignKey("staff.id"), nullable=True),
    Index("ix_referrals_conversation", "conversation_id"),
    Index("ix_referrals_org_proposed", "organisation_id", "proposed_at"),
)

# --- anonymous signals to the police (issue 17, item 4; docs/police-signals.md) --------------

# A structured signal about perpetrators or places, drafted by a counselor, approved by a second
# staff member, exported signed for the police partner. ``sealed`` holds every field the drafter
# typed, under the organisation's key; ``conversation_id`` is only the drafter's own reference
# and is never exported.
police_signals = Table(
    "police_signals",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("conversation_id", String(40), ForeignKey("conversations.id"), nullable=True),
    Column("drafted_by", String(40), ForeignKey("staff.id"), nullable=True),
    Column("drafted_at", DateTime(timezone=True), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("status", String(12), nullable=False),
    Column("approved_by", String(40), ForeignKey("staff.id"), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    Column("rejected_reason", LargeBinary, nullable=True),  # sealed like the fields
    Column("exported_at", DateTime(timezone=True), nullable=True),
    Column("export_hash", String(64), nullable=True),
    Index("ix_police_signals_organisation_status", "organisation_id", "status"),
)

# --- warm hand-off (issue 17, item 3; docs/partners.md) ---------------------------------------

# A partner professional invited into ONE conversation for a limited time, for a referral with
# hand-off consent. No words: only who, when and how it ended. ``joined_seq`` is the last seq of
# the conversation when they joined: they see nothing at or before it. ``referral_id`` names a
# row of ``referrals`` (issue 17, item 2), kept without a foreign key so either can land first.
partner_access = Table(
    "partner_access",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("referral_id", String(40), nullable=False),
    Column("conversation_id", String(40), ForeignKey("conversations.id"), nullable=False),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("partner_organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("partner_staff_id", String(40), ForeignKey("staff.id"), nullable=False),
    Column("invited_by", String(40), ForeignKey("staff.id"), nullable=False),
    Column("invited_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("joined_at", DateTime(timezone=True), nullable=True),
    Column("joined_seq", Integer, nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    # left, expired, withdrawn, visitor_refused, conversation_ended, counselor_ended
    Column("ended_reason", String(20), nullable=True),
    Index("ix_partner_access_staff_open", "partner_staff_id", "ended_at"),
    Index("ix_partner_access_conversation", "conversation_id", "ended_at"),
    Index("ix_partner_access_referral", "referral_id"),
)
