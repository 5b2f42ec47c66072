"""The sweep's interval is a setting (issue 15, Performance: a bench compares the chat with and
without the sweeps). Whatever value is allowed keeps the grace rules: a gone visitor leaves within
twice the queue's limit, and a chat is always warned before it ends. The sweep loop's sleep and
clock are injected: the test releases each sleep itself, nothing here waits for time to pass.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from pydantic import ValidationError

from baken.config import Settings
from baken.realtime.hub import Hub
from baken.realtime.live import Live
from baken.realtime.timeouts import PRESENCE_SECONDS, Timeouts
from baken.store.conversation_repo import ConversationRepository
from tests.support import start_server


def test_the_interval_defaults_to_ten_seconds_and_is_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings(data_dir=tmp_path).sweep_seconds == 10
    monkeypatch.setenv("BAKEN_SWEEP_SECONDS", "25")
    assert Settings(data_dir=tmp_path).sweep_seconds == 25


@pytest.mark.parametrize("seconds", [0, -1, 3601])
def test_the_interval_has_bounds(tmp_path: Path, seconds: int) -> None:
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, sweep_seconds=seconds, queue_gone_seconds=3600)


def test_the_interval_never_exceeds_the_queue_limit(tmp_path: Path) -> None:
    Settings(data_dir=tmp_path, sweep_seconds=60, queue_gone_seconds=60)
    with pytest.raises(ValidationError, match="BAKEN_QUEUE_GONE_SECONDS"):
        Settings(data_dir=tmp_path, sweep_seconds=61, queue_gone_seconds=60)


def test_a_sweep_always_falls_inside_the_warning_window(tmp_path: Path) -> None:
    Settings(data_dir=tmp_path, sweep_seconds=60, queue_gone_seconds=600, timeout_warning_minutes=2)
    with pytest.raises(ValidationError, match="warning"):
        Settings(
            data_dir=tmp_path, sweep_seconds=61, queue_gone_seconds=600, timeout_warning_minutes=2
        )


def test_every_allowed_limit_allows_the_default_interval(tmp_path: Path) -> None:
    # The smallest limits must still accept the default: no existing configuration breaks.
    Settings(data_dir=tmp_path, queue_gone_seconds=10, timeout_warning_minutes=1)


def test_the_largest_interval_a_bench_uses_for_sweeps_off(tmp_path: Path) -> None:
    # bench/sweep_overhead.py: the first sweep after 30 min, and none before an hour's uptime.
    settings = Settings(
        data_dir=tmp_path,
        sweep_seconds=1800,
        queue_gone_seconds=3600,
        timeout_warning_minutes=60,
    )
    assert settings.sweep_seconds == 1800


class _Repo:
    """What the sweep asks of the repository, with nobody due to leave or end."""

    def __init__(self) -> None:
        self.swept_since: list[datetime] = []

    async def queued_unseen_since(self, since: datetime) -> list[str]:
        self.swept_since.append(since)
        return []

    async def active_liveness(self) -> list[Any]:
        return []

    async def mark_visitors_seen(self, _ids: list[str], _now: datetime) -> None:
        return None


class _Hub:
    def __init__(self) -> None:
        self.by_conversation: dict[str, set[Any]] = {}
        self.visitor_sockets: dict[str, int] = {}


class _Sleeps:
    """An injected sleep that returns only when the test releases it."""

    def __init__(self) -> None:
        self.pending: list[tuple[float, asyncio.Future[None]]] = []

    async def __call__(self, seconds: float) -> None:
        done = asyncio.get_running_loop().create_future()
        self.pending.append((seconds, done))
        await done

    async def sleeping(self, seconds: float) -> asyncio.Future[None]:
        """The loop that sleeps `seconds`, once it is asleep (a state, polled with a deadline)."""
        for _ in range(500):
            for wanted, done in self.pending:
                if wanted == seconds and not done.done():
                    return done
            await asyncio.sleep(0.001)
        raise AssertionError(f"no loop went to sleep for {seconds} s: {self.pending}")


async def test_the_sweep_loop_sleeps_the_setting_and_waits_for_the_queue_limit(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, sweep_seconds=7, queue_gone_seconds=60)
    t0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    now = [t0]
    sleeps = _Sleeps()
    repo = _Repo()
    timeouts = Timeouts(
        settings,
        cast(ConversationRepository, repo),
        cast(Hub, _Hub()),
        cast(Live, object()),
        clock=lambda: now[0],
        sleep=sleeps,
    )
    timeouts.start()
    try:
        # Both loops are asleep: the presence write at its own pace, the sweep at the setting's.
        await sleeps.sleeping(PRESENCE_SECONDS)
        first = await sleeps.sleeping(7.0)
        # Just started: the round passes without a sweep, and the loop sleeps again.
        now[0] = t0 + timedelta(seconds=7)
        first.set_result(None)
        second = await sleeps.sleeping(7.0)
        assert timeouts.sweeps == 0 and repo.swept_since == []
        # Up for the queue's limit: the next round sweeps.
        now[0] = t0 + timedelta(seconds=60)
        second.set_result(None)
        await sleeps.sleeping(7.0)  # asleep again: the round's sweep is done
        assert timeouts.sweeps == 1
        assert repo.swept_since == [now[0] - timedelta(seconds=60)]
        assert [seconds for seconds, _ in sleeps.pending].count(7.0) == 3
    finally:
        await timeouts.stop()


async def test_presence_is_written_three_times_within_a_short_queue_limit(tmp_path: Path) -> None:
    # A process sweeping a visitor whose socket is on another process sees only the presence
    # writes: with a 10-s limit, a write every 15 s would count a visitor who stayed as gone.
    settings = Settings(data_dir=tmp_path, sweep_seconds=5, queue_gone_seconds=10)
    sleeps = _Sleeps()
    timeouts = Timeouts(
        settings,
        cast(ConversationRepository, _Repo()),
        cast(Hub, _Hub()),
        cast(Live, object()),
        sleep=sleeps,
    )
    timeouts.start()
    try:
        await sleeps.sleeping(10 / 3)
        assert all(seconds != PRESENCE_SECONDS for seconds, _ in sleeps.pending)
    finally:
        await timeouts.stop()
    # The default limit keeps the 15-s pace.
    assert (
        Timeouts(
            Settings(data_dir=tmp_path),
            cast(ConversationRepository, _Repo()),
            cast(Hub, _Hub()),
            cast(Live, object()),
        ).presence_seconds
        == PRESENCE_SECONDS
    )


async def test_metrics_count_the_sweeps(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        app: Any = server._server.config.app
        timeouts: Timeouts = app.state.baken.chat.timeouts
        assert timeouts.loop is not None

        def swept() -> str:
            lines = httpx.get(server.base + "/metrics").text.splitlines()
            return next(line for line in lines if line.startswith("baken_timeout_sweeps_total "))

        before = int(swept().split()[1])
        done = asyncio.run_coroutine_threadsafe(timeouts.sweep(), timeouts.loop)
        await asyncio.wrap_future(done)
        assert int(swept().split()[1]) == before + 1
    finally:
        server.stop()
