"""Passkeys for staff (issue 16): the server's checks of WebAuthn answers, the single-use
challenges, and the sign-in and registration over HTTP on a real server (SQLite and PostgreSQL).

The answers come from a software authenticator (tests/passkey_authenticator.py) that can lie about
the origin, the RP ID and its counter; tests/test_browser_passkeys.py does the same in Chromium with
its virtual authenticator.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from baken.audit import kinds
from baken.auth import passkeys
from baken.auth.passkeys import PasskeyError, RelyingParty, StoredCredential
from baken.domain.conversation import Role
from baken.store.audit_repo import AuditFilter, AuditLog
from baken.store.clock import utcnow
from baken.store.database import Database
from baken.store.passkey_repo import REGISTER, SIGN_IN, PasskeyRepository, Removal
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.store.tables import staff_passkeys
from tests.conftest import _postgres_or_skip
from tests.passkey_authenticator import SoftAuthenticator
from tests.staff_login_helpers import StaffBrowser
from tests.support import Server, add_staff_with_role, postgres_database, run_async, start_server

SITE = "https://baken.test"


def _site() -> RelyingParty:
    found = RelyingParty.of(SITE, None)
    assert found is not None
    return found


RP = _site()


# --- the checks themselves, without a server ------------------------------------------------------


def _registered(
    authenticator: SoftAuthenticator, staff_id: str = "s_anna"
) -> tuple[StoredCredential, bytes]:
    challenge = passkeys.new_challenge()
    options = passkeys.creation_options(RP, staff_id, "anna", "Anna", [], challenge)
    new = passkeys.verify_registration(RP, challenge, authenticator.register(options))
    stored = StoredCredential(new.credential_id, new.public_key, new.sign_count, new.transports)
    return stored, challenge


def _sign_in_options(stored: StoredCredential) -> tuple[dict[str, Any], bytes]:
    challenge = passkeys.new_challenge()
    return passkeys.request_options(RP, [stored], challenge), challenge


def _refused(reason: str, check: Any) -> None:
    with pytest.raises(PasskeyError) as refused:
        check()
    assert refused.value.reason == reason


def test_a_registration_and_a_sign_in_that_are_right_pass() -> None:
    authenticator = SoftAuthenticator("baken.test", SITE)
    stored, _ = _registered(authenticator)
    assert stored.credential_id == authenticator.credential_id
    assert stored.transports == ("internal",)  # unknown transports are dropped
    options, challenge = _sign_in_options(stored)
    assert options["publicKey"]["rpId"] == "baken.test"
    assert options["publicKey"]["userVerification"] == "preferred"
    answer = authenticator.sign(options)
    assertion = passkeys.verify_assertion(RP, challenge, "s_anna", [stored], answer)
    assert assertion.credential_id == stored.credential_id
    assert assertion.sign_count == 1 and assertion.user_verified


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://baken.test",  # the right host without TLS is another origin
        "https://sub.baken.test",  # a subdomain is not this site
        "https://baken.test.evil.example",
        "https://baken.test:8443",
    ],
)
def test_a_wrong_origin_is_refused(origin: str) -> None:
    authenticator = SoftAuthenticator("baken.test", SITE)
    challenge = passkeys.new_challenge()
    options = passkeys.creation_options(RP, "s_anna", "anna", "Anna", [], challenge)
    _refused(
        "origin",
        lambda: passkeys.verify_registration(
            RP, challenge, authenticator.register(options, origin=origin)
        ),
    )
    stored, _ = _registered(authenticator)
    options, challenge = _sign_in_options(stored)
    answer = authenticator.sign(options, origin=origin)
    _refused("origin", lambda: passkeys.verify_assertion(RP, challenge, "s_anna", [stored], answer))


def test_a_passkey_made_for_another_site_is_refused() -> None:
    """The RP ID hash inside the signed authenticator data names the site the key is for."""
    authenticator = SoftAuthenticator("baken.test", SITE)
    challenge = passkeys.new_challenge()
    options = passkeys.creation_options(RP, "s_anna", "anna", "Anna", [], challenge)
    _refused(
        "rp_id",
        lambda: passkeys.verify_registration(
            RP, challenge, authenticator.register(options, rp_id="evil.example")
        ),
    )
    stored, _ = _registered(authenticator)
    options, challenge = _sign_in_options(stored)
    for rp_id in ("evil.example", "test", "other.baken.test"):
        answer = authenticator.sign(options, rp_id=rp_id)
        _refused(
            "rp_id",
            lambda a=answer: passkeys.verify_assertion(RP, challenge, "s_anna", [stored], a),
        )


def test_a_signature_counter_that_does_not_grow_is_refused() -> None:
    authenticator = SoftAuthenticator("baken.test", SITE, counter=7)
    stored, _ = _registered(authenticator)
    assert stored.sign_count == 7
    for counter in (6, 7, 0):  # backwards, standing still, and "none kept" after one was kept
        options, challenge = _sign_in_options(stored)
        answer = authenticator.sign(options, counter=counter)
        _refused(
            "sign_count",
            lambda a=answer, c=challenge: passkeys.verify_assertion(RP, c, "s_anna", [stored], a),
        )
    options, challenge = _sign_in_options(stored)
    answer = authenticator.sign(options, counter=8)
    assert passkeys.verify_assertion(RP, challenge, "s_anna", [stored], answer).sign_count == 8
    # An authenticator that keeps no counter says 0 every time; that is allowed.
    assert passkeys.sign_count_ok(0, 0) and not passkeys.sign_count_ok(3, 3)


def test_other_lies_are_refused() -> None:
    authenticator = SoftAuthenticator("baken.test", SITE)
    stored, _ = _registered(authenticator)
    options, challenge = _sign_in_options(stored)

    # An answer to another challenge (an old one, replayed).
    _, other = _sign_in_options(stored)
    answer = authenticator.sign(options)
    _refused("challenge", lambda: passkeys.verify_assertion(RP, other, "s_anna", [stored], answer))
    # A registration's client data offered as a sign-in.
    answer = authenticator.sign(options, kind="webauthn.create")
    _refused("type", lambda: passkeys.verify_assertion(RP, challenge, "s_anna", [stored], answer))
    # Someone else's key: not among this member's credentials.
    stranger = SoftAuthenticator("baken.test", SITE)
    answer = stranger.sign(options)
    _refused(
        "unknown_credential",
        lambda: passkeys.verify_assertion(RP, challenge, "s_anna", [stored], answer),
    )
    # The right credential id, signed by another key.
    forged = SoftAuthenticator(
        "baken.test", SITE, credential_id=authenticator.credential_id, counter=5
    )
    forged.user_handle = authenticator.user_handle
    answer = forged.sign(options)
    _refused(
        "signature", lambda: passkeys.verify_assertion(RP, challenge, "s_anna", [stored], answer)
    )
    # A discoverable passkey of another account.
    answer = authenticator.sign(options)
    _refused("user", lambda: passkeys.verify_assertion(RP, challenge, "s_bob", [stored], answer))
    # Nonsense.
    for junk in ({}, {"response": {"clientDataJSON": "!!"}}, {"response": "x"}):
        _refused("malformed", lambda j=junk: passkeys.challenge_of(j))


def test_the_relying_party_comes_from_the_public_url_or_the_host() -> None:
    configured = RelyingParty.of("https://chat.example.org", "evil.example")
    assert configured == RelyingParty("chat.example.org", frozenset({"https://chat.example.org"}))
    from_host = RelyingParty.of("", "chat.example.org")
    assert from_host == RelyingParty("chat.example.org", frozenset({"https://chat.example.org"}))
    # Plain http only where browsers allow WebAuthn without TLS.
    local = RelyingParty.of("", "localhost:8000")
    assert local is not None
    assert local.origins == {"https://localhost:8000", "http://localhost:8000"}
    assert RelyingParty.of("", None) is None and RelyingParty.of("", "") is None
    assert passkeys.clean_name("  Werk\nlaptop\x00 ") == "Werk laptop"
    assert len(passkeys.clean_name("x" * 500)) == passkeys.MAX_NAME_CHARS


# --- a real server -------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """BAKEN_PUBLIC_URL set, as in production: passkeys are for https://baken.test."""
    tmp: Path = tmp_path_factory.mktemp(f"baken-passkeys-{request.param}")
    if request.param == "sqlite":
        server = start_server(tmp, public_url=SITE)
        yield server
        server.stop()
        return
    _postgres_or_skip()
    with postgres_database() as url:
        server = start_server(tmp, database_url=url, public_url=SITE)
        yield server
        server.stop()


@dataclass
class PasskeyBrowser(StaffBrowser):
    def json(self, path: str, body: dict[str, Any]) -> httpx.Response:
        response = httpx.post(self.server.base + path, json=body, headers=self._headers())
        self._remember(response)
        return response

    def add_passkey(self, authenticator: SoftAuthenticator, name: str = "Laptop") -> str:
        options = self.json("/staff/passkeys/options", {})
        assert options.status_code == 200, options.text
        answer = authenticator.register(options.json())
        done = self.json("/staff/passkeys", {"name": name, "credential": answer})
        assert done.status_code == 200, done.text
        return str(done.json()["next"])

    def passkey_sign_in(self, authenticator: SoftAuthenticator, **lie: Any) -> httpx.Response:
        options = self.json("/staff/login/passkey/options", {})
        assert options.status_code == 200, options.text
        return self.json(
            "/staff/login/passkey", {"credential": authenticator.sign(options.json(), **lie)}
        )


def db_work(server: Server, work: Any) -> Any:
    async def run() -> Any:
        db = Database(server.settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return run_async(run())


def audit_kinds_of(server: Server, staff_id: str) -> list[tuple[str, str | None]]:
    async def read(db: Database) -> list[tuple[str, str | None]]:
        page = await AuditLog(db).page(AuditFilter(actor_id=staff_id), limit=1000)
        return [(r.kind, r.detail) for r in reversed(page)]

    found: list[tuple[str, str | None]] = db_work(server, read)
    return found


def set_required(server: Server, required: bool, organisation: str = DEFAULT_ORGANISATION) -> None:
    assert db_work(server, lambda db: PasskeyRepository(db).set_required(organisation, required))


def new_member(server: Server, role: Role = Role.COUNSELOR) -> tuple[str, str, PasskeyBrowser]:
    username = f"{role.value[:3]}-" + secrets.token_hex(4)
    staff_id, _token = add_staff_with_role(server, role, username)
    return staff_id, username, PasskeyBrowser(server)


def test_register_list_sign_in_with_a_passkey_and_audit(srv: Server) -> None:
    staff_id, username, browser = new_member(srv)
    browser.sign_in(username)
    authenticator = SoftAuthenticator("baken.test", SITE)
    assert browser.add_passkey(authenticator, "Werklaptop <b>") == "/staff/security?done=added"
    page = browser.get("/staff/security")
    assert page.status_code == 200
    assert "Werklaptop &lt;b&gt;" in page.text and "<b>" not in page.text.split("<main", 1)[1]

    # Out, and in again: the code page offers the passkey; the passkey alone finishes sign-in.
    browser.cookies.pop("__Host-baken_s")
    first = browser.password(username)
    assert first.headers["location"] == "/staff/login/code"
    code_page = browser.get("/staff/login/code")
    assert 'id="passkey-button"' in code_page.text and 'id="code"' in code_page.text
    assert "/static/passkeys.js" in code_page.text
    signed_in = browser.passkey_sign_in(authenticator)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json() == {"next": "/staff"}
    assert "__Host-baken_s" in browser.cookies and "__Host-baken_p" not in browser.cookies
    assert browser.get("/staff").status_code == 200

    async def row(db: Database) -> Any:
        async with db.reader.connect() as conn:
            return (
                await conn.execute(
                    select(staff_passkeys).where(staff_passkeys.c.staff_id == staff_id)
                )
            ).one()

    stored = db_work(srv, row)
    assert bytes(stored.credential_id) == authenticator.credential_id
    assert stored.sign_count == 1 and stored.last_used_at is not None
    assert stored.transports == "internal"
    events = audit_kinds_of(srv, staff_id)
    assert (kinds.PASSKEY_ADD, None) in events
    assert events[-2:] == [(kinds.PASSKEY_USE, None), (kinds.LOGIN_SUCCESS, None)]


def test_an_answer_cannot_be_used_twice_and_failures_count(srv: Server) -> None:
    staff_id, username, browser = new_member(srv)
    browser.sign_in(username)
    authenticator = SoftAuthenticator("baken.test", SITE)
    browser.add_passkey(authenticator)
    browser.cookies.pop("__Host-baken_s")

    browser.password(username)
    options = browser.json("/staff/login/passkey/options", {}).json()
    answer = authenticator.sign(options)
    # A replayed answer: the challenge is used up by the first try, whatever its outcome.
    assert browser.json("/staff/login/passkey", {"credential": answer}).status_code == 200
    browser.cookies.pop("__Host-baken_s")
    browser.password(username)
    browser.json("/staff/login/passkey/options", {})  # a fresh challenge for this sign-in
    replayed = browser.json("/staff/login/passkey", {"credential": answer})
    assert replayed.status_code == 401 and replayed.json()["restart"] is False
    assert "__Host-baken_s" not in browser.cookies

    # Wrong origin, another site's RP ID, a counter that goes back: refused and audited.
    for lie in ({"origin": "https://evil.example"}, {"rp_id": "evil.example"}, {"counter": 1}):
        refused = browser.passkey_sign_in(authenticator, **lie)
        assert refused.status_code == 401, lie
    reasons = [d for k, d in audit_kinds_of(srv, staff_id) if k == kinds.PASSKEY_FAIL]
    assert reasons == [
        "step=sign_in reason=challenge",
        "step=sign_in reason=origin",
        "step=sign_in reason=rp_id",
        "step=sign_in reason=sign_count",
    ]
    # Five failures on one sign-in step, like five wrong codes: the password is asked again.
    last = browser.passkey_sign_in(authenticator, origin="https://evil.example")
    assert last.status_code == 401 and last.json()["restart"] is True
    assert "__Host-baken_p" not in browser.cookies
    assert browser.json("/staff/login/passkey/options", {}).status_code == 401
    # The real passkey still works on a new sign-in.
    browser.password(username)
    assert browser.passkey_sign_in(authenticator).status_code == 200


def test_a_challenge_is_single_use_short_lived_and_bound_to_its_owner(srv: Server) -> None:
    staff_id, _username, _browser = new_member(srv)
    other_id, _, _ = new_member(srv)

    async def run(db: Database) -> None:
        now = utcnow()
        repo = PasskeyRepository(db, clock=lambda: now)
        ttl = timedelta(minutes=2)
        challenge = await repo.issue_challenge("p:a", SIGN_IN, staff_id, ttl)
        assert not await repo.take_challenge("p:b", SIGN_IN, staff_id, challenge)  # not yours
        assert not await repo.take_challenge("p:a", REGISTER, staff_id, challenge)  # not for this
        assert await repo.take_challenge("p:a", SIGN_IN, staff_id, challenge)
        assert not await repo.take_challenge("p:a", SIGN_IN, staff_id, challenge)  # used up
        # Another member's challenge is used up, but does not count for them.
        challenge = await repo.issue_challenge("p:a", SIGN_IN, other_id, ttl)
        assert not await repo.take_challenge("p:a", SIGN_IN, staff_id, challenge)
        # Expired.
        challenge = await repo.issue_challenge("p:a", SIGN_IN, staff_id, ttl)
        later = PasskeyRepository(db, clock=lambda: now + ttl + timedelta(seconds=1))
        assert not await later.take_challenge("p:a", SIGN_IN, staff_id, challenge)
        # A new challenge for the same owner and purpose ends the earlier one.
        first = await repo.issue_challenge("p:a", SIGN_IN, staff_id, ttl)
        second = await repo.issue_challenge("p:a", SIGN_IN, staff_id, ttl)
        assert not await repo.take_challenge("p:a", SIGN_IN, staff_id, first)
        assert await repo.take_challenge("p:a", SIGN_IN, staff_id, second)

    db_work(srv, run)


def test_a_member_removes_only_their_own_passkeys(srv: Server) -> None:
    staff_id, username, browser = new_member(srv)
    colleague_id, colleague_name, colleague = new_member(srv)
    browser.sign_in(username)
    colleague.sign_in(colleague_name)
    colleague.add_passkey(SoftAuthenticator("baken.test", SITE), "Sleutel van collega")
    browser.add_passkey(SoftAuthenticator("baken.test", SITE), "Mijn sleutel")

    own_page = browser.get("/staff/security").text
    assert "Mijn sleutel" in own_page and "Sleutel van collega" not in own_page

    async def ids(db: Database, who: str) -> list[str]:
        return [p.id for p in await PasskeyRepository(db).of_member(who)]

    theirs = db_work(srv, lambda db: ids(db, colleague_id))[0]
    mine = db_work(srv, lambda db: ids(db, staff_id))[0]
    refused = browser.post(f"/staff/passkeys/{theirs}/remove", {})
    assert refused.status_code == 404
    assert db_work(srv, lambda db: ids(db, colleague_id)) == [theirs]
    removed = browser.post(f"/staff/passkeys/{mine}/remove", {})
    assert removed.status_code == 303
    assert removed.headers["location"] == "/staff/security?done=removed"
    assert db_work(srv, lambda db: ids(db, staff_id)) == []
    assert (kinds.PASSKEY_REMOVE, None) in audit_kinds_of(srv, staff_id)


def test_an_organisation_that_requires_passkeys(srv: Server) -> None:
    """Set by an admin on the page; a member without a passkey registers one right after the code
    (and only then gets a session); once they have one, a code alone no longer works, and the
    last passkey cannot be removed."""
    admin_id, admin_name, admin = new_member(srv, Role.ADMIN)
    admin.sign_in(admin_name)
    _, counselor_name, counselor = new_member(srv)
    counselor.sign_in(counselor_name)
    assert counselor.post("/staff/security/organisation", {"require": "yes"}).status_code == 403
    try:
        turned_on = admin.post("/staff/security/organisation", {"require": "yes"})
        assert turned_on.status_code == 303
        assert turned_on.headers["location"] == "/staff/security?done=required"
        assert (kinds.ORGANISATION_PASSKEYS, "required=yes") in audit_kinds_of(srv, admin_id)

        staff_id, username, browser = new_member(srv)
        browser.password(username)
        led = browser.code(srv.totp_code(username))
        assert led.status_code == 303 and led.headers["location"] == "/staff/login/new-passkey"
        assert "__Host-baken_s" not in browser.cookies  # no session before the passkey
        assert browser.get("/staff").status_code == 303
        page = browser.get("/staff/login/new-passkey")
        assert page.status_code == 200 and 'id="passkey-add"' in page.text
        # The sign-in step grants nothing else: not the security page, not someone's removal.
        assert browser.get("/staff/security").status_code == 303
        authenticator = SoftAuthenticator("baken.test", SITE)
        assert browser.add_passkey(authenticator) == "/staff"
        assert "__Host-baken_s" in browser.cookies and "__Host-baken_p" not in browser.cookies
        assert browser.get("/staff").status_code == 200

        # Next time: the code is refused, even a right one; the passkey works.
        browser.cookies.pop("__Host-baken_s")
        browser.password(username)
        page = browser.get("/staff/login/code")
        assert 'id="passkey-only"' in page.text and 'id="code"' not in page.text
        refused = browser.code(srv.totp_code(username))
        assert refused.status_code == 403 and "__Host-baken_s" not in browser.cookies
        assert browser.passkey_sign_in(authenticator).status_code == 200

        # The last passkey stays.
        only = db_work(srv, lambda db: PasskeyRepository(db).of_member(staff_id))[0].id
        kept = browser.post(f"/staff/passkeys/{only}/remove", {})
        assert kept.status_code == 400 and 'id="security-error"' in kept.text
        assert db_work(srv, lambda db: PasskeyRepository(db).count(staff_id)) == 1
    finally:
        set_required(srv, False)
    # Not required any more: the code form is back, beside the passkey.
    browser.cookies.pop("__Host-baken_s")
    browser.password(username)
    page = browser.get("/staff/login/code")
    assert 'id="code"' in page.text and 'id="passkey-button"' in page.text


def test_registration_is_refused_without_a_session_or_from_elsewhere(srv: Server) -> None:
    _staff_id, username, browser = new_member(srv)
    assert browser.json("/staff/passkeys/options", {}).status_code == 401
    browser.password(username)  # the code step is no registration step
    assert browser.json("/staff/passkeys/options", {}).status_code == 401
    browser.code(srv.totp_code(username))
    authenticator = SoftAuthenticator("baken.test", SITE)
    options = browser.json("/staff/passkeys/options", {}).json()
    assert options["publicKey"]["rp"] == {"name": "Baken", "id": "baken.test"}
    evil = browser.json(
        "/staff/passkeys",
        {"name": "x", "credential": authenticator.register(options, origin="https://evil.example")},
    )
    assert evil.status_code == 400
    # That answer used its challenge up; a right answer to it now fails too.
    again = browser.json(
        "/staff/passkeys", {"name": "x", "credential": authenticator.register(options)}
    )
    assert again.status_code == 400
    assert browser.json("/staff/passkeys", {"name": " ", "credential": {}}).status_code == 400
    assert db_work(srv, lambda db: PasskeyRepository(db).count(_staff_id)) == 0
    # The same authenticator cannot be registered twice.
    browser.add_passkey(authenticator)
    options = browser.json("/staff/passkeys/options", {}).json()
    excluded = [c["id"] for c in options["publicKey"]["excludeCredentials"]]
    assert len(excluded) == 1
    twice = browser.json(
        "/staff/passkeys", {"name": "y", "credential": authenticator.register(options)}
    )
    assert twice.status_code == 400


def test_reset_two_factor_removes_passkeys(srv: Server) -> None:
    from typer.testing import CliRunner

    from baken.cli import app as cli_app

    staff_id, username, browser = new_member(srv)
    browser.sign_in(username)
    browser.add_passkey(SoftAuthenticator("baken.test", SITE))
    env = {
        "BAKEN_DATA_DIR": str(srv.settings.data_dir),
        "BAKEN_DATABASE_URL": srv.settings.database_url,
    }
    result = CliRunner().invoke(cli_app, ["user", "reset-2fa", username], env=env)
    assert result.exit_code == 0, result.output

    async def count(db: Database) -> int:
        async with db.reader.connect() as conn:
            found = await conn.scalar(
                select(func.count())
                .select_from(staff_passkeys)
                .where(staff_passkeys.c.staff_id == staff_id)
            )
        return int(found or 0)

    assert db_work(srv, count) == 0


def test_baken_org_passkeys(srv: Server) -> None:
    from typer.testing import CliRunner

    from baken.cli import app as cli_app

    env = {
        "BAKEN_DATA_DIR": str(srv.settings.data_dir),
        "BAKEN_DATABASE_URL": srv.settings.database_url,
    }
    runner = CliRunner()
    try:
        assert runner.invoke(cli_app, ["org", "passkeys", "--require"], env=env).exit_code == 0
        assert db_work(srv, lambda db: PasskeyRepository(db).required(DEFAULT_ORGANISATION))
    finally:
        assert runner.invoke(cli_app, ["org", "passkeys", "--no-require"], env=env).exit_code == 0
    assert not db_work(srv, lambda db: PasskeyRepository(db).required(DEFAULT_ORGANISATION))
    unknown = runner.invoke(cli_app, ["org", "passkeys", "--require", "--org", "org_nope"], env=env)
    assert unknown.exit_code == 2


def test_removal_of_the_last_passkey_is_refused_only_when_required(srv: Server) -> None:
    staff_id, username, browser = new_member(srv)
    browser.sign_in(username)
    browser.add_passkey(SoftAuthenticator("baken.test", SITE), "Een")
    browser.add_passkey(SoftAuthenticator("baken.test", SITE), "Twee")

    async def run(db: Database) -> None:
        repo = PasskeyRepository(db)
        first, second = await repo.of_member(staff_id)
        await repo.set_required(DEFAULT_ORGANISATION, True)
        try:
            assert await repo.remove(staff_id, first.id) is Removal.REMOVED
            assert await repo.remove(staff_id, second.id) is Removal.LAST_REQUIRED
            assert await repo.remove(staff_id, first.id) is Removal.NOT_FOUND
        finally:
            await repo.set_required(DEFAULT_ORGANISATION, False)
        assert await repo.remove(staff_id, second.id) is Removal.REMOVED

    db_work(srv, run)
