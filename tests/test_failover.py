"""kill -9 of a Baken process during a stream of messages: nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
import base64
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from baken.config import Settings
from tests.conftest import IN_CI
from tests.support import (
    Server,
    counselor,
    free_port,
    postgres_available,
    postgres_database,
)
from tests.test_multiprocess import redis_available


class Process:
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
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"baken serve did not become ready: {log.read_text()[-2000:]}")
            time.sleep(0.1)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[Process, Process, Settings]]:
    if not (postgres_available() and redis_available()):
        if IN_CI:
            pytest.fail("CI must run these against the local PostgreSQL and Redis")
        pytest.skip("needs PostgreSQL on 5432 and Redis on 6379 (CI runs these)")
    with postgres_database() as url:
        settings = Settings(
            data_dir=tmp_path,
            database_url=url,
            redis_url="redis://127.0.0.1:6379/0",
            redis_channel="baken-failover:" + secrets.token_hex(6),
            master_key=base64.b64encode(secrets.token_bytes(32)).decode(),
        )
        env = {
            **os.environ,
            "BAKEN_DATA_DIR": str(tmp_path),
            "BAKEN_DATABASE_URL": url,
            "BAKEN_REDIS_URL": settings.redis_url,
            "BAKEN_REDIS_CHANNEL": settings.redis_channel,
            "BAKEN_MASTER_KEY": settings.master_key,
            "BAKEN_LOG_LEVEL": "warning",
            # Visitors start before the counselor signs in (issue 15's rule is tested elsewhere).
            "BAKEN_OPEN_NEEDS_STAFF": "false",
        }
        a = Process(env, free_port(), tmp_path / "a.log")
        b = Process(env, free_port(), tmp_path / "b.log")
        try:
            yield a, b, settings
        finally:
            a.stop()
            b.stop()


class ResilientVisitor:
    """Sends a stream of messages; on a broken connection it moves to the next server, resyncs
    and resends every unacknowledged message with the same id — what the page's script does."""

    def __init__(self, servers: list[Process], token: str, conversation_id: str) -> None:
        self.servers = servers
        self.token = token
        self.conversation_id = conversation_id
        self.acked: dict[str, int] = {}
        self.unacked: dict[str, str] = {}
        self.server_index = 0
        self.reconnects = 0
        self.errors: list[dict[str, Any]] = []

    async def _open(self) -> Any:
        delay = 0.1
        while True:
            server = self.servers[self.server_index % len(self.servers)]
            try:
                ws = await connect(
                    f"ws://127.0.0.1:{server.port}/ws/visitor",
                    additional_headers=[("Cookie", f"__Host-baken_v={self.token}")],
                    origin=server.base,  # type: ignore[arg-type]
                    open_timeout=2,
                )
                return ws
            except (OSError, InvalidStatus, TimeoutError):
                self.server_index += 1  # the proxy would send us to another process
                await asyncio.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 2.0)

    async def run(self, texts: list[str], kill_after: int, kill: Any) -> None:
        pending = list(enumerate(texts))
        ws = await self._open()
        killed = False
        while pending or self.unacked:
            try:
                if pending:
                    n, text = pending.pop(0)
                    cid = f"f{n}"
                    self.unacked[cid] = text
                    await ws.send(
                        orjson.dumps(
                            {
                                "type": "send",
                                "conversation_id": self.conversation_id,
                                "client_msg_id": cid,
                                "text": text,
                            }
                        ).decode()
                    )
                    if n == kill_after and not killed:
                        killed = True
                        await asyncio.to_thread(kill)
                    # Under the per-socket rate limit (30/s), like a fast typist at most.
                    await asyncio.sleep(0.04)
                await self._drain(ws, 0.001 if pending else 1.0)
            except (ConnectionClosed, OSError):
                self.reconnects += 1
                self.server_index += 1
                ws = await self._open()
                await ws.send(
                    orjson.dumps(
                        {"type": "sync", "conversation_id": self.conversation_id, "after_seq": 0}
                    ).decode()
                )
                for cid, text in list(self.unacked.items()):
                    await ws.send(
                        orjson.dumps(
                            {
                                "type": "send",
                                "conversation_id": self.conversation_id,
                                "client_msg_id": cid,
                                "text": text,
                            }
                        ).decode()
                    )
        await ws.close()

    async def _drain(self, ws: Any, timeout: float) -> None:
        try:
            while True:
                frame = orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
                if frame["type"] == "ack":
                    self.acked[frame["client_msg_id"]] = frame["seq"]
                    self.unacked.pop(frame["client_msg_id"], None)
                elif frame["type"] == "error":
                    self.errors.append(frame)
                timeout = 0.001
        except TimeoutError:
            return


async def test_kill9_during_a_stream_loses_no_acknowledged_message(
    two_processes: tuple[Process, Process, Settings],
) -> None:
    a, b, settings = two_processes
    helper = Server(settings, b.port, None, None)  # type: ignore[arg-type]
    conversation_id, vtoken = helper.start_visitor()
    _sid, stoken = helper.add_staff()
    c = await counselor(helper, stoken)
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted", conversation_id=conversation_id)

    texts = [f"bericht {n} {secrets.token_hex(3)}" for n in range(100)]
    sender = ResilientVisitor([a, b], vtoken, conversation_id)
    await sender.run(texts, kill_after=40, kill=a.kill9)

    assert sender.reconnects >= 1
    assert sender.errors == []
    assert not sender.unacked
    assert len(sender.acked) == len(texts)
    # Every acknowledged message is stored exactly once, in send order.
    by_seq = sorted(sender.acked.items(), key=lambda item: item[1])
    assert [cid for cid, _ in by_seq] == [f"f{n}" for n in range(len(texts))]
    seen: list[str] = []
    while len(seen) < len(texts):
        frame = await c.expect_message(conversation_id, "visitor", timeout=10)
        seen.append(frame["message"]["text"])
    assert seen == texts


async def test_graceful_shutdown_tells_clients_to_reconnect(
    two_processes: tuple[Process, Process, Settings],
) -> None:
    a, b, settings = two_processes
    helper = Server(settings, a.port, None, None)  # type: ignore[arg-type]
    _conversation_id, vtoken = helper.start_visitor()
    ws = await connect(
        f"ws://127.0.0.1:{a.port}/ws/visitor",
        additional_headers=[("Cookie", f"__Host-baken_v={vtoken}")],
        origin=a.base,  # type: ignore[arg-type]
    )
    await ws.recv()  # welcome
    a.proc.send_signal(signal.SIGTERM)
    with pytest.raises(ConnectionClosed) as info:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1012  # "service restart": reconnect, to another process
    # It finishes by itself (uvicorn re-raises SIGTERM after a clean shutdown, as systemd expects).
    assert a.proc.wait(15) in (0, -signal.SIGTERM)
    # The same visitor carries on at the other process.
    ws2 = await connect(
        f"ws://127.0.0.1:{b.port}/ws/visitor",
        additional_headers=[("Cookie", f"__Host-baken_v={vtoken}")],
        origin=b.base,  # type: ignore[arg-type]
    )
    assert orjson.loads(await ws2.recv())["type"] == "welcome"
    await ws2.close()
