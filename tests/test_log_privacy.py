"""Logs (issue 5, part 7): every log record of a full flow on a real server — a visitor's start
with proof-of-work, chat both ways, a return code issued and used, quick exit, a staff sign-in with
password and authenticator code, sign-out — at debug level with uvicorn's loggers included, and
none of them holds the address, user agent, texts, code, password, TOTP code or any token."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect

from baken.abuse.proof_of_work import solve
from baken.logging_setup import QUIET_LIBRARIES, JsonFormatter, TextFormatter, configure
from tests.support import PASSWORD, Client, Server, start_server

CANARY_IP = "203.0.113.77"
CANARY_UA = "CanaryPhone/7.7 (ua-canary-3141)"
NICKNAME = "nick-canary-2718"
VISITOR_TEXT = "visitor text canary 1618"
COUNSELOR_TEXT = "counselor text canary 1414"
WRONG_PASSWORD = "wrong password canary 5772"


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def kept() -> Iterator[Keep]:
    """The production logging set-up at its most talkative, plus a handler that keeps every
    record as it was made (before the address scrubber)."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    names = (*QUIET_LIBRARIES, "uvicorn", "uvicorn.error")
    saved_levels = {name: logging.getLogger(name).level for name in names}
    configure("debug", "json")
    keep = Keep()
    root.addHandler(keep)
    try:
        yield keep
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, value in saved_levels.items():
            logging.getLogger(name).setLevel(value)


def cookie(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        key, rest = header.split("=", 1)
        if key == name:
            return rest.split(";", 1)[0]
    raise AssertionError(f"no {name} cookie in {response.headers}")


class Person:
    """An HTTP client that sends the canary address and user agent on every request."""

    def __init__(self, srv: Server) -> None:
        self.srv = srv
        self.cookies: dict[str, str] = {}

    def headers(self) -> dict[str, str]:
        headers = {
            "Origin": self.srv.origin,
            "User-Agent": CANARY_UA,
            "X-Forwarded-For": CANARY_IP,
            "Referer": self.srv.base + "/?from=canary-referer",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.srv.base, timeout=15) as client:
            response = await client.request(method, path, headers=self.headers(), **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, rest = header.split("=", 1)
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "max-age=0" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    async def proof(self) -> dict[str, Any]:
        return solve((await self.request("GET", "/api/visitor/challenge")).json())

    async def socket(self, path: str) -> Client:
        ws = await connect(
            f"ws://127.0.0.1:{self.srv.port}{path}",
            additional_headers={
                k: v for k, v in self.headers().items() if k not in ("Origin", "Referer")
            },
            origin=self.srv.origin,  # type: ignore[arg-type]
            user_agent_header=CANARY_UA,
            compression=None,
        )
        client = Client(ws)
        await client.expect("welcome")
        return client


async def test_no_log_record_of_a_full_flow_holds_anything_identifying(
    tmp_path: Path, kept: Keep
) -> None:
    srv = start_server(
        tmp_path, proof_of_work=True, pow_base_number=1_000, trusted_proxies=["127.0.0.1"]
    )
    try:
        secrets_seen = await full_flow(srv)
        app: Any = srv._server.config.app  # the FastAPI app, with this process's daily key
        address_hash = app.state.address_keys.hash_of(ip_address(CANARY_IP))
    finally:
        srv.stop()
    canaries = [
        CANARY_IP,
        CANARY_UA,
        "ua-canary-3141",
        "canary-referer",
        NICKNAME,
        VISITOR_TEXT,
        COUNSELOR_TEXT,
        PASSWORD,
        WRONG_PASSWORD,
        address_hash,
        *secrets_seen,
    ]
    assert len(kept.records) > 20
    loggers = {record.name for record in kept.records}
    assert any(name.startswith("uvicorn") for name in loggers), loggers
    json_lines, text_lines = JsonFormatter(), TextFormatter()
    for record in kept.records:
        texts = [
            record.getMessage(),
            str(record.msg),
            repr(record.args),
            json_lines.format(record),
            text_lines.format(record),
        ]
        for canary in canaries:
            for text in texts:
                assert canary not in text, f"{canary!r} logged by {record.name}: {text!r}"
    # The JSON lines are JSON.
    assert all(orjson.loads(json_lines.format(record)) for record in kept.records)


async def full_flow(srv: Server) -> list[str]:
    """Run the flow; returns the secrets it saw (tokens, codes) to look for in the logs."""
    seen: list[str] = []
    visitor = Person(srv)
    assert (await visitor.request("GET", "/")).status_code == 200
    started = await visitor.request(
        "POST", "/api/visitor/start", json={"nickname": NICKNAME, "pow": await visitor.proof()}
    )
    assert started.status_code == 200, started.text
    conversation_id = started.json()["conversation"]["id"]
    seen.append(visitor.cookies["__Host-baken_v"])

    # Staff: a wrong password first, then password and authenticator code.
    username = "canary-staff"
    srv.add_staff(username=username, display_name="Anna")
    staff = Person(srv)
    wrong = await staff.request(
        "POST", "/staff/login", data={"username": username, "password": WRONG_PASSWORD}
    )
    assert wrong.status_code == 401
    first = await staff.request(
        "POST", "/staff/login", data={"username": username, "password": PASSWORD}
    )
    assert first.status_code == 303, first.text
    seen.append(staff.cookies["__Host-baken_p"])
    code = srv.totp_code(username)
    seen.append(code)
    second = await staff.request("POST", "/staff/login/code", data={"code": code})
    assert second.status_code == 303, second.text
    seen.append(staff.cookies["__Host-baken_s"])
    seen.append(staff.cookies["__Host-baken_d"])

    # The chat, both ways.
    anna = await staff.socket("/ws/staff")
    await anna.send({"type": "accept", "conversation_id": conversation_id})
    await anna.expect("accepted")
    v = await visitor.socket("/ws/visitor")
    await v.send({"type": "sync", "conversation_id": conversation_id, "after_seq": 0})
    await v.expect("messages")
    await v.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": "a",
            "text": VISITOR_TEXT,
        }
    )
    await v.expect("ack")
    assert (await anna.expect_message(conversation_id, "visitor"))["message"][
        "text"
    ] == VISITOR_TEXT
    await anna.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": "b",
            "text": COUNSELOR_TEXT,
        }
    )
    got = await v.expect_message(conversation_id, "counselor")
    assert got["message"]["text"] == COUNSELOR_TEXT

    # A return code, the end, and coming back with it.
    await v.send({"type": "request_code", "conversation_id": conversation_id})
    return_code = (await v.expect("return_code"))["code"]
    seen.append(return_code)
    await anna.send({"type": "end", "conversation_id": conversation_id})
    await anna.expect("ended")
    await v.close()
    back = await visitor.request(
        "POST", "/api/visitor/return", json={"code": return_code, "pow": await visitor.proof()}
    )
    assert back.status_code == 200, back.text
    seen.append(visitor.cookies["__Host-baken_v"])

    # Quick exit, and the counselor signs out.
    leave = await visitor.request("GET", "/exit")
    assert leave.status_code == 303
    await anna.close()
    out = await staff.request("POST", "/staff/logout")
    assert out.status_code == 303
    return seen
