"""Return codes in the visitor's language (issue 12, item 4): the word lists, which list a code
comes from, and that codes handed out before (English, BIP-39) keep working on a Dutch page."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import baken.realtime.chat_service
import baken.service_hours.left_messages
from baken.crypto.code_hash import code_hash
from baken.domain.return_code import (
    MIN_BITS,
    WORDS_PER_CODE,
    is_well_formed,
    new_code,
    normalize,
    wordlist,
    wordlists,
)
from tests.support import Server, start_server, visitor

ROOT = Path(__file__).resolve().parent.parent
BLOCKLIST = ROOT / "scripts" / "wordlists" / "nl-blocklist.txt"
EN_FILE = ROOT / "src" / "baken" / "domain" / "wordlists" / "en.txt"
# sha256 of BIP-39's english.txt (bitcoin/bips, bip-0039/english.txt): the list every code made
# before issue 12 was drawn from, by the `mnemonic` package.
BIP39_ENGLISH_SHA256 = "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"

DUTCH = frozenset(wordlist("nl"))
ENGLISH = frozenset(wordlist("en"))


def blocklist() -> set[str]:
    words: set[str] = set()
    for line in BLOCKLIST.read_text(encoding="utf-8").splitlines():
        words.update(line.split("#", 1)[0].split())
    return words


def old_new_code() -> str:
    """new_code() as it was before issue 12: six words of BIP-39 English, whatever the page."""
    return " ".join(secrets.choice(wordlist("en")) for _ in range(WORDS_PER_CODE))


# --- the lists ------------------------------------------------------------------------------------


def test_dutch_list_is_long_plain_and_clean() -> None:
    words = wordlist("nl")
    assert len(words) == len(set(words)) >= 1626
    assert WORDS_PER_CODE * math.log2(len(words)) >= MIN_BITS
    assert all(re.fullmatch(r"[a-z]{3,8}", w) for w in words), [
        w for w in words if not re.fullmatch(r"[a-z]{3,8}", w)
    ]
    blocked = blocklist()
    assert len(blocked) > 1000  # the file was read, not an empty set
    assert not blocked & set(words), sorted(blocked & set(words))
    # Words that must never be in a code for these visitors (a sample of the block list's kinds).
    for word in ("mes", "bloed", "dood", "pijn", "geld", "seks", "paspoort", "politie", "hulp"):
        assert word not in words
    assert words == tuple(sorted(words))  # one word a line, sorted: reviewable as data


def test_english_list_is_exactly_bip39() -> None:
    assert hashlib.sha256(EN_FILE.read_bytes()).hexdigest() == BIP39_ENGLISH_SHA256
    assert len(wordlist("en")) == 2048
    assert WORDS_PER_CODE * math.log2(2048) == 66


def test_every_list_is_checked_and_a_language_is_its_file() -> None:
    lists = wordlists()
    assert set(lists) >= {"nl", "en"}
    for words in lists.values():
        assert WORDS_PER_CODE * math.log2(len(words)) >= MIN_BITS
        assert all(normalize(w) == w for w in words)


# --- which list a code comes from -----------------------------------------------------------------


def test_a_code_is_drawn_from_the_visitors_language() -> None:
    for _ in range(50):
        dutch = new_code("nl").split(" ")
        english = new_code("en").split(" ")
        assert len(dutch) == len(english) == WORDS_PER_CODE
        assert set(dutch) <= DUTCH
        assert set(english) <= ENGLISH
    # Some Dutch words are English words too (water, film); 50 codes are not all of those.
    assert any(not set(new_code("nl").split()) <= ENGLISH for _ in range(50))


@pytest.mark.parametrize("lang", ["pl", "ar", "", "NL", "xx"])
def test_a_language_without_a_list_gets_the_default_dutch(lang: str) -> None:
    assert set(new_code(lang).split()) <= DUTCH


def test_well_formed_means_six_words_of_one_list() -> None:
    dutch_only = sorted(DUTCH - ENGLISH)
    english_only = sorted(ENGLISH - DUTCH)
    assert is_well_formed(" ".join(dutch_only[:6]))
    assert is_well_formed(" ".join(english_only[:6]))
    assert is_well_formed(normalize(old_new_code()))
    mixed = " ".join(dutch_only[:3] + english_only[:3])
    assert not is_well_formed(mixed)  # no list makes it, so no code can be it
    assert not is_well_formed(" ".join(dutch_only[:5]))
    assert not is_well_formed(" ".join(dutch_only[:7]))


@given(
    st.lists(st.sampled_from(sorted(DUTCH)), min_size=6, max_size=6),
    st.sampled_from(["  ", "\t", " - ", "-", "\n", "  ,", " / "]),
    st.booleans(),
    st.booleans(),
)
def test_dutch_codes_normalise_like_english_ones(
    words: list[str], sep: str, upper: bool, nfd: bool
) -> None:
    typed = "  " + sep.join(w.upper() if upper else w for w in words) + " "
    if nfd:
        typed = unicodedata.normalize("NFD", typed)
    assert normalize(typed) == " ".join(words)
    assert is_well_formed(normalize(typed))


def test_the_dutch_ij_typed_as_one_letter_is_the_same_code() -> None:
    words = [w for w in sorted(DUTCH) if "ij" in w][:6]
    assert len(words) == 6
    typed = " ".join(w.replace("ij", "\u0133") for w in words)  # ĳ, one character
    assert normalize(typed) == " ".join(words)


def test_what_is_hashed_for_an_old_code_has_not_changed() -> None:
    # The stored hash of a code handed out before issue 12 must still be found: same text in,
    # same hash out (values computed with the code as it was before this change).
    assert normalize("  Abandon-ABILITY  able,about / above\tabsent ") == (
        "abandon ability able about above absent"
    )
    assert code_hash(b"\x01" * 32, "abandon ability able about above absent") == (
        code_hash(b"\x01" * 32, normalize("ABANDON ability able about above absent"))
    )


# --- through the server ---------------------------------------------------------------------------


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path)
    yield server
    server.stop()


def post(srv: Server, path: str, body: object) -> httpx.Response:
    return httpx.post(srv.base + path, json=body, headers={"Origin": srv.origin}, timeout=10)


def start_in(srv: Server, lang: str) -> tuple[str, str]:
    body: dict[str, Any] = {"nickname": None, "lang": lang}
    if srv.settings.proof_of_work:
        body["pow"] = srv.proof_of_work()
    response = post(srv, "/api/visitor/start", body)
    response.raise_for_status()
    token = response.headers["set-cookie"].split("=", 1)[1].split(";", 1)[0]
    return response.json()["conversation"]["id"], token


async def code_in_chat(srv: Server, lang: str) -> str:
    conversation_id, token = start_in(srv, lang)
    v = await visitor(srv, token)
    await v.send({"type": "request_code", "conversation_id": conversation_id})
    code: str = (await v.expect("return_code"))["code"]
    return code


async def test_chat_codes_are_in_the_visitors_language(srv: Server) -> None:
    dutch = (await code_in_chat(srv, "nl")).split(" ")
    english = (await code_in_chat(srv, "en")).split(" ")
    assert len(dutch) == len(english) == WORDS_PER_CODE
    assert set(dutch) <= DUTCH
    assert set(english) <= ENGLISH


def test_left_message_codes_are_in_the_visitors_language(srv: Server) -> None:
    for lang, words in (("nl", DUTCH), ("en", ENGLISH), ("pl", DUTCH)):
        left = post(srv, "/api/visitor/message", {"text": "Hallo", "lang": lang})
        assert left.status_code == 200, left.text
        assert set(left.json()["code"].split(" ")) <= words
        # The visitor reads their thread back with that code on the same page.
        read = post(srv, "/api/visitor/mailbox", {"code": left.json()["code"], "lang": lang})
        assert read.status_code == 200, read.text


async def test_an_old_english_code_still_works_on_a_dutch_page(
    srv: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Codes made before issue 12: the old function, planted where the server makes codes.
    monkeypatch.setattr(baken.realtime.chat_service, "new_code", lambda lang: old_new_code())
    monkeypatch.setattr(baken.service_hours.left_messages, "new_code", lambda lang: old_new_code())
    chat_code = await code_in_chat(srv, "nl")
    left = post(srv, "/api/visitor/message", {"text": "Kan iemand mij helpen?", "lang": "nl"})
    mailbox_code = left.json()["code"]
    monkeypatch.undo()
    assert set(chat_code.split()) <= ENGLISH and set(mailbox_code.split()) <= ENGLISH
    assert new_code("nl") != chat_code  # the server makes Dutch codes again

    # The visitor reads their mailbox on the Dutch page with the old code, typed loosely.
    typed = "  " + mailbox_code.upper().replace(" ", " - ") + " "
    read = post(srv, "/api/visitor/mailbox", {"code": typed, "lang": "nl"})
    assert read.status_code == 200, read.text

    # And the chat code brings the visitor back into a new chat from the Dutch page.
    back = post(srv, "/api/visitor/return", {"code": chat_code, "lang": "nl"})
    assert back.status_code == 200, back.text
    assert back.json()["conversation"]["state"] == "queued"
