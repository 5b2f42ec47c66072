"""Issue 18, item 1: /launcher.js over HTTP — its size budget, its headers, what it must never use.
(The browser test, tests/test_browser_launcher.py, runs it on a strict-CSP partner page.)"""

from __future__ import annotations

import gzip
import json
import re

import httpx

from baken.i18n import VISITOR_LANGUAGES
from baken.web.launcher_routes import TEXTS, launcher_body
from tests.support import Server

GZIP_BUDGET = 5 * 1024


def test_it_is_small_and_holds_every_language() -> None:
    body, _etag = launcher_body()
    assert len(gzip.compress(body, 9)) < GZIP_BUDGET
    table = json.loads(re.search(rb"var TEXTS = (\{.*?\});\n", body).group(1))  # type: ignore[union-attr]
    assert set(table) == set(VISITOR_LANGUAGES)
    for lang, texts in table.items():
        assert set(TEXTS) <= set(texts), lang
        assert all(texts[key] for key in TEXTS), lang
    assert table["ar"]["dir"] == "rtl"
    assert table["nl"]["chat"] == "Chat anoniem"


def test_it_uses_no_storage_no_html_and_no_frames() -> None:
    source = launcher_body()[0].decode()
    for forbidden in (
        "document.cookie",
        "localStorage",
        "sessionStorage",
        "indexedDB",
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "iframe",
        "eval(",
        'setAttribute("style"',
    ):
        assert forbidden not in source, forbidden
    assert '"noopener,noreferrer"' in source
    assert 'credentials: "omit"' in source


def test_headers_let_partner_pages_load_and_cache_it(sqlite_server: Server) -> None:
    response = httpx.get(sqlite_server.base + "/launcher.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["content-encoding"] == "gzip"
    assert response.num_bytes_downloaded < GZIP_BUDGET
    assert "set-cookie" not in response.headers
    again = httpx.get(
        sqlite_server.base + "/launcher.js", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    # Everything else keeps same-origin and no-store.
    page = httpx.get(sqlite_server.base + "/")
    assert page.headers["cross-origin-resource-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    # Under an organisation's prefix there is no launcher: one address per installation.
    assert httpx.get(sqlite_server.base + "/o/default/launcher.js").status_code == 404
