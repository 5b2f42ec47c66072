"""The bundled list of common passwords (``common_passwords.txt``) and the check against it.

The list holds the 10,000 most common passwords of a large public leak corpus plus its longer
entries (see the file's header for where it comes from). A candidate is refused when it, or its
letters without the digits and symbols people tack on at the end, is on the list.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_TRAILING_DECORATION = re.compile(r"[\d\W_]+$")


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("baken.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def is_common(password: str) -> bool:
    known = common_passwords()
    candidate = password.strip().lower()
    if candidate in known:
        return True
    base = _TRAILING_DECORATION.sub("", candidate)
    return bool(base) and base != candidate and base in known and len(base) >= 6
