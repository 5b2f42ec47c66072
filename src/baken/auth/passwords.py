"""Password hashing with argon2id, and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from baken.auth.common_passwords import is_common

# RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes): well above the OWASP / ASVS 5.0
# minimum for argon2id (19 MiB, 2 passes, 1 lane); tests/test_staff_passwords.py holds it there.
TIME_COST = 3
MEMORY_KIB = 64 * 1024
PARALLELISM = 4
_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM)

MIN_PASSWORD_CHARS = 12
# ASVS asks that at least 64 characters be allowed; the cap only keeps hashing input bounded.
MAX_PASSWORD_CHARS = 128

# Verifying against this keeps unknown usernames as slow as wrong passwords. Written out, not
# hashed at import: that took 0.13 s of every start, also of a restart after a crash (issue 21);
# tests/test_passwords.py checks it was made with this module's parameters.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$tZVBVIP+iJ4vUU8MTDzVtw"
    "$2W0T1NnwJ3rMQid/rKCz0AtFNs9CdyAc3i9DZf4x47o"
)


class PasswordPolicyError(ValueError):
    """A password that may not be used; ``code`` picks the translated text on web pages."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordPolicyError(
            "too_short", f"A password needs at least {MIN_PASSWORD_CHARS} characters."
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordPolicyError(
            "too_long", f"A password can be at most {MAX_PASSWORD_CHARS} characters."
        )
    if is_common(password):
        raise PasswordPolicyError(
            "common", "This password is on a list of common passwords. Choose another one."
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
