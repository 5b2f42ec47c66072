from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

# The Chromium tests' fixtures, registered for every test module that asks for them by name.
from tests.browser_fixtures import baken, browser, neutral, people  # noqa: F401
from tests.support import Server, postgres_available, postgres_database, start_server

IN_CI = os.environ.get("CI") == "true"


def _postgres_or_skip() -> None:
    if postgres_available():
        return
    if IN_CI:
        pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432, and CI must test against it")
    pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (CI runs these)")


@contextmanager
def server_on(kind: str, tmp: Path, **overrides: Any) -> Iterator[Server]:
    """A fresh server on SQLite or PostgreSQL (its own database, dropped after), for fixtures
    parametrised over both."""
    if kind == "sqlite":
        srv = start_server(tmp, **overrides)
        try:
            yield srv
        finally:
            srv.stop()
        return
    _postgres_or_skip()
    with postgres_database() as url:
        srv = start_server(tmp, database_url=url, **overrides)
        try:
            yield srv
        finally:
            srv.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A real Baken server, once on the embedded SQLite default and once on PostgreSQL."""
    tmp: Path = tmp_path_factory.mktemp(f"baken-{request.param}")
    if request.param == "sqlite":
        srv = start_server(tmp)
        yield srv
        srv.stop()
        return
    _postgres_or_skip()
    with postgres_database() as url:
        srv = start_server(tmp, database_url=url)
        yield srv
        srv.stop()


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("baken-sqlite-only"))
    yield srv
    srv.stop()
