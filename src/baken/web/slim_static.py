"""Static files without their comments (issue 18, item 7: the visitor page's first visit ≤ 30 kB).

The sources keep their comments for the people who read them; phones on prepaid data should not pay
for them. Pages are sent with ``no-store`` (security.py), so every visit downloads the files again.
No build step: comments are dropped when a file is first served and kept in memory per version.

Only whole-line comments are dropped, never a comment after code on the same line, so a ``//``
inside a string or a regular expression is never touched. The static scripts hold no multi-line
template literals (a test checks that), the one place where a line starting with ``//`` could be
data.
"""

from __future__ import annotations

import os
import re

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def slim_css(text: str) -> str:
    without = _CSS_COMMENT.sub("", text)
    return "\n".join(line for line in without.splitlines() if line.strip()) + "\n"


def slim_js(text: str) -> str:
    kept: list[str] = []
    in_block = False
    for line in text.splitlines():
        bare = line.strip()
        if in_block:
            if "*/" in bare:
                if not bare.endswith("*/"):
                    # Code after a comment's end on the same line: keep the file as it is.
                    return text
                in_block = False
            continue
        if bare.startswith("/*"):
            if "*/" in bare and not bare.endswith("*/"):
                return text
            in_block = "*/" not in bare
            continue
        if not bare or bare.startswith("//"):
            continue
        kept.append(line)
    return text if in_block else "\n".join(kept) + "\n"


def slim(name: str, text: str) -> str:
    if name.endswith(".css"):
        return slim_css(text)
    if name.endswith(".js"):
        return slim_js(text)
    return text


class SlimStaticFiles(StaticFiles):
    """StaticFiles that sends scripts and stylesheets without their comments."""

    def __init__(self, *, directory: str | os.PathLike[str]) -> None:
        super().__init__(directory=directory)
        self._slimmed: dict[tuple[str, int, int], bytes] = {}

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        path = os.fspath(full_path)
        suffix = os.path.splitext(path)[1]
        if suffix not in _MEDIA_TYPES or status_code != 200:
            return super().file_response(full_path, stat_result, scope, status_code)
        key = (path, stat_result.st_mtime_ns, stat_result.st_size)
        body = self._slimmed.get(key)
        if body is None:
            with open(path, encoding="utf-8") as source:
                body = slim(path, source.read()).encode()
            self._slimmed[key] = body
        return Response(body, status_code=status_code, media_type=_MEDIA_TYPES[suffix])
