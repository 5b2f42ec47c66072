"""The poster's address, /c/<CODE>, leads to the chat's entry page: known, unknown, malformed or
hostile codes alike, never an error page, and a malformed code is never echoed back."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.support import Server

CODES = [
    "school-2027",
    "unknown",
    "<script>alert(1)</script>",
    "x" * 10_000,
    "%00",
    "a/../../staff",
]


@pytest.mark.parametrize("code", CODES, ids=range(len(CODES)))
def test_every_campaign_code_leads_to_the_entry_page(sqlite_server: Server, code: str) -> None:
    url = f"{sqlite_server.base}/c/{quote(code, safe='')}"
    response = httpx.get(url, follow_redirects=False, timeout=30)
    assert response.status_code == 303
    # Issue 18: the counted code goes on in the address; a malformed one only as "unknown".
    expected = "school-2027" if code == "school-2027" else "unknown"
    assert response.headers["location"] == f"/?c={expected}"
    assert code not in response.text
    landing = httpx.get(url, follow_redirects=True, timeout=30)
    assert landing.status_code == 200
    assert 'id="start-form"' in landing.text
    assert "set-cookie" not in response.headers  # nothing about the visit is kept on the device
