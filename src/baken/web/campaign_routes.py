"""Campaign entry points (issue 18): the short address on posters and cards, ``/c/<CODE>``.

It leads to the chat's entry page, whatever the code: a poster must never end in an error page, and
an unknown or malformed code is simply an ordinary visit. Nothing about the visit is stored or
logged yet (the anonymous daily counts per campaign, issue 18 item 2, are still to come), and the
code is never echoed back.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response


async def campaign_entry(request: Request) -> Response:
    return RedirectResponse("/", status_code=303)
