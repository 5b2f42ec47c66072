"""The forms of the organisation pages (issue 14): what an administrator typed, checked with the
domain's own checks, as the changes to make and as error codes per field.

The codes, not the domain's English messages, go to the templates: those messages carry values
(``'abc' is not a phone number``) and are written for the command line, while the pages say the
same in the staff member's language (the catalogues hold one text per code).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from baken.domain.organisation import (
    ALERT_LIMITS,
    RESERVED_SLUGS,
    Organisation,
    OrganisationError,
    check_alert,
    check_exit_url,
    check_host,
    check_name,
    check_number,
    check_queue_max,
    check_slug,
)

__all__ = [
    "NEW_FIELDS",
    "OWN_FIELDS",
    "Checked",
    "check_host_field",
    "check_new",
    "check_own",
    "code_of",
    "form_of",
]

# What an organisation's own administrator may change; host and slug are not among them.
# Issue 15, item 3: the alerts' thresholds too (empty: the installation's BAKEN_ALERT_*).
ALERT_FIELDS = tuple(ALERT_LIMITS)
OWN_FIELDS = ("name", "exit_url", "emergency_number", "queue_max", *ALERT_FIELDS)
NEW_FIELDS = ("slug", "name")
# A field longer than any valid value is refused before it is looked at.
MAX_FIELD_CHARS = 600


@dataclass
class Checked:
    typed: dict[str, str]  # as typed: shown again next to the errors
    values: dict[str, Any] = field(default_factory=dict)  # checked and normalised
    errors: dict[str, str] = field(default_factory=dict)  # field -> code


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    return value if isinstance(value, str) else ""


def _whole_number(name: str, check: Callable[[int | None], int | None], text: str) -> int | None:
    """A whole number as typed (empty: None, the installation's default), then its check."""
    stripped = text.strip()
    if not stripped:
        return None
    # Digits only: "1e3", "+5", "٣" (non-ASCII digits) and "5.0" are refused, not guessed at.
    if not stripped.isascii() or not stripped.isdigit() or len(stripped) > 9:
        raise OrganisationError(name, "not a whole number")
    return check(int(stripped))


_OWN_CHECKS: Mapping[str, Callable[[str], Any]] = {
    "name": check_name,
    "exit_url": check_exit_url,
    "emergency_number": check_number,
    "queue_max": partial(_whole_number, "queue_max", check_queue_max),
    **{name: partial(_whole_number, name, partial(check_alert, name)) for name in ALERT_FIELDS},
}


def form_of(organisation: Organisation) -> dict[str, str]:
    """The own-settings form filled in with the organisation's current values."""
    return {
        "name": organisation.name,
        "exit_url": organisation.exit_url or "",
        "emergency_number": organisation.emergency_number or "",
        "queue_max": "" if organisation.queue_max is None else str(organisation.queue_max),
        **{name: _shown(getattr(organisation, name)) for name in ALERT_FIELDS},
    }


def _shown(value: int | None) -> str:
    return "" if value is None else str(value)


def _check(typed: dict[str, str], checks: Mapping[str, Callable[[str], Any]]) -> Checked:
    checked = Checked(typed)
    for name, check in checks.items():
        if len(typed[name]) > MAX_FIELD_CHARS:
            checked.errors[name] = name
            continue
        try:
            checked.values[name] = check(typed[name])
        except OrganisationError as exc:
            checked.errors[name] = code_of(exc, typed[name])
    return checked


def check_own(raw: Mapping[str, Any], current: Organisation) -> tuple[Checked, dict[str, Any]]:
    """The own-settings form; with the settings that differ from ``current`` (empty: none)."""
    checked = _check({name: _text(raw, name) for name in OWN_FIELDS}, _OWN_CHECKS)
    changes = {
        name: value for name, value in checked.values.items() if value != getattr(current, name)
    }
    return checked, changes


def check_new(raw: Mapping[str, Any]) -> Checked:
    """The platform page's "add" form: a slug and a name."""
    return _check(
        {name: _text(raw, name) for name in NEW_FIELDS},
        {"slug": lambda text: check_slug(text.strip()), "name": check_name},
    )


def check_host_field(raw: Mapping[str, Any]) -> Checked:
    """The host name of one organisation ("" removes it)."""
    return _check({"host": _text(raw, "host")}, {"host": check_host})


def code_of(error: OrganisationError, typed: str = "") -> str:
    """The page's code for a refused value. The repository refuses a slug or host that passed
    its format check only because another organisation has it."""
    if error.field == "slug":
        try:
            slug = check_slug(typed.strip())
        except OrganisationError:
            return "slug_reserved" if typed.strip() in RESERVED_SLUGS else "slug"
        return "slug_taken" if slug else "slug"
    if error.field == "host":
        try:
            check_host(typed)
        except OrganisationError:
            return "host"
        return "host_taken"
    return error.field
