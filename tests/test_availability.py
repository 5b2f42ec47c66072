"""Issue 18, item 3: the availability API for partner sites, on a real server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from baken.domain.conversation import Role
from baken.web.availability_routes import wait_band
from tests.support import (
    Server,
    add_organisation,
    add_staff_with_role,
    counselor,
    run_async,
    start_server,
)

PARTNER = "https://school.example"
CLOSED_ALL_WEEK = {"enabled": True, "weekly": {}, "exceptions": [], "numbers": []}
FIELDS = {"organisation", "open", "opens_at", "staffed", "wait", "updated_at", "max_age"}


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Server]:
    """No cache: every request computes, so each state change shows at once."""
    server = start_server(tmp_path, partner_origins=[PARTNER], availability_cache_seconds=0)
    yield server
    server.stop()


def get(server: Server, query: str = "", origin: str | None = None) -> httpx.Response:
    headers = {"Origin": origin} if origin else {}
    return httpx.get(server.base + "/api/availability" + query, headers=headers)


def test_wait_bands() -> None:
    assert wait_band(None) == "unknown"
    assert wait_band(0) == "none"
    assert wait_band(60) == "under_5"
    assert wait_band(299) == "under_5"
    assert wait_band(300) == "5_15"
    assert wait_band(15 * 60) == "15_30"
    assert wait_band(30 * 60) == "over_30"
    assert wait_band(5 * 3600) == "over_30"


def test_open_unstaffed_then_staffed_then_someone_waiting(fresh: Server) -> None:
    first = get(fresh)
    assert first.status_code == 200
    body = first.json()
    assert set(body) == FIELDS
    assert body["organisation"] == "org_default"
    assert body["open"] is True and body["opens_at"] is None
    assert body["staffed"] is False and body["wait"] == "unknown"
    assert "set-cookie" not in first.headers

    _staff_id, token = fresh.add_staff()

    async def with_console() -> None:
        console = await counselor(fresh, token)
        try:
            staffed = get(fresh).json()
            assert staffed["staffed"] is True and staffed["wait"] == "none", staffed
            fresh.start_visitor("Wachtend")
            # One waiting and no accepts yet to estimate from: honest "unknown", not "none".
            assert get(fresh).json()["wait"] == "unknown"
        finally:
            await console.close()

    run_async(with_console())


def test_closed_gives_the_next_opening(fresh: Server) -> None:
    _, admin = add_staff_with_role(fresh, Role.ADMIN)
    # Open only on the day three days from now (in either weekday numbering): closed today.
    day = str((datetime.now(UTC).weekday() + 3) % 7)
    config = {**CLOSED_ALL_WEEK, "weekly": {day: [["09:00", "17:00"]]}}
    saved = httpx.put(
        fresh.base + "/api/service-hours",
        json={"version": 0, "config": config},
        headers={"Cookie": f"__Host-baken_s={admin}", "Origin": fresh.origin},
    )
    assert saved.status_code == 200, saved.text
    body = get(fresh).json()
    assert body["open"] is False and body["wait"] is None
    opens = datetime.fromisoformat(body["opens_at"].replace("Z", "+00:00"))
    assert timedelta(days=1) < opens - datetime.now(UTC) < timedelta(days=5)


def test_cors_only_for_listed_partners(fresh: Server) -> None:
    listed = get(fresh, origin=PARTNER)
    assert listed.headers["access-control-allow-origin"] == PARTNER
    assert "origin" in listed.headers["vary"].lower()
    assert "access-control-allow-credentials" not in listed.headers
    for other in ("https://evil.example", "null", PARTNER + ".evil.example"):
        unlisted = get(fresh, origin=other)
        assert unlisted.status_code == 200, other
        assert "access-control-allow-origin" not in unlisted.headers, other
        assert set(unlisted.json()) == FIELDS


def test_unknown_organisation_is_a_neutral_404(fresh: Server) -> None:
    assert get(fresh, "?org=org_default").status_code == 200
    for org in ("org_nope", "<script>alert(1)</script>", "x" * 10_000):
        response = get(fresh, "?" + httpx.QueryParams({"org": org}).__str__())
        assert response.status_code == 404, org
        assert response.json() == {"error": "not_found"}
        assert "alert" not in response.text


def test_one_answer_is_shared_for_the_cache_period(tmp_path: Path) -> None:
    server = start_server(tmp_path, availability_cache_seconds=60)
    try:
        before = get(server).json()
        _, token = server.add_staff()

        async def with_console() -> None:
            console = await counselor(server, token)
            try:
                # Someone came online, but the shared answer stands until it expires.
                assert get(server).json() == before
            finally:
                await console.close()

        run_async(with_console())
    finally:
        server.stop()


def test_a_flood_from_one_address_is_refused(tmp_path: Path) -> None:
    server = start_server(tmp_path, address_availability_per_minute=5)
    try:
        statuses = [get(server).status_code for _ in range(8)]
        assert statuses[:5] == [200] * 5
        assert statuses[5:] == [429] * 3
        refused = get(server, origin="https://evil.example")
        assert refused.status_code == 429 and refused.json() == {"error": "try_later"}
    finally:
        server.stop()


def test_the_visitor_status_api_keeps_its_fields(fresh: Server) -> None:
    """/api/service/status is unchanged for its existing clients (the visitor page)."""
    status = httpx.get(fresh.base + "/api/service/status")
    assert status.json() == {"open": True}
    assert (
        "access-control-allow-origin"
        not in httpx.get(fresh.base + "/api/service/status", headers={"Origin": PARTNER}).headers
    )


SECURITY_HEADERS = (
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "cross-origin-opener-policy",
    "cross-origin-resource-policy",
    "permissions-policy",
    "strict-transport-security",
)


def test_the_fast_path_answers_with_every_header_a_routed_answer_has(fresh: Server) -> None:
    """The answer skips the router (docs/performance.md); it must not skip the headers."""
    fast = get(fresh, origin=PARTNER)
    routed = httpx.get(fresh.base + "/api/service/status")
    assert routed.status_code == 200
    for name in SECURITY_HEADERS:
        assert fast.headers[name] == routed.headers[name], name
    assert fast.headers["cache-control"] == "no-store"
    assert fast.headers["content-type"] == "application/json"
    assert int(fast.headers["content-length"]) == len(fast.content)
    assert "server" not in fast.headers
    # Another method still reaches the router, which knows only GET here.
    assert httpx.post(fresh.base + "/api/availability").status_code == 405


def test_the_fast_path_follows_the_organisation_entry(fresh: Server) -> None:
    slug, other = add_organisation(fresh, "zuid", "Zuid")
    # The server re-reads its organisations within seconds: wait for that state, not a time.
    deadline = time.monotonic() + 20
    by_slug = httpx.get(fresh.base + f"/o/{slug}/api/availability")
    while by_slug.status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.05)
        by_slug = httpx.get(fresh.base + f"/o/{slug}/api/availability")
    assert by_slug.status_code == 200
    assert by_slug.json()["organisation"] == other
    assert get(fresh).json()["organisation"] == "org_default"
    assert httpx.get(fresh.base + "/o/nope/api/availability").status_code == 404
