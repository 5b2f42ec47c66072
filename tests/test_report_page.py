"""The researcher page and its downloads on a real server: aggregates only, right roles only."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest

from baken.domain.conversation import Role
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.registration_helpers import World, utc
from tests.support import Server, add_staff_with_role, assigned_conversation, run_async

CANARY = "Canary-Nickname-Jolanda"


@pytest.fixture(scope="module")
def seeded_server(sqlite_server: Server) -> Server:
    async def fill() -> None:
        world = await World(sqlite_server.settings).start()
        try:
            for day in range(1, 29):
                await world.person(
                    utc(2021, 1 + day % 12, day, 20),
                    trafficking_request="yes",
                    victim_assessment="victim" if day % 7 else "not_victim",
                    contact_role="self",
                    gender="female" if day % 9 else "male",
                    age=10 + day,
                    exploitation_types=None if day % 7 == 0 else ["sexual"],
                )
        finally:
            await world.close()

    run_async(fill())
    return sqlite_server


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_s={token}"}


def test_researcher_sees_the_report_with_charts_and_downloads(seeded_server: Server) -> None:
    _, token = add_staff_with_role(seeded_server, Role.RESEARCHER)
    page = httpx.get(seeded_server.base + "/research?year=2021&lang=en", headers=_cookie(token))
    assert page.status_code == 200
    html = page.text
    assert "Research report" in html
    assert 'id="table-headline"' in html and 'id="table-gender_type"' in html
    assert "2026.2" in html
    # Charts are same-origin images, no inline script or style anywhere (the CSP allows none).
    charts = [
        src.replace("&amp;", "&")
        for src in re.findall(
            r'src="(/research/2021/chart/[a-z_]+\.png\?lang=en&amp;rule=first-seen)"', html
        )
    ]
    assert charts
    assert '<option value="first-seen" selected>' in html
    older = httpx.get(
        seeded_server.base + "/research?year=2021&lang=en&rule=first-request",
        headers=_cookie(token),
    )
    assert older.status_code == 200
    assert "Counting rule: first-request" in older.text
    assert '<option value="first-request" selected>' in older.text
    assert "<script" not in html.split("</head>")[1]
    assert "style=" not in html and "<style" not in html
    png = httpx.get(seeded_server.base + charts[0], headers=_cookie(token))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    for fmt, kind in (
        ("csv", "text/csv"),
        ("json", "application/json"),
        ("pdf", "application/pdf"),
    ):
        got = httpx.get(seeded_server.base + f"/research/2021/report.{fmt}", headers=_cookie(token))
        assert got.status_code == 200, fmt
        assert got.headers["content-type"].startswith(kind)
        assert "attachment" in got.headers["content-disposition"]
        assert CANARY.encode() not in got.content


def test_dutch_page_and_missing_years(seeded_server: Server) -> None:
    _, token = add_staff_with_role(seeded_server, Role.RESEARCHER)
    nl = httpx.get(seeded_server.base + "/research?lang=nl", headers=_cookie(token))
    assert nl.status_code == 200 and "Onderzoeksrapport" in nl.text
    assert '<option value="2021" selected>' in nl.text  # the latest year by default
    empty = httpx.get(seeded_server.base + "/research?year=2015&lang=en", headers=_cookie(token))
    assert empty.status_code == 200
    assert "There are no registrations with a help request in 2015." in empty.text
    future = date.today().year + 1
    later = httpx.get(
        seeded_server.base + f"/research?year={future}&lang=en", headers=_cookie(token)
    )
    assert f"{future} has not started yet" in later.text
    bad = httpx.get(seeded_server.base + "/research?year=20x1", headers=_cookie(token))
    assert bad.status_code == 400
    assert (
        httpx.get(
            seeded_server.base + "/research/2015/report.pdf", headers=_cookie(token)
        ).status_code
        == 404
    )


def test_counselors_and_visitors_do_not_get_the_research_page(seeded_server: Server) -> None:
    _, counselor = seeded_server.add_staff()
    for path in ("/research", "/research/2021/report.csv", "/research/2021/chart/type.png"):
        assert httpx.get(seeded_server.base + path, headers=_cookie(counselor)).status_code == 403
    anonymous = httpx.get(seeded_server.base + "/research")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/staff/login"
    _, visitor = seeded_server.start_visitor(CANARY)
    with_visitor = {"Cookie": f"__Host-baken_v={visitor}"}
    assert httpx.get(seeded_server.base + "/research/2021/report.csv",
                     headers=with_visitor).status_code == 403  # fmt: skip


def test_supervisors_may_read_the_report_too(seeded_server: Server) -> None:
    _, supervisor = add_staff_with_role(seeded_server, Role.SUPERVISOR)
    assert (
        httpx.get(
            seeded_server.base + "/research?year=2021", headers=_cookie(supervisor)
        ).status_code
        == 200
    )


def test_researchers_never_get_a_single_registration(seeded_server: Server) -> None:
    owner, _ = seeded_server.add_staff()
    conversation_id = assigned_conversation(seeded_server, owner)
    _, researcher = add_staff_with_role(seeded_server, Role.RESEARCHER)
    got = httpx.get(
        seeded_server.base + f"/api/conversations/{conversation_id}/registration",
        headers=_cookie(researcher),
    )
    assert got.status_code == 403


def test_report_is_scoped_to_the_researchers_organisation(seeded_server: Server) -> None:
    from baken.devtools import enrol_second_factor
    from baken.store.database import Database
    from baken.store.staff_repo import StaffRepository
    from tests.support import _PASSWORD_HASH, master_key

    async def other_researcher() -> str:
        db = Database(seeded_server.settings)
        try:
            repo = StaffRepository(db)
            await repo.ensure_organisation("Partner", "org_partner")
            member = await repo.create(
                "res-partner", "Pat", _PASSWORD_HASH, Role.RESEARCHER, "org_partner"
            )
            # Sessions need a second factor (issue 5).
            await enrol_second_factor(db, master_key(seeded_server.settings), member.id)
            return await repo.start_session(member.id)
        finally:
            await db.dispose()

    token: str = run_async(other_researcher())
    page = httpx.get(seeded_server.base + "/research?year=2021&lang=en", headers=_cookie(token))
    assert page.status_code == 200
    assert "There are no registrations with a help request in 2021." in page.text
    assert DEFAULT_ORGANISATION != "org_partner"


def test_a_researcher_cannot_open_the_counselor_socket(seeded_server: Server) -> None:
    from tests.support import open_socket

    _, researcher = add_staff_with_role(seeded_server, Role.RESEARCHER)

    async def attempt() -> bool:
        try:
            client = await open_socket(seeded_server, "/ws/staff", researcher)
        except Exception:
            return False
        try:
            await client.expect("welcome", timeout=3)
            return True
        except Exception:
            return False
        finally:
            await client.close()

    got_in: bool = run_async(attempt())
    assert not got_in, "a researcher could join the live chat socket and so read transcripts"


def test_a_researcher_opening_the_console_lands_on_the_research_page(seeded_server: Server) -> None:
    _, researcher = add_staff_with_role(seeded_server, Role.RESEARCHER)
    console = httpx.get(seeded_server.base + "/staff", headers=_cookie(researcher))
    assert console.status_code == 303 and console.headers["location"] == "/research"
    _, counselor = add_staff_with_role(seeded_server, Role.COUNSELOR)
    assert httpx.get(seeded_server.base + "/staff", headers=_cookie(counselor)).status_code == 200
