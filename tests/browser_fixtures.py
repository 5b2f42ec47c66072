"""Fixtures shared by the Chromium tests: one browser and neutral site per module, a fresh Baken
server and fresh browser contexts per test. A module that needs another server defines its own
``baken``; pytest prefers the module's fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WAIT_MS,
    NeutralSite,
    People,
    start_baken,
    start_neutral_site,
)
from tests.support import Server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    expect.set_options(timeout=WAIT_MS)  # a busy shared machine: wait longer, never sleep
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    expect.set_options(timeout=None)  # back to Playwright's default for anything after this module


@pytest.fixture(scope="module")
def neutral() -> Iterator[NeutralSite]:
    site = start_neutral_site()
    yield site
    site.stop()


@pytest.fixture
def baken(tmp_path: Path, neutral: NeutralSite) -> Iterator[Server]:
    server = start_baken(tmp_path, neutral)
    yield server
    server.stop()


@pytest.fixture
def people(browser: Browser) -> Iterator[People]:
    crowd = People(browser)
    yield crowd
    crowd.close()
