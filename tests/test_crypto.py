"""Envelope encryption: keys per conversation, ciphertext bound to its place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from baken.crypto.envelope import (
    CipherCache,
    ConversationCipher,
    DecryptionError,
    MasterKey,
    new_data_key,
)
from baken.crypto.keyfile import MasterKeyError, decode_master_key, load_or_create_master_key


def test_round_trip_and_binding_to_conversation_and_seq() -> None:
    key = new_data_key()
    cipher = ConversationCipher("c_1", key)
    blob = cipher.encrypt(7, "ik durf het niet te zeggen")
    assert b"durf" not in blob
    assert cipher.decrypt(7, blob) == "ik durf het niet te zeggen"
    with pytest.raises(DecryptionError):
        cipher.decrypt(8, blob)  # moved to another seq
    with pytest.raises(DecryptionError):
        ConversationCipher("c_2", key).decrypt(7, blob)  # moved to another conversation
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(DecryptionError):
        cipher.decrypt(7, tampered)


def test_same_text_encrypts_differently_each_time() -> None:
    cipher = ConversationCipher("c_1", new_data_key())
    assert cipher.encrypt(1, "hoi") != cipher.encrypt(1, "hoi")


def test_wrapped_keys_need_the_master_key_and_the_right_conversation() -> None:
    master = MasterKey(os.urandom(32))
    data_key = new_data_key()
    wrapped = master.wrap("c_1", data_key)
    assert master.unwrap("c_1", wrapped) == data_key
    with pytest.raises(DecryptionError):
        master.unwrap("c_2", wrapped)
    with pytest.raises(DecryptionError):
        MasterKey(os.urandom(32)).unwrap("c_1", wrapped)


def test_cipher_cache_evicts_least_recently_used() -> None:
    master = MasterKey(os.urandom(32))
    cache = CipherCache(master, capacity=2)
    wrapped = {cid: master.wrap(cid, new_data_key()) for cid in ("a", "b", "c")}
    first = cache.get("a", wrapped["a"])
    cache.get("b", wrapped["b"])
    assert cache.get("a", wrapped["a"]) is first
    cache.get("c", wrapped["c"])  # evicts b
    assert cache.get("a", wrapped["a"]) is first


def test_master_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    key, created = load_or_create_master_key("", tmp_path)
    assert created == tmp_path / "master.key"
    assert created is not None
    assert oct(created.stat().st_mode & 0o777) == "0o600"
    again, created_again = load_or_create_master_key("", tmp_path)
    assert created_again is None
    assert again.key_id == key.key_id


@pytest.mark.parametrize("bad", ["not base64!", "c2hvcnQ=", ""])
def test_bad_configured_master_keys_are_refused(bad: str) -> None:
    with pytest.raises(MasterKeyError):
        decode_master_key(bad)
