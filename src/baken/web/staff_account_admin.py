"""Administrators making accounts and changing them on /staff/accounts (issue 15, item 5).

A new account gets no password from the administrator: Baken makes a one-time link
(store/invitation_repo.py) and shows it once; the new staff member chooses the password and sets
up two-step sign-in through it (web/staff_invite_routes.py). Role changes refuse to leave the
organisation without an enabled administrator; resetting two-step sign-in is ``baken user
reset-2fa``. Everything is audited; only accounts of the administrator's own organisation.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.audit import kinds as audit_kinds
from baken.auth.passwords import hash_password
from baken.auth.tokens import new_token
from baken.domain.conversation import Role
from baken.domain.languages import parse_languages
from baken.i18n import LANGUAGE_NAMES, VISITOR_LANGUAGES
from baken.slow_hashing import run_hash
from baken.store.audit_repo import audit_account_created
from baken.store.invitation_repo import INVITATION_TTL, InvitationRepository
from baken.store.passkey_repo import PasskeyRepository
from baken.store.staff_repo import StaffMember, UsernameTaken
from baken.store.staff_roles import RoleChange, change_role
from baken.store.two_factor_repo import TwoFactorRepository
from baken.web.audit_hooks import audit
from baken.web.services import services_of
from baken.web.staff_invite_routes import INVITE_PATH
from baken.web.staff_security import security_of
from baken.web.templating import render

MAX_FORM_BYTES = 8 * 1024
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MAX_NAME_CHARS = 80
ASSIGNABLE_ROLES = (Role.COUNSELOR, Role.SUPERVISOR, Role.RESEARCHER, Role.ADMIN)
INVITATION_HOURS = int(INVITATION_TTL.total_seconds() // 3600)


class FormError(ValueError):
    """An entry the form refuses; ``code`` picks the translated text on the page."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _single_line(raw: object, limit: int) -> str:
    text = unicodedata.normalize("NFC", raw if isinstance(raw, str) else "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ")
    return " ".join(text.split())[: limit + 1]


def _role(raw: object) -> Role:
    try:
        return Role(str(raw))
    except ValueError:
        raise FormError("role") from None


async def page(
    request: Request,
    lang: str,
    admin: StaffMember,
    *,
    status: int = 200,
    done: str | None = None,
    error: str | None = None,
    link: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    """The accounts page, with the organisation's accounts and their invitations."""
    services = services_of(request.app)
    members = await services.staff.members(admin.organisation_id)
    invitations = await InvitationRepository(services.db).of_organisation(admin.organisation_id)
    now = InvitationRepository(services.db).now()
    waiting = {
        staff_id: invitation.state(now).value
        for staff_id, invitation in invitations.items()
        if invitation.used_at is None
    }
    return render(
        "staff_accounts.html",
        lang,
        status_code=status,
        staff=admin,
        members=members,
        waiting=waiting,
        done=done,
        error=error,
        link=link,
        form=form or {"role": Role.COUNSELOR.value, "languages": ()},
        roles=[role.value for role in ASSIGNABLE_ROLES],
        languages=[(code, LANGUAGE_NAMES[code]) for code in VISITOR_LANGUAGES],
        invitation_hours=INVITATION_HOURS,
    )


def _link(request: Request, token: str) -> str:
    base = services_of(request.app).settings.public_url or str(request.base_url)
    return f"{base.rstrip('/')}{INVITE_PATH}/{token}"


async def create_account(request: Request, lang: str, admin: StaffMember) -> Response:
    services = services_of(request.app)
    form = await request.form(max_files=0, max_fields=20, max_part_size=MAX_FORM_BYTES)
    username = _single_line(form.get("username"), 64).lower()
    display_name = _single_line(form.get("display_name"), MAX_NAME_CHARS)
    picked = [value for value in form.getlist("languages") if isinstance(value, str)]
    shown = {
        "username": username,
        "display_name": display_name,
        "role": str(form.get("role", "")),
        "languages": tuple(picked),
    }
    try:
        if not USERNAME.fullmatch(username):
            raise FormError("username")
        if not display_name or len(display_name) > MAX_NAME_CHARS:
            raise FormError("display_name")
        role = _role(form.get("role"))
        try:
            languages = parse_languages(",".join(picked))
        except ValueError:
            raise FormError("languages") from None
        # Nobody knows this password: the account opens only through the link.
        unknown = await run_hash(hash_password, new_token())
        try:
            member = await services.staff.create(
                username,
                display_name,
                unknown,
                role,
                organisation_id=admin.organisation_id,
                languages=languages,
            )
        except UsernameTaken:
            raise FormError("username_taken") from None
    except FormError as exc:
        return await page(request, lang, admin, status=400, error=exc.code, form=shown)
    await audit_account_created(services.db, member, audit_kinds.Actor.of(admin))
    token = await InvitationRepository(services.db).issue(member.id, admin.id)
    return await page(request, lang, admin, done="created", link=_link(request, token))


async def new_link(
    request: Request, lang: str, admin: StaffMember, target: StaffMember
) -> Response:
    """Another link for an account whose link was never used (lost, or expired)."""
    invitations = InvitationRepository(services_of(request.app).db)
    found = await invitations.of_member(target.id)
    if found is None or found.used_at is not None:
        return await page(request, lang, admin, status=400, error="set_up")
    if not target.active:
        return await page(request, lang, admin, status=400, error="disabled")
    token = await invitations.issue(target.id, admin.id)
    await audit(
        request,
        audit_kinds.ACCOUNT_CREATE,
        admin,
        audit_kinds.STAFF,
        target.id,
        detail="link=renewed",
    )
    return await page(request, lang, admin, done="link", link=_link(request, token))


async def set_role(
    request: Request, lang: str, admin: StaffMember, target: StaffMember
) -> Response:
    services = services_of(request.app)
    form = await request.form(max_files=0, max_fields=5, max_part_size=MAX_FORM_BYTES)
    try:
        role = _role(form.get("role"))
    except FormError as exc:
        return await page(request, lang, admin, status=400, error=exc.code)
    changed = await change_role(services.db, admin.organisation_id, target.id, role)
    if changed is RoleChange.LAST_ADMIN:
        return await page(request, lang, admin, status=400, error="last_admin")
    if changed is RoleChange.CHANGED:
        # An open console keeps the role it was opened with, on every process: ending the
        # sessions closes those sockets everywhere (session guard), and the next sign-in
        # carries the new role.
        await services.staff.end_sessions(target.id)
        security_of(request.app).guard.end_member(target.id)
        await audit(
            request,
            audit_kinds.ACCOUNT_ROLE,
            admin,
            audit_kinds.STAFF,
            target.id,
            detail=f"from={target.role.value},to={role.value}",
        )
    return RedirectResponse(f"/staff/accounts?done=role&lang={lang}", status_code=303)


async def reset_two_factor(
    request: Request, lang: str, admin: StaffMember, target: StaffMember
) -> Response:
    """``baken user reset-2fa`` on the web: authenticator, recovery codes and passkeys go, the
    sessions end; the next sign-in with the password sets up two-step sign-in again."""
    services = services_of(request.app)
    await services.staff.end_sessions(target.id)
    await TwoFactorRepository.remove(services.db, target.id)
    await PasskeyRepository(services.db).remove_all(target.id)
    security_of(request.app).guard.end_member(target.id)
    await audit(
        request, audit_kinds.ACCOUNT_SECOND_FACTOR_RESET, admin, audit_kinds.STAFF, target.id
    )
    return RedirectResponse(f"/staff/accounts?done=reset-2fa&lang={lang}", status_code=303)
