"""Issue 16: a 500 page carries the same security headers as every other response (CSP, no-store,
frame and referrer rules). Starlette sends it from ServerErrorMiddleware, outside Baken's own
middleware; tested on a real server with routes that raise, a visitor's and a staff path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from baken.web.security import CONTENT_SECURITY_POLICY
from tests.support import Server, start_server


async def _boom(_request: Request) -> Response:
    raise RuntimeError("a bug in a route")


@pytest.fixture
def broken(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path)
    app = cast(FastAPI, srv._server.config.app)
    app.add_api_route("/broken-for-test", _boom, methods=["GET", "POST"])
    app.add_api_route("/staff/broken-for-test", _boom, methods=["GET"])
    yield srv
    srv.stop()


@pytest.mark.parametrize("path", ["/broken-for-test", "/staff/broken-for-test", "/nowhere"])
def test_error_pages_carry_the_security_headers(broken: Server, path: str) -> None:
    response = httpx.get(broken.base + path, headers={"Accept-Language": "en"})
    assert response.status_code == (404 if path == "/nowhere" else 500)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "RuntimeError" not in response.text and "a bug in a route" not in response.text


def test_a_500_on_a_post_has_them_too_and_the_server_keeps_serving(broken: Server) -> None:
    response = httpx.post(broken.base + "/broken-for-test", headers={"Origin": broken.origin})
    assert response.status_code == 500
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["cache-control"] == "no-store"
    assert httpx.get(broken.base + "/healthz").status_code == 200
