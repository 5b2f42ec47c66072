"""Time-based one-time passwords (RFC 6238) and recovery codes for staff sign-in.

Codes are checked one 30-second step either side of now (clock drift, a slow typist), and the
caller stores the step it accepted so that the same code, or an older one, never works twice.
Recovery codes carry about 79 random bits each, so a plain SHA-256 of them is safe to store.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30
DIGITS = 6
# Steps either side of now that still count.
DRIFT_STEPS = 1
ISSUER = "Baken"

RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed off paper
_RECOVERY_LENGTH = 16
_CODE_PATTERN = re.compile(r"\d{6}")
_RECOVERY_PATTERN = re.compile(f"[{_RECOVERY_ALPHABET}]{{{_RECOVERY_LENGTH}}}")


def new_secret() -> str:
    """A base32 secret of 160 random bits, as RFC 4226 recommends."""
    return pyotp.random_base32(32)


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(step * STEP_SECONDS)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is (within the drift allowed), or None."""
    if not _CODE_PATTERN.fullmatch(code):
        return None
    current = step_at(now)
    found = None
    # Every candidate is compared, so the time taken does not depend on which one matched.
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at_step(secret, step), code):
            found = step
    return found


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=username, issuer_name=ISSUER
    )


def qr_svg(uri: str) -> bytes:
    """The URI as a QR code in SVG, drawn here: nothing is sent to any other service."""
    qr = segno.make(uri, error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=5, border=4, dark="#000", light="#fff", xmldecl=False)
    return out.getvalue()


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def clean_input(text: str) -> str:
    """What someone typed in the code field, without spaces and dashes, lowercase."""
    return re.sub(r"[\s-]", "", text).lower()


def is_totp_code(cleaned: str) -> bool:
    return _CODE_PATTERN.fullmatch(cleaned) is not None


def is_recovery_code(cleaned: str) -> bool:
    return _RECOVERY_PATTERN.fullmatch(cleaned) is not None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes as shown to the person: four groups of four, e.g. ``k7mq-2xfa-9rtd-hw3p``."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    return codes


def recovery_hash(staff_id: str, code: str) -> str:
    cleaned = clean_input(code)
    return hashlib.sha256(f"baken-recovery:{staff_id}:{cleaned}".encode()).hexdigest()
