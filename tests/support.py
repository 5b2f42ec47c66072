"""A real Baken server on a free port, and small real clients to talk to it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from baken.abuse.proof_of_work import solve
from baken.auth import totp
from baken.auth.passwords import hash_password
from baken.config import Settings
from baken.crypto.envelope import MasterKey
from baken.devtools import enrol_second_factor
from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.migrate import upgrade
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository
from baken.web.server import uvicorn_config

PASSWORD = "correct horse battery staple"
RELAXED_ABUSE_LIMITS: dict[str, Any] = {
    "proof_of_work": False,
    "address_starts_per_10min": 1_000_000,
    "address_way_back_per_10min": 1_000_000,
    "address_forms_per_10min": 1_000_000,
    # Every test client is 127.0.0.1: many sockets at once must not look like a slowloris.
    "max_half_open_per_address": 1_000_000,
    "address_login_failures_per_10min": 1_000_000,
    "form_starts_per_minute": 1_000_000,
}
_PASSWORD_HASH = hash_password(PASSWORD)
POSTGRES_ADMIN_URL = os.environ.get("BAKEN_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


def run_async(coro: Any) -> Any:
    """Run a coroutine to the end from sync or async code (tests call this from both)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, randomly named PostgreSQL database, dropped afterwards."""
    import asyncpg  # type: ignore[import-untyped]

    name = "baken_test_" + secrets.token_hex(6)

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_async(run(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://127.0.0.1:5432/{name}"
    finally:
        run_async(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Server:
    settings: Settings
    port: int
    _server: uvicorn.Server
    _thread: threading.Thread
    staff_tokens: dict[str, str] = field(default_factory=dict)
    # Staff accounts (issue 5): each helper-made account's authenticator secret, and the last
    # TOTP step a helper used for it (a code never works twice).
    totp_secrets: dict[str, str] = field(default_factory=dict)
    totp_steps: dict[str, int] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return self.base

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)

    # --- accounts and visitors -------------------------------------------------------------------

    def add_staff(self, username: str | None = None, display_name: str = "Anna") -> tuple[str, str]:
        """Create a counselor with a live session; returns (staff id, session token)."""
        return add_staff_with_role(
            self, Role.COUNSELOR, username or "c-" + secrets.token_hex(4), display_name
        )

    def proof_of_work(self) -> dict[str, Any]:
        """A fresh challenge, solved as the visitor page does it (issue 5)."""
        challenge = httpx.get(f"{self.base}/api/visitor/challenge")
        challenge.raise_for_status()
        return solve(challenge.json())

    def totp_code(self, username: str) -> str:
        """The next unused authenticator code of a helper-made account, as its phone shows it."""
        current = totp.step_at(datetime.now(UTC))
        step = max(current, self.totp_steps.get(username, current - 1) + 1)
        if step > current + totp.DRIFT_STEPS:
            raise AssertionError(f"{username} signed in too often within one 30-second step")
        self.totp_steps[username] = step
        return totp.code_at_step(self.totp_secrets[username], step)

    def start_visitor(self, nickname: str | None = None) -> tuple[str, str]:
        """Start a chat over HTTP like the page does; returns (conversation id, visitor token)."""
        body: dict[str, Any] = {"nickname": nickname, "lang": "nl"}
        if self.settings.proof_of_work:
            body["pow"] = self.proof_of_work()
        response = httpx.post(
            f"{self.base}/api/visitor/start", json=body, headers={"Origin": self.origin}
        )
        response.raise_for_status()
        token = response.cookies.get("__Host-baken_v")
        if token is None:  # httpx keeps Secure cookies off plain http; read the header itself
            header = response.headers["set-cookie"]
            token = header.split("=", 1)[1].split(";", 1)[0]
        return response.json()["conversation"]["id"], token


def start_server(tmp: Path, database_url: str = "", **overrides: Any) -> Server:
    settings = Settings(
        data_dir=tmp,
        database_url=database_url,
        exit_url="http://127.0.0.1:9/neutral",
        heartbeat_seconds=overrides.pop("heartbeat_seconds", 20),
        # Tests place conversations years back (reports); the server's own retention timer must
        # not shred them halfway through a test. Retention is tested on its own (test_retention).
        retention_days=overrides.pop("retention_days", 36_500),
        # The same for the timeouts sweep (issue 15): a visitor a test started over HTTP and left
        # waiting must not leave the queue halfway through a later test on a shared server.
        # tests/test_timeouts.py drives the sweep itself, with its own clock.
        queue_gone_seconds=overrides.pop("queue_gone_seconds", 3600),
        # Most tests start a visitor before any counselor signs in; "open only when staffed"
        # (issue 15) is tested on its own (tests/test_open_needs_staff.py).
        open_needs_staff=overrides.pop("open_needs_staff", False),
        active_gone_minutes=overrides.pop("active_gone_minutes", 24 * 60),
        idle_minutes=overrides.pop("idle_minutes", 24 * 60),
        # Abuse limits (issue 5) count per address, and every test client is 127.0.0.1; each
        # start would also cost a proof-of-work. They are tested on their own (test_abuse_*.py,
        # the browser tests turn the proof-of-work on): here they are out of the way.
        **{**RELAXED_ABUSE_LIMITS, **overrides},
    )
    # In a thread: Alembic runs its own event loop, and callers may already be inside one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, settings).result()
    port = free_port()
    settings.port = port
    config = uvicorn_config(settings, loop="asyncio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return Server(settings, port, server, thread)


class Client:
    """A WebSocket client that keeps every frame it got, for assertions."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self._backlog: list[tuple[str, dict[str, Any]]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(frame).decode())

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        frame: dict[str, Any] = orjson.loads(raw)
        self.frames.append(frame)
        return frame

    async def expect(self, kind: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """The next frame of this type (and these field values); other frames are kept, skipped."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            try:
                if left <= 0:
                    raise TimeoutError
                frame = await self.recv(left)
            except TimeoutError:
                raise AssertionError(
                    f"no {kind} frame with {match}; last frames: {self.frames[-5:]}"
                ) from None
            if frame.get("type") == kind and all(frame.get(k) == v for k, v in match.items()):
                return frame

    async def expect_message(
        self, conversation_id: str, sender: str, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The next message in this conversation from the given side (own echoes skipped).

        Messages come live (`message`) or in a catch-up (`messages`); both count.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            while self._backlog:
                cid, message = self._backlog.pop(0)
                if cid == conversation_id and message["sender"] == sender:
                    return {"type": "message", "conversation_id": cid, "message": message}
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no message from {sender}; got {self.frames[-5:]}")
            frame = await self.recv(left)
            if frame.get("type") == "message":
                self._backlog.append((frame["conversation_id"], frame["message"]))
            elif frame.get("type") == "messages":
                self._backlog.extend((frame["conversation_id"], m) for m in frame["messages"])

    async def seen(self, predicate: Any, timeout: float = 5.0) -> dict[str, Any]:
        """A frame, received before or from now on, for which predicate(frame) is true."""
        for frame in self.frames:
            if predicate(frame):
                return frame
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no such frame; got {self.frames[-5:]}")
            frame = await self.recv(left)
            if frame.get("type") == "message":
                self._backlog.append((frame["conversation_id"], frame["message"]))
            elif frame.get("type") == "messages":
                self._backlog.extend((frame["conversation_id"], m) for m in frame["messages"])
            if predicate(frame):
                return frame

    async def close(self) -> None:
        await self.ws.close()


async def open_socket(
    server: Server, path: str, token: str | None, origin: str | None = "same"
) -> Client:
    cookie_name = "__Host-baken_v" if path.endswith("visitor") else "__Host-baken_s"
    headers = []
    if token is not None:
        headers.append(("Cookie", f"{cookie_name}={token}"))
    if origin == "same":
        origin = server.origin
    ws = await connect(
        f"ws://127.0.0.1:{server.port}{path}",
        additional_headers=headers,
        origin=origin,  # type: ignore[arg-type]
        compression=None,
        open_timeout=5,
    )
    return Client(ws)


async def visitor(server: Server, token: str) -> Client:
    client = await open_socket(server, "/ws/visitor", token)
    await client.expect("welcome")
    return client


async def counselor(server: Server, token: str) -> Client:
    client = await open_socket(server, "/ws/staff", token)
    await client.expect("welcome")
    return client


async def invite_partner_and_join(
    counselor_client: Client,
    partner: Client,
    conversation_id: str,
    referral_id: str,
    partner_staff_id: str,
) -> str:
    """The counselor invites the partner professional into the chat under a consented referral,
    the partner's open socket hears of the invitation, and the partner joins; the access id."""
    await counselor_client.send(
        {
            "type": "partner_invite",
            "conversation_id": conversation_id,
            "referral_id": referral_id,
            "partner_staff_id": partner_staff_id,
        }
    )
    access_id: str = (await counselor_client.expect("partner_invited"))["access"]["id"]
    await partner.seen(
        lambda f: (
            f.get("type") == "partner_invitations"
            and [i["id"] for i in f["invitations"]] == [access_id]
        )
    )
    await partner.send({"type": "partner_join", "access_id": access_id})
    await partner.expect("partner_joined")
    return access_id


# --- registrations and reports (issue 6) ----------------------------------------------------------


def add_staff_with_role(
    server: Server,
    role: Role,
    username: str | None = None,
    display_name: str = "Rita",
    organisation_id: str = DEFAULT_ORGANISATION,
    languages: tuple[str, ...] = (),
) -> tuple[str, str]:
    """Create a staff member with the given role, an authenticator set up through the real
    enrolment steps, and a live session; returns (id, token)."""
    username = username or f"{role.value[:3]}-" + secrets.token_hex(4)

    async def create() -> tuple[str, str, str]:
        db = Database(server.settings)
        try:
            repo = StaffRepository(db)
            member = await repo.create(
                username,
                display_name,
                _PASSWORD_HASH,
                role,
                organisation_id=organisation_id,
                languages=languages,
            )
            secret = await enrol_second_factor(db, master_key(server.settings), member.id)
            return member.id, await repo.start_session(member.id), secret
        finally:
            await db.dispose()

    staff_id, token, secret = run_async(create())
    server.totp_secrets[username] = secret
    # Enrolment confirmed the step before now; the next sign-in may use the current one.
    server.totp_steps[username] = totp.step_at(datetime.now(UTC)) - 1
    return staff_id, token


def add_staff_without_factor(
    server: Server, username: str, display_name: str = "Anna", role: Role = Role.COUNSELOR
) -> str:
    """A staff account as `baken user add` leaves it: a password, no authenticator yet."""

    async def create() -> str:
        db = Database(server.settings)
        try:
            member = await StaffRepository(db).create(username, display_name, _PASSWORD_HASH, role)
            return member.id
        finally:
            await db.dispose()

    staff_id: str = run_async(create())
    return staff_id


def add_organisation(server: Server, slug_prefix: str, name: str) -> tuple[str, str]:
    """A new organisation with a unique slug (issue 14); returns (slug, id)."""
    slug = f"{slug_prefix}-{secrets.token_hex(3)}"

    async def add() -> str:
        from baken.store.organisation_repo import OrganisationRepository

        db = Database(server.settings)
        try:
            return (await OrganisationRepository(db).add(slug, name)).id
        finally:
            await db.dispose()

    organisation_id: str = run_async(add())
    return slug, organisation_id


def row_counts(server: Server) -> dict[str, int]:
    """Rows per table of the server's database: proof that a request stored nothing."""
    from sqlalchemy import func, select

    from baken.store.tables import metadata

    async def count() -> dict[str, int]:
        db = Database(server.settings)
        try:
            async with db.reader.connect() as conn:
                return {
                    table.name: int(
                        (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                    )
                    for table in metadata.sorted_tables
                }
        finally:
            await db.dispose()

    return dict(run_async(count()))


def master_key(settings: Settings) -> MasterKey:
    from baken.crypto.keyfile import load_or_create_master_key

    return load_or_create_master_key(settings.master_key, settings.data_dir)[0]


def assigned_conversation(server: Server, staff_id: str, display_name: str = "Anna") -> str:
    """A conversation accepted by (assigned to) this counselor; returns its id."""
    from baken.crypto.envelope import CipherCache
    from baken.crypto.keyfile import load_or_create_master_key
    from baken.store.conversation_repo import ConversationRepository

    async def create() -> str:
        db = Database(server.settings)
        try:
            master, _ = load_or_create_master_key(
                server.settings.master_key, server.settings.data_dir
            )
            repo = ConversationRepository(db, CipherCache(master))
            record, _token = await repo.create(None, "nl")
            await repo.accept(record.id, staff_id, display_name, max_chats=1000)
            return record.id
        finally:
            await db.dispose()

    conversation_id: str = run_async(create())
    return conversation_id


def send_frame(conversation_id: str, client_msg_id: str, text: str) -> dict[str, Any]:
    """A `send` frame, as a client puts it on the socket or posts it to the HTTP door."""
    return {
        "type": "send",
        "conversation_id": conversation_id,
        "client_msg_id": client_msg_id,
        "text": text,
    }
