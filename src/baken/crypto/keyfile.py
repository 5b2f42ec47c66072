"""Where the master key ring comes from: configuration, or a file made on the first embedded run."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from baken.crypto.envelope import KEY_BYTES
from baken.crypto.keyring import (
    KeyRing,
    MasterKeyError,
    decode_key,
    parse_configured,
    parse_ring,
)

__all__ = [
    "MasterKeyError",
    "decode_master_key",
    "key_ring_path",
    "load_or_create_master_key",
]

RING_FILE = "master.key"


def decode_master_key(text: str) -> bytes:
    return decode_key(text)


def key_ring_path(data_dir: Path) -> Path:
    return data_dir / RING_FILE


def load_or_create_master_key(configured: str, data_dir: Path) -> tuple[KeyRing, Path | None]:
    """Return the key ring, and the path of the key file if this call just created it."""
    if configured:
        return KeyRing(parse_configured(configured)), None
    path = key_ring_path(data_dir)
    if path.exists():
        return KeyRing(parse_ring(path.read_text()), path), None
    data_dir.mkdir(parents=True, exist_ok=True)
    key = os.urandom(KEY_BYTES)
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return KeyRing(parse_ring(path.read_text()), path), None
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key).decode() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return KeyRing([key], path), path
