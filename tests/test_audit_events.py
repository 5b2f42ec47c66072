"""Every audited action leaves the expected record; the audit page is for administrators only
(issue 5, part 3)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from baken.audit import kinds
from baken.audit.chain import AuditRecord
from baken.cli import app as cli_app
from baken.domain.conversation import Role
from baken.store.audit_repo import AuditFilter, AuditLog
from baken.store.database import Database
from baken.store.tables import audit_log
from tests.registration_helpers import World, utc
from tests.staff_login_helpers import StaffBrowser
from tests.support import (
    PASSWORD,
    Server,
    add_staff_with_role,
    assigned_conversation,
    counselor,
    run_async,
    visitor,
)


def records(
    server: Server, actor_id: str | None = None, kind: str | None = None
) -> list[AuditRecord]:
    """Records of one actor (or kind), oldest first."""

    async def read() -> list[AuditRecord]:
        db = Database(server.settings)
        try:
            page = await AuditLog(db).page(AuditFilter(actor_id=actor_id, kind=kind), limit=1000)
            return list(reversed(page))
        finally:
            await db.dispose()

    found: list[AuditRecord] = run_async(read())
    return found


def verified(server: Server) -> bool:
    async def verify() -> bool:
        db = Database(server.settings)
        try:
            return (await AuditLog(db).verify()).ok
        finally:
            await db.dispose()

    ok: bool = run_async(verify())
    return ok


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_s={token}"}


async def test_taking_and_opening_a_chat_is_audited_and_sending_is_not(server: Server) -> None:
    staff_id, token = server.add_staff()
    conversation_id, visitor_token = server.start_visitor("Sam")
    guest = await visitor(server, visitor_token)
    desk = await counselor(server, token)
    await desk.send({"type": "accept", "conversation_id": conversation_id})
    await desk.expect("accepted", conversation_id=conversation_id)
    await guest.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "m1", "text": "hoi"}
    )
    await desk.expect_message(conversation_id, "visitor")
    await desk.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "m2", "text": "dag"}
    )
    await desk.expect("ack", client_msg_id="m2")
    assert [r.kind for r in records(server, staff_id)] == [kinds.CONVERSATION_ACCEPT]

    # A second tab reads the transcript: one record, however often that socket syncs.
    tab = await counselor(server, token)
    for _ in range(2):
        await tab.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
        await tab.expect("messages", conversation_id=conversation_id)
    mine = records(server, staff_id)
    assert [r.kind for r in mine] == [kinds.CONVERSATION_ACCEPT, kinds.CONVERSATION_READ]
    assert all(r.object_type == "conversation" and r.object_id == conversation_id for r in mine)
    assert all(r.actor_role == "counselor" for r in mine)
    # Never content: neither the nickname nor a message is anywhere in the record.
    assert not any("hoi" in str(r) or "Sam" in str(r) for r in mine)

    # Somebody else's conversation: refused, and nothing is recorded for it.
    other_id, other_token = server.add_staff()
    stranger = await counselor(server, other_token)
    await stranger.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
    await stranger.expect("error", code="not_a_participant")
    assert records(server, other_id) == []
    for client in (guest, desk, tab, stranger):
        await client.close()
    assert verified(server)


def test_registration_reads_and_changes_are_audited(sqlite_server: Server) -> None:
    server = sqlite_server
    staff_id, token = server.add_staff()
    conversation_id = assigned_conversation(server, staff_id)
    path = f"{server.base}/api/conversations/{conversation_id}/registration"
    assert httpx.get(path, headers=_cookie(token)).status_code == 200
    saved = httpx.put(
        path,
        json={"version": 0, "values": {"contact_role": "self"}},
        headers={**_cookie(token), "Origin": server.origin},
    )
    assert saved.status_code == 200, saved.text
    found = records(server, staff_id)
    assert [(r.kind, r.object_type, r.object_id) for r in found] == [
        (kinds.REGISTRATION_READ, "registration", conversation_id),
        (kinds.REGISTRATION_CHANGE, "registration", conversation_id),
    ]
    # Who changed which fields; never the values themselves.
    assert found[1].detail == "version=1 fields=contact_role"
    again = httpx.put(
        path,
        json={"version": 1, "values": {"contact_role": "self", "language": "en"}},
        headers={**_cookie(token), "Origin": server.origin},
    )
    assert again.status_code == 200, again.text
    assert records(server, staff_id)[-1].detail == "version=2 fields=language"


@pytest.fixture(scope="module")
def reported_year(sqlite_server: Server) -> int:
    """Seven registered people in 2021 in the shared SQLite server's database."""

    async def fill() -> None:
        world = await World(sqlite_server.settings).start()
        try:
            for day in range(1, 8):
                await world.person(
                    utc(2021, 3, day, 20),
                    trafficking_request="yes",
                    victim_assessment="victim",
                    contact_role="self",
                )
        finally:
            await world.close()

    run_async(fill())
    return 2021


def test_report_views_downloads_and_exports_are_audited(
    sqlite_server: Server, reported_year: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = sqlite_server
    researcher_id, token = add_staff_with_role(server, Role.RESEARCHER)
    page = httpx.get(f"{server.base}/research?year={reported_year}", headers=_cookie(token))
    assert page.status_code == 200
    download = httpx.get(
        f"{server.base}/research/{reported_year}/report.csv", headers=_cookie(token)
    )
    assert download.status_code == 200
    assert [(r.kind, r.object_id, r.detail) for r in records(server, researcher_id)] == [
        (kinds.REPORT_VIEW, "2021", None),
        (kinds.REPORT_DOWNLOAD, "2021", "fmt=csv rule=first-seen"),
    ]

    monkeypatch.setenv("BAKEN_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.delenv("BAKEN_DATABASE_URL", raising=False)
    before = len(records(server, kind=kinds.REPORT_EXPORT))
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        cli_app, ["report", "--year", str(reported_year), "--format", "json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    exports = records(server, kind=kinds.REPORT_EXPORT)
    assert len(exports) == before + 1
    assert exports[-1].actor_role == "operator" and exports[-1].actor_id.startswith("os:")  # type: ignore[union-attr]
    assert exports[-1].detail == "fmt=json threshold=5 rule=first-seen"


def test_sign_ins_are_audited_and_unknown_usernames_are_not_written_down(
    sqlite_server: Server,
) -> None:
    server = sqlite_server
    username = "audit-anna"
    staff_id, _ = add_staff_with_role(server, Role.COUNSELOR, username)
    browser = StaffBrowser(server)
    wrong = browser.password(username, "not the password at all")
    assert wrong.status_code == 401
    unknown_name = "nobody-" + "x" * 8
    assert StaffBrowser(server).password(unknown_name, PASSWORD).status_code == 401
    browser.sign_in(username)
    assert [(r.kind, r.detail) for r in records(server, staff_id)] == [
        (kinds.LOGIN_FAILURE, "step=password"),
        (kinds.LOGIN_SUCCESS, None),
    ]

    async def everything() -> list[str]:
        db = Database(server.settings)
        try:
            async with db.reader.connect() as conn:
                rows = (await conn.execute(select(audit_log))).all()
            return [repr(tuple(row)) for row in rows]
        finally:
            await db.dispose()

    dump = run_async(everything())
    assert not any(unknown_name in row for row in dump)
    assert any(
        r.kind == kinds.LOGIN_FAILURE and r.actor_id is None
        for r in records(server, kind=kinds.LOGIN_FAILURE)
    )


def test_account_changes_are_audited(
    sqlite_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = sqlite_server
    admin_id, admin_token = add_staff_with_role(server, Role.ADMIN)
    target_id, _ = server.add_staff()
    response = httpx.post(
        f"{server.base}/staff/accounts/{target_id}/disable",
        headers={**_cookie(admin_token), "Origin": server.origin},
    )
    assert response.status_code == 303
    assert [(r.kind, r.object_id) for r in records(server, admin_id)] == [
        (kinds.ACCOUNT_DISABLE, target_id)
    ]

    monkeypatch.setenv("BAKEN_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.delenv("BAKEN_DATABASE_URL", raising=False)
    result = CliRunner().invoke(
        cli_app,
        ["user", "add", "audit-new", "--name", "Nina", "--role", "supervisor", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    created = records(server, kind=kinds.ACCOUNT_CREATE)[-1]
    assert created.actor_role == "operator"
    assert created.object_type == "staff" and created.detail == "role=supervisor"
    assert created.object_id is not None and created.object_id.startswith("s")


def test_the_audit_page_is_for_administrators_only(sqlite_server: Server) -> None:
    server = sqlite_server
    page = f"{server.base}/staff/audit"
    anonymous = httpx.get(page)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/staff/login"
    for role in (Role.COUNSELOR, Role.SUPERVISOR, Role.RESEARCHER):
        _, token = add_staff_with_role(server, role)
        assert httpx.get(page, headers=_cookie(token)).status_code == 403, role

    admin_id, token = add_staff_with_role(server, Role.ADMIN, "audit-admin", "Ada")
    counselor_id, counselor_token = server.add_staff()
    assigned = assigned_conversation(server, counselor_id)
    httpx.get(
        f"{server.base}/api/conversations/{assigned}/registration",
        headers=_cookie(counselor_token),
    )
    shown = httpx.get(page + "?lang=en", headers=_cookie(token))
    assert shown.status_code == 200
    assert "Audit log" in shown.text and "Read a registration" in shown.text
    assert assigned in shown.text

    only_reads = httpx.get(
        page + f"?kind={kinds.REGISTRATION_READ}&lang=en", headers=_cookie(token)
    )
    kinds_shown = set(re.findall(r'data-kind="([a-z._]+)"', only_reads.text))
    assert kinds_shown == {kinds.REGISTRATION_READ}

    by_name = httpx.get(page + "?actor=audit-admin&lang=en", headers=_cookie(token))
    actors = set(re.findall(r'data-actor="([^"]*)"', by_name.text))
    assert actors == {admin_id}  # the admin's own earlier page views

    future = httpx.get(page + "?from=2999-01-01", headers=_cookie(token))
    assert future.status_code == 200 and 'data-kind="' not in future.text
    assert httpx.get(page + "?from=yesterday", headers=_cookie(token)).status_code == 400
    assert httpx.get(page + "?kind=<script>", headers=_cookie(token)).status_code == 400

    # Paging: 50 a page, then a link to older records that continues below the last id shown.
    for _ in range(55):
        httpx.get(page + "?kind=logout", headers=_cookie(token))
    first = httpx.get(page + "?actor=audit-admin", headers=_cookie(token))
    ids = [int(x) for x in re.findall(r"<tr data-kind[^>]*>\s*<td>(\d+)</td>", first.text)]
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)
    older = re.search(r'id="audit-older" href="([^"]+)"', first.text)
    assert older is not None
    second = httpx.get(server.base + older.group(1).replace("&amp;", "&"), headers=_cookie(token))
    more = [int(x) for x in re.findall(r"<tr data-kind[^>]*>\s*<td>(\d+)</td>", second.text)]
    assert more and max(more) < min(ids)
