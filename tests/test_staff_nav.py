"""The staff navigation and the staff error page (issue 12), over HTTP on a real server.

The navigation lists exactly the pages a role may open (web/staff_nav.py), and every route answers
accordingly: each listed page opens, each other staff page answers 403 with the staff error page.
A signed-in staff member on a staff page never gets the visitor's error page with quick exit and
112; anyone else still does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from baken.domain.conversation import Role
from baken.web import staff_nav
from tests.browser_support import t
from tests.support import Server, add_staff_with_role, start_server

NAV = re.compile(r'<nav class="staffnav"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a class="staffnav__link" href="([^"]+)"( aria-current="page")?>')


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("staff-nav"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tokens(srv: Server) -> dict[Role, str]:
    return {role: add_staff_with_role(srv, role)[1] for role in Role}


def get(srv: Server, path: str, token: str | None = None) -> httpx.Response:
    headers = {"Cookie": f"__Host-baken_s={token}"} if token else {}
    return httpx.get(srv.base + path, headers=headers, follow_redirects=False)


def nav_links(html: str) -> list[tuple[str, bool]]:
    """(href, is the current page) for each link in the staff navigation."""
    found = NAV.search(html)
    assert found, "no staff navigation on this page"
    return [(href, bool(current)) for href, current in LINK.findall(found.group(1))]


def assert_staff_error_page(response: httpx.Response, status: int, home: str) -> None:
    html = response.text
    assert response.status_code == status, (response.status_code, html[:300])
    assert 'class="page page--staff page--error"' in html
    assert 'id="quick-exit"' not in html and "tel:" not in html and "data-quick-exit" not in html
    assert f'<a class="btn btn--primary" id="staff-home" href="{home}">' in html
    assert nav_links(html), "the staff error page keeps the navigation"


def test_each_role_sees_exactly_the_pages_it_may_open() -> None:
    paths = {role: [page.path for page in staff_nav.pages_for(role)] for role in Role}
    assert paths == {
        Role.COUNSELOR: [
            "/staff",
            "/staff/wellbeing",
            "/staff/referrals",
            "/staff/directory",
            "/staff/police-signals",
            "/staff/password",
            "/staff/security",
        ],
        Role.SUPERVISOR: [
            "/staff",
            "/staff/wellbeing",
            "/staff/referrals",
            "/staff/directory",
            "/research",
            "/staff/figures",
            "/staff/campaigns",
            "/staff/blocks",
            "/staff/police-signals",
            "/staff/password",
            "/staff/security",
        ],
        Role.ADMIN: [
            "/staff",
            "/staff/wellbeing",
            "/staff/referrals",
            "/staff/directory",
            "/research",
            "/staff/figures",
            "/staff/campaigns",
            "/staff/blocks",
            "/staff/police-signals",
            "/staff/hours",
            "/staff/accounts",
            "/staff/organisation",
            "/staff/audit",
            "/staff/password",
            "/staff/security",
        ],
        Role.RESEARCHER: ["/research", "/staff/password", "/staff/security"],
        # Issue 17, item 3: a partner professional's invitations, and their own password.
        Role.PARTNER: ["/staff/partner", "/staff/password"],
    }
    # Platform administrators (the default organisation's) also manage every organisation.
    platform = [page.path for page in staff_nav.pages_for(Role.ADMIN, platform=True)]
    after = paths[Role.ADMIN].index("/staff/organisation") + 1
    assert platform == [
        *paths[Role.ADMIN][:after],
        "/staff/organisations",
        *paths[Role.ADMIN][after:],
    ]
    assert staff_nav.pages_for(Role.SUPERVISOR, platform=True) == staff_nav.pages_for("supervisor")
    assert staff_nav.home_for(Role.RESEARCHER) is staff_nav.RESEARCH
    assert staff_nav.home_for("counselor") is staff_nav.CONSOLE


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_listed_pages_open_and_the_others_give_the_staff_error_page(
    srv: Server, tokens: dict[Role, str], role: Role
) -> None:
    token = tokens[role]
    # These accounts are of the default organisation: its administrator is a platform one.
    listed = [page.path for page in staff_nav.pages_for(role, platform=role is Role.ADMIN)]
    home = staff_nav.home_for(role).path
    for page in staff_nav.PAGES:
        response = get(srv, page.path, token)
        if page.path in listed:
            assert response.status_code == 200, (role, page.path, response.status_code)
            links = nav_links(response.text)
            assert [href for href, _ in links] == listed, (role, page.path)
            assert [href for href, current in links if current] == [page.path]
        elif role is Role.PARTNER:
            # A partner professional: every other staff page is one that does not exist.
            assert_staff_error_page(response, 404, home)
        elif page is staff_nav.CONSOLE:
            # Researchers have no chats: the console sends them to their report.
            assert response.status_code == 303 and response.headers["location"] == "/research"
        else:
            assert_staff_error_page(response, 403, home)
            assert t("nl", "You do not have access to this page.") in response.text


@pytest.mark.parametrize("role", [Role.COUNSELOR, Role.SUPERVISOR], ids=lambda role: role.value)
def test_the_audit_log_refuses_a_colleague_with_the_staff_error_page(
    srv: Server, tokens: dict[Role, str], role: Role
) -> None:
    response = get(srv, "/staff/audit?lang=en", tokens[role])
    assert_staff_error_page(response, 403, "/staff")
    assert "You do not have access to this page." in response.text
    assert "Back to the console" in response.text
    assert "Quick exit" not in response.text and "112" not in response.text
    # No link to the page that just refused, and nothing marked as the current page.
    assert all(href != "/staff/audit" and not current for href, current in nav_links(response.text))


def test_an_unknown_staff_page_is_a_staff_404(srv: Server, tokens: dict[Role, str]) -> None:
    assert_staff_error_page(get(srv, "/staff/nowhere", tokens[Role.COUNSELOR]), 404, "/staff")
    researcher = get(srv, "/research/2021/report.doc", tokens[Role.RESEARCHER])
    assert_staff_error_page(researcher, 404, "/research")
    assert t("nl", "Back to the research report") in researcher.text


def test_a_server_error_on_a_staff_page_is_a_staff_500(
    srv: Server, tokens: dict[Role, str]
) -> None:
    async def broken() -> None:
        raise RuntimeError("a bug in a staff page")

    # uvicorn keeps the app it was given; a route added now is served like any other.
    app = srv._server.config.app
    assert isinstance(app, FastAPI)
    app.add_api_route("/staff/broken-for-test", broken, methods=["GET"])
    response = get(srv, "/staff/broken-for-test", tokens[Role.SUPERVISOR])
    assert_staff_error_page(response, 500, "/staff")
    assert "a bug" not in response.text
    visitor = get(srv, "/staff/broken-for-test")
    assert visitor.status_code == 500 and 'id="quick-exit"' in visitor.text


def test_everyone_else_keeps_the_visitor_error_page(srv: Server, tokens: dict[Role, str]) -> None:
    # Without a staff session (a visitor who typed the address, an ended session) ...
    for token in (None, "not-a-session"):
        response = get(srv, "/staff/nowhere", token)
        assert response.status_code == 404
        assert 'id="quick-exit"' in response.text and 'href="tel:112"' in response.text
        assert "staffnav" not in response.text
    # ... and outside the staff pages, even for staff: those addresses are the visitor's.
    outside = get(srv, "/nowhere", tokens[Role.ADMIN])
    assert outside.status_code == 404 and 'id="quick-exit"' in outside.text
