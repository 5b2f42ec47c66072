"""Issue 16, item 1: the victim's way back stays open under a flood from the same address.

A real server with the production limits (proof-of-work on, the default budgets) and an attacker
loop in a thread on 127.0.0.1 that guesses codes and leaves messages without proofs, over the JSON
API and the no-JavaScript forms. Meanwhile a real visitor on the same address, whose requests carry
a valid proof (solved with the server's own algorithm), reads the mailbox with the real code: every
read succeeds. The flood is bounded in requests and time; nothing here waits on a clock.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import Server, start_server

MAX_ATTACK_REQUESTS = 1_500
ATTACK_SECONDS = 90.0
VISITOR_READS = 8
FORGED_POW = {
    "algorithm": "SHA-256",
    "challenge": "0" * 64,
    "number": 1,
    "salt": "0" * 24 + "?expires=4102444800",
    "signature": "1" * 64,
}


@pytest.fixture(scope="module")
def production_limits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("flood"),
        proof_of_work=True,
        pow_base_number=1_000,  # the algorithm is the same, only the search space smaller
        address_starts_per_10min=20,
        address_way_back_per_10min=30,
        address_forms_per_10min=10,
        form_starts_per_minute=6,
    )
    yield srv
    srv.stop()


class Attacker(threading.Thread):
    """Guesses codes and leaves messages as fast as one thread can, without any proof."""

    def __init__(self, srv: Server) -> None:
        super().__init__(daemon=True)
        self.srv = srv
        self.stop = threading.Event()
        self.warmed_up = threading.Event()
        self.sent = 0
        self.answers: Counter[tuple[str, int]] = Counter()

    def _requests(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for n in itertools.count():
            guess = f"appel peer kaas {n}"
            yield "/api/visitor/mailbox", {"json": {"code": guess}}
            yield "/api/visitor/mailbox", {"json": {"code": guess, "pow": FORGED_POW}}
            yield "/api/visitor/message", {"json": {"text": f"spam {n}", "lang": "nl"}}
            yield "/api/visitor/return", {"json": {"code": guess, "lang": "nl"}}
            yield "/api/visitor/code/destroy", {"json": {"code": guess}}
            yield "/closed/answers", {"data": {"code": guess, "lang": "nl"}}
            yield "/closed/message", {"data": {"text": f"spam {n}", "lang": "nl"}}
            yield "/return", {"data": {"code": guess, "lang": "nl"}}

    def run(self) -> None:
        headers = {"Origin": self.srv.origin}
        timer = threading.Timer(ATTACK_SECONDS, self.stop.set)
        timer.start()
        try:
            with httpx.Client(base_url=self.srv.base, headers=headers, timeout=30) as http:
                for path, body in self._requests():
                    if self.stop.is_set() or self.sent >= MAX_ATTACK_REQUESTS:
                        break
                    status = http.post(path, **body).status_code
                    self.answers[(path, status)] += 1
                    self.sent += 1
                    if self.sent == 80:
                        self.warmed_up.set()
        finally:
            timer.cancel()
            self.warmed_up.set()


def _post(srv: Server, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(srv.base + path, json=body, headers={"Origin": srv.origin}, timeout=30)


def test_a_visitor_with_a_proof_reads_the_mailbox_every_time_during_a_flood(
    production_limits: Server,
) -> None:
    srv = production_limits
    left = _post(srv, "/api/visitor/message", {"text": "Help mij", "pow": srv.proof_of_work()})
    assert left.status_code == 200, left.text
    code = left.json()["code"]

    attacker = Attacker(srv)
    attacker.start()
    try:
        assert attacker.warmed_up.wait(ATTACK_SECONDS)
        sent_before = attacker.sent
        for _ in range(VISITOR_READS):
            read = _post(srv, "/api/visitor/mailbox", {"code": code, "pow": srv.proof_of_work()})
            assert read.status_code == 200, read.text
            assert read.json()["messages"] == []
        sent_during = attacker.sent - sent_before
    finally:
        attacker.stop.set()
        attacker.join(timeout=60)
    assert not attacker.is_alive()
    assert sent_during > 0, "the flood must be running while the visitor reads"

    answers = attacker.answers
    # Over the JSON API, nothing without a valid proof gets through, nor counts against a budget.
    for path in ("/api/visitor/mailbox", "/api/visitor/message", "/api/visitor/return"):
        assert {status for (p, status) in answers if p == path} == {400}, answers
    # The no-JavaScript forms have their own budgets and are what is refused under the flood.
    assert answers[("/closed/answers", 429)] > 0, answers
    assert answers[("/return", 429)] > 0, answers
    # Leaving messages without a proof: a few within the forms' budget, then refused.
    assert answers[("/closed/message", 200)] <= 10, answers
    assert answers[("/closed/message", 429)] > 0, answers

    # And after the flood the way back works as before, a left message included.
    again = _post(
        srv, "/api/visitor/mailbox", {"code": code, "text": "Nog iets", "pow": srv.proof_of_work()}
    )
    assert again.status_code == 200, again.text
    assert again.json()["stored"] is True


def test_the_way_back_needs_a_proof_over_the_json_api(production_limits: Server) -> None:
    srv = production_limits
    for path, body in (
        ("/api/visitor/mailbox", {"code": "appel peer kaas"}),
        ("/api/visitor/message", {"text": "Hallo"}),
        ("/api/visitor/code/destroy", {"code": "appel peer kaas"}),
    ):
        missing = _post(srv, path, body)
        assert missing.status_code == 400 and missing.json()["error"] == "pow_required"
        proof = srv.proof_of_work()
        assert _post(srv, path, {**body, "pow": proof}).status_code in (200, 400)
        used = _post(srv, path, {**body, "pow": proof})
        assert used.status_code == 400 and used.json()["error"] == "pow_used"
    done = _post(
        srv, "/api/visitor/code/destroy", {"code": "appel peer kaas", "pow": srv.proof_of_work()}
    )
    assert done.json() == {"status": "done"}
