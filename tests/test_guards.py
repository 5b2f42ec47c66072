"""The routes' guards (web/guards.py, issue 13 item 4) answer exactly as the routes did before
them: the same status, the same redirect, the same JSON body byte for byte, the same error page,
and in the same order when two of them refuse. tests/test_authorization_matrix.py checks every
route's status for every role; this checks the answers' bodies and the order of the guards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from baken.domain.conversation import Role
from tests.support import Server, add_staff_with_role, start_server

EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp: Path = tmp_path_factory.mktemp("guards")
    srv = start_server(tmp)
    yield srv
    srv.stop()


def _get(server: Server, path: str, token: str | None = None) -> httpx.Response:
    cookies = {"__Host-baken_s": token} if token else {}
    return httpx.get(server.base + path, headers=_cookie(cookies), follow_redirects=False)


def _send(
    server: Server, method: str, path: str, token: str | None = None, origin: str | None = None
) -> httpx.Response:
    headers = _cookie({"__Host-baken_s": token} if token else {})
    headers["Origin"] = origin or server.origin
    return httpx.request(method, server.base + path, headers=headers, json={})


def _cookie(cookies: dict[str, str]) -> dict[str, str]:
    # httpx keeps __Host- cookies off plain http: the header itself, as tests/support.py does.
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


def test_a_json_api_without_a_session_or_with_a_role_that_may_not(server: Server) -> None:
    _, researcher = add_staff_with_role(server, Role.RESEARCHER)
    missing = _get(server, "/api/canned")
    assert (missing.status_code, missing.content) == (401, b'{"error":"not_signed_in"}')
    refused = _get(server, "/api/canned", researcher)
    assert (refused.status_code, refused.content) == (403, b'{"error":"forbidden"}')
    hours = _get(server, "/api/service-hours", researcher)
    assert (hours.status_code, hours.content) == (403, b'{"error":"forbidden"}')


def test_writes_from_another_site_get_each_route_s_own_refusal(server: Server) -> None:
    _, counselor = add_staff_with_role(server, Role.COUNSELOR)
    staff_api = _send(server, "POST", "/api/canned", counselor, EVIL)
    assert (staff_api.status_code, staff_api.content) == (403, b'{"error":"bad_origin"}')
    # The left messages' reply shares the visitor API's body reader, and its answer.
    reply = _send(server, "POST", "/api/left-messages/x/reply", counselor, EVIL)
    assert (reply.status_code, reply.content) == (403, b'{"error":"forbidden_origin"}')
    visitor_api = _send(server, "POST", "/api/visitor/start", origin=EVIL)
    assert (visitor_api.status_code, visitor_api.content) == (403, b'{"error":"forbidden_origin"}')
    visitor_form = httpx.post(
        server.base + "/start?lang=pl", headers={"Origin": EVIL}, data={"nickname": "x"}
    )
    assert visitor_form.status_code == 403
    assert '<html lang="pl"' in visitor_form.text and "quick-exit" in visitor_form.text
    staff_form = httpx.post(
        server.base + "/staff/password?lang=en",
        headers={"Origin": EVIL, **_cookie({"__Host-baken_s": counselor})},
        data={},
    )
    assert staff_form.status_code == 403 and '<html lang="en"' in staff_form.text


def test_staff_pages_send_to_sign_in_and_refuse_with_the_403_page(server: Server) -> None:
    _, counselor = add_staff_with_role(server, Role.COUNSELOR)
    missing = _get(server, "/staff/audit")
    assert (missing.status_code, missing.headers["location"]) == (303, "/staff/login")
    refused = _get(server, "/staff/audit?lang=en", counselor)
    assert refused.status_code == 403 and '<html lang="en"' in refused.text
    # Downloads do not send anyone to the sign-in page: 403 without a session too.
    download = _get(server, "/research/2021/report.csv")
    assert download.status_code == 403 and "location" not in download.headers


def test_a_partner_professional_gets_the_404_of_a_page_that_does_not_exist(server: Server) -> None:
    _, partner = add_staff_with_role(server, Role.PARTNER)
    for path in ("/staff/audit", "/api/canned", "/staff"):
        assert _get(server, path, partner).status_code == 404, path
    assert _get(server, "/staff/password", partner).status_code == 200


def test_the_guards_run_in_the_order_the_route_checked(server: Server) -> None:
    # Lifting a block checked the origin first, changing a canned text the session first: a
    # cross-site request without a session still gets the answer it got before the guards.
    lift = _send(server, "POST", "/staff/blocks/b_1/lift", origin=EVIL)
    assert lift.status_code == 403
    update = _send(server, "PUT", "/api/canned/c_1", origin=EVIL)
    assert (update.status_code, update.content) == (401, b'{"error":"not_signed_in"}')
    # The object check of a canned text came before its origin check, and still does.
    _, counselor = add_staff_with_role(server, Role.COUNSELOR)
    foreign = _send(server, "PUT", "/api/canned/c_1", counselor, EVIL)
    assert (foreign.status_code, foreign.content) == (404, b'{"error":"not_found"}')
