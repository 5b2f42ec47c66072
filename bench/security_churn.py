"""The security work of issue 5, done at a helpline's pace while bench/load.py runs its load.

Argon2id, the proof-of-work check and the CSP are not on the path of a chat message: they run
when a chat starts, when a visitor comes back with a code and when staff sign in. To see what they
cost the message path, ``bench/load.py --security on`` does those things *during* the timed load,
and ``--security off`` does the part that is not security work (plain starts) at the same pace:

- ``off``: a visitor starts a chat every ``1/starts_per_s`` seconds (the server checks no
  proof-of-work: ``BAKEN_PROOF_OF_WORK=false``);
- ``on``: the same starts, each with a solved proof-of-work that the server verifies; a return-code
  try every ``1/returns_per_s`` seconds (argon2id, 19 MiB, with a wrong code: as costly as a right
  one); a staff sign-in with the right password every ``60/logins_per_min`` seconds (argon2id,
  64 MiB, 4 lanes); and each visitor start also loads the visitor page, with its CSP header;
- ``interleave``: one run, the server checking proofs throughout, and every start as in ``on``
  (page, CSP, proof); the hashing work — a code try every ``1/returns_per_s`` seconds and a sign-in
  at the start of each "on" phase — only in every other ``phase_s``-second phase. The load's
  messages are then split by the phase they were sent in. Comparing phases of one run, not runs,
  keeps this machine's drift between runs (its p50 varies by a factor of two) out of the result.

The proof-of-work is the visitor's phone's work, not the server's: the proofs the churn needs are
fetched and solved before the timed window (`prepare`; a challenge stays valid for ten minutes), in
a process on the generator's core, so that solving them takes no CPU from the server while it is
measured. The server still checks each one when the chat starts, inside the window. (Solving them
during the window, in a process the scheduler put anywhere, took a third of a core from the
machine in some runs and made them useless.)
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson

import benchlib as bl
from benchlib import BenchError, Server

# Six words that are no one's code: the server hashes them all the same (wrong = unknown).
WRONG_CODE = "anker brug duin gracht haven molen"


@dataclass
class Churn:
    """What the churn did (counts per action and outcome), for the report."""

    security: bool
    starts_per_s: float
    returns_per_s: float
    logins_per_min: float
    done: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    proofs: deque[dict[str, Any]] = field(default_factory=deque)
    # --security interleave: the hashing work (code tries, sign-ins) only in every other
    # `phase_s`-second phase counted from `origin_ns`; the starts run throughout.
    phase_s: float = 0.0
    origin_ns: int = 0

    def phase_on(self, now_ns: int) -> bool:
        """Whether `now_ns` (time.monotonic_ns) falls in an "on" phase (odd phases are "on")."""
        return (now_ns - self.origin_ns) // int(self.phase_s * 1e9) % 2 == 1

    def fail(self, what: str) -> None:
        self.done[what.split(":", 1)[0] + " failed"] += 1
        if len(self.failures) < 10:
            self.failures.append(what)

    def summary(self) -> dict[str, Any]:
        return {
            "security": ("interleave" if self.phase_s else "on") if self.security else "off",
            "starts_per_s": self.starts_per_s,
            "returns_per_s": self.returns_per_s if self.security else 0.0,
            "logins_per_min": self.logins_per_min if self.security else 0.0,
            "phase_s": self.phase_s,
            "done": dict(self.done),
            "failures": self.failures,
        }


def on_generator_core() -> None:
    """Initializer of the solving processes: keep them off the server's core."""
    os.sched_setaffinity(0, {bl.GENERATOR_CORE})


def solver_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=1, initializer=on_generator_core)


def _solve(challenge: dict[str, Any]) -> dict[str, Any]:
    from baken.abuse.proof_of_work import solve

    return solve(challenge)


async def solve_proof(server: Server, pool: ProcessPoolExecutor) -> dict[str, Any]:
    status, _, body = await bl.http_request(server.port, "GET", "/api/visitor/challenge")
    if status != 200:
        raise BenchError(f"GET /api/visitor/challenge → HTTP {status}")
    challenge = orjson.loads(body)
    return await asyncio.get_running_loop().run_in_executor(pool, _solve, challenge)


async def prepare(churn: Churn, server: Server, pool: ProcessPoolExecutor, seconds: float) -> None:
    """Fetch and solve, before the timed window, the proofs its starts and code tries will use."""
    if not churn.security:
        return
    needed = math.ceil((churn.starts_per_s + churn.returns_per_s) * seconds) + 10
    while len(churn.proofs) < needed:
        churn.proofs.append(await solve_proof(server, pool))


async def _proof(churn: Churn, server: Server, pool: ProcessPoolExecutor) -> dict[str, Any]:
    if churn.proofs:
        return churn.proofs.popleft()
    churn.done["proof solved during the load (ran out)"] += 1
    return await solve_proof(server, pool)


async def _post_json(server: Server, path: str, payload: dict[str, Any]) -> tuple[int, bytes]:
    status, _, body = await bl.http_request(
        server.port,
        "POST",
        path,
        body=orjson.dumps(payload),
        headers={"Origin": server.origin, "Content-Type": "application/json"},
    )
    return status, body


async def _start(churn: Churn, server: Server, pool: ProcessPoolExecutor) -> None:
    payload: dict[str, Any] = {"nickname": None, "lang": "nl"}
    if churn.security:
        page, headers, _ = await bl.http_request(server.port, "GET", "/")
        if page != 200 or not any(k == "content-security-policy" for k, _ in headers):
            churn.fail(f"page: HTTP {page} or no CSP header")
            return
        payload["pow"] = await _proof(churn, server, pool)
    status, body = await _post_json(server, "/api/visitor/start", payload)
    if status == 200:
        churn.done["start"] += 1
    else:
        churn.fail(f"start: HTTP {status} {body[:120]!r}")


async def _return_try(churn: Churn, server: Server, pool: ProcessPoolExecutor) -> None:
    payload = {"code": WRONG_CODE, "lang": "nl", "pow": await _proof(churn, server, pool)}
    status, body = await _post_json(server, "/api/visitor/return", payload)
    # A wrong code is refused after the full argon2id hash; that refusal is the expected answer.
    if status == 400 and orjson.loads(body).get("error") == "code_not_accepted":
        churn.done["return try (refused, hashed)"] += 1
    else:
        churn.fail(f"return: HTTP {status} {body[:120]!r}")


async def _login(churn: Churn, server: Server, username: str, password: str) -> None:
    status, _, body = await bl.http_request(
        server.port,
        "POST",
        "/staff/login",
        body=urlencode({"username": username, "password": password}).encode(),
        headers={"Origin": server.origin, "Content-Type": "application/x-www-form-urlencoded"},
    )
    if status == 303:
        churn.done["sign-in (password step)"] += 1
    else:
        churn.fail(f"login: HTTP {status} {body[:120]!r}")


async def _every(interval: float, until_ns: int, action: Any, first_ns: int | None = None) -> None:
    """Call `action()` on a fixed schedule (open loop: a slow answer does not delay the next)."""
    pending: set[asyncio.Task[None]] = set()
    next_t = time.monotonic() if first_ns is None else first_ns / 1e9
    await asyncio.sleep(max(0.0, next_t - time.monotonic()))
    try:
        while time.monotonic_ns() < until_ns:
            task = asyncio.create_task(action())
            pending.add(task)
            task.add_done_callback(pending.discard)
            next_t += interval
            await asyncio.sleep(max(0.0, next_t - time.monotonic()))
    finally:
        if pending:
            await asyncio.wait(pending, timeout=30)


async def run_churn(
    churn: Churn,
    server: Server,
    until_ns: int,
    login: tuple[str, str] | None,
) -> None:
    """Run the churn against `server` until `until_ns` (time.monotonic_ns)."""

    async def guarded(coro_fn: Any, *args: Any) -> None:
        try:
            await coro_fn(churn, server, *args)
        except (BenchError, OSError, TimeoutError, ValueError) as e:
            churn.fail(f"{coro_fn.__name__.strip('_')}: {e!r}")

    with solver_pool() as pool:
        loops = [_every(1.0 / churn.starts_per_s, until_ns, lambda: guarded(_start, pool))]

        async def in_on_phase(coro_fn: Any, *args: Any) -> None:
            if not churn.phase_s or churn.phase_on(time.monotonic_ns()):
                await guarded(coro_fn, *args)

        if churn.security and churn.returns_per_s > 0:
            loops.append(
                _every(
                    1.0 / churn.returns_per_s,
                    until_ns,
                    lambda: in_on_phase(_return_try, pool),
                )
            )
        if churn.security and churn.logins_per_min > 0 and login is not None:
            if churn.phase_s:
                # A sign-in at the start of every "on" phase: its hash (slowed by SCHED_IDLE on
                # a busy core) then falls in the phase it is counted for.
                interval, first = 2 * churn.phase_s, churn.origin_ns + int(churn.phase_s * 1e9)
            else:
                interval, first = 60.0 / churn.logins_per_min, None
            loops.append(_every(interval, until_ns, lambda: guarded(_login, *login), first))
        tasks = [asyncio.create_task(loop) for loop in loops]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*tasks, return_exceptions=True)
