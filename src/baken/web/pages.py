"""Generic error pages: calm words, no details, no stack traces."""

from __future__ import annotations

from starlette.responses import HTMLResponse

from baken.web.templating import render

TITLE_KEYS = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "bad_request"}


def error_page(lang: str, status: int) -> HTMLResponse:
    return render(
        "error.html",
        lang,
        status_code=status,
        status=status,
        title_key=TITLE_KEYS.get(status, "server_error"),
    )
