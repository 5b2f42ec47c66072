"""What `baken serve` prints (issue 12): the real URLs, the demo login on one line whatever the
terminal's width, and not uvicorn's own start line, whose address the log scrubs to "[addr]"."""

from __future__ import annotations

import concurrent.futures
import io
import logging
import threading
from pathlib import Path

import pytest
from rich.console import Console

from baken.cli import print_startup
from baken.config import Settings
from baken.store.migrate import upgrade
from baken.web import gc_tuning
from baken.web.server import TunedServer, uvicorn_config
from tests.support import free_port

# A hard limit for a busy machine; the test waits for the event, it does not measure time.
START_LIMIT_SECONDS = 60


def captured(width: int) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width, color_system=None, force_terminal=False), out


def test_the_demo_login_is_one_line_on_an_80_column_terminal(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, host="127.0.0.1", port=8000)
    password = "anker-boei-kompas-vuurtoren-zeilboot-42"
    console, out = captured(80)

    print_startup(console, settings, ("demo", password))

    # Exactly these lines: a line Rich had folded would show up as two.
    assert out.getvalue().splitlines() == [
        "Baken on sqlite+aiosqlite",
        "  Visitor page:      http://127.0.0.1:8000/",
        "  Counselor console: http://127.0.0.1:8000/staff",
        "  DEMO ONLY — never use this account for real chats.",
        f"  Demo login: username demo, password {password}",
        "  The first sign-in sets up two-step sign-in: scan the QR code with an authenticator "
        "app (see README).",
    ]


def test_a_long_password_is_not_wrapped_either(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, host="127.0.0.1", port=8000)
    password = "-".join(["vuurtorenwachter"] * 8)  # far longer than the terminal is wide
    console, out = captured(40)

    print_startup(console, settings, ("demo", password))

    assert f"  Demo login: username demo, password {password}" in out.getvalue().splitlines()


def test_markup_in_the_login_is_printed_as_text(tmp_path: Path) -> None:
    console, out = captured(80)
    print_startup(console, Settings(data_dir=tmp_path), ("[bold]demo", "[red]x[/red]"))
    assert "username [bold]demo, password [red]x[/red]" in out.getvalue()


def test_the_server_says_it_runs_without_uvicorns_scrubbed_start_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The collector tuning belongs to the `baken serve` process, not to the test run.
    monkeypatch.setattr(gc_tuning, "freeze_startup_heap", lambda: None)
    monkeypatch.setattr(gc_tuning, "apply_thresholds", lambda thresholds: None)
    settings = Settings(data_dir=tmp_path, host="127.0.0.1", port=free_port())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Alembic runs an event loop of its own
        pool.submit(upgrade, settings).result()
    running = threading.Event()
    server = TunedServer(
        uvicorn_config(settings, loop="asyncio"), (20_000, 10, 10), on_started=running.set
    )
    thread = threading.Thread(target=server.run, daemon=True)
    with caplog.at_level(logging.INFO, logger="uvicorn.error"):
        thread.start()
        try:
            assert running.wait(START_LIMIT_SECONDS), "the server did not start"
        finally:
            server.should_exit = True
            thread.join(START_LIMIT_SECONDS)
    said = [record.getMessage() for record in caplog.records if record.name == "uvicorn.error"]
    assert any("startup complete" in line for line in said), said  # uvicorn's lines are seen
    assert not any("Uvicorn running" in line for line in said), said
