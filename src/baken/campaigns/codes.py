"""What a campaign code in an address or a start form is counted as (pure, no I/O).

A code is 1 to 32 letters, digits and hyphens (the posters' rule, ``posters.CAMPAIGN_CODE``),
counted in lower case because people type what they read on a poster. Anything else — markup, a
10 kB string, a path with slashes or dots, percent escapes — is counted as ``UNKNOWN`` and never
kept, echoed or logged.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

UNKNOWN = "unknown"
MAX_LENGTH = 32
_CODE = re.compile(r"[A-Za-z0-9-]{1,32}")
# Counts are per calendar day where the helplines work (the brief: Europe/Amsterdam).
ZONE = ZoneInfo("Europe/Amsterdam")


def campaign_code(raw: object) -> str | None:
    """The code to count for what a visitor's address or form carried; None when it carried none.

    The length is checked before anything else is done with the text, so a 10 kB code costs no
    more than a short one."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > MAX_LENGTH:
        return UNKNOWN
    # Matched before lower-casing: str.lower() maps some non-ASCII letters (the Kelvin sign) to
    # ASCII ones, and such a code must not pass as a real one.
    return raw.lower() if _CODE.fullmatch(raw) else UNKNOWN


def local_day(at: datetime) -> date:
    return at.astimezone(ZONE).date()
