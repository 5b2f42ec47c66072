"""Open staff sockets live no longer than the session they were opened with.

A session can end in this process (logout, password change, an admin's action: these close the
sockets here at once), in another process, or by the ``baken`` command; and it can time out. So
every ``session_check_seconds`` each process asks the database which sessions behind its open staff
sockets are still valid, and closes the others with ``CLOSE_SESSION_ENDED``: the console then goes
to the sign-in page instead of reconnecting. The same check keeps a session in use alive: a socket
that carried a frame other than ``ping`` since the last check counts as activity for the idle
timeout, so a counselor in a long chat is not signed out mid-conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from baken.auth.tokens import token_hash
from baken.realtime.connection import Connection, StaffIdentity
from baken.realtime.hub import Hub
from baken.store.staff_repo import StaffRepository

log = logging.getLogger(__name__)

CLOSE_SESSION_ENDED = 4003


class SessionGuard:
    def __init__(self, hub: Hub, staff: StaffRepository, interval_seconds: float) -> None:
        self.hub = hub
        self.staff = staff
        self.interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _staff_sockets(self) -> list[tuple[Connection, StaffIdentity]]:
        return [
            (conn, conn.identity)
            for conns in list(self.hub.staff_by_id.values())
            for conn in list(conns)
            if isinstance(conn.identity, StaffIdentity)
        ]

    def end_member(self, staff_id: str, keep_token: str | None = None) -> int:
        """Close this process's sockets of one staff member (except those of ``keep_token``)."""
        closed = 0
        for conn in list(self.hub.staff_by_id.get(staff_id, ())):
            identity = conn.identity
            if isinstance(identity, StaffIdentity) and identity.session_token != keep_token:
                conn.abort(CLOSE_SESSION_ENDED)
                closed += 1
        return closed

    def end_token(self, token: str) -> None:
        for conn, identity in self._staff_sockets():
            if identity.session_token == token:
                conn.abort(CLOSE_SESSION_ENDED)

    async def check_now(self) -> int:
        """One round of the periodic check; returns how many sockets it closed."""
        sockets = self._staff_sockets()
        if not sockets:
            return 0
        hashes: dict[str, list[Connection]] = {}
        active: set[str] = set()
        for conn, identity in sockets:
            hashed = token_hash(identity.session_token)
            hashes.setdefault(hashed, []).append(conn)
            if conn.active_since_check:
                active.add(hashed)
                conn.active_since_check = False
        valid = await self.staff.check_sessions(list(hashes), active)
        closed = 0
        for hashed, conns in hashes.items():
            if hashed not in valid:
                for conn in conns:
                    conn.abort(CLOSE_SESSION_ENDED)
                    closed += 1
        return closed

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check_now()
            except Exception:
                log.exception("checking the sessions of open staff sockets failed")
