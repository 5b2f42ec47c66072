"""The risk-ranked queue's pure rules (issue 19, item 3; docs/signals.md, "The risk-ranked queue"):
danger first, then head starts from detected acute danger, other indicators and the age band,
with aging (a head start is bounded), spam limits, and one order whatever the input order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from baken.domain.queue import (
    ACUTE_SIGNAL_POINTS,
    DANGER_PRIORITY,
    MAX_HEAD_START,
    SECONDS_PER_POINT,
    SIGNAL_POINTS_MAX,
    QueueEntry,
    RankReason,
    SignalRank,
    head_start,
    order,
    positions,
    rank_reasons,
    signal_rank,
)

T0 = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


def _ids(entries: list[QueueEntry]) -> list[str]:
    return [e.conversation_id for e in order(entries)]


def test_order_is_danger_then_acute_then_risk_then_arrival() -> None:
    entries = [
        QueueEntry("plain", T0),
        QueueEntry("young", T0 + timedelta(seconds=10), priority=10),
        QueueEntry("signals", T0 + timedelta(seconds=20), signal_points=2),
        QueueEntry("acute", T0 + timedelta(seconds=30), acute_signal=True),
        QueueEntry("danger", T0 + timedelta(seconds=40), priority=DANGER_PRIORITY),
    ]
    assert _ids(entries) == ["danger", "acute", "young", "signals", "plain"]


def test_acute_beats_the_highest_risk_score_at_the_same_arrival() -> None:
    entries = [
        QueueEntry("risk", T0, priority=10, signal_points=SIGNAL_POINTS_MAX),
        QueueEntry("acute", T0 + timedelta(seconds=1), acute_signal=True),
    ]
    assert _ids(entries) == ["acute", "risk"]


def test_aging_keeps_someone_who_waited_long_enough_ahead() -> None:
    # An acute arrival goes ahead of those who came up to its head start earlier, never of
    # someone who has waited longer than that.
    acute_ahead = timedelta(seconds=ACUTE_SIGNAL_POINTS * SECONDS_PER_POINT)
    entries = [
        QueueEntry("long-waiting", T0),
        QueueEntry("recent", T0 + timedelta(minutes=30) - acute_ahead + timedelta(seconds=1)),
        QueueEntry("acute", T0 + timedelta(minutes=30), acute_signal=True),
    ]
    assert _ids(entries) == ["long-waiting", "acute", "recent"]


def test_no_one_but_danger_passes_someone_who_waited_the_maximum_head_start() -> None:
    everything = QueueEntry(
        "everything",
        T0 + MAX_HEAD_START + timedelta(seconds=1),
        priority=50,  # an organisation's very high age points are capped too
        acute_signal=True,
        signal_points=999,
    )
    danger = QueueEntry("danger", T0 + timedelta(hours=2), priority=DANGER_PRIORITY)
    assert _ids([everything, QueueEntry("waited", T0), danger]) == [
        "danger",
        "waited",
        "everything",
    ]
    assert head_start(50, True, 999) == MAX_HEAD_START


def test_danger_visitors_among_themselves_keep_age_points_and_arrival() -> None:
    entries = [
        QueueEntry("danger-adult", T0, priority=DANGER_PRIORITY),
        QueueEntry("danger-young", T0 + timedelta(minutes=1), priority=DANGER_PRIORITY + 10),
        QueueEntry("danger-late", T0 + timedelta(minutes=20), priority=DANGER_PRIORITY),
    ]
    assert _ids(entries) == ["danger-young", "danger-adult", "danger-late"]


def test_a_flood_of_words_gives_no_more_than_one_message_of_them() -> None:
    one = signal_rank(["acute_danger", "retention_of_documents"])
    flood = signal_rank(["acute_danger"] * 500 + ["retention_of_documents"] * 500)
    assert one == flood == SignalRank(True, 2)
    many = signal_rank(
        [
            "retention_of_documents",
            "withholding_wages",
            "debt_bondage",
            "isolation",
            "intimidation_threats",
            "restriction_of_movement",
        ]
    )
    assert many == SignalRank(False, SIGNAL_POINTS_MAX)
    assert signal_rank([]) == SignalRank()
    # Ranks only rise, and a later harmless message takes nothing away.
    assert one.raised_by(SignalRank()) == one
    assert SignalRank().raised_by(one) == one
    assert SignalRank(False, 4).raised_by(SignalRank(True, 2)) == SignalRank(True, 4)


def test_reasons_say_why() -> None:
    assert rank_reasons(0, False, 0) == []
    assert rank_reasons(DANGER_PRIORITY, False, 0) == [RankReason.DANGER]
    assert rank_reasons(DANGER_PRIORITY + 5, True, 2) == [
        RankReason.DANGER,
        RankReason.ACUTE_SIGNAL,
        RankReason.SIGNALS,
        RankReason.AGE,
    ]
    assert rank_reasons(10, False, 4) == [RankReason.SIGNALS, RankReason.AGE]


entry_fields = st.tuples(
    st.sampled_from([0, 5, 10, DANGER_PRIORITY, DANGER_PRIORITY + 10]),
    st.integers(0, 3 * 3600),
    st.booleans(),
    st.integers(0, 10),
)


@given(st.lists(entry_fields, max_size=50), st.randoms(use_true_random=False))
def test_ranking_is_deterministic_and_bounded(
    raw: list[tuple[int, int, bool, int]], rng: random.Random
) -> None:
    entries = [
        QueueEntry(f"c{i}", T0 + timedelta(seconds=s), p, acute, points)
        for i, (p, s, acute, points) in enumerate(raw)
    ]
    ranked = _ids(entries)
    shuffled = list(entries)
    rng.shuffle(shuffled)
    # The same order whatever order the records arrived in (every process computes it alone).
    assert _ids(shuffled) == ranked
    places = positions(shuffled)
    assert sorted(places.values()) == list(range(1, len(entries) + 1))
    assert list(places) == ranked  # the dict is in queue order
    for a in entries:
        for b in entries:
            a_danger = a.priority >= DANGER_PRIORITY
            b_danger = b.priority >= DANGER_PRIORITY
            if a_danger and not b_danger:
                assert places[a.conversation_id] < places[b.conversation_id]
            elif a_danger == b_danger and a.created_at + MAX_HEAD_START < b.created_at:
                # Aging: a later arrival never passes someone who waited the largest head
                # start longer, whatever it typed.
                assert places[a.conversation_id] < places[b.conversation_id]
            elif (
                a_danger == b_danger
                and a.created_at <= b.created_at
                and (a.priority, a.acute_signal, a.signal_points)
                == (b.priority, b.acute_signal, b.signal_points)
                and a.conversation_id < b.conversation_id
            ):
                # Equal claims: first come, first served.
                assert places[a.conversation_id] < places[b.conversation_id]


def test_the_rules_text_states_the_numbers_in_the_code() -> None:
    """The console's "How the queue is ordered" and docs/signals.md give these numbers."""
    from baken.domain.queue import FIRST_MESSAGES_READ, RISK_POINTS_MAX

    assert ACUTE_SIGNAL_POINTS * SECONDS_PER_POINT == 20 * 60
    assert RISK_POINTS_MAX * SECONDS_PER_POINT == 15 * 60
    assert FIRST_MESSAGES_READ == 3
