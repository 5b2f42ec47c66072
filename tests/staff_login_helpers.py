"""A tiny cookie-keeping HTTP client for the staff sign-in tests.

httpx keeps ``Secure`` cookies off plain http, and the test server speaks plain http on
127.0.0.1, so this client reads ``Set-Cookie`` itself, as a browser on localhost would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import httpx

from tests.support import PASSWORD, Server

SECRET_PATTERN = re.compile(r'<code id="totp-secret"[^>]*>([A-Z2-7 ]+)</code>')
RECOVERY_PATTERN = re.compile(r"<li><code>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</code></li>")


@dataclass
class StaffBrowser:
    server: Server
    cookies: dict[str, str] = field(default_factory=dict)

    def _remember(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            name, rest = header.split("=", 1)
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "max-age=0" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def _headers(self) -> dict[str, str]:
        headers = {"Origin": self.server.origin}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def get(self, path: str) -> httpx.Response:
        response = httpx.get(self.server.base + path, headers=self._headers())
        self._remember(response)
        return response

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        response = httpx.post(self.server.base + path, data=data, headers=self._headers())
        self._remember(response)
        return response

    def password(self, username: str, password: str = PASSWORD) -> httpx.Response:
        return self.post("/staff/login", {"username": username, "password": password})

    def code(self, code: str) -> httpx.Response:
        return self.post("/staff/login/code", {"code": code})

    def sign_in(self, username: str) -> str:
        """Both steps with the account's next authenticator code; returns the session token."""
        first = self.password(username)
        assert first.status_code == 303 and first.headers["location"] == "/staff/login/code"
        second = self.code(self.server.totp_code(username))
        assert second.status_code == 303, second.text
        return self.session

    @property
    def session(self) -> str:
        return self.cookies["__Host-baken_s"]
