"""A self-hosted proof-of-work in the manner of ALTCHA: the server hides a random number in a hash,
the browser finds it by trying numbers, and the server checks the answer with one hash.

challenge = SHA-256(salt + str(number)), with number in [0, maxnumber]; the salt carries its
expiry (``…?expires=<unix seconds>``), and signature = HMAC-SHA256(server key, challenge). Because
the challenge is a hash over the salt, the expiry cannot be changed without breaking the signature.
Pure functions, no I/O: single use is kept by ``replay.UsedSolutions``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

ALGORITHM = "SHA-256"
FIELDS = frozenset({"algorithm", "challenge", "number", "salt", "signature"})
# No honest client ever sends more: the highest difficulty is far below this.
NUMBER_CEILING = 100_000_000
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SALT = re.compile(r"[0-9a-f]{24}\?expires=(\d{10})")


class ProofError(Exception):
    """A solution that does not hold; ``code`` is the error the client gets."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


MESSAGES = {
    "pow_required": "Reload the page and try again.",
    "pow_invalid": "The check is not valid. Reload the page and try again.",
    "pow_expired": "The check took too long. Please try again.",
    "pow_wrong": "The check did not work out. Please try again.",
    "pow_used": "This check was already used. Please try again.",
}


def failure(code: str) -> ProofError:
    return ProofError(code, MESSAGES[code])


@dataclass(frozen=True, slots=True)
class Challenge:
    algorithm: str
    challenge: str
    salt: str
    maxnumber: int
    signature: str

    def as_json(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "challenge": self.challenge,
            "salt": self.salt,
            "maxnumber": self.maxnumber,
            "signature": self.signature,
        }


@dataclass(frozen=True, slots=True)
class Solved:
    """A verified solution: its challenge (the single-use key) and when it stops being valid."""

    challenge: str
    expires: int


def _digest(salt: str, number: int) -> str:
    return hashlib.sha256(f"{salt}{number}".encode()).hexdigest()


def _sign(key: bytes, challenge: str) -> str:
    return hmac.new(key, challenge.encode(), hashlib.sha256).hexdigest()


def issue(key: bytes, maxnumber: int, now: float, ttl_seconds: int) -> Challenge:
    number = secrets.randbelow(maxnumber + 1)
    salt = f"{secrets.token_hex(12)}?expires={int(now) + ttl_seconds}"
    challenge = _digest(salt, number)
    return Challenge(ALGORITHM, challenge, salt, maxnumber, _sign(key, challenge))


def verify(key: bytes, payload: object, now: float) -> Solved:
    """Check a solution's shape, signature, expiry and hash (in that order); ProofError if any
    fails. Single use is the caller's part."""
    if payload is None:
        raise failure("pow_required")
    if not isinstance(payload, dict) or set(payload) != FIELDS:
        raise failure("pow_invalid")
    algorithm, challenge = payload["algorithm"], payload["challenge"]
    salt, signature, number = payload["salt"], payload["signature"], payload["number"]
    if (
        algorithm != ALGORITHM
        or not isinstance(challenge, str)
        or not isinstance(salt, str)
        or not isinstance(signature, str)
        or not _HEX64.fullmatch(challenge)
        or not _HEX64.fullmatch(signature)
        or isinstance(number, bool)
        or not isinstance(number, int)
        or not 0 <= number <= NUMBER_CEILING
    ):
        raise failure("pow_invalid")
    if not hmac.compare_digest(_sign(key, challenge), signature):
        raise failure("pow_invalid")
    shape = _SALT.fullmatch(salt)
    if shape is None:
        raise failure("pow_invalid")
    expires = int(shape.group(1))
    if expires < now:
        raise failure("pow_expired")
    if not hmac.compare_digest(_digest(salt, number), challenge):
        raise failure("pow_wrong")
    return Solved(challenge, expires)


def solve(challenge: Challenge | dict[str, Any]) -> dict[str, Any]:
    """Find the number, as a browser does (for tests and tools; a browser uses pow_worker.js)."""
    data = challenge.as_json() if isinstance(challenge, Challenge) else challenge
    salt, target = data["salt"], data["challenge"]
    for number in range(int(data["maxnumber"]) + 1):
        if hashlib.sha256(f"{salt}{number}".encode()).hexdigest() == target:
            return {
                "algorithm": data["algorithm"],
                "challenge": target,
                "number": number,
                "salt": salt,
                "signature": data["signature"],
            }
    raise ValueError("no number up to maxnumber solves this challenge")
