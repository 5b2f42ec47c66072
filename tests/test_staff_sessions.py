"""Staff sessions (issue 5): timeouts, and ending them — password change, disable, an admin,
the command line — with any open staff socket closed too. Plus the password rules."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import extract_parameters
from argon2.low_level import Type
from typer.testing import CliRunner
from websockets.exceptions import ConnectionClosed

from baken.auth.common_passwords import common_passwords, is_common
from baken.auth.passwords import PasswordPolicyError, check_policy, hash_password
from baken.config import Settings
from baken.devtools import enrol_second_factor
from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.migrate import upgrade
from baken.store.staff_repo import SecondFactorRequired, StaffRepository
from tests.staff_login_helpers import StaffBrowser
from tests.support import (
    PASSWORD,
    Client,
    Server,
    add_staff_with_role,
    counselor,
    master_key,
    run_async,
    start_server,
)

CLOSE_SESSION_ENDED = 4003


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Re-checks open sockets every second, so ends made by the command line show up quickly.
    server = start_server(tmp_path_factory.mktemp("baken-sessions"), session_check_seconds=1)
    yield server
    server.stop()


async def _closed_with(client: Client, timeout: float = 10.0) -> int | None:
    """Wait until the server closes this socket; its close code."""
    try:
        while True:
            await asyncio.wait_for(client.ws.recv(), timeout)
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None


def _alive(srv: Server, token: str) -> bool:
    page = httpx.get(srv.base + "/staff", headers={"Cookie": f"__Host-baken_s={token}"})
    return page.status_code == 200


# --- timeouts -------------------------------------------------------------------------------------


def test_idle_and_absolute_timeouts(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings)
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    clock = [start]

    async def scenario() -> dict[str, bool]:
        db = Database(settings)
        try:
            repo = StaffRepository(db, clock=lambda: clock[0])  # defaults: 30 min, 12 h
            await repo.ensure_organisation("Test")
            member = await repo.create("tina", "Tina", hash_password(PASSWORD))
            with pytest.raises(SecondFactorRequired):
                await repo.start_session(member.id)
            await enrol_second_factor(db, master_key(settings), member.id, now=start)
            idle = await repo.start_session(member.id)
            busy = await repo.start_session(member.id)
            seen = {}
            clock[0] = start + timedelta(minutes=29)
            seen["busy at 29 min"] = await repo.session_member(busy) is not None
            clock[0] = start + timedelta(minutes=31)
            seen["idle at 31 min"] = await repo.session_member(idle) is not None
            # Used every 25 minutes, the other one lives until the absolute limit, not past it.
            moment = start + timedelta(minutes=29)
            while moment < start + timedelta(hours=12) - timedelta(minutes=25):
                moment += timedelta(minutes=25)
                clock[0] = moment
                assert await repo.session_member(busy) is not None
            clock[0] = start + timedelta(hours=12)
            seen["busy at 12 h"] = await repo.session_member(busy) is not None
            return seen
        finally:
            await db.dispose()

    assert run_async(scenario()) == {
        "busy at 29 min": True,
        "idle at 31 min": False,
        "busy at 12 h": False,
    }


def test_socket_activity_keeps_a_session_alive_and_timeouts_come_from_settings(
    tmp_path: Path,
) -> None:
    settings = Settings(
        data_dir=tmp_path, staff_session_idle_minutes=5, staff_session_absolute_hours=1
    )
    upgrade(settings)
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    clock = [start]

    async def scenario() -> tuple[set[str], set[str], set[str]]:
        from baken.auth.tokens import token_hash
        from baken.web.staff_security import staff_repository

        db = Database(settings)
        try:
            repo = staff_repository(db, settings)
            repo.clock = lambda: clock[0]
            await repo.ensure_organisation("Test")
            member = await repo.create("olga", "Olga", hash_password(PASSWORD))
            await enrol_second_factor(db, master_key(settings), member.id, now=start)
            working, quiet = (
                await repo.start_session(member.id),
                await repo.start_session(member.id),
            )
            hashes = [token_hash(working), token_hash(quiet)]
            clock[0] = start + timedelta(minutes=4)
            first = await repo.check_sessions(hashes, active=[token_hash(working)])
            clock[0] = start + timedelta(minutes=8)
            second = await repo.check_sessions(hashes)
            clock[0] = start + timedelta(hours=1)
            third = await repo.check_sessions(hashes, active=hashes)
            return first, second, third
        finally:
            await db.dispose()

    first, second, third = run_async(scenario())
    assert len(first) == 2
    assert len(second) == 1  # the quiet one idled out after 5 minutes; the working one did not
    assert third == set()  # an hour is the absolute limit here, activity or not


# --- ending sessions ------------------------------------------------------------------------------


def test_password_change_ends_every_session_and_closes_sockets(srv: Server) -> None:
    staff_id, token = add_staff_with_role(srv, Role.COUNSELOR, "pw-anna", "Anna")
    other = StaffBrowser(srv)
    other_token = other.sign_in("pw-anna")

    async def scenario() -> int | None:
        socket = await counselor(srv, other_token)
        changer = StaffBrowser(srv, {"__Host-baken_s": token})
        short = changer.post(
            "/staff/password", {"current": PASSWORD, "new": "kort", "again": "kort"}
        )
        assert short.status_code == 400 and 'id="password-error"' in short.text
        common = changer.post(
            "/staff/password",
            {"current": PASSWORD, "new": "password1234", "again": "password1234"},
        )
        assert common.status_code == 400
        assert "common passwords" in common.text or "veelgebruikte" in common.text
        wrong = changer.post(
            "/staff/password",
            {"current": "not it at all!", "new": "een nieuw lang wachtzin", "again": "x"},
        )
        assert wrong.status_code == 400
        assert _alive(srv, other_token)  # failed attempts end nothing
        done = changer.post(
            "/staff/password",
            {
                "current": PASSWORD,
                "new": "zeilboot vuurtoren kompas",
                "again": "zeilboot vuurtoren kompas",
            },
        )
        assert done.status_code == 200 and 'id="password-done"' in done.text
        code = await _closed_with(socket)
        assert not _alive(srv, token) and not _alive(srv, other_token)
        assert changer.session != token and _alive(srv, changer.session)
        return code

    assert run_async(scenario()) == CLOSE_SESSION_ENDED
    fresh = StaffBrowser(srv).password("pw-anna", "zeilboot vuurtoren kompas")
    assert fresh.headers["location"] == "/staff/login/code"
    assert staff_id


def test_admin_ends_sessions_and_disables_accounts(srv: Server) -> None:
    _admin_id, admin_token = add_staff_with_role(srv, Role.ADMIN, "adm-ria", "Ria")
    target_id, target_token = add_staff_with_role(srv, Role.COUNSELOR, "adm-bob", "Bob")
    _peer_id, peer_token = add_staff_with_role(srv, Role.SUPERVISOR, "adm-sue", "Sue")
    admin = StaffBrowser(srv, {"__Host-baken_s": admin_token})
    peer = StaffBrowser(srv, {"__Host-baken_s": peer_token})

    page = admin.get("/staff/accounts")
    assert page.status_code == 200 and 'data-username="adm-bob"' in page.text
    assert peer.get("/staff/accounts").status_code == 403
    assert peer.post(f"/staff/accounts/{target_id}/end-sessions", {}).status_code == 403
    assert admin.post("/staff/accounts/s_nobody/end-sessions", {}).status_code == 404
    assert admin.post(f"/staff/accounts/{target_id}/explode", {}).status_code == 404
    foreign = httpx.post(
        srv.base + f"/staff/accounts/{target_id}/end-sessions",
        headers={"Cookie": f"__Host-baken_s={admin_token}", "Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert _alive(srv, target_token)

    async def end_then_disable() -> tuple[int | None, int | None]:
        socket = await counselor(srv, target_token)
        ended = admin.post(f"/staff/accounts/{target_id}/end-sessions", {})
        assert ended.status_code == 303
        first = await _closed_with(socket)
        assert not _alive(srv, target_token)
        again = StaffBrowser(srv).sign_in("adm-bob")
        socket = await counselor(srv, again)
        assert admin.post(f"/staff/accounts/{target_id}/disable", {}).status_code == 303
        second = await _closed_with(socket)
        assert not _alive(srv, again)
        return first, second

    assert run_async(end_then_disable()) == (CLOSE_SESSION_ENDED, CLOSE_SESSION_ENDED)
    refused = StaffBrowser(srv).password("adm-bob")
    assert refused.status_code == 401  # disabled: the same answer as a wrong password
    assert admin.post(f"/staff/accounts/{target_id}/enable", {}).status_code == 303
    assert StaffBrowser(srv).sign_in("adm-bob")
    itself = admin.post(f"/staff/accounts/{_admin_id}/disable", {})
    assert itself.status_code == 400


def test_the_command_line_ends_sessions_and_disables(
    srv: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from baken.cli import app

    _id, token = add_staff_with_role(srv, Role.COUNSELOR, "cli-cas", "Cas")
    monkeypatch.setenv("BAKEN_DATA_DIR", str(srv.settings.data_dir))
    monkeypatch.delenv("BAKEN_DATABASE_URL", raising=False)
    runner = CliRunner()

    async def ended_by(args: list[str], session: str) -> int | None:
        socket = await counselor(srv, session)
        result = await asyncio.to_thread(runner.invoke, app, args)
        assert result.exit_code == 0, result.output
        # Another process ended it: this server notices at its next check (every second here).
        return await _closed_with(socket)

    assert run_async(ended_by(["user", "sessions-end", "cli-cas"], token)) == CLOSE_SESSION_ENDED
    assert not _alive(srv, token)
    again = StaffBrowser(srv).sign_in("cli-cas")
    assert run_async(ended_by(["user", "disable", "cli-cas"], again)) == CLOSE_SESSION_ENDED
    assert StaffBrowser(srv).password("cli-cas").status_code == 401
    missing = runner.invoke(app, ["user", "disable", "nobody-here"])
    assert missing.exit_code == 2


def test_user_add_refuses_short_long_and_common_passwords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from baken.cli import app

    monkeypatch.setenv("BAKEN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BAKEN_DATABASE_URL", raising=False)
    runner = CliRunner()
    args = ["user", "add", "nina", "--name", "Nina", "--password-stdin"]
    for bad, said in (
        ("kort genoeg", "at least 12"),
        ("x" * 129, "at most 128"),
        ("qwertyuiop123", "common passwords"),
    ):
        result = runner.invoke(app, args, input=bad + "\n")
        assert result.exit_code == 2 and said in result.output, result.output
    ok = runner.invoke(app, args, input="a" * 64 + " lange zin\n")
    assert ok.exit_code == 0, ok.output


# --- password rules -------------------------------------------------------------------------------


def test_argon2id_parameters_meet_owasp_asvs() -> None:
    params = extract_parameters(hash_password("een heel gewone zin"))
    assert params.type is Type.ID
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2 and params.parallelism >= 1


def test_password_rules() -> None:
    assert len(common_passwords()) >= 10_000
    for common in ("password", "1234567890", "qwertyuiop", "1q2w3e4r5t6y", "Password2024!"):
        assert is_common(common), common
    for fine in ("zeilboot vuurtoren kompas", "anker-baken-duin-eiland-haven-42"):
        assert not is_common(fine)
        check_policy(fine)
    check_policy("b" * 63 + "!")  # 64 characters are allowed
    check_policy("w" * 127 + "?")  # and so are 128
    for bad, code in (("kort", "too_short"), ("z" * 129, "too_long"), ("iloveyou1234", "common")):
        with pytest.raises(PasswordPolicyError) as caught:
            check_policy(bad)
        assert caught.value.code == code
