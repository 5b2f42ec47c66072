"""Staff sign-in in two steps: the password, then a code from an authenticator app.

Between the two steps the browser holds only a short-lived challenge cookie (``__Host-baken_p``);
the state behind it is in the database and grants nothing but the next step. A staff member without
a second factor is taken through enrolment (QR code drawn here, secret in text, a first code,
then recovery codes shown once) before any session exists. See docs/security.md.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.audit import kinds as audit_kinds
from baken.auth import totp
from baken.auth.passwords import verify_password
from baken.domain.conversation import Role
from baken.i18n import negotiate
from baken.slow_hashing import run_hash
from baken.store.login_repo import DEVICE_TTL, Challenge, account_bucket, device_bucket
from baken.store.staff_repo import StaffMember
from baken.web.abuse_guard import abuse_of
from baken.web.audit_hooks import audit
from baken.web.cookies import STAFF_COOKIE, clear_session_cookie, set_session_cookie
from baken.web.guards import SameOrigin
from baken.web.pages import error_page
from baken.web.passkey_policy import NEW_PASSKEY_PATH, passkey_state, start_passkey_stage
from baken.web.services import services_of
from baken.web.staff_security import StaffSecurity, security_of
from baken.web.templating import render

PENDING_COOKIE = "__Host-baken_p"
DEVICE_COOKIE = "__Host-baken_d"
MAX_FORM_BYTES = 8 * 1024
MAX_CODE_CHARS = 40


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _restart() -> Response:
    response = RedirectResponse("/staff/login", status_code=303)
    clear_session_cookie(response, PENDING_COOKIE)
    return response


async def throttle_bucket(
    request: Request, security: StaffSecurity, username: str, member: StaffMember | None
) -> str:
    """The device's own bucket when this browser signed in to this account before, else the
    account's (docs/security.md: why an attacker cannot lock the owner out)."""
    device = request.cookies.get(DEVICE_COOKIE)
    if device and member is not None and await security.logins.device_staff_id(device) == member.id:
        return device_bucket(device)
    return account_bucket(username)


async def password_step(request: Request) -> Response:
    """The password form (POST /staff/login, whose guard checked the origin)."""
    services = services_of(request.app)
    security = security_of(request.app)
    lang = _lang(request)
    form = await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM_BYTES)
    username = form.get("username")
    password = form.get("password")
    if (
        not isinstance(username, str)
        or not isinstance(password, str)
        or not username.strip()
        or not password
    ):
        return render(
            "staff_login.html",
            lang,
            status_code=400,
            error="required",
            username=username if isinstance(username, str) else "",
        )
    username = username.strip()
    found = await services.staff.by_username(username)
    member, password_hash = found if found else (None, None)
    bucket = await throttle_bucket(request, security, username, member)
    # Also per address hash and account (issues 5 and 16): never for this account's own device.
    guard = abuse_of(request.app)
    if guard.login_blocked(request, bucket) or await security.logins.blocked(bucket):
        return render(
            "staff_login.html", lang, status_code=429, error="throttled", username=username
        )
    # argon2 takes tens of milliseconds of CPU: keep it off the event loop that serves the chats.
    # Unknown usernames are verified against a dummy hash and counted like wrong passwords, so
    # neither the answer nor its timing says whether an account exists.
    ok = await run_hash(verify_password, password_hash, password)
    if not ok or member is None or not member.active:
        abuse_of(request.app).login_failed(request, bucket)
        await security.logins.record_failure(bucket)
        await audit(request, audit_kinds.LOGIN_FAILURE, member, detail="step=password")
        return render("staff_login.html", lang, status_code=401, error="invalid", username=username)
    enrolled = await security.two_factor.is_enrolled(member.id)
    token = await security.logins.start_challenge(
        member.id, "code" if enrolled else "enrol", bucket
    )
    response = RedirectResponse("/staff/login/code" if enrolled else "/staff/enrol", 303)
    set_session_cookie(response, PENDING_COOKIE, token)
    return response


async def _pending(request: Request, stage: str) -> tuple[str, Challenge, StaffMember] | None:
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


async def _typed_code(request: Request) -> str:
    form = await request.form(max_files=0, max_fields=5, max_part_size=MAX_FORM_BYTES)
    code = form.get("code")
    return code.strip()[:MAX_CODE_CHARS] if isinstance(code, str) else ""


async def _signed_in(request: Request, member: StaffMember, response: Response) -> Response:
    """Start a fresh session (the old one of this browser, if any, ends: tokens rotate at every
    sign-in) and remember this browser for the throttle."""
    services = services_of(request.app)
    security = security_of(request.app)
    old = request.cookies.get(STAFF_COOKIE)
    if old:
        await services.staff.end_session(old)
        security.guard.end_token(old)
    token = await services.staff.start_session(member.id)
    await audit(request, audit_kinds.LOGIN_SUCCESS, member)
    set_session_cookie(response, STAFF_COOKIE, token)
    clear_session_cookie(response, PENDING_COOKIE)
    device = request.cookies.get(DEVICE_COOKIE)
    if not device or await security.logins.device_staff_id(device) != member.id:
        await remember_device(request, member, response)
    return response


async def remember_device(request: Request, member: StaffMember, response: Response) -> None:
    device = await security_of(request.app).logins.new_device(member.id)
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        max_age=int(DEVICE_TTL.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def _home(member: StaffMember) -> str:
    if member.role is Role.PARTNER:
        return "/staff/partner"  # issue 17, item 3: their invitations, nothing else
    return "/research" if member.role is Role.RESEARCHER else "/staff"


# --- the code of an enrolled account ---------------------------------------------------------


async def code_page(request: Request) -> Response:
    pending = await _pending(request, "code")
    if pending is None:
        return _restart()
    passkey = await passkey_state(request, pending[2])
    return render("staff_code.html", _lang(request), error=None, **passkey.context)


async def code_step(request: Request, _origin: SameOrigin) -> Response:
    security = security_of(request.app)
    lang = _lang(request)
    pending = await _pending(request, "code")
    if pending is None:
        return _restart()
    token, challenge, member = pending
    passkey = await passkey_state(request, member)
    code = await _typed_code(request)
    # Issue 16: where the organisation requires passkeys, one who has a passkey must use it.
    if passkey.code_refused:
        return render("staff_code.html", lang, status_code=403, error=None, **passkey.context)
    if not code:
        return render("staff_code.html", lang, status_code=400, error="required", **passkey.context)
    if abuse_of(request.app).login_blocked(
        request, challenge.bucket
    ) or await security.logins.blocked(challenge.bucket):
        await security.logins.end_challenge(token)
        response = render("staff_login.html", lang, status_code=429, error="throttled", username="")
        clear_session_cookie(response, PENDING_COOKIE)
        return response
    if not await security.two_factor.verify(member.id, code):
        abuse_of(request.app).login_failed(request, challenge.bucket)
        await security.logins.record_failure(challenge.bucket)
        await audit(request, audit_kinds.LOGIN_FAILURE, member, detail="step=code")
        if await security.logins.count_wrong_code(token) == 0:
            response = render(
                "staff_login.html", lang, status_code=401, error="code_attempts", username=""
            )
            clear_session_cookie(response, PENDING_COOKIE)
            return response
        return render("staff_code.html", lang, status_code=401, error="wrong", **passkey.context)
    await security.logins.end_challenge(token)
    if passkey.must_register:
        return await _to_new_passkey(request, member, challenge.bucket, None)
    return await _signed_in(request, member, RedirectResponse(_home(member), status_code=303))


async def _to_new_passkey(
    request: Request, member: StaffMember, bucket: str, page: Response | None
) -> Response:
    """Issue 16: the organisation requires a passkey this member has not registered yet. No
    session: a sign-in step that grants only the registration (web/passkey_routes.py)."""
    response = page or RedirectResponse(NEW_PASSKEY_PATH, status_code=303)
    set_session_cookie(response, PENDING_COOKIE, await start_passkey_stage(request, member, bucket))
    return response


# --- enrolment -----------------------------------------------------------------------------------


async def enrol_page(request: Request) -> Response:
    pending = await _pending(request, "enrol")
    if pending is None:
        return _restart()
    secret = await security_of(request.app).two_factor.pending_secret(pending[2].id)
    if secret is None:
        return _restart()
    return render("staff_enrol.html", _lang(request), secret=totp.grouped(secret), error=None)


async def enrol_qr(request: Request) -> Response:
    pending = await _pending(request, "enrol")
    if pending is None:
        return error_page(_lang(request), 404)
    member = pending[2]
    factor = await security_of(request.app).two_factor.factor(member.id)
    if factor is None or factor.confirmed:
        return error_page(_lang(request), 404)
    svg = totp.qr_svg(totp.provisioning_uri(factor.secret, member.username))
    return Response(svg, media_type="image/svg+xml")


async def enrol_step(request: Request, _origin: SameOrigin) -> Response:
    security = security_of(request.app)
    lang = _lang(request)
    pending = await _pending(request, "enrol")
    if pending is None:
        return _restart()
    token, challenge, member = pending
    factor = await security.two_factor.factor(member.id)
    if factor is None or factor.confirmed:
        return _restart()
    shown = totp.grouped(factor.secret)
    code = await _typed_code(request)
    if not code:
        return render("staff_enrol.html", lang, status_code=400, secret=shown, error="required")
    codes = await security.two_factor.confirm(member.id, code)
    if codes is None:
        await security.logins.record_failure(challenge.bucket)
        if await security.logins.count_wrong_code(token) == 0:
            response = render(
                "staff_login.html", lang, status_code=401, error="code_attempts", username=""
            )
            clear_session_cookie(response, PENDING_COOKIE)
            return response
        return render("staff_enrol.html", lang, status_code=401, secret=shown, error="wrong")
    await security.logins.end_challenge(token)
    if (await passkey_state(request, member)).must_register:
        page = render("staff_recovery.html", lang, codes=codes, home=NEW_PASSKEY_PATH)
        return await _to_new_passkey(request, member, challenge.bucket, page)
    page = render("staff_recovery.html", lang, codes=codes, home=_home(member))
    return await _signed_in(request, member, page)
