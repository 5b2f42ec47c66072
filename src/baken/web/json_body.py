"""Parsing a JSON request body the same way on every HTTP route as on the WebSocket.

Starlette's `request.json()` uses the standard library, which raises RecursionError (not ValueError)
on deeply nested input and accepts lone surrogates ("\\ud800") that later fail to encode as UTF-8
when the text is stored. orjson refuses both as invalid JSON (nesting is capped at 1024 levels),
so a hostile body gets the route's normal 400 instead of a 500.
"""

from __future__ import annotations

from typing import Any

import orjson


def load_json(body: bytes) -> Any:
    """The decoded body ({} when empty); raises ValueError when it is not valid JSON."""
    if not body:
        return {}
    return orjson.loads(body)
