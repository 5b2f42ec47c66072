"""The organisation pages (issue 14) over HTTP on a real server, on SQLite and PostgreSQL.

An organisation's administrator changes their own organisation at /staff/organisation; platform
administrators (the default organisation's) manage every organisation at /staff/organisations.
Every change is audited and reaches visitors at once; every refusal changes nothing.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from markupsafe import escape

from baken.audit import kinds
from baken.audit.chain import AuditRecord
from baken.domain.conversation import Role
from baken.domain.organisation import Organisation
from baken.i18n import translations
from baken.store.audit_repo import AuditFilter, AuditLog
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffMember
from baken.web.staff_nav import ORGANISATION, ORGANISATIONS, is_platform_admin, pages_for
from tests.conftest import server_on
from tests.support import Server, add_staff_with_role, run_async

STAFF_COOKIE = "__Host-baken_s"
NAV_LINK = re.compile(r'<a class="staffnav__link" href="([^"]+)"')


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with server_on(request.param, tmp_path_factory.mktemp(f"org-admin-{request.param}")) as server:
        yield server


# --- helpers --------------------------------------------------------------------------------------


def nl(msgid: str, **values: Any) -> str:
    """A text as the Dutch page shows it, HTML-escaped as the template writes it."""
    text = translations("nl").gettext(msgid)
    return str(escape(text.format(**values) if values else text))


def in_repo(server: Server, work: Any) -> Any:
    async def run() -> Any:
        db = Database(server.settings)
        try:
            return await work(OrganisationRepository(db))
        finally:
            await db.dispose()

    return run_async(run())


def new_organisation(server: Server, **settings: Any) -> Organisation:
    slug = "org-" + secrets.token_hex(3)
    made: Organisation = in_repo(
        server, lambda repo: repo.add(slug, f"Hulplijn {slug}", **settings)
    )
    return made


def organisation(server: Server, organisation_id: str) -> Organisation:
    found: Organisation | None = in_repo(server, lambda repo: repo.by_id(organisation_id))
    assert found is not None
    return found


def records(server: Server, kind: str, object_id: str) -> list[AuditRecord]:
    async def read() -> list[AuditRecord]:
        db = Database(server.settings)
        try:
            page = await AuditLog(db).page(AuditFilter(kind=kind), limit=1000)
            return [record for record in page if record.object_id == object_id]
        finally:
            await db.dispose()

    found: list[AuditRecord] = run_async(read())
    return found


def get(server: Server, path: str, token: str) -> httpx.Response:
    return httpx.get(server.base + path, headers={"Cookie": f"{STAFF_COOKIE}={token}"}, timeout=20)


def post(
    server: Server, path: str, token: str, form: dict[str, str] | None = None
) -> httpx.Response:
    headers = {"Cookie": f"{STAFF_COOKIE}={token}", "Origin": server.origin}
    return httpx.post(server.base + path, data=form or {}, headers=headers, timeout=20)


def visitor_entry(server: Server, slug: str) -> httpx.Response:
    return httpx.get(f"{server.base}/o/{slug}/?lang=nl", timeout=20)


def wait_for_entry_status(server: Server, slug: str, status: int) -> httpx.Response:
    """The entry's answer once it is `status`: the web change forgets this process's cache, and
    other processes re-read within seconds. Waits for the state, never a fixed time."""

    async def poll() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            for _ in range(400):
                response = await client.get(f"{server.base}/o/{slug}/?lang=nl", timeout=20)
                if response.status_code == status:
                    return response
                await asyncio.sleep(0.025)
        raise AssertionError(f"/o/{slug}/ never answered {status}")

    result: httpx.Response = run_async(poll())
    return result


OWN_FORM = {
    "name": "Jeugdlijn Noord",
    "exit_url": "https://www.nu.nl/",
    "emergency_number": "0800 0432",
    "queue_max": "40",
}


# --- who is a platform administrator --------------------------------------------------------------


def _member(role: Role, organisation_id: str) -> StaffMember:
    return StaffMember("s_x", organisation_id, "x", "X", role, True)


def test_only_the_default_organisations_administrators_are_platform_administrators() -> None:
    assert is_platform_admin(_member(Role.ADMIN, DEFAULT_ORGANISATION))
    assert not is_platform_admin(_member(Role.ADMIN, "org_partner"))
    assert not is_platform_admin(_member(Role.SUPERVISOR, DEFAULT_ORGANISATION))
    # The mapping some pages hand their template says the same.
    assert is_platform_admin({"role": "admin", "organisation_id": DEFAULT_ORGANISATION})
    assert not is_platform_admin({"role": "admin", "organisation_id": "org_partner"})
    assert not is_platform_admin({"role": "admin"})
    assert ORGANISATION in pages_for(Role.ADMIN) and ORGANISATIONS not in pages_for(Role.ADMIN)
    assert ORGANISATIONS in pages_for(Role.ADMIN, platform=True)
    assert ORGANISATIONS not in pages_for(Role.SUPERVISOR, platform=True)


# --- one's own organisation -----------------------------------------------------------------------


def test_an_administrator_changes_their_own_organisation_audited_and_seen_at_once(
    srv: Server,
) -> None:
    mine = new_organisation(srv)
    admin_id, token = add_staff_with_role(srv, Role.ADMIN, organisation_id=mine.id)
    page = get(srv, "/staff/organisation", token)
    assert page.status_code == 200
    assert f'value="{mine.name}"' in page.text and f"/o/{mine.slug}/" in page.text
    # Its administrator sees "Organisation" in the menu, not the platform's "Organisations".
    links = NAV_LINK.findall(page.text)
    assert "/staff/organisation" in links and "/staff/organisations" not in links

    # The visitors' page is in this process's organisation cache with the old settings now.
    assert "0800 0432" not in visitor_entry(srv, mine.slug).text

    # Slug and host are not in the form; sent anyway, they are ignored.
    form = {**OWN_FORM, "slug": "gekaapt", "host": "chat.gekaapt.example"}
    saved = post(srv, "/staff/organisation", token, form)
    assert saved.status_code == 303, saved.text[:300]
    assert saved.headers["location"] == "/staff/organisation?done=saved&lang=nl"

    changed = organisation(srv, mine.id)
    assert (changed.name, changed.exit_url, changed.emergency_number, changed.queue_max) == (
        "Jeugdlijn Noord",
        "https://www.nu.nl/",
        "0800 0432",
        40,
    )
    assert (changed.slug, changed.host) == (mine.slug, None)
    [record] = records(srv, kinds.ORGANISATION_CHANGE, mine.id)
    assert record.actor_id == admin_id
    assert record.detail == "changed=emergency_number,exit_url,name,queue_max"
    # This process forgot its cache: the visitors' page shows the new number at once.
    entry = visitor_entry(srv, mine.slug)
    assert entry.status_code == 200 and "0800 0432" in entry.text
    shown = get(srv, "/staff/organisation?done=saved", token)
    assert nl("The settings have been saved.") in shown.text

    # The same values again: nothing changes, nothing is audited.
    again = post(srv, "/staff/organisation", token, OWN_FORM)
    assert again.headers["location"] == "/staff/organisation?done=unchanged&lang=nl"
    assert len(records(srv, kinds.ORGANISATION_CHANGE, mine.id)) == 1

    # Empty fields fall back to the installation's defaults.
    cleared = post(
        srv,
        "/staff/organisation",
        token,
        {"name": "Jeugdlijn", "exit_url": "", "emergency_number": "", "queue_max": ""},
    )
    assert cleared.status_code == 303
    back = organisation(srv, mine.id)
    assert (back.exit_url, back.emergency_number, back.queue_max) == (None, None, None)
    assert back.emergency == "112"


def test_bad_values_are_shown_next_to_their_field_and_nothing_is_saved(srv: Server) -> None:
    mine = new_organisation(srv, emergency_number="0800 1111")
    _admin_id, token = add_staff_with_role(srv, Role.ADMIN, organisation_id=mine.id)
    bad = {
        "name": "   ",
        "exit_url": "http://www.nu.nl/",
        "emergency_number": "bel me",
        "queue_max": "0",
    }
    response = post(srv, "/staff/organisation", token, bad)
    assert response.status_code == 400
    html = response.text
    assert nl("Not saved: check the marked fields.") in html
    expected = {
        "name": nl("Give a name of 1 to 200 characters."),
        "exit_url": nl("Use an address that starts with https://."),
        "emergency_number": nl("Enter a phone number, such as 112 or 0800-0123."),
        "queue_max": nl("Enter a whole number from 1 to {max}.", max="100.000"),
    }
    for field, text in expected.items():
        assert f'<p id="{field}-error" class="field__error">{text}</p>' in html, field
        field_tag = re.search(rf'<input id="{field}"[^>]*>', html)
        assert field_tag is not None, field
        assert 'aria-invalid="true"' in field_tag.group(0), field
        assert f"{field}-error" in field_tag.group(0), field
    # What was typed stays in the form.
    assert 'value="http://www.nu.nl/"' in html and 'value="bel me"' in html
    assert 'value="0"' in html
    assert organisation(srv, mine.id) == mine
    assert records(srv, kinds.ORGANISATION_CHANGE, mine.id) == []

    # One bad field is enough to save nothing.
    one_bad = post(srv, "/staff/organisation", token, {**OWN_FORM, "queue_max": "veel"})
    assert one_bad.status_code == 400 and 'id="queue_max-error"' in one_bad.text
    assert 'id="name-error"' not in one_bad.text
    assert organisation(srv, mine.id) == mine


def test_an_organisation_administrator_cannot_touch_other_organisations(srv: Server) -> None:
    theirs = new_organisation(srv)
    _admin_id, token = add_staff_with_role(srv, Role.ADMIN, organisation_id=theirs.id)
    default_before = organisation(srv, DEFAULT_ORGANISATION)
    other = new_organisation(srv)

    assert get(srv, "/staff/organisations", token).status_code == 403
    attempts = [
        ("/staff/organisations", {"slug": "stiekem", "name": "Stiekem"}),
        (f"/staff/organisations/{DEFAULT_ORGANISATION}/disable", {}),
        (f"/staff/organisations/{other.id}/disable", {}),
        (f"/staff/organisations/{other.id}/enable", {}),
        (f"/staff/organisations/{other.id}/host", {"host": "chat.stiekem.example"}),
        (f"/staff/organisations/{theirs.id}/host", {"host": "chat.eigen.example"}),
    ]
    for path, form in attempts:
        response = post(srv, path, token, form)
        assert response.status_code == 403, (path, response.status_code)
    assert in_repo(srv, lambda repo: repo.by_slug("stiekem")) is None

    # Their own page only ever changes their own organisation, whatever the form names.
    form = {**OWN_FORM, "name": "Eigen naam", "organisation_id": DEFAULT_ORGANISATION}
    assert post(srv, "/staff/organisation", token, form).status_code == 303
    assert organisation(srv, theirs.id).name == "Eigen naam"
    assert organisation(srv, DEFAULT_ORGANISATION) == default_before
    assert organisation(srv, other.id) == other
    for kind in (kinds.ORGANISATION_DISABLE, kinds.ORGANISATION_ENABLE):
        assert records(srv, kind, other.id) == []

    # Other roles get no organisation page at all.
    _id, counselor = add_staff_with_role(srv, Role.SUPERVISOR, organisation_id=theirs.id)
    assert get(srv, "/staff/organisation", counselor).status_code == 403
    assert post(srv, "/staff/organisation", counselor, OWN_FORM).status_code == 403


def test_a_platform_administrator_adds_disables_and_enables_an_organisation(srv: Server) -> None:
    admin_id, token = add_staff_with_role(srv, Role.ADMIN)
    page = get(srv, "/staff/organisations", token)
    assert page.status_code == 200
    assert "/staff/organisations" in NAV_LINK.findall(page.text)

    slug = "noord-" + secrets.token_hex(2)
    added = post(srv, "/staff/organisations", token, {"slug": slug, "name": "Hulplijn Noord"})
    assert added.status_code == 303, added.text[:300]
    assert added.headers["location"] == "/staff/organisations?done=added&lang=nl"
    made = in_repo(srv, lambda repo: repo.by_slug(slug))
    assert made is not None and made.name == "Hulplijn Noord" and made.active
    [add_record] = records(srv, kinds.ORGANISATION_ADD, made.id)
    assert add_record.actor_id == admin_id and add_record.detail == f"slug={slug}"
    listing = get(srv, "/staff/organisations", token).text
    row = re.search(rf'<tr data-slug="{slug}">(.*?)</tr>', listing, re.S)
    assert row is not None
    assert f"/o/{slug}/" in row.group(1) and nl("Active") in row.group(1)
    assert visitor_entry(srv, slug).status_code == 200

    # Its staff count is its active accounts.
    add_staff_with_role(srv, Role.COUNSELOR, organisation_id=made.id)
    listing = get(srv, "/staff/organisations", token).text
    row = re.search(rf'<tr data-slug="{slug}">(.*?)</tr>', listing, re.S)
    assert row is not None and "<td>1</td>" in row.group(1)

    disabled = post(srv, f"/staff/organisations/{made.id}/disable", token)
    assert disabled.headers["location"] == "/staff/organisations?done=disabled&lang=nl"
    unknown = httpx.get(f"{srv.base}/o/no-such-helpline/?lang=nl", timeout=20)
    gone = wait_for_entry_status(srv, slug, 404)
    assert gone.text == unknown.text  # the neutral 404, nothing tells it existed
    assert in_repo(srv, lambda repo: repo.by_id(made.id)).active is False
    assert len(records(srv, kinds.ORGANISATION_DISABLE, made.id)) == 1

    enabled = post(srv, f"/staff/organisations/{made.id}/enable", token)
    assert enabled.headers["location"] == "/staff/organisations?done=enabled&lang=nl"
    assert wait_for_entry_status(srv, slug, 200).status_code == 200
    assert len(records(srv, kinds.ORGANISATION_ENABLE, made.id)) == 1

    # Its host name: set, refused when another organisation has it, removed.
    host = f"chat.{slug}.example"
    set_host = post(srv, f"/staff/organisations/{made.id}/host", token, {"host": host.upper()})
    assert set_host.headers["location"] == "/staff/organisations?done=host&lang=nl"
    assert in_repo(srv, lambda repo: repo.by_id(made.id)).host == host
    by_host = httpx.get(f"{srv.base}/?lang=nl", headers={"Host": host}, timeout=20)
    assert by_host.status_code == 200
    [host_record] = records(srv, kinds.ORGANISATION_CHANGE, made.id)
    assert host_record.detail == "changed=host"
    other = new_organisation(srv)
    taken = post(srv, f"/staff/organisations/{other.id}/host", token, {"host": host})
    assert taken.status_code == 400
    assert nl("This host name is already in use.") in taken.text
    assert f'value="{host}"' in taken.text
    assert organisation(srv, other.id).host is None
    cleared = post(srv, f"/staff/organisations/{made.id}/host", token, {"host": ""})
    assert cleared.status_code == 303
    assert in_repo(srv, lambda repo: repo.by_id(made.id)).host is None


def test_the_add_form_refuses_bad_and_taken_short_names(srv: Server) -> None:
    _admin_id, token = add_staff_with_role(srv, Role.ADMIN)
    existing = new_organisation(srv)
    cases = {
        "Hoofd Letters": "Use 1 to 40 lower-case letters, digits or dashes, "
        "starting and ending with a letter or digit.",
        "staff": "This short name is reserved. Choose another.",
        existing.slug: "This short name is already in use.",
    }
    for slug, message in cases.items():
        before = len(in_repo(srv, lambda repo: repo.all()))
        response = post(srv, "/staff/organisations", token, {"slug": slug, "name": "Nieuw"})
        assert response.status_code == 400, slug
        assert f'<p id="new-slug-error" class="field__error">{nl(message)}</p>' in response.text
        assert f'value="{slug}"' in response.text and 'value="Nieuw"' in response.text
        assert len(in_repo(srv, lambda repo: repo.all())) == before
    no_name = post(srv, "/staff/organisations", token, {"slug": "zonder-naam", "name": ""})
    assert no_name.status_code == 400 and 'id="new-name-error"' in no_name.text
    assert in_repo(srv, lambda repo: repo.by_slug("zonder-naam")) is None


def test_the_default_organisation_cannot_be_disabled(srv: Server) -> None:
    _admin_id, token = add_staff_with_role(srv, Role.ADMIN)
    response = post(srv, f"/staff/organisations/{DEFAULT_ORGANISATION}/disable", token)
    assert response.status_code == 400
    assert nl("The default organisation cannot be disabled.") in response.text
    assert organisation(srv, DEFAULT_ORGANISATION).active
    assert records(srv, kinds.ORGANISATION_DISABLE, DEFAULT_ORGANISATION) == []
    # No button offers it either, and an organisation that does not exist is 404.
    listing = get(srv, "/staff/organisations", token).text
    assert f"/staff/organisations/{DEFAULT_ORGANISATION}/disable" not in listing
    assert post(srv, "/staff/organisations/org_nobody/disable", token).status_code == 404
    assert post(srv, "/staff/organisations/org_nobody/host", token).status_code == 404


def test_writes_from_another_origin_are_refused(srv: Server) -> None:
    mine = new_organisation(srv)
    _admin_id, token = add_staff_with_role(srv, Role.ADMIN)
    headers = {"Cookie": f"{STAFF_COOKIE}={token}", "Origin": "http://evil.example"}
    for path, form in [
        ("/staff/organisation", OWN_FORM),
        ("/staff/organisations", {"slug": "kwaad", "name": "Kwaad"}),
        (f"/staff/organisations/{mine.id}/disable", {}),
        (f"/staff/organisations/{mine.id}/host", {"host": "chat.kwaad.example"}),
    ]:
        response = httpx.post(srv.base + path, data=form, headers=headers, timeout=20)
        assert response.status_code == 403, path
    assert organisation(srv, mine.id) == mine
    assert in_repo(srv, lambda repo: repo.by_slug("kwaad")) is None
