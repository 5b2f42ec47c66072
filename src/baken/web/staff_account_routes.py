"""A staff member's own password, and the administrator's account actions.

Changing the password ends every session of that account (this browser gets a fresh one) and
closes its open sockets. Administrators can end any staff member's sessions and disable or enable
accounts of their own organisation; other roles get 403, other organisations' accounts 404.
Making accounts, roles, two-step resets and new links (issue 15) are in staff_account_admin.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.audit import kinds as audit_kinds
from baken.auth.passwords import (
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    PasswordPolicyError,
    check_policy,
    hash_password,
    verify_password,
)
from baken.i18n import negotiate
from baken.slow_hashing import run_hash
from baken.store.staff_repo import StaffMember
from baken.web import staff_account_admin as admin_actions
from baken.web.audit_hooks import audit
from baken.web.cookies import STAFF_COOKIE, set_session_cookie
from baken.web.guards import SameOrigin, staff_for
from baken.web.pages import error_page
from baken.web.services import services_of
from baken.web.staff_login_routes import remember_device, throttle_bucket
from baken.web.staff_nav import ACCOUNTS, PASSWORD
from baken.web.staff_security import security_of
from baken.web.templating import render

MAX_FORM_BYTES = 8 * 1024
ACTIONS = frozenset({"end-sessions", "disable", "enable"})
# Issue 15: each answers by itself (staff_account_admin.py) and audits what it did.
ADMIN_ACTIONS = {
    "role": admin_actions.set_role,
    "reset-2fa": admin_actions.reset_two_factor,
    "new-link": admin_actions.new_link,
}
DONE = ACTIONS | {"role", "reset-2fa"}
AUDITED_ACTIONS = {
    "end-sessions": audit_kinds.ACCOUNT_SESSIONS_ENDED,
    "disable": audit_kinds.ACCOUNT_DISABLE,
    "enable": audit_kinds.ACCOUNT_ENABLE,
}


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _password_page(
    request: Request, member: StaffMember, *, error: str | None, done: bool, status: int = 200
) -> Response:
    return render(
        "staff_password.html",
        _lang(request),
        status_code=status,
        staff=member,
        error=error,
        done=done,
        min_chars=MIN_PASSWORD_CHARS,
        max_chars=MAX_PASSWORD_CHARS,
    )


Own = Annotated[StaffMember, Depends(staff_for(PASSWORD))]
Admin = Annotated[StaffMember, Depends(staff_for(ACCOUNTS))]


async def password_page(request: Request, member: Own) -> Response:
    return _password_page(request, member, error=None, done=False)


async def change_password(request: Request, _origin: SameOrigin, member: Own) -> Response:
    services = services_of(request.app)
    security = security_of(request.app)
    form = await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM_BYTES)
    fields = [form.get(name) for name in ("current", "new", "again")]
    if not all(isinstance(value, str) and value for value in fields):
        return _password_page(request, member, error="required", done=False, status=400)
    current, new, again = (str(value) for value in fields)
    bucket = await throttle_bucket(request, security, member.username, member)
    if await security.logins.blocked(bucket):
        return _password_page(request, member, error="throttled", done=False, status=429)
    found = await services.staff.by_username(member.username)
    if found is None:
        return RedirectResponse("/staff/login", status_code=303)
    if not await run_hash(verify_password, found[1], current):
        await security.logins.record_failure(bucket)
        return _password_page(request, member, error="wrong_current", done=False, status=400)
    if new != again:
        return _password_page(request, member, error="mismatch", done=False, status=400)
    try:
        check_policy(new)
    except PasswordPolicyError as exc:
        return _password_page(request, member, error=exc.code, done=False, status=400)
    await services.staff.set_password(member.id, await run_hash(hash_password, new))
    await audit(request, audit_kinds.ACCOUNT_PASSWORD, member, audit_kinds.STAFF, member.id)
    security.guard.end_member(member.id)
    response = _password_page(request, member, error=None, done=True)
    set_session_cookie(response, STAFF_COOKIE, await services.staff.start_session(member.id))
    await remember_device(request, member, response)
    return response


# --- administrators ----------------------------------------------------------------------


async def accounts_page(request: Request, admin: Admin) -> Response:
    done = request.query_params.get("done")
    return await admin_actions.page(
        request, _lang(request), admin, done=done if done in DONE else None
    )


async def create_account(request: Request, _origin: SameOrigin, admin: Admin) -> Response:
    lang = _lang(request)
    return await admin_actions.create_account(request, lang, admin)


async def account_action(request: Request, _origin: SameOrigin, admin: Admin) -> Response:
    services = services_of(request.app)
    lang = _lang(request)
    action = request.path_params.get("action")
    staff_id = request.path_params.get("staff_id")
    if (action not in ACTIONS and action not in ADMIN_ACTIONS) or not isinstance(staff_id, str):
        return error_page(lang, 404)
    target = await services.staff.by_id(staff_id)
    # Another organisation's account is treated as one that does not exist.
    if target is None or target.organisation_id != admin.organisation_id:
        return error_page(lang, 404)
    if action in ADMIN_ACTIONS:
        return await ADMIN_ACTIONS[action](request, lang, admin, target)
    guard = security_of(request.app).guard
    if action == "disable":
        if target.id == admin.id:
            return await admin_actions.page(request, lang, admin, status=400, error="self")
        await services.staff.set_active(target.id, False)
        guard.end_member(target.id)
    elif action == "enable":
        await services.staff.set_active(target.id, True)
    else:
        await services.staff.end_sessions(target.id)
        guard.end_member(target.id)
    await audit(request, AUDITED_ACTIONS[action], admin, audit_kinds.STAFF, target.id)
    return RedirectResponse(f"/staff/accounts?done={action}", status_code=303)
