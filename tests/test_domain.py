"""Pure rules: queue order, text checks, state changes, rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baken.domain.conversation import State, can_transition
from baken.domain.queue import (
    AgeBand,
    PriorityRules,
    QueueEntry,
    QueuePlace,
    estimate_wait,
    minutes_of,
    order,
    positions,
    priority_for,
    wait_at,
    wait_seconds_at,
)
from baken.domain.rate import TokenBucket
from baken.domain.text import NICKNAME_MAX_CHARS, TextError, clean_nickname, validate_message_text

T0 = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)


def test_queue_is_priority_then_first_come() -> None:
    entries = [
        # Issue 19, item 3: points are minutes of head start (aging), so 10 beat 5 minutes.
        QueueEntry("late-urgent", T0 + timedelta(minutes=5), priority=10),
        QueueEntry("first", T0),
        QueueEntry("second", T0 + timedelta(minutes=1)),
    ]
    assert [e.conversation_id for e in order(entries)] == ["late-urgent", "first", "second"]
    assert positions(entries) == {"late-urgent": 1, "first": 2, "second": 3}


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10_000)), max_size=60))
def test_positions_are_a_permutation_respecting_order(raw: list[tuple[int, int]]) -> None:
    entries = [QueueEntry(f"c{i}", T0 + timedelta(seconds=s), p) for i, (p, s) in enumerate(raw)]
    places = positions(entries)
    assert sorted(places.values()) == list(range(1, len(entries) + 1))
    # Walked in queue order by the staff queue frame, which does not sort again.
    assert list(places.values()) == list(range(1, len(entries) + 1))
    for a in entries:
        for b in entries:
            # Issue 19, item 3: a point is a minute of head start.
            a_at = a.created_at.timestamp() - 60 * a.priority
            b_at = b.created_at.timestamp() - 60 * b.priority
            if a_at < b_at:
                assert places[a.conversation_id] < places[b.conversation_id]


def test_state_machine() -> None:
    assert can_transition(State.QUEUED, State.ACTIVE)
    assert can_transition(State.ACTIVE, State.ENDED)
    assert can_transition(State.QUEUED, State.ENDED)
    assert can_transition(State.ACTIVE, State.QUEUED)  # a cold transfer
    assert not can_transition(State.ENDED, State.ACTIVE)
    assert not can_transition(State.ENDED, State.QUEUED)
    assert not can_transition(State.QUEUED, State.QUEUED)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "text_empty"),
        (" \n\t", "text_empty"),
        ("a" * 11, "text_too_long"),
        ("a\x00b", "invalid_text"),
    ],
)
def test_bad_message_texts(text: str, code: str) -> None:
    with pytest.raises(TextError) as info:
        validate_message_text(text, 10)
    assert info.value.code == code


def test_message_text_is_kept_exactly() -> None:
    text = "  <b>hoi</b>\n\u202e "
    assert validate_message_text(text, 100) == text


def test_nicknames() -> None:
    assert clean_nickname(None) is None
    assert clean_nickname("   ") is None
    assert clean_nickname("  Roos \u200b ") == "Roos"
    assert clean_nickname("a\tb\nc") == "abc"
    assert clean_nickname("e\u0301") == "\u00e9"  # NFC
    with pytest.raises(TextError):
        clean_nickname("x" * (NICKNAME_MAX_CHARS + 1))


def test_token_bucket_allows_bursts_then_refills() -> None:
    bucket = TokenBucket(rate=10, burst=3)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.1)  # one token back after 100 ms
    assert not bucket.take(0.1)


def test_priority_rules() -> None:
    rules = PriorityRules(under_16=10, age_16_17=5)
    assert priority_for(False, None, rules) == 0
    assert priority_for(True, None, rules) == 100
    assert priority_for(False, AgeBand.UNDER_16, rules) == 10
    assert priority_for(True, AgeBand.AGE_16_17, rules) == 105
    assert priority_for(False, AgeBand.ADULT, rules) == 0


def test_wait_estimate_from_recent_service_rate() -> None:
    now = T0
    # Six accepts in the last 30 minutes: one per five minutes.
    accepts = [now - timedelta(minutes=m) for m in (30, 25, 20, 15, 10, 5)]
    assert estimate_wait(1, accepts, now) == timedelta(minutes=5)
    assert estimate_wait(3, accepts, now) == timedelta(minutes=15)
    # Old accepts outside the window do not count; too little history gives no number.
    old = [now - timedelta(hours=3), now - timedelta(hours=2)]
    assert estimate_wait(1, old + accepts[-2:], now) is None
    assert estimate_wait(0, accepts, now) == timedelta(0)


@given(
    st.lists(st.integers(1, 3600), min_size=3, max_size=50),
    st.integers(1, 200),
)
def test_wait_estimate_grows_with_position(offsets: list[int], position: int) -> None:
    accepts = [T0 - timedelta(seconds=s) for s in offsets]
    first = estimate_wait(position, accepts, T0)
    later = estimate_wait(position + 1, accepts, T0)
    assert first is not None and later is not None
    assert later > first > timedelta(0)


@given(st.integers(-2, 5_000), st.one_of(st.none(), st.floats(0.0001, 50.0)))
def test_whole_second_waits_agree_with_the_estimate(position: int, rate: float | None) -> None:
    seconds = wait_seconds_at(position, rate)
    wait = wait_at(position, rate)
    if wait is None:
        assert seconds is None
    else:
        # Whole seconds are the estimate cut down; the timedelta rounds to a microsecond, so it
        # can sit that much above a value just under the next whole second.
        assert seconds is not None and 0 <= wait.total_seconds() - seconds < 1 + 1e-6
        assert minutes_of(seconds) == QueuePlace(position, seconds).wait_minutes
