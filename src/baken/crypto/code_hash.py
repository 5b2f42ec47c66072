"""A peppered, slow, deterministic hash for return codes.

Deterministic, so the hash itself is the lookup key; slow (argon2id), so a stolen table cannot be
searched quickly; peppered with a secret kept wrapped by the master key, so the table alone is not
enough to search at all.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2.low_level import Type, hash_secret_raw

# OWASP's argon2id minimum (19 MiB, 2 passes): tens of milliseconds per try.
TIME_COST = 2
MEMORY_KIB = 19 * 1024
PARALLELISM = 1


def code_hash(pepper: bytes, normalized_code: str) -> str:
    salt = hmac.new(pepper, b"baken-return-code-salt", hashlib.sha256).digest()[:16]
    raw = hash_secret_raw(
        secret=hmac.new(pepper, normalized_code.encode(), hashlib.sha256).digest(),
        salt=salt,
        time_cost=TIME_COST,
        memory_cost=MEMORY_KIB,
        parallelism=PARALLELISM,
        hash_len=32,
        type=Type.ID,
    )
    return raw.hex()
