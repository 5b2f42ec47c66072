"""The disguise's cover (issue 18, item 6): the ordinary-looking homework page that cover.js puts
over the chat when the visitor asks for it.

Served as its own small document, in the visitor's language, and fetched by cover.js only when the
visitor switches the cover on: the visitor page's first visit stays within its weight budget. The
page holds no data of anyone and asks nothing; nothing about its use is stored.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from baken.i18n import VISITOR_LANGUAGES, negotiate
from baken.web.organisation_entry import entry_of
from baken.web.templating import render
from baken.web.visitor_routes import EXIT_PATH

COVER_PATH = "/cover"


async def cover_page(request: Request) -> Response:
    lang = negotiate(
        request.query_params.get("lang"), request.headers.get("accept-language"), VISITOR_LANGUAGES
    )
    return render("cover.html", lang, exit_path=entry_of(request).base + EXIT_PATH)
