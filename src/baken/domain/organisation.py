"""What an organisation is made of, and which values its settings may take (issue 14).

Several helplines share one installation. Each has its own entry (``/o/<slug>/`` or a host name of
its own), the numbers and quick-exit address its visitors see, and its own queue cap. The checks
here are pure: the repository and the command line both use them, so a bad value is refused
with the same words wherever it comes from.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = [
    "ALERT_LIMITS",
    "DEFAULT_EMERGENCY_NUMBER",
    "Organisation",
    "OrganisationError",
    "Phone",
    "check_alert",
    "check_exit_url",
    "check_host",
    "check_name",
    "check_number",
    "check_priority",
    "check_queue_max",
    "check_retention_days",
    "check_slug",
    "phones_from_json",
    "phones_to_json",
]

DEFAULT_EMERGENCY_NUMBER = "112"
MAX_PHONES = 5
QUEUE_MAX_LIMIT = 100_000

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
# A slug is a path segment under /o/, so no route can collide with it; these are still refused
# because they read like parts of Baken itself and would confuse a visitor or an operator.
RESERVED_SLUGS = frozenset(
    {"api", "chat", "c", "exit", "healthz", "o", "readyz", "static", "staff", "ws", "www"}
)
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NUMBER = re.compile(r"^\+?[0-9][0-9 ()-]{1,18}[0-9]$")


class OrganisationError(ValueError):
    """A setting an organisation cannot have; ``field`` names it for forms and the CLI."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True, slots=True)
class Phone:
    """Another number shown to visitors beside 112, with its label per language."""

    number: str
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, lang: str, fallback: str = "en") -> str:
        return (
            self.labels.get(lang)
            or self.labels.get(fallback)
            or next(iter(self.labels.values()), "")
        )


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    slug: str
    name: str
    host: str | None = None
    exit_url: str | None = None
    emergency_number: str | None = None
    phones: tuple[Phone, ...] = ()
    queue_max: int | None = None
    # Issue 14: the queue's priority points for younger visitors, per organisation (None: the
    # installation's settings). Danger always goes first, whatever these are.
    priority_under_16: int | None = None
    priority_16_17: int | None = None
    # Days after which its transcripts become unreadable (None: BAKEN_RETENTION_DAYS).
    retention_days: int | None = None
    active: bool = True
    passkeys_required: bool = False
    # Issue 17, item 3: 'helpline', or 'partner' (no visitors, no queue: its professionals are
    # invited into other organisations' chats for a warm hand-off).
    kind: str = "helpline"
    # Issue 15, item 3: when the supervisors' alerts fire here (None: the installation's
    # BAKEN_ALERT_* of the same name).
    alert_wait_minutes: int | None = None
    alert_silent_minutes: int | None = None
    alert_left_message_hours: int | None = None
    alert_queue_near_percent: int | None = None

    @property
    def takes_visitors(self) -> bool:
        """Visitors can start chats here: enabled, and a helpline rather than a partner."""
        return self.active and self.kind == KIND_HELPLINE

    @property
    def emergency(self) -> str:
        return self.emergency_number or DEFAULT_EMERGENCY_NUMBER


KIND_HELPLINE = "helpline"
KIND_PARTNER = "partner"
ORGANISATION_KINDS = (KIND_HELPLINE, KIND_PARTNER)


def check_kind(kind: str) -> str:
    if kind not in ORGANISATION_KINDS:
        raise OrganisationError("kind", "The kind is 'helpline' or 'partner'.")
    return kind


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug):
        raise OrganisationError(
            "slug",
            "A slug is 1 to 40 lower-case letters, digits or dashes, "
            "starting and ending with a letter or digit.",
        )
    if slug in RESERVED_SLUGS:
        raise OrganisationError("slug", f"The slug {slug!r} is reserved; choose another.")
    return slug


def check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 200:
        raise OrganisationError("name", "A name is 1 to 200 characters.")
    return cleaned


def check_host(host: str | None) -> str | None:
    """A bare host name such as ``chat.example.org`` (no scheme, port or path); "" clears it."""
    if host is None or not host.strip():
        return None
    value = host.strip().lower().rstrip(".")
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_HOST_LABEL.match(x) for x in labels):
        raise OrganisationError(
            "host", "A host name looks like chat.example.org: no scheme, port or path."
        )
    return value


def check_exit_url(url: str | None) -> str | None:
    """Quick exit must land on an ordinary https site; "" means the installation's default."""
    if url is None or not url.strip():
        return None
    value = url.strip()
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or len(value) > 500:
        raise OrganisationError("exit_url", "The quick-exit address must be an https:// address.")
    return value


def check_number(number: str | None, field_name: str = "emergency_number") -> str | None:
    if number is None or not number.strip():
        return None
    value = " ".join(number.split())
    if not _NUMBER.match(value):
        raise OrganisationError(field_name, f"{value!r} is not a phone number.")
    return value


def check_queue_max(value: int | None) -> int | None:
    if value is None:
        return None
    if not 1 <= value <= QUEUE_MAX_LIMIT:
        raise OrganisationError("queue_max", f"The queue cap is 1 to {QUEUE_MAX_LIMIT:,}.")
    return value


def check_priority(value: int | None) -> int | None:
    if value is None:
        return None
    if not 0 <= value <= 99:
        raise OrganisationError(
            "priority", "Priority points are 0 to 99 (danger always goes first)."
        )
    return value


# The alerts' thresholds an organisation may set, with the same bounds as the BAKEN_ALERT_*
# settings (tests/test_alert_thresholds.py compares them), and how the command line names them.
ALERT_LIMITS: dict[str, tuple[int, int, str]] = {
    "alert_wait_minutes": (1, 24 * 60, "Minutes a visitor waits before an alert"),
    "alert_silent_minutes": (1, 24 * 60, "Minutes a counselor is silent before an alert"),
    "alert_left_message_hours": (1, 24 * 30, "Hours a left message waits before an alert"),
    "alert_queue_near_percent": (0, 100, "Percent of the queue's cap for an alert (0: never)"),
}


def check_alert(field_name: str, value: int | None) -> int | None:
    """One of ALERT_LIMITS; None keeps the installation's setting."""
    if value is None:
        return None
    low, high, what = ALERT_LIMITS[field_name]
    # bool is an int to Python; True is no threshold.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise OrganisationError(field_name, f"{what}: a whole number from {low} to {high:,}.")
    return value


def check_retention_days(value: int | None) -> int | None:
    """The same bounds as BAKEN_RETENTION_DAYS."""
    if value is None:
        return None
    if not 1 <= value <= 36_500:
        raise OrganisationError("retention_days", "Retention is 1 to 36,500 days.")
    return value


def phones_from_json(raw: str | None) -> tuple[Phone, ...]:
    if not raw:
        return ()
    items = json.loads(raw)
    return tuple(
        Phone(str(item["number"]), {str(k): str(v) for k, v in item.get("labels", {}).items()})
        for item in items
    )


def phones_to_json(phones: tuple[Phone, ...]) -> str | None:
    if not phones:
        return None
    if len(phones) > MAX_PHONES:
        raise OrganisationError("phones", f"At most {MAX_PHONES} other numbers.")
    for phone in phones:
        check_number(phone.number, "phones")
        if not any(label.strip() for label in phone.labels.values()):
            raise OrganisationError("phones", "Every number needs a label.")
        if any(len(label) > 80 for label in phone.labels.values()):
            raise OrganisationError("phones", "A label is at most 80 characters.")
    return json.dumps(
        [{"number": p.number, "labels": p.labels} for p in phones], ensure_ascii=False
    )
