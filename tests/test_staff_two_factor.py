"""Staff sign-in in two steps (issue 5): enrolment, codes, recovery codes, the throttle."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from baken.auth import totp
from baken.store.database import Database
from baken.store.login_repo import LoginRepository, account_bucket
from baken.store.tables import staff_recovery_codes, staff_totp
from tests.conftest import _postgres_or_skip
from tests.staff_login_helpers import RECOVERY_PATTERN, SECRET_PATTERN, StaffBrowser
from tests.support import (
    PASSWORD,
    Server,
    add_staff_without_factor,
    open_socket,
    postgres_database,
    run_async,
    start_server,
)

LIMIT = 6


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server with a small failure limit, on SQLite and on PostgreSQL."""
    tmp: Path = tmp_path_factory.mktemp(f"baken-2fa-{request.param}")
    if request.param == "sqlite":
        server = start_server(tmp, login_failure_limit=LIMIT)
        yield server
        server.stop()
        return
    _postgres_or_skip()
    with postgres_database() as url:
        server = start_server(tmp, database_url=url, login_failure_limit=LIMIT)
        yield server
        server.stop()


def _username(prefix: str) -> str:
    import secrets

    return f"{prefix}-{secrets.token_hex(4)}"


def _enrol(srv: Server, browser: StaffBrowser, username: str) -> list[str]:
    """Through the enrolment pages like a person: password, QR page, first code."""
    first = browser.password(username)
    assert first.status_code == 303 and first.headers["location"] == "/staff/enrol"
    assert "__Host-baken_s" not in browser.cookies  # a password alone opens no session
    page = browser.get("/staff/enrol")
    assert page.status_code == 200
    found = SECRET_PATTERN.search(page.text)
    assert found is not None
    secret = found.group(1).replace(" ", "")
    qr = browser.get("/staff/enrol/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.text.lstrip().startswith("<svg") and "<script" not in qr.text
    step = totp.step_at(datetime.now(UTC))
    wrong = browser.post("/staff/enrol", {"code": totp.code_at_step(secret, step + 5)})
    assert wrong.status_code == 401
    done = browser.post("/staff/enrol", {"code": totp.code_at_step(secret, step)})
    assert done.status_code == 200, done.text
    codes = RECOVERY_PATTERN.findall(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    srv.totp_secrets[username] = secret
    srv.totp_steps[username] = step
    return codes


def test_enrolment_then_sign_in_with_a_code(srv: Server) -> None:
    username = _username("enrol")
    staff_id = add_staff_without_factor(srv, username, "Eva")
    browser = StaffBrowser(srv)
    codes = _enrol(srv, browser, username)
    console = browser.get("/staff")
    assert console.status_code == 200 and "Eva" in console.text

    # Stored: the secret only wrapped by the master key, the recovery codes only as hashes.
    async def stored() -> tuple[bytes, list[str]]:
        db = Database(srv.settings)
        try:
            async with db.reader.connect() as conn:
                wrapped = await conn.scalar(
                    select(staff_totp.c.secret).where(staff_totp.c.staff_id == staff_id)
                )
                hashes = (
                    await conn.scalars(
                        select(staff_recovery_codes.c.code_hash).where(
                            staff_recovery_codes.c.staff_id == staff_id
                        )
                    )
                ).all()
            assert wrapped is not None
            return bytes(wrapped), list(hashes)
        finally:
            await db.dispose()

    wrapped, hashes = run_async(stored())
    assert srv.totp_secrets[username].encode() not in wrapped
    assert len(hashes) == 10
    assert not {c.replace("-", "") for c in codes} & set(hashes)
    assert {totp.recovery_hash(staff_id, c) for c in codes} == set(hashes)

    # Signing out ends the session on the server; the next sign-in asks for a code.
    old = browser.session
    out = browser.post("/staff/logout", {})
    assert out.status_code == 303
    stale = httpx.get(srv.base + "/staff", headers={"Cookie": f"__Host-baken_s={old}"})
    assert stale.status_code == 303
    new = browser.sign_in(username)
    assert new != old  # a fresh token at every sign-in


def test_a_code_works_once(srv: Server) -> None:
    username = _username("replay")
    add_staff_without_factor(srv, username)
    enrolled = StaffBrowser(srv)
    _enrol(srv, enrolled, username)
    used = totp.code_at_step(srv.totp_secrets[username], srv.totp_steps[username])
    other = StaffBrowser(srv)
    assert other.password(username).headers["location"] == "/staff/login/code"
    replay = other.code(used)
    assert replay.status_code == 401
    assert "__Host-baken_s" not in other.cookies
    # The next code (the phone's clock a step ahead still counts) works, once.
    fresh = srv.totp_code(username)
    assert other.code(fresh).status_code == 303
    third = StaffBrowser(srv)
    third.password(username)
    assert third.code(fresh).status_code == 401


def test_a_recovery_code_works_once(srv: Server) -> None:
    username = _username("recover")
    add_staff_without_factor(srv, username)
    codes = _enrol(srv, StaffBrowser(srv), username)
    first = StaffBrowser(srv)
    first.password(username)
    # Typed the way people copy them: upper case, spaces instead of dashes.
    assert first.code(codes[3].upper().replace("-", " ")).status_code == 303
    assert first.get("/staff").status_code == 200
    second = StaffBrowser(srv)
    second.password(username)
    again = second.code(codes[3])
    assert again.status_code == 401
    assert "__Host-baken_s" not in second.cookies
    assert second.code(codes[4]).status_code == 303


def test_wrong_codes_and_the_half_signed_in_state(srv: Server) -> None:
    username = _username("wrong")
    add_staff_without_factor(srv, username)
    _enrol(srv, StaffBrowser(srv), username)
    browser = StaffBrowser(srv)
    browser.password(username)
    pending = browser.cookies["__Host-baken_p"]
    # The challenge cookie is not a session: not for pages, not for the socket.
    as_session = httpx.get(srv.base + "/staff", headers={"Cookie": f"__Host-baken_s={pending}"})
    assert as_session.status_code == 303 and as_session.headers["location"] == "/staff/login"

    async def socket_refused() -> None:
        with pytest.raises(Exception, match="403"):
            await open_socket(srv, "/ws/staff", pending)

    run_async(socket_refused())
    for attempt in range(4):
        wrong = browser.code("000000" if attempt % 2 else "not-a-code")
        assert wrong.status_code == 401
        assert "That code is not correct" in wrong.text or "Die code klopt niet" in wrong.text
    # The fifth wrong code ends the challenge: the password is asked again.
    last = browser.code("999999")
    assert last.status_code == 401 and 'action="/staff/login"' in last.text
    assert "__Host-baken_p" not in browser.cookies
    assert browser.code(srv.totp_code(username)).headers["location"] == "/staff/login"


def test_unknown_user_and_wrong_password_look_the_same(srv: Server) -> None:
    username = _username("same")
    add_staff_without_factor(srv, username)
    wrong = StaffBrowser(srv).password(username, "not the password at all")
    unknown = StaffBrowser(srv).password(username + "x", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.text.replace(username, "U") == unknown.text.replace(username + "x", "U")
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers


def test_the_throttle_refuses_after_the_limit_but_not_the_owners_browser(srv: Server) -> None:
    username = _username("flood")
    add_staff_without_factor(srv, username)
    owner = StaffBrowser(srv)
    _enrol(srv, owner, username)  # the owner's browser now holds a device cookie
    assert "__Host-baken_d" in owner.cookies
    owner.post("/staff/logout", {})

    attacker = StaffBrowser(srv)
    # The wrong code tried during enrolment counted as the first failure of this account.
    for _ in range(LIMIT - 1):
        assert attacker.password(username, "guess guess guess").status_code == 401
    refused = attacker.password(username)  # even the right password, from there
    assert refused.status_code == 429
    assert "too many attempts" in refused.text.lower() or "te veel pogingen" in refused.text
    assert "__Host-baken_p" not in attacker.cookies
    # An unknown username is throttled the same way: the throttle tells nothing about accounts.
    ghost = _username("ghost")
    for _ in range(LIMIT):
        assert StaffBrowser(srv).password(ghost, "guess guess guess").status_code == 401
    assert StaffBrowser(srv).password(ghost, "guess guess guess").status_code == 429

    # The owner, on the browser that signed in before, is not locked out by the flood.
    assert owner.sign_in(username)
    assert owner.get("/staff").status_code == 200


def test_the_throttle_at_the_default_limit_and_its_window(tmp_path: Path) -> None:
    from baken.config import Settings
    from baken.store.migrate import upgrade

    settings = Settings(data_dir=tmp_path)
    upgrade(settings)
    clock = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]

    async def scenario() -> list[bool]:
        db = Database(settings)
        try:
            repo = LoginRepository(db, clock=lambda: clock[0])  # the default limit: 100 an hour
            bucket = account_bucket("Anna ")
            assert bucket == account_bucket("anna")
            seen = []
            for _ in range(99):
                await repo.record_failure(bucket)
                clock[0] += timedelta(seconds=10)
            seen.append(await repo.blocked(bucket))  # 99: still allowed
            await repo.record_failure(bucket)
            seen.append(await repo.blocked(bucket))  # 100: refused
            seen.append(await repo.blocked(account_bucket("bram")))  # others unaffected
            # Sliding window: an hour after the first failures, attempts are allowed again.
            clock[0] = datetime(2026, 12, 1, 10, 0, 1, tzinfo=UTC)
            seen.append(await repo.blocked(bucket))
            return seen
        finally:
            await db.dispose()

    assert run_async(scenario()) == [False, True, False, False]


def test_password_alone_is_never_a_session(srv: Server) -> None:
    username = _username("nosession")
    add_staff_without_factor(srv, username)
    browser = StaffBrowser(srv)
    browser.password(username)
    # Skipping the enrolment page does not help.
    assert browser.get("/staff").status_code == 303
    assert browser.code("123456").headers["location"] == "/staff/login"
    assert PASSWORD  # the helper password is the one the account was made with
