"""Several master keys at once: the newest wraps, every one still listed unwraps.

Rotation (``baken keys rotate``) adds a key at the end of the ring, re-wraps every stored key to
it and then removes the old one. Processes that run meanwhile notice the ring file changed (one
``stat`` before each wrap and unwrap; neither is on the per-message path) and load it again, so
they wrap with the new key from then on and can unwrap keys another process already re-wrapped.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

from baken.crypto.envelope import KEY_BYTES, DecryptionError, MasterKey

log = logging.getLogger(__name__)

RING_HEADER = (
    "# Baken master key ring: one base64 key per line, the newest last.\n"
    "# The newest wraps new keys; older ones only unwrap until rotation retires them.\n"
    "# Back this file up apart from the database: without it nothing can be read again.\n"
)
_SEPARATORS = re.compile(r"[\s,]+")


class MasterKeyError(Exception):
    pass


def decode_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MasterKeyError("a master key is not valid base64") from exc
    if len(raw) != KEY_BYTES:
        raise MasterKeyError("a master key must decode to exactly 32 bytes")
    return raw


def parse_ring(text: str) -> list[bytes]:
    """Keys from a ring file, oldest first; blank lines and # comments are skipped."""
    keys = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keys.append(decode_key(line))
    if not keys:
        raise MasterKeyError("the key ring holds no key")
    return keys


def parse_configured(text: str) -> list[bytes]:
    """BAKEN_MASTER_KEY: one key, or several separated by commas or spaces, the newest last."""
    parts = [part for part in _SEPARATORS.split(text.strip()) if part]
    if not parts:
        raise MasterKeyError("BAKEN_MASTER_KEY is empty")
    return [decode_key(part) for part in parts]


def encode_ring(keys: Sequence[bytes]) -> str:
    return RING_HEADER + "".join(base64.b64encode(key).decode() + "\n" for key in keys)


def write_ring(path: Path, keys: Sequence[bytes]) -> None:
    """Replace the ring file atomically: a reader sees the old ring or the new one, never half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(encode_ring(keys))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _stamp(path: Path | None) -> tuple[int, int, int] | None:
    if path is None:
        return None
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return (found.st_ino, found.st_mtime_ns, found.st_size)


class KeyRing(MasterKey):
    """Acts as the master key: wraps with the newest key, unwraps with whichever fits.

    With a ``path`` it follows that file; without one (keys from BAKEN_MASTER_KEY) it is fixed
    for the life of the process.
    """

    def __init__(self, keys: Sequence[bytes], path: Path | None = None) -> None:
        if not keys:
            raise MasterKeyError("the key ring holds no key")
        super().__init__(keys[-1])
        self.path = path
        self._stamp = _stamp(path)
        self._use(keys)

    def _use(self, keys: Sequence[bytes]) -> None:
        self.keys: list[MasterKey] = [MasterKey(key) for key in keys]
        self.raw_keys: list[bytes] = list(keys)
        self.primary = self.keys[-1]
        self.key_id = self.primary.key_id

    @property
    def key_ids(self) -> list[str]:
        return [key.key_id for key in self.keys]

    def refresh(self, force: bool = False) -> bool:
        """Load the ring file again if it changed; True when the keys changed."""
        if self.path is None:
            return False
        stamp = _stamp(self.path)
        if stamp is None or (stamp == self._stamp and not force):
            return False
        try:
            keys = parse_ring(self.path.read_text())
        except (OSError, MasterKeyError):
            log.exception("the master key ring could not be read again; keeping the loaded keys")
            return False
        self._stamp = stamp
        if keys == self.raw_keys:
            return False
        self._use(keys)
        log.info("master key ring reloaded; wrapping with key %s", self.key_id)
        return True

    def wrap(self, conversation_id: str, data_key: bytes) -> bytes:
        self.refresh()
        return self.primary.wrap(conversation_id, data_key)

    def unwrap(self, conversation_id: str, wrapped: bytes) -> bytes:
        self.refresh()
        try:
            return self._unwrap(conversation_id, wrapped)
        except DecryptionError:
            # Another process may have rotated a moment ago and the stamp not moved yet.
            if not self.refresh(force=True):
                raise
            return self._unwrap(conversation_id, wrapped)

    def _unwrap(self, conversation_id: str, wrapped: bytes) -> bytes:
        for key in reversed(self.keys):
            try:
                return key.unwrap(conversation_id, wrapped)
            except DecryptionError:
                continue
        raise DecryptionError("no key in the ring unwraps this key")
