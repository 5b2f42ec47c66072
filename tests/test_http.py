"""Pages and HTTP routes: headers, cookies, the start form, quick exit, staff login."""

from __future__ import annotations

import logging

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.support import PASSWORD, Server, counselor, open_socket, visitor

# Loggers of the test's own clients, which of course know what they sent.
CLIENT_LOGGERS = ("websockets.client", "httpx", "httpcore")


def _cookie(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(name + "="):
            return header
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


def test_every_page_has_the_safety_headers(sqlite_server: Server) -> None:
    for path in ("/", "/staff/login", "/static/visitor.js", "/does-not-exist"):
        response = httpx.get(sqlite_server.base + path)
        headers = response.headers
        assert headers["cache-control"] == "no-store", path
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cross-origin-opener-policy"] == "same-origin"
        assert "camera=()" in headers["permissions-policy"]
        # Browsers ignore it over plain HTTP, so it is always sent: behind TLS it must be there.
        assert headers["strict-transport-security"].startswith("max-age=")
        assert "server" not in headers


def test_visitor_page_is_dutch_by_default_and_follows_the_browser(sqlite_server: Server) -> None:
    nl = httpx.get(sqlite_server.base + "/")
    assert '<html lang="nl"' in nl.text
    assert "112" in nl.text
    en = httpx.get(sqlite_server.base + "/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en"' in en.text
    switched = httpx.get(sqlite_server.base + "/?lang=en")
    assert '<html lang="en"' in switched.text
    # The page never loads anything from elsewhere.
    for page in (nl.text, en.text):
        assert "http://" not in page.replace(sqlite_server.base, "")
        assert "https://" not in page


def test_start_form_sets_a_strict_session_cookie_and_resumes(sqlite_server: Server) -> None:
    response = httpx.post(
        sqlite_server.base + "/start",
        data={"nickname": "<img src=x onerror=alert(1)>", "lang": "nl"},
        headers={"Origin": sqlite_server.origin},
    )
    assert response.status_code == 303
    cookie = _cookie(response, "__Host-baken_v")
    lowered = cookie.lower()
    assert "httponly" in lowered and "secure" in lowered and "samesite=strict" in lowered
    assert "path=/" in lowered and "domain" not in lowered
    assert "max-age" not in lowered and "expires" not in lowered  # a session cookie
    token = cookie.split("=", 1)[1].split(";", 1)[0]
    page = httpx.get(sqlite_server.base + "/", headers={"Cookie": f"__Host-baken_v={token}"})
    assert page.status_code == 200
    # The nickname is in the page only as escaped text.
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text or "&#34;" in page.text
    # Posting again with the cookie does not open a second conversation.
    again = httpx.post(
        sqlite_server.base + "/api/visitor/start",
        json={},
        headers={"Origin": sqlite_server.origin, "Cookie": f"__Host-baken_v={token}"},
    )
    assert again.status_code == 200
    assert "set-cookie" not in again.headers


@pytest.mark.parametrize("origin", [None, "null", "https://evil.example"])
def test_start_refuses_foreign_origins(sqlite_server: Server, origin: str | None) -> None:
    headers = {"Origin": origin} if origin else {}
    response = httpx.post(sqlite_server.base + "/api/visitor/start", json={}, headers=headers)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_form_posts_under_no_referrer_pass_by_fetch_metadata(sqlite_server: Server) -> None:
    # What a browser sends for the page's own form under Referrer-Policy: no-referrer.
    own = httpx.post(
        sqlite_server.base + "/start",
        data={"lang": "nl"},
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    )
    assert own.status_code == 303
    for site in ("cross-site", "same-site", "none"):
        other = httpx.post(
            sqlite_server.base + "/start",
            data={"lang": "nl"},
            headers={"Origin": "null", "Sec-Fetch-Site": site},
        )
        assert other.status_code == 403, site
        assert "set-cookie" not in other.headers


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"nickname": 5}',
        b'{"nickname": "' + b"x" * 41 + b'"}',
        b'{"other": 1}',
        b"x" * 9000,
    ],
)
def test_start_api_bad_input(sqlite_server: Server, body: bytes) -> None:
    response = httpx.post(
        sqlite_server.base + "/api/visitor/start",
        content=body,
        headers={"Origin": sqlite_server.origin, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 413)
    assert "error" in response.json()
    assert "set-cookie" not in response.headers


async def test_quick_exit_ends_the_chat_clears_the_site_and_leaves(sqlite_server: Server) -> None:
    conversation_id, token = sqlite_server.start_visitor()
    _sid, stoken = sqlite_server.add_staff()
    c = await counselor(sqlite_server, stoken)
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted", conversation_id=conversation_id)
    v = await visitor(sqlite_server, token)

    async with httpx.AsyncClient() as http:
        response = await http.get(
            sqlite_server.base + "/exit", headers={"Cookie": f"__Host-baken_v={token}"}
        )
    assert response.status_code == 303
    assert response.headers["location"] == sqlite_server.settings.exit_url
    assert response.headers["clear-site-data"] == '"cache", "cookies", "storage"'
    assert "max-age=0" in _cookie(response, "__Host-baken_v").lower()

    update = await c.expect("conversation")
    while update["conversation"]["state"] != "ended":
        update = await c.expect("conversation")
    assert update["conversation"]["ended_by"] == "quick_exit"
    event = await c.expect_message(conversation_id, "system")
    assert event["message"]["event"] == "ended_quick_exit"
    del v
    # The token is dead: the page shows the start again and the socket is refused.
    page = httpx.get(sqlite_server.base + "/", headers={"Cookie": f"__Host-baken_v={token}"})
    assert 'data-state="start"' in page.text
    with pytest.raises(Exception, match="403"):
        await open_socket(sqlite_server, "/ws/visitor", token)


def test_quick_exit_without_a_chat_still_leaves(sqlite_server: Server) -> None:
    response = httpx.get(sqlite_server.base + "/exit")
    assert response.status_code == 303
    assert response.headers["clear-site-data"]


def test_staff_login_logout_and_console(sqlite_server: Server) -> None:
    _sid, _token = sqlite_server.add_staff("maria", "Maria")
    origin = {"Origin": sqlite_server.origin}
    console = httpx.get(sqlite_server.base + "/staff")
    assert console.status_code == 303 and console.headers["location"] == "/staff/login"

    wrong = httpx.post(
        sqlite_server.base + "/staff/login",
        data={"username": "maria", "password": "wrong password!"},
        headers=origin,
    )
    assert wrong.status_code == 401
    assert "set-cookie" not in wrong.headers
    unknown = httpx.post(
        sqlite_server.base + "/staff/login",
        data={"username": "nobody", "password": PASSWORD},
        headers=origin,
    )
    assert unknown.status_code == 401
    empty = httpx.post(sqlite_server.base + "/staff/login", data={}, headers=origin)
    assert empty.status_code == 400
    foreign = httpx.post(
        sqlite_server.base + "/staff/login",
        data={"username": "maria", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403

    password_ok = httpx.post(
        sqlite_server.base + "/staff/login",
        data={"username": "maria", "password": PASSWORD},
        headers=origin,
    )
    # A correct password alone is no session: it leads to the second step (issue 5).
    assert password_ok.status_code == 303
    assert password_ok.headers["location"] == "/staff/login/code"
    assert "__Host-baken_s=" not in password_ok.headers.get("set-cookie", "")
    pending = _cookie(password_ok, "__Host-baken_p").split("=", 1)[1].split(";", 1)[0]
    ok = httpx.post(
        sqlite_server.base + "/staff/login/code",
        data={"code": sqlite_server.totp_code("maria")},
        headers={**origin, "Cookie": f"__Host-baken_p={pending}"},
    )
    assert ok.status_code == 303
    cookie = _cookie(ok, "__Host-baken_s")
    token = cookie.split("=", 1)[1].split(";", 1)[0]
    session = {"Cookie": f"__Host-baken_s={token}"}
    page = httpx.get(sqlite_server.base + "/staff", headers=session)
    assert page.status_code == 200 and "Maria" in page.text

    out = httpx.post(sqlite_server.base + "/staff/logout", headers={**session, **origin})
    assert out.status_code == 303
    after = httpx.get(sqlite_server.base + "/staff", headers=session)
    assert after.status_code == 303  # the session ended on the server, not just in the browser


async def test_logs_hold_no_address_user_agent_or_content(
    sqlite_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    # What an operator would run with (INFO), plus everything Baken itself says at DEBUG.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="baken")
    agent = "Mozilla/5.0 (Linux; Android 9) TestPhone/1.0"
    secret = "GEHEIM-bericht-over-de-pooier"
    conversation_id, token = sqlite_server.start_visitor("Zonnetje")
    _sid, stoken = sqlite_server.add_staff()
    httpx.get(
        sqlite_server.base + "/", headers={"User-Agent": agent, "Referer": "https://x.example/"}
    )
    httpx.get(sqlite_server.base + "/nope", headers={"User-Agent": agent})
    c = await counselor(sqlite_server, stoken)
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted")
    v = await visitor(sqlite_server, token)
    await v.send(
        {"type": "send", "conversation_id": conversation_id, "client_msg_id": "s", "text": secret}
    )
    await v.expect("ack", client_msg_id="s")
    with pytest.raises(InvalidStatus):
        await open_socket(sqlite_server, "/ws/visitor", token, origin="https://evil.example")
    httpx.get(sqlite_server.base + "/exit", headers={"Cookie": f"__Host-baken_v={token}"})
    server_side = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    # The handshakes above are logged by the server; the capture must have seen them.
    assert any("WebSocket" in r.getMessage() for r in server_side), [r.name for r in server_side]
    assert not [r for r in server_side if r.name == "uvicorn.access"]
    text = "\n".join(r.getMessage() for r in server_side)
    for needle in ("127.0.0.1", agent, "TestPhone", "x.example", secret, "Zonnetje", token, stoken):
        assert needle not in text, needle


def test_health_readiness_and_metrics(sqlite_server: Server) -> None:
    assert httpx.get(sqlite_server.base + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(sqlite_server.base + "/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok"},
        "untrusted_forwarded_for": False,
    }
    metrics = httpx.get(sqlite_server.base + "/metrics").text
    assert "baken_messages_stored_total " in metrics
    assert "baken_websockets_open " in metrics
    assert "c_" not in metrics  # no conversation ids, no labels about people
