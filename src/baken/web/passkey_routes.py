"""Passkeys for staff (issue 16): the security page, registering and removing one's own passkeys,
signing in with one, and the administrator's rule that the organisation requires them.

Who may do what:
- ``/staff/security`` and ``/staff/passkeys/{id}/remove``: a signed-in member, on their **own**
  passkeys only (someone else's is 404, as if it did not exist).
- ``/staff/passkeys/options`` and ``/staff/passkeys`` (registration): a signed-in member, or a
  member half-way through sign-in whose organisation requires a passkey they do not have yet (the
  ``passkey`` stage, web/passkey_policy.py); then the session starts once it is registered.
- ``/staff/login/passkey/options`` and ``/staff/login/passkey``: the sign-in step after the
  password (the ``code`` stage), for the member of that step and their own passkeys only.
- ``/staff/security/organisation``: administrators, for their own organisation.

Every ceremony's challenge is stored on the server, bound to the cookie of the step or session that
asked, and used up by the request that answers it (store/passkey_repo.py). Every write checks the
origin. Failures, additions, removals, uses and the rule are audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from baken.access import ADMINS, Permission
from baken.audit import kinds as audit_kinds
from baken.auth import passkeys
from baken.auth.passkeys import PasskeyError, RelyingParty
from baken.auth.tokens import token_hash
from baken.domain.conversation import Role
from baken.i18n import negotiate
from baken.store.login_repo import Challenge
from baken.store.passkey_repo import MAX_PASSKEYS, REGISTER, SIGN_IN, Removal
from baken.store.staff_repo import StaffMember
from baken.web import staff_nav
from baken.web.abuse_guard import abuse_of
from baken.web.audit_hooks import audit
from baken.web.cookies import STAFF_COOKIE, clear_session_cookie
from baken.web.guards import SameOrigin, SameOriginApi, current_staff, staff_for
from baken.web.json_body import load_json
from baken.web.pages import error_page
from baken.web.passkey_policy import PASSKEY_STAGE, passkeys_of
from baken.web.services import services_of
from baken.web.staff_login_routes import PENDING_COOKIE, _signed_in
from baken.web.staff_security import security_of
from baken.web.templating import render

# A registration answer carries a public key and an attestation; a few KiB even with certificates.
MAX_BODY_BYTES = 64 * 1024
MAX_FORM_BYTES = 8 * 1024
SECURITY_PATH = "/staff/security"
DONE = frozenset({"added", "removed", "required", "not_required"})
Own = Annotated[StaffMember, Depends(staff_for(staff_nav.SECURITY))]
Admin = Annotated[StaffMember, Depends(staff_for(Permission(ADMINS)))]


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _error(status: int, code: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, **extra}, status_code=status)


async def _payload(request: Request, allowed: set[str]) -> dict[str, Any] | Response:
    """The JSON body, bounded, with only ``allowed`` keys (the route's guard checked the
    origin)."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return _error(413, "too_large")
    try:
        data = load_json(raw)
    except ValueError:
        return _error(400, "bad_json")
    if not isinstance(data, dict) or set(data) - allowed:
        return _error(400, "bad_request")
    return data


def _owner(kind: str, token: str) -> str:
    """Whose challenge it is: a hash of the session or sign-in cookie (never the cookie)."""
    return token_hash(f"{kind}:{token}")


def _relying_party(request: Request) -> RelyingParty | None:
    settings = services_of(request.app).settings
    return RelyingParty.of(settings.public_url, request.headers.get("host"))


async def _pending(request: Request, stage: str) -> tuple[str, Challenge, StaffMember] | None:
    """The half-signed-in state of this browser, at this stage, for an active account."""
    token = request.cookies.get(PENDING_COOKIE)
    if not token:
        return None
    security = security_of(request.app)
    challenge = await security.logins.challenge(token)
    if challenge is None or challenge.stage != stage:
        return None
    member = await services_of(request.app).staff.by_id(challenge.staff_id)
    if member is None or not member.active:
        await security.logins.end_challenge(token)
        return None
    return token, challenge, member


# --- the security page --------------------------------------------------------------------------


async def _security_page(
    request: Request,
    member: StaffMember,
    *,
    done: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    repo = passkeys_of(request)
    return render(
        "staff_security.html",
        _lang(request),
        status_code=status,
        staff=member,
        passkeys=await repo.of_member(member.id),
        required=await repo.required(member.organisation_id),
        is_admin=member.role is Role.ADMIN,
        max_passkeys=MAX_PASSKEYS,
        max_name=passkeys.MAX_NAME_CHARS,
        done=done,
        error=error,
    )


async def security_page(request: Request, member: Own) -> Response:
    done = request.query_params.get("done")
    return await _security_page(request, member, done=done if done in DONE else None)


async def remove_passkey(request: Request, _origin: SameOrigin, member: Own) -> Response:
    lang = _lang(request)
    passkey_id = request.path_params.get("passkey_id")
    if not isinstance(passkey_id, str):
        return error_page(lang, 404)
    # Only the member's own: the repository removes by (id, owner), so another's id is "not found".
    outcome = await passkeys_of(request).remove(member.id, passkey_id)
    if outcome is Removal.NOT_FOUND:
        return error_page(lang, 404)
    if outcome is Removal.LAST_REQUIRED:
        return await _security_page(request, member, error="last_required", status=400)
    await audit(request, audit_kinds.PASSKEY_REMOVE, member, audit_kinds.PASSKEY, passkey_id)
    return RedirectResponse(f"{SECURITY_PATH}?done=removed", status_code=303)


async def organisation_rule(request: Request, _origin: SameOrigin, member: Admin) -> Response:
    form = await request.form(max_files=0, max_fields=5, max_part_size=MAX_FORM_BYTES)
    choice = form.get("require")
    if choice not in ("yes", "no"):
        return await _security_page(request, member, error="choice", status=400)
    required = choice == "yes"
    await passkeys_of(request).set_required(member.organisation_id, required)
    await audit(
        request,
        audit_kinds.ORGANISATION_PASSKEYS,
        member,
        audit_kinds.ORGANISATION,
        member.organisation_id,
        detail=f"required={choice}",
    )
    done = "required" if required else "not_required"
    return RedirectResponse(f"{SECURITY_PATH}?done={done}", status_code=303)


# --- registering a passkey ----------------------------------------------------------------------


async def _registrant(request: Request) -> tuple[StaffMember, str, str | None] | None:
    """Who registers: (member, owner of the challenge, the pending sign-in token or None).
    A session first; else the sign-in step that must register a passkey before any session."""
    member = await current_staff(request)
    if member is not None:
        return member, _owner("session", request.cookies.get(STAFF_COOKIE, "")), None
    pending = await _pending(request, PASSKEY_STAGE)
    if pending is None:
        return None
    token, _challenge, member = pending
    return member, _owner("sign-in", token), token


async def register_options(request: Request, _origin: SameOriginApi) -> Response:
    payload = await _payload(request, set())
    if isinstance(payload, Response):
        return payload
    who = await _registrant(request)
    if who is None:
        return _error(401, "not_signed_in")
    member, owner, _pending_token = who
    rp = _relying_party(request)
    if rp is None:
        return _error(400, "no_host")
    repo = passkeys_of(request)
    existing = await repo.of_member(member.id)
    if len(existing) >= MAX_PASSKEYS:
        return _error(400, "too_many")
    challenge = await repo.issue_challenge(
        owner, REGISTER, member.id, passkeys.REGISTER_TIMEOUT + passkeys.CHALLENGE_GRACE
    )
    options = passkeys.creation_options(
        rp,
        member.id,
        member.username,
        member.display_name,
        [p.credential for p in existing],
        challenge,
    )
    return JSONResponse(options)


async def register(request: Request, _origin: SameOriginApi) -> Response:
    payload = await _payload(request, {"name", "credential"})
    if isinstance(payload, Response):
        return payload
    who = await _registrant(request)
    if who is None:
        return _error(401, "not_signed_in")
    member, owner, pending_token = who
    name = passkeys.clean_name(payload.get("name"))
    if not name:
        return _error(400, "name_required")
    rp = _relying_party(request)
    if rp is None:
        return _error(400, "no_host")
    repo = passkeys_of(request)
    credential = payload.get("credential")
    try:
        if not isinstance(credential, Mapping):
            raise PasskeyError("malformed")
        challenge = passkeys.challenge_of(credential)
        if not await repo.take_challenge(owner, REGISTER, member.id, challenge):
            raise PasskeyError("challenge")
        if await repo.count(member.id) >= MAX_PASSKEYS:
            raise PasskeyError("too_many")
        new = passkeys.verify_registration(rp, challenge, credential)
        added = await repo.add(member.id, name, new)
        if added is None:
            raise PasskeyError("duplicate")
    except PasskeyError as exc:
        await audit(
            request,
            audit_kinds.PASSKEY_FAIL,
            member,
            audit_kinds.STAFF,
            member.id,
            detail=f"step=register reason={exc.reason}",
        )
        return _error(400, "refused")
    await audit(request, audit_kinds.PASSKEY_ADD, member, audit_kinds.PASSKEY, added.id)
    if pending_token is None:
        return JSONResponse({"next": f"{SECURITY_PATH}?done=added"})
    # Registered during sign-in, as the organisation requires: now the session starts.
    await security_of(request.app).logins.end_challenge(pending_token)
    home = staff_nav.home_for(member.role).path
    return await _signed_in(request, member, JSONResponse({"next": home}))


async def new_passkey_page(request: Request) -> Response:
    """During sign-in: the organisation requires a passkey and this member has none yet."""
    if await _pending(request, PASSKEY_STAGE) is None:
        response = RedirectResponse("/staff/login", status_code=303)
        clear_session_cookie(response, PENDING_COOKIE)
        return response
    return render("staff_new_passkey.html", _lang(request), max_name=passkeys.MAX_NAME_CHARS)


# --- signing in with a passkey -------------------------------------------------------------------


async def _sign_in_step(
    request: Request, allowed: set[str]
) -> tuple[dict[str, Any], str, Challenge, StaffMember] | Response:
    """The JSON body and the sign-in step after the password, or the answer that refuses."""
    payload = await _payload(request, allowed)
    if isinstance(payload, Response):
        return payload
    pending = await _pending(request, "code")
    if pending is None:
        return _error(401, "restart")
    token, challenge, member = pending
    security = security_of(request.app)
    if abuse_of(request.app).login_blocked(
        request, challenge.bucket
    ) or await security.logins.blocked(challenge.bucket):
        return _error(429, "throttled")
    return payload, token, challenge, member


async def sign_in_options(request: Request, _origin: SameOriginApi) -> Response:
    step = await _sign_in_step(request, set())
    if isinstance(step, Response):
        return step
    _body, token, _challenge, member = step
    rp = _relying_party(request)
    if rp is None:
        return _error(400, "no_host")
    repo = passkeys_of(request)
    own = await repo.of_member(member.id)
    if not own:
        return _error(400, "no_passkey")
    challenge = await repo.issue_challenge(
        _owner("sign-in", token),
        SIGN_IN,
        member.id,
        passkeys.SIGN_IN_TIMEOUT + passkeys.CHALLENGE_GRACE,
    )
    return JSONResponse(passkeys.request_options(rp, [p.credential for p in own], challenge))


async def sign_in(request: Request, _origin: SameOriginApi) -> Response:
    step = await _sign_in_step(request, {"credential"})
    if isinstance(step, Response):
        return step
    payload, token, pending, member = step
    security = security_of(request.app)
    repo = passkeys_of(request)
    rp = _relying_party(request)
    credential = payload.get("credential")
    try:
        if rp is None or not isinstance(credential, Mapping):
            raise PasskeyError("malformed")
        challenge = passkeys.challenge_of(credential)
        if not await repo.take_challenge(_owner("sign-in", token), SIGN_IN, member.id, challenge):
            raise PasskeyError("challenge")
        own = await repo.of_member(member.id)
        assertion = passkeys.verify_assertion(
            rp, challenge, member.id, [p.credential for p in own], credential
        )
        used = next(p for p in own if p.credential.credential_id == assertion.credential_id)
        if not await repo.record_use(used.id, used.credential.sign_count, assertion.sign_count):
            raise PasskeyError("sign_count")
    except PasskeyError as exc:
        abuse_of(request.app).login_failed(request, pending.bucket)
        await security.logins.record_failure(pending.bucket)
        await audit(
            request,
            audit_kinds.PASSKEY_FAIL,
            member,
            audit_kinds.STAFF,
            member.id,
            detail=f"step=sign_in reason={exc.reason}",
        )
        # A failed passkey counts like a wrong code: five and the password is asked again.
        if await security.logins.count_wrong_code(token) == 0:
            response = _error(401, "refused", restart=True)
            clear_session_cookie(response, PENDING_COOKIE)
            return response
        return _error(401, "refused", restart=False)
    await security.logins.end_challenge(token)
    await audit(request, audit_kinds.PASSKEY_USE, member, audit_kinds.PASSKEY, used.id)
    home = staff_nav.home_for(member.role).path
    return await _signed_in(request, member, JSONResponse({"next": home}))
