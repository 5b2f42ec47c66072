"""Issue 21, item 4: kill -9 of the only process, started again on the same data, mid-stream.

tests/test_failover.py moves the clients to a second process; here there is no second process:
the visitor keeps sending into the outage, both sides come back to the restarted server on the
same port and data directory, re-attach, resync from their last seq and resend what was not
acknowledged (docs/protocol.md, "Reconnecting"). Nothing acknowledged is lost, nothing doubles.
On the embedded SQLite default and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from baken.config import Settings
from tests.conftest import _postgres_or_skip
from tests.support import Client, Server, counselor, free_port, postgres_database
from tests.test_failover import Process, ResilientVisitor

# A start on a machine busy with other tests can take longer than test_failover's 30 s.
START_DEADLINE_SECONDS = 120


class SlowStartProcess(Process):
    """test_failover's `baken serve` process, with more patience for its start."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "baken", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while True:
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"baken serve did not become ready: {log.read_text()[-2000:]}")
            time.sleep(0.1)


MESSAGES = 60
KILL_AFTER = 20


class Restartable:
    """One `baken serve` process that can be killed and started again on the same port."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env = env
        self.tmp = tmp
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.runs = 1
        self.process = self._start()
        self.back = threading.Event()
        self.start_error: Exception | None = None

    def _start(self) -> Process:
        return SlowStartProcess(self.env, self.port, self.tmp / f"run-{self.runs}.log")

    def kill9_and_restart(self) -> None:
        """kill -9 now; the new process starts in the background (the clients meanwhile find
        nobody listening and keep retrying)."""
        self.process.kill9()
        self.back.clear()

        def start_again() -> None:
            self.runs += 1
            try:
                self.process = self._start()
            except Exception as exc:  # the test reports it instead of hanging
                self.start_error = exc
            finally:
                self.back.set()

        threading.Thread(target=start_again, daemon=True).start()

    def stop(self) -> None:
        self.back.wait(60)
        self.process.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def restartable(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Restartable, Settings]]:
    def run(url: str) -> Iterator[tuple[Restartable, Settings]]:
        settings = Settings(
            data_dir=tmp_path,
            database_url=url,
            master_key=base64.b64encode(secrets.token_bytes(32)).decode(),
        )
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("BAKEN_")  # nothing from the caller's shell (no Redis)
        }
        env.update(
            {
                "BAKEN_DATA_DIR": str(tmp_path),
                "BAKEN_DATABASE_URL": url,
                "BAKEN_MASTER_KEY": settings.master_key,
                "BAKEN_LOG_LEVEL": "warning",
                "BAKEN_OPEN_NEEDS_STAFF": "false",
            }
        )
        server = Restartable(env, tmp_path)
        try:
            yield server, settings
        finally:
            server.stop()

    if request.param == "sqlite":
        yield from run("")
        return
    _postgres_or_skip()
    with postgres_database() as url:
        yield from run(url)


async def _collect(client: Client, conversation_id: str, seen: dict[int, str]) -> None:
    """Record the visitor's messages a console socket gets (live or in a catch-up), by seq,
    until the socket dies; a seq arriving twice on one socket is a doubled delivery."""
    try:
        while True:
            frame = await client.recv(timeout=120)
            if frame.get("conversation_id") != conversation_id:
                continue
            if frame["type"] == "message":
                batch = [frame["message"]]
            elif frame["type"] == "messages":
                batch = frame["messages"]
            else:
                continue
            for message in batch:
                if message["sender"] != "visitor":
                    continue
                assert message["seq"] not in seen, f"seq {message['seq']} delivered twice"
                seen[message["seq"]] = message["text"]
    except (ConnectionClosed, TimeoutError):
        return


async def test_kill9_and_restart_on_the_same_data_loses_and_doubles_nothing(
    restartable: tuple[Restartable, Settings],
) -> None:
    server, settings = restartable
    helper = Server(settings, server.port, None, None)  # type: ignore[arg-type]
    conversation_id, vtoken = helper.start_visitor()
    _sid, stoken = helper.add_staff()
    console = await counselor(helper, stoken)
    await console.send({"type": "accept", "conversation_id": conversation_id})
    await console.expect("accepted", conversation_id=conversation_id)
    await console.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
    seen: dict[int, str] = {}
    before = asyncio.create_task(_collect(console, conversation_id, seen))

    texts = [f"bericht {n} {secrets.token_hex(3)}" for n in range(MESSAGES)]
    sender = ResilientVisitor([server.process], vtoken, conversation_id)
    await sender.run(texts, kill_after=KILL_AFTER, kill=server.kill9_and_restart)
    await before  # the console's socket died with the process

    assert server.start_error is None
    assert server.runs == 2
    assert sender.reconnects >= 1
    assert sender.errors == []
    assert not sender.unacked
    assert len(sender.acked) == MESSAGES
    # Every acknowledged message got its own seq, in send order.
    by_seq = sorted(sender.acked.items(), key=lambda item: item[1])
    assert [cid for cid, _ in by_seq] == [f"f{n}" for n in range(MESSAGES)]
    assert len(set(sender.acked.values())) == MESSAGES

    # The console re-attaches to the restarted process and resyncs from the last seq it has.
    console = await counselor(helper, stoken)
    welcome = console.frames[0]
    assert [c["id"] for c in welcome["conversations"]] == [conversation_id]
    last = max(seen, default=0)
    await console.send({"type": "sync", "conversation_id": conversation_id, "after_seq": last})
    after: dict[int, str] = {}
    while len(seen) + len(after) < MESSAGES:
        frame = await console.recv(timeout=10)
        batch: list[dict[str, Any]] = []
        if frame["type"] == "messages" and frame["conversation_id"] == conversation_id:
            batch = frame["messages"]
        elif frame["type"] == "message" and frame["conversation_id"] == conversation_id:
            batch = [frame["message"]]
        for message in batch:
            if message["sender"] == "visitor":
                assert message["seq"] > last
                assert message["seq"] not in after, "doubled after the resync"
                after[message["seq"]] = message["text"]
    combined = {**seen, **after}
    assert [combined[seq] for seq in sorted(combined)] == texts

    # Stored exactly once: a full resync from 0, on a fresh socket, holds each text once.
    await console.close()
    console = await counselor(helper, stoken)
    await console.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
    stored: list[str] = []
    while True:
        frame = await console.expect("messages", timeout=10, conversation_id=conversation_id)
        stored += [m["text"] for m in frame["messages"] if m["sender"] == "visitor"]
        if not frame["more"]:
            break
    assert stored == texts
    await console.close()
