"""Accounts made on the web and their one-time links, role changes and two-step resets (issue 15,
item 5), over HTTP on a real server, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from baken.audit import kinds
from baken.auth import totp
from baken.auth.tokens import token_hash
from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.tables import audit_log, staff, staff_invitations, staff_totp
from tests.conftest import server_on
from tests.staff_login_helpers import RECOVERY_PATTERN, SECRET_PATTERN, StaffBrowser
from tests.support import (
    PASSWORD,
    Server,
    add_staff_with_role,
    run_async,
)

LINK = re.compile(r'id="invite-link"[^>]* value="(http://[^"]+/staff/invite/([A-Za-z0-9_-]+))"')
NEW_PASSWORD = "paars konijn dans op het dak"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"baken-accounts-{request.param}")
    with server_on(request.param, tmp) as server:
        yield server


def in_db(srv: Server, work: Callable[[Database], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        db = Database(srv.settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return run_async(run())


def rows(srv: Server, query: Any) -> list[Any]:
    async def read(db: Database) -> list[Any]:
        async with db.reader.connect() as conn:
            return list((await conn.execute(query)).all())

    found: list[Any] = in_db(srv, read)
    return found


def post(srv: Server, token: str, path: str, data: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(
        srv.base + path,
        data=data or {},
        headers={"Cookie": f"__Host-baken_s={token}", "Origin": srv.origin},
        follow_redirects=False,
    )


def get(srv: Server, token: str, path: str) -> httpx.Response:
    return httpx.get(
        srv.base + path, headers={"Cookie": f"__Host-baken_s={token}"}, follow_redirects=False
    )


def make_account(
    srv: Server, admin: str, role: str = "counselor", languages: tuple[str, ...] = ("nl",)
) -> tuple[str, str, str]:
    """An administrator adds an account on the page; returns (username, link, raw token)."""
    username = "n-" + secrets.token_hex(4)
    form = {
        "username": username,
        "display_name": "Noor",
        "role": role,
        "languages": list(languages),
    }
    response = httpx.post(
        srv.base + "/staff/accounts",
        data=form,
        headers={"Cookie": f"__Host-baken_s={admin}", "Origin": srv.origin},
    )
    assert response.status_code == 200, response.text
    found = LINK.search(response.text)
    assert found is not None, response.text
    return username, found.group(1), found.group(2)


def member_row(srv: Server, username: str) -> Any:
    found = rows(srv, select(staff).where(staff.c.username == username))
    return found[0] if found else None


def member_row_by_id(srv: Server, staff_id: str) -> Any:
    return rows(srv, select(staff).where(staff.c.id == staff_id))[0]


def audits(srv: Server, kind: str, object_id: str) -> list[Any]:
    return rows(
        srv,
        select(audit_log).where(audit_log.c.kind == kind, audit_log.c.object_id == object_id),
    )


def enrol_through(srv: Server, browser: StaffBrowser, username: str) -> list[str]:
    page = browser.get("/staff/enrol")
    assert page.status_code == 200
    secret_found = SECRET_PATTERN.search(page.text)
    assert secret_found is not None
    secret = secret_found.group(1).replace(" ", "")
    step = totp.step_at(datetime.now(UTC))
    done = browser.post("/staff/enrol", {"code": totp.code_at_step(secret, step)})
    assert done.status_code == 200, done.text
    srv.totp_secrets[username] = secret
    srv.totp_steps[username] = step
    return RECOVERY_PATTERN.findall(done.text)


def fresh_organisation(srv: Server) -> str:
    async def add(db: Database) -> str:
        return (await OrganisationRepository(db).add("acc-" + secrets.token_hex(3), "Lijn")).id

    return str(in_db(srv, add))


# --- the one-time link ---------------------------------------------------------------------------


def test_an_account_made_on_the_page_opens_through_its_link_once(srv: Server) -> None:
    admin_id, admin = add_staff_with_role(srv, Role.ADMIN)
    username, link, token = make_account(srv, admin, languages=("nl", "pl"))
    row = member_row(srv, username)
    assert row is not None and row.role == "counselor" and row.languages == "nl,pl"
    # Only the hash is stored, and the account was made by this administrator, audited.
    invitation = rows(srv, select(staff_invitations).where(staff_invitations.c.staff_id == row.id))
    assert len(invitation) == 1 and invitation[0].token_hash == token_hash(token)
    assert token not in str(tuple(invitation[0]))
    created = audits(srv, kinds.ACCOUNT_CREATE, row.id)
    assert [(r.actor_id, r.organisation_id, r.detail) for r in created] == [
        (admin_id, "org_default", "role=counselor")
    ]
    # The page shows the link once: reloading the accounts page does not show it again.
    assert token not in get(srv, admin, "/staff/accounts").text
    # Nobody can sign in with a password before the link is used.
    assert StaffBrowser(srv).password(username, PASSWORD).status_code == 401

    new = StaffBrowser(srv)
    path = link.removeprefix(srv.base)
    assert new.get(path).status_code == 200
    assert new.post(path, {"new": NEW_PASSWORD, "again": "iets anders"}).status_code == 400
    assert new.post(path, {"new": "kort", "again": "kort"}).status_code == 400
    assert new.post(path, {"new": "password1234", "again": "password1234"}).status_code == 400
    done = new.post(path, {"new": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/staff/enrol"
    assert "__Host-baken_s" not in new.cookies  # no session before two-step sign-in is set up
    codes = enrol_through(srv, new, username)
    assert len(codes) == 10
    assert new.get("/staff").status_code == 200
    assert audits(srv, kinds.ACCOUNT_PASSWORD, row.id)[0].detail == "via=invitation"

    # A second use: the calm page, and the password stays.
    again = StaffBrowser(srv)
    second = again.get(path)
    assert second.status_code == 410 and 'id="invite-unusable"' in second.text
    used = again.post(
        path, {"new": "een ander wachtwoord hier", "again": "een ander wachtwoord hier"}
    )
    assert used.status_code == 410
    # From now on the normal sign-in, with the chosen password.
    assert StaffBrowser(srv).password(username, NEW_PASSWORD).status_code == 303
    # An unknown link: the same calm text.
    unknown = StaffBrowser(srv).get("/staff/invite/" + secrets.token_urlsafe(32))
    assert unknown.status_code == 404 and 'id="invite-unusable"' in unknown.text


def test_an_expired_link_is_refused_and_a_new_one_works(srv: Server) -> None:
    _admin_id, admin = add_staff_with_role(srv, Role.ADMIN)
    username, link, _token = make_account(srv, admin)
    row = member_row(srv, username)

    async def expire(db: Database) -> None:
        async with db.writer.begin() as conn:
            await conn.execute(
                update(staff_invitations)
                .where(staff_invitations.c.staff_id == row.id)
                .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
            )

    in_db(srv, expire)
    path = link.removeprefix(srv.base)
    browser = StaffBrowser(srv)
    assert browser.get(path).status_code == 410
    refused = browser.post(path, {"new": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert refused.status_code == 410 and "__Host-baken_p" not in browser.cookies
    assert "Not set up yet: the link has expired" in get(srv, admin, "/staff/accounts?lang=en").text

    renewed = post(srv, admin, f"/staff/accounts/{row.id}/new-link")
    assert renewed.status_code == 200
    found = LINK.search(renewed.text)
    assert found is not None
    assert StaffBrowser(srv).get(path).status_code == 404  # the old one is gone
    fresh = StaffBrowser(srv)
    new_path = found.group(1).removeprefix(srv.base)
    assert fresh.post(new_path, {"new": NEW_PASSWORD, "again": NEW_PASSWORD}).status_code == 303
    # Once set up, no more links for this account.
    assert post(srv, admin, f"/staff/accounts/{row.id}/new-link").status_code == 400


def test_the_link_of_a_disabled_account_does_not_work(srv: Server) -> None:
    _admin_id, admin = add_staff_with_role(srv, Role.ADMIN)
    username, link, _token = make_account(srv, admin)
    row = member_row(srv, username)
    assert post(srv, admin, f"/staff/accounts/{row.id}/disable").status_code == 303
    path = link.removeprefix(srv.base)
    browser = StaffBrowser(srv)
    assert browser.get(path).status_code == 410
    assert browser.post(path, {"new": NEW_PASSWORD, "again": NEW_PASSWORD}).status_code == 410
    assert post(srv, admin, f"/staff/accounts/{row.id}/new-link").status_code == 400
    assert post(srv, admin, f"/staff/accounts/{row.id}/enable").status_code == 303
    assert browser.post(path, {"new": NEW_PASSWORD, "again": NEW_PASSWORD}).status_code == 303


def test_two_browsers_using_one_link_at_once_set_one_password(srv: Server) -> None:
    _admin_id, admin = add_staff_with_role(srv, Role.ADMIN)
    username, link, _token = make_account(srv, admin)

    async def use(password: str) -> int:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                link,
                data={"new": password, "again": password},
                headers={"Origin": srv.origin},
            )
            return response.status_code

    async def both() -> list[int]:
        return list(await asyncio.gather(use(NEW_PASSWORD), use("twee fietsen in de regen")))

    statuses = run_async(both())
    assert sorted(statuses) == [303, 410], statuses
    winner = NEW_PASSWORD if statuses[0] == 303 else "twee fietsen in de regen"
    loser = "twee fietsen in de regen" if winner == NEW_PASSWORD else NEW_PASSWORD
    assert StaffBrowser(srv).password(username, winner).status_code == 303
    assert StaffBrowser(srv).password(username, loser).status_code == 401


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"username": "A b", "display_name": "Noor", "role": "counselor"}, "username"),
        ({"username": "x", "display_name": "Noor", "role": "counselor"}, "username"),
        ({"username": "ok-name-{}", "display_name": "  ", "role": "counselor"}, "display_name"),
        ({"username": "ok-name-{}", "display_name": "Noor", "role": "owner"}, "role"),
        (
            {
                "username": "ok-name-{}",
                "display_name": "Noor",
                "role": "counselor",
                "languages": "xx",
            },
            "languages",
        ),
    ],
)
def test_a_wrong_form_makes_no_account(srv: Server, form: dict[str, str], error: str) -> None:
    _admin_id, admin = add_staff_with_role(srv, Role.ADMIN)
    form = {**form, "username": form["username"].format(secrets.token_hex(3))}
    response = post(srv, admin, "/staff/accounts?lang=en", form)
    assert response.status_code == 400 and 'id="accounts-error"' in response.text
    assert 'id="invite-link"' not in response.text
    assert member_row(srv, form["username"].lower()) is None


def test_a_taken_username_is_refused(srv: Server) -> None:
    _admin_id, admin = add_staff_with_role(srv, Role.ADMIN)
    username, _link, _token = make_account(srv, admin)
    form = {"username": username, "display_name": "Ander", "role": "counselor"}
    response = post(srv, admin, "/staff/accounts?lang=en", form)
    assert response.status_code == 400 and "already taken" in response.text


def test_only_administrators_make_accounts(srv: Server) -> None:
    for role in (Role.COUNSELOR, Role.SUPERVISOR, Role.RESEARCHER):
        _sid, token = add_staff_with_role(srv, role)
        form = {"username": "z-" + secrets.token_hex(4), "display_name": "Z", "role": "admin"}
        assert post(srv, token, "/staff/accounts", form).status_code == 403
        assert member_row(srv, form["username"]) is None


def test_an_account_is_made_in_the_administrators_own_organisation(srv: Server) -> None:
    organisation_id = fresh_organisation(srv)
    _admin_id, admin = add_staff_with_role(srv, Role.ADMIN, organisation_id=organisation_id)
    username, _link, _token = make_account(srv, admin, role="supervisor")
    row = member_row(srv, username)
    assert row.organisation_id == organisation_id and row.role == "supervisor"
    # Its accounts are not on the default organisation's page, and the other way round.
    _default_id, default_admin = add_staff_with_role(srv, Role.ADMIN)
    assert username not in get(srv, default_admin, "/staff/accounts").text
    assert post(srv, default_admin, f"/staff/accounts/{row.id}/new-link").status_code == 404
    assert post(srv, default_admin, f"/staff/accounts/{row.id}/reset-2fa").status_code == 404
    changed = post(srv, default_admin, f"/staff/accounts/{row.id}/role", {"role": "admin"})
    assert changed.status_code == 404
    assert member_row(srv, username).role == "supervisor"


# --- roles ----------------------------------------------------------------------------------------


def test_an_administrator_changes_a_role_audited(srv: Server) -> None:
    admin_id, admin = add_staff_with_role(srv, Role.ADMIN)
    target_id, target = add_staff_with_role(srv, Role.COUNSELOR)
    done = post(srv, admin, f"/staff/accounts/{target_id}/role", {"role": "supervisor"})
    assert (
        done.status_code == 303 and done.headers["location"] == "/staff/accounts?done=role&lang=nl"
    )
    # The member's sessions end (open consoles held the old role); the next sign-in has the new.
    assert get(srv, target, "/staff").status_code == 303
    assert member_row_by_id(srv, target_id).role == "supervisor"
    records = audits(srv, kinds.ACCOUNT_ROLE, target_id)
    assert [(r.actor_id, r.detail) for r in records] == [(admin_id, "from=counselor,to=supervisor")]
    # The same role again changes and audits nothing; an unknown role is refused.
    assert (
        post(srv, admin, f"/staff/accounts/{target_id}/role", {"role": "supervisor"}).status_code
        == 303
    )
    assert len(audits(srv, kinds.ACCOUNT_ROLE, target_id)) == 1
    assert (
        post(srv, admin, f"/staff/accounts/{target_id}/role", {"role": "boss"}).status_code == 400
    )


def test_the_last_administrator_cannot_give_up_the_role(srv: Server) -> None:
    organisation_id = fresh_organisation(srv)
    admin_id, admin = add_staff_with_role(srv, Role.ADMIN, organisation_id=organisation_id)
    refused = post(srv, admin, f"/staff/accounts/{admin_id}/role?lang=en", {"role": "counselor"})
    assert refused.status_code == 400 and "without an administrator" in refused.text
    assert rows(srv, select(staff.c.role).where(staff.c.id == admin_id))[0].role == "admin"
    # A disabled administrator does not count.
    other_id, _other = add_staff_with_role(srv, Role.ADMIN, organisation_id=organisation_id)
    assert post(srv, admin, f"/staff/accounts/{other_id}/disable").status_code == 303
    again = post(srv, admin, f"/staff/accounts/{admin_id}/role", {"role": "counselor"})
    assert again.status_code == 400
    # With another enabled administrator it may.
    assert post(srv, admin, f"/staff/accounts/{other_id}/enable").status_code == 303
    ok = post(srv, admin, f"/staff/accounts/{admin_id}/role", {"role": "counselor"})
    assert ok.status_code == 303
    assert member_row_by_id(srv, admin_id).role == "counselor"
    assert get(srv, admin, "/staff/accounts").status_code == 303  # signed out


def test_two_administrators_demoting_themselves_at_once_leave_one(srv: Server) -> None:
    organisation_id = fresh_organisation(srv)
    first_id, first = add_staff_with_role(srv, Role.ADMIN, organisation_id=organisation_id)
    second_id, second = add_staff_with_role(srv, Role.ADMIN, organisation_id=organisation_id)

    async def demote(staff_id: str, token: str) -> int:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{srv.base}/staff/accounts/{staff_id}/role",
                data={"role": "counselor"},
                headers={"Cookie": f"__Host-baken_s={token}", "Origin": srv.origin},
            )
            return response.status_code

    async def both() -> list[int]:
        return list(await asyncio.gather(demote(first_id, first), demote(second_id, second)))

    assert sorted(run_async(both())) == [303, 400]
    left = rows(
        srv,
        select(staff.c.id).where(
            staff.c.organisation_id == organisation_id, staff.c.role == "admin"
        ),
    )
    assert len(left) == 1


# --- two-step reset ------------------------------------------------------------------------------


def test_resetting_two_step_sign_in_ends_sessions_and_asks_for_enrolment(srv: Server) -> None:
    admin_id, admin = add_staff_with_role(srv, Role.ADMIN)
    username = "r-" + secrets.token_hex(4)
    target_id, target = add_staff_with_role(srv, Role.COUNSELOR, username)
    assert get(srv, target, "/staff").status_code == 200
    done = post(srv, admin, f"/staff/accounts/{target_id}/reset-2fa")
    assert done.status_code == 303
    assert done.headers["location"] == "/staff/accounts?done=reset-2fa&lang=nl"
    assert get(srv, target, "/staff").status_code == 303  # the session has ended
    assert rows(srv, select(staff_totp).where(staff_totp.c.staff_id == target_id)) == []
    records = audits(srv, kinds.ACCOUNT_SECOND_FACTOR_RESET, target_id)
    assert [(r.actor_id, r.organisation_id) for r in records] == [(admin_id, "org_default")]
    again = StaffBrowser(srv).password(username)
    assert again.status_code == 303 and again.headers["location"] == "/staff/enrol"


def test_account_actions_refuse_other_roles(srv: Server) -> None:
    target_id, _target = add_staff_with_role(srv, Role.COUNSELOR)
    for role in (Role.COUNSELOR, Role.SUPERVISOR, Role.RESEARCHER):
        _sid, token = add_staff_with_role(srv, role)
        for action, form in (("role", {"role": "admin"}), ("reset-2fa", {}), ("new-link", {})):
            assert (
                post(srv, token, f"/staff/accounts/{target_id}/{action}", form).status_code == 403
            )
    assert rows(srv, select(staff.c.role).where(staff.c.id == target_id))[0].role == "counselor"


def test_account_writes_from_another_site_are_refused(srv: Server) -> None:
    _admin_id, admin = add_staff_with_role(srv, Role.ADMIN)
    target_id, _target = add_staff_with_role(srv, Role.COUNSELOR)
    for path, form in (
        (
            "/staff/accounts",
            {"username": "evil-" + secrets.token_hex(3), "display_name": "E", "role": "admin"},
        ),
        (f"/staff/accounts/{target_id}/role", {"role": "admin"}),
        (f"/staff/accounts/{target_id}/reset-2fa", {}),
    ):
        response = httpx.post(
            srv.base + path,
            data=form,
            headers={"Cookie": f"__Host-baken_s={admin}", "Origin": "http://evil.example"},
        )
        assert response.status_code == 403, path
    assert rows(srv, select(staff.c.role).where(staff.c.id == target_id))[0].role == "counselor"
