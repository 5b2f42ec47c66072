"""The organisation pages for administrators (issue 14).

- ``/staff/organisation``: an administrator of any organisation changes their **own**
  organisation's name, quick-exit address, emergency number, queue cap and the thresholds of the
  supervisors' alerts (issue 15, item 3). The slug never changes
  (it is on posters) and the host name is the platform's to set.
- ``/staff/organisations``: platform administrators (baken/access.py, ``is_platform_admin``)
  list every organisation, add one, disable or enable one and set its host name.

The conventions of the other staff pages (their guards, web/guards.py): every write checks the
origin first; no staff session leads to the sign-in page; a role that may not (an organisation's
own administrator on a platform page, too) gets 403; an organisation that does not exist is 404.
Every change is audited and the organisation cache of this process forgets at once, so visitors
see the change on their next request here (other processes within the cache's few seconds).
"""

from __future__ import annotations

from typing import Annotated, Any

from babel.numbers import format_decimal
from fastapi import Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.audit import kinds as audit_kinds
from baken.domain.organisation import (
    ALERT_LIMITS,
    QUEUE_MAX_LIMIT,
    Organisation,
    OrganisationError,
)
from baken.i18n import negotiate
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffMember
from baken.web.audit_hooks import audit
from baken.web.guards import SameOrigin, staff_for
from baken.web.organisation_entry import ENTRY_PREFIX
from baken.web.organisation_forms import (
    Checked,
    check_host_field,
    check_new,
    check_own,
    code_of,
    form_of,
)
from baken.web.pages import error_page
from baken.web.services import services_of
from baken.web.staff_nav import ORGANISATION, ORGANISATIONS
from baken.web.templating import render

OWN_PATH = "/staff/organisation"
ALL_PATH = "/staff/organisations"
MAX_FORM_BYTES = 8 * 1024
OWN_DONE = frozenset({"saved", "unchanged"})
ALL_DONE = frozenset({"added", "disabled", "enabled", "host"})


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _repo(request: Request) -> OrganisationRepository:
    return services_of(request.app).organisations.repo


def entry_address(organisation: Organisation) -> str:
    """Where its visitors start, as a path: "/" for the default organisation."""
    if organisation.id == DEFAULT_ORGANISATION:
        return "/"
    return f"{ENTRY_PREFIX}{organisation.slug}/"


Admin = Annotated[StaffMember, Depends(staff_for(ORGANISATION))]
# Platform administrators only (the page is marked ``platform`` in web/staff_nav.py).
PlatformAdmin = Annotated[StaffMember, Depends(staff_for(ORGANISATIONS))]


async def _form(request: Request) -> Any:
    return await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM_BYTES)


# --- one's own organisation ----------------------------------------------------------------------


def _own_page(
    request: Request,
    member: StaffMember,
    organisation: Organisation,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    settings = services_of(request.app).settings
    lang = _lang(request)
    return render(
        "staff_organisation.html",
        lang,
        status_code=status,
        staff=member,
        organisation=organisation,
        entry=entry_address(organisation),
        form=form,
        errors=errors or {},
        done=done,
        default_exit_url=settings.exit_url,
        default_queue_max=format_decimal(settings.queue_max, locale=lang),
        queue_max_limit=format_decimal(QUEUE_MAX_LIMIT, locale=lang),
        # Per threshold: the installation's value (shown as the default) and the bounds.
        alert_defaults={name: getattr(settings, name) for name in ALERT_LIMITS},
        alert_limits={
            name: (format_decimal(low, locale=lang), format_decimal(high, locale=lang))
            for name, (low, high, _what) in ALERT_LIMITS.items()
        },
    )


async def own_page(request: Request, member: Admin) -> Response:
    organisation = await _repo(request).by_id(member.organisation_id)
    if organisation is None:  # the member's organisation row is gone: nothing to show
        return error_page(_lang(request), 404)
    done = request.query_params.get("done")
    return _own_page(
        request,
        member,
        organisation,
        form_of(organisation),
        done=done if done in OWN_DONE else None,
    )


async def save_own(request: Request, _origin: SameOrigin, member: Admin) -> Response:
    lang = _lang(request)
    repo = _repo(request)
    # Only the member's own organisation: the form names none, and any id sent is ignored.
    current = await repo.by_id(member.organisation_id)
    if current is None:
        return error_page(lang, 404)
    checked, changes = check_own(await _form(request), current)
    if checked.errors:
        return _own_page(request, member, current, checked.typed, errors=checked.errors, status=400)
    if not changes:
        return RedirectResponse(f"{OWN_PATH}?done=unchanged&lang={lang}", status_code=303)
    try:
        await repo.update(current.id, **changes)
    except OrganisationError as exc:  # checked above; only a race with another change is left
        errors = {exc.field: code_of(exc, checked.typed.get(exc.field, ""))}
        return _own_page(request, member, current, checked.typed, errors=errors, status=400)
    await audit(
        request,
        audit_kinds.ORGANISATION_CHANGE,
        member,
        audit_kinds.ORGANISATION,
        current.id,
        detail="changed=" + ",".join(sorted(changes)),
    )
    services_of(request.app).organisations.forget()
    return RedirectResponse(f"{OWN_PATH}?done=saved&lang={lang}", status_code=303)


# --- every organisation (platform administrators) -------------------------------------------------


async def _all_page(
    request: Request,
    member: StaffMember,
    *,
    new: Checked | None = None,
    host_of: tuple[str, Checked] | None = None,
    error: str | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    repo = _repo(request)
    organisations = await repo.all()
    counts = await repo.staff_counts()
    return render(
        "staff_organisations.html",
        _lang(request),
        status_code=status,
        staff=member,
        rows=[
            {
                "organisation": organisation,
                "entry": entry_address(organisation),
                "staff": counts.get(organisation.id, 0),
                "is_default": organisation.id == DEFAULT_ORGANISATION,
            }
            for organisation in organisations
        ],
        new=new.typed if new else {"slug": "", "name": ""},
        new_errors=new.errors if new else {},
        # The one row whose host form was refused: its id, what was typed and the error code.
        host_id=host_of[0] if host_of else None,
        host_typed=host_of[1].typed["host"] if host_of else "",
        host_error=next(iter(host_of[1].errors.values()), None) if host_of else None,
        error=error,
        done=done,
    )


async def all_page(request: Request, member: PlatformAdmin) -> Response:
    done = request.query_params.get("done")
    return await _all_page(request, member, done=done if done in ALL_DONE else None)


async def add(request: Request, _origin: SameOrigin, member: PlatformAdmin) -> Response:
    checked = check_new(await _form(request))
    if checked.errors:
        return await _all_page(request, member, new=checked, status=400)
    try:
        made = await _repo(request).add(checked.values["slug"], checked.values["name"])
    except OrganisationError as exc:  # the slug is in use
        checked.errors[exc.field] = code_of(exc, checked.typed.get(exc.field, ""))
        return await _all_page(request, member, new=checked, status=400)
    await audit(
        request,
        audit_kinds.ORGANISATION_ADD,
        member,
        audit_kinds.ORGANISATION,
        made.id,
        detail=f"slug={made.slug}",
    )
    services_of(request.app).organisations.forget()
    return RedirectResponse(f"{ALL_PATH}?done=added&lang={_lang(request)}", status_code=303)


async def _target(request: Request) -> Organisation | None:
    organisation_id = request.path_params.get("organisation_id")
    if not isinstance(organisation_id, str):
        return None
    return await _repo(request).by_id(organisation_id)


async def _set_active(request: Request, member: StaffMember, active: bool) -> Response:
    lang = _lang(request)
    target = await _target(request)
    if target is None:
        return error_page(lang, 404)
    if target.id == DEFAULT_ORGANISATION and not active:
        return await _all_page(request, member, error="default_org", status=400)
    await _repo(request).set_active(target.id, active)
    kind = audit_kinds.ORGANISATION_ENABLE if active else audit_kinds.ORGANISATION_DISABLE
    await audit(request, kind, member, audit_kinds.ORGANISATION, target.id)
    services_of(request.app).organisations.forget()
    done = "enabled" if active else "disabled"
    return RedirectResponse(f"{ALL_PATH}?done={done}&lang={lang}", status_code=303)


async def disable(request: Request, _origin: SameOrigin, member: PlatformAdmin) -> Response:
    return await _set_active(request, member, False)


async def enable(request: Request, _origin: SameOrigin, member: PlatformAdmin) -> Response:
    return await _set_active(request, member, True)


async def set_host(request: Request, _origin: SameOrigin, member: PlatformAdmin) -> Response:
    lang = _lang(request)
    target = await _target(request)
    if target is None:
        return error_page(lang, 404)
    checked = check_host_field(await _form(request))
    if checked.errors:
        return await _all_page(request, member, host_of=(target.id, checked), status=400)
    host = checked.values["host"]
    if host != target.host:
        try:
            await _repo(request).update(target.id, host=host)
        except OrganisationError as exc:  # another organisation has this host name
            checked.errors["host"] = code_of(exc, checked.typed["host"])
            return await _all_page(request, member, host_of=(target.id, checked), status=400)
        await audit(
            request,
            audit_kinds.ORGANISATION_CHANGE,
            member,
            audit_kinds.ORGANISATION,
            target.id,
            detail="changed=host",
        )
        services_of(request.app).organisations.forget()
    return RedirectResponse(f"{ALL_PATH}?done=host&lang={lang}", status_code=303)
