"""Issue 18, item 7: gzip only where no secret is in the response (BREACH), scripts and styles
without their comments, and the staff styles kept off the visitor pages."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from baken.web.compression import compressible
from baken.web.slim_static import slim_css, slim_js
from baken.web.templating import STATIC_DIR
from tests.support import Server

GZIP = {"Accept-Encoding": "gzip"}


def _scope(path: str, method: str = "GET", cookie: bool = False) -> dict[str, object]:
    headers = [(b"cookie", b"__Host-baken_v=secret")] if cookie else []
    return {"type": "http", "method": method, "path": path, "headers": headers}


def test_only_responses_without_secrets_are_compressible() -> None:
    assert compressible(_scope("/static/baken.css"))
    assert compressible(_scope("/"))
    assert compressible(_scope("/launcher.js"))
    # The visitor page with a session may show a conversation or a code.
    assert not compressible(_scope("/", cookie=True))
    # Answers that carry codes, session cookies or reflect what was posted.
    for path in ("/api/visitor/start", "/api/visitor/return", "/chat", "/chat/log", "/staff"):
        assert not compressible(_scope(path)), path
        assert not compressible(_scope(path, "POST")), path
    assert not compressible(_scope("/", "POST"))
    assert not compressible({"type": "websocket", "path": "/ws/visitor", "headers": []})


def test_gzip_on_the_wire_follows_the_rule(sqlite_server: Server) -> None:
    base = sqlite_server.base
    plain = httpx.get(base + "/", headers=GZIP)
    assert plain.headers.get("content-encoding") == "gzip"
    assert "accept-encoding" in plain.headers["vary"].lower()
    with_session = httpx.get(base + "/", headers={**GZIP, "Cookie": "__Host-baken_v=x"})
    assert with_session.status_code == 200
    assert "content-encoding" not in with_session.headers
    started = httpx.post(
        base + "/api/visitor/start", json={"lang": "nl"}, headers={**GZIP, "Origin": base}
    )
    assert "content-encoding" not in started.headers
    staff = httpx.get(base + "/staff/login", headers=GZIP)
    assert "content-encoding" not in staff.headers
    # The security headers stay on a compressed response.
    css = httpx.get(base + "/static/baken.css", headers=GZIP)
    assert css.headers.get("content-encoding") == "gzip"
    assert css.headers["cache-control"] == "no-store"
    assert css.headers["content-type"].startswith("text/css")


def test_static_files_are_sent_without_comments(sqlite_server: Server) -> None:
    js = httpx.get(sqlite_server.base + "/static/visitor.js")
    assert js.headers["content-type"].startswith("text/javascript")
    source = (STATIC_DIR / "visitor.js").read_text()
    assert len(js.text) < len(source)
    assert not any(line.strip().startswith("//") for line in js.text.splitlines())
    assert "export" in js.text or "import" in js.text
    css = httpx.get(sqlite_server.base + "/static/baken.css").text
    assert "/*" not in css and ".quick-exit" in css


def test_slimming_keeps_code_and_strings() -> None:
    code = 'const u = "http://x"; // trailing\n// whole line\n/* block\n  more */\nlet a = 1;\n'
    assert slim_js(code) == 'const u = "http://x"; // trailing\nlet a = 1;\n'
    # A comment whose end is followed by code: the file is left as it is.
    odd = "/* a */ let b = 2;\n"
    assert slim_js(odd) == odd
    assert (
        slim_css("a { color: red; } /* x */\n\n/* y */ b { }\n") == "a { color: red; } \n b { }\n"
    )


def test_static_scripts_have_no_multiline_template_literals() -> None:
    """The line-based slimming relies on this: no line of data can start with // or /*."""
    for script in sorted(STATIC_DIR.glob("*.js")):
        for number, line in enumerate(script.read_text().splitlines(), 1):
            assert line.count("`") % 2 == 0, f"{script.name}:{number}"


@pytest.mark.skipif(shutil.which("node") is None, reason="node checks the slimmed scripts' syntax")
def test_slimmed_scripts_still_parse(tmp_path: Path) -> None:
    for script in sorted(STATIC_DIR.glob("*.js")):
        out = tmp_path / (script.stem + ".mjs")
        out.write_text(slim_js(script.read_text()))
        check = subprocess.run(["node", "--check", str(out)], capture_output=True, text=True)
        assert check.returncode == 0, (script.name, check.stderr)


def test_staff_styles_only_on_staff_pages(sqlite_server: Server) -> None:
    visitor = httpx.get(sqlite_server.base + "/").text
    staff = httpx.get(sqlite_server.base + "/staff/login").text
    assert "/static/baken.css" in visitor and "/static/staff.css" not in visitor
    assert re.search(r"/static/baken\.css.*/static/staff\.css", staff, re.S)
