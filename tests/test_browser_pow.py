"""The visitor page's proof-of-work in real Chromium (issue 5): it solves the challenge in a Web
Worker, shows a calm line meanwhile, and starts the chat. Also prints how long solving takes at the
default difficulty, on this machine and with the CPU slowed down like a cheap phone (a print for
docs/security.md, not an assertion)."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from playwright.sync_api import Route, expect

from tests.browser_support import (
    NeutralSite,
    People,
    start_baken,
    start_chat,
    t,
)
from tests.support import Server

SOLVE_SCRIPT = """
async ([rounds]) => {
  const { fetchProof } = await import("/static/pow.js");
  const times = [];
  for (let i = 0; i < rounds; i += 1) {
    const started = performance.now();
    const proof = await fetchProof();
    if (!proof) throw new Error("no proof");
    times.push(performance.now() - started);
  }
  return times;
}
"""


def test_the_page_solves_in_a_worker_shows_a_calm_line_and_starts(
    baken: Server, people: People
) -> None:
    page = people.visitor().new_page()
    workers: list[str] = []
    page.on("worker", lambda worker: workers.append(worker.url))
    # Hold the challenge back until the calm line has been seen.
    held: list[Route] = []
    page.route("**/api/visitor/challenge", lambda route: held.append(route))
    page.goto(baken.base + "/")
    page.locator("#start-button").click()
    expect(page.locator("#start-status")).to_have_text(
        t("nl", "One moment, we are getting the chat ready.")
    )
    expect(page.locator("#start-button")).to_be_disabled()
    assert held  # the page asked for its challenge as soon as it opened
    with page.expect_response(lambda r: r.url.endswith("/api/visitor/start")) as started:
        for route in held:
            route.continue_()
    response = started.value
    assert response.status == 200
    sent = orjson.loads(response.request.post_data or b"{}")
    assert set(sent["pow"]) == {"algorithm", "challenge", "number", "salt", "signature"}
    expect(page.locator("#queue-box")).to_be_visible()
    expect(page.locator("#message")).to_be_enabled()
    assert any(url.endswith("/static/pow_worker.js") for url in workers), workers
    assert people.script_errors == []


def test_a_new_chat_after_the_end_solves_again(baken: Server, people: People) -> None:
    page = people.visitor().new_page()
    start_chat(page, baken)
    page.locator("#leave-button").click()
    page.locator("#leave-yes").click()
    expect(page.locator("#ended-box")).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith("/api/visitor/start")) as again:
        page.locator("#restart-form button[type=submit]").click()
    assert again.value.status == 200
    expect(page.locator("#queue-box")).to_be_visible()
    assert people.script_errors == []


@pytest.fixture
def capped(tmp_path: Path, neutral: NeutralSite) -> Iterator[Server]:
    """Normal load counts as exceeded at once: every challenge asks for the capped work."""
    server = start_baken(tmp_path, neutral, pow_normal_queue=1)
    server.start_visitor()
    server.start_visitor()
    server.start_visitor()
    yield server
    server.stop()


def solve_times(people: People, server: Server, rounds: int) -> list[float]:
    page = people.visitor().new_page()
    page.goto(server.base + "/")
    times: list[float] = page.evaluate(SOLVE_SCRIPT, [rounds])
    assert len(times) == rounds
    return times


def report(label: str, maxnumber: int, times: list[float]) -> None:
    print(
        f"\nproof-of-work in Chromium, {label} (maxnumber {maxnumber}): median "
        f"{statistics.median(times):.0f} ms, max {max(times):.0f} ms over {len(times)} solves"
    )


def test_print_the_solve_time_at_normal_load(baken: Server, people: People) -> None:
    times = solve_times(people, baken, 21)
    report("normal load", baken.settings.pow_base_number, times)


def test_print_the_solve_time_at_the_cap(capped: Server, people: People) -> None:
    settings = capped.settings
    times = solve_times(people, capped, 11)
    report("at the cap", settings.pow_base_number << settings.pow_max_level, times)
