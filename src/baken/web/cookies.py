"""The only browser state Baken keeps: one session cookie per side.

``__Host-`` cookies are bound to this exact origin (no Domain, Path=/, Secure); HttpOnly keeps them
from scripts; SameSite=Strict keeps them off cross-site requests. No Max-Age: they die with the
browser session, and quick exit clears them at once.
"""

from __future__ import annotations

from starlette.responses import Response

VISITOR_COOKIE = "__Host-baken_v"
STAFF_COOKIE = "__Host-baken_s"


def set_session_cookie(response: Response, name: str, token: str) -> None:
    response.set_cookie(name, token, path="/", secure=True, httponly=True, samesite="strict")


def clear_session_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="strict")
