"""The partner directory in the console (issue 17, item 1; docs/directory.md).

``/staff/directory`` searches the organisation's services (counselors, supervisors,
administrators); ``GET /api/staff/directory`` gives the same search as JSON for the chat console.
Administrators add, change and remove services on ``/staff/directory/edit``; every change is
audited. A service is always looked up within the member's own organisation, so another
organisation's service id gets the same 404 as a missing one.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

import orjson
from fastapi import Depends
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from baken.access import ADMINS, Permission
from baken.audit.kinds import Actor
from baken.directory.hsds import Service
from baken.directory.model import (
    EXPLOITATION_TYPES,
    GENDERS,
    SERVICE_TYPES,
    DirectoryService,
    NotBaken,
    from_hsds,
    to_hsds,
)
from baken.directory.repository import DirectoryRepository, get_service
from baken.directory.search import DirectoryIndexes, Query
from baken.domain.conversation import Role
from baken.i18n import negotiate
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import StaffMember
from baken.web.guards import API, SameOrigin, staff_for
from baken.web.pages import error_page
from baken.web.services import services_of
from baken.web.staff_nav import DIRECTORY
from baken.web.templating import render

MAX_FORM_BYTES = 16 * 1024
MAX_QUERY_TEXT = 200
MAX_AGE = 120
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def _(text: str) -> str:
    """Marks a label for the catalogues; the template translates it."""
    return text


SERVICE_TYPE_LABELS = {
    "shelter": _("Shelter"),
    "youth_care": _("Youth care"),
    "sexual_violence_centre": _("Sexual violence centre"),
    "legal_aid": _("Legal aid"),
    "labour_inspectorate": _("Labour inspectorate"),
    "police": _("Police"),
    "coordination_centre": _("Coordination centre"),
    "interpreter": _("Interpreter"),
    "other": _("Other"),
}
EXPLOITATION_LABELS = {
    "sexual": _("Sexual exploitation"),
    "criminal": _("Criminal exploitation"),
    "labour": _("Labour exploitation"),
    "other": _("Other exploitation"),
}
GENDER_LABELS = {"female": _("Women"), "male": _("Men"), "any": _("Everyone")}


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def indexes_of(request: Request) -> DirectoryIndexes:
    """The process's search indexes, made at the first search."""
    state = request.app.state
    found = getattr(state, "directory_indexes", None)
    if found is None:
        found = DirectoryIndexes(services_of(request.app).db)
        state.directory_indexes = found
    return found


class BadQuery(ValueError):
    pass


def _query(params: Any) -> Query:
    need = params.get("need") or None
    if need is not None and need not in SERVICE_TYPES:
        raise BadQuery("need")
    age_text = (params.get("age") or "").strip()
    age: int | None = None
    if age_text:
        if not age_text.isdigit() or int(age_text) > MAX_AGE:
            raise BadQuery("age")
        age = int(age_text)
    language = (params.get("language") or "").strip().lower() or None
    if language is not None and not LANGUAGE_CODE.match(language):
        raise BadQuery("language")
    region = (params.get("region") or "").strip()[:100] or None
    text = (params.get("q") or "").strip()
    if len(text) > MAX_QUERY_TEXT:
        raise BadQuery("q")
    return Query(need=need, age=age, language=language, region=region, text=text or None)


Reader = Annotated[StaffMember, Depends(staff_for(DIRECTORY))]
ApiReader = Annotated[StaffMember, Depends(staff_for(DIRECTORY, API))]
# Administrators also keep the directory.
Admin = Annotated[StaffMember, Depends(staff_for(Permission(ADMINS)))]


async def directory_api(request: Request, member: ApiReader) -> Response:
    """GET /api/staff/directory?need=&age=&language=&region=&q= (docs/directory.md)."""
    try:
        query = _query(request.query_params)
    except BadQuery as error:
        return JSONResponse({"error": "bad_query", "field": str(error)}, status_code=400)
    found = await indexes_of(request).search(member.organisation_id, query)
    # orjson: up to 50 services each search, beside a busy chat (issue 17: ≤ 50 ms p99).
    body = orjson.dumps({"services": [s.as_json() for s in found]})
    return Response(body, media_type="application/json")


async def directory_page(request: Request, member: Reader) -> Response:
    lang = _lang(request)
    try:
        query = _query(request.query_params)
        bad = None
    except BadQuery as error:
        query, bad = Query(), str(error)
    index = await indexes_of(request).index(member.organisation_id)
    searched = any(request.query_params.get(k) for k in ("need", "age", "language", "region", "q"))
    return render(
        "staff_directory.html",
        lang,
        staff=_staff(member),
        query=query,
        bad=bad,
        total=len(index),
        searched=searched,
        results=index.search(query) if bad is None else [],
        may_edit=member.role == Role.ADMIN,
        done=request.query_params.get("done"),
        **_labels(),
    )


def _staff(member: StaffMember) -> dict[str, Any]:
    return {
        "display_name": member.display_name,
        "role": member.role.value,
        "organisation_id": member.organisation_id,
    }


def _labels() -> dict[str, Any]:
    return {
        "service_types": SERVICE_TYPE_LABELS,
        "exploitation_labels": EXPLOITATION_LABELS,
        "gender_labels": GENDER_LABELS,
    }


# --- administrators -------------------------------------------------------------------------


def _form_values(service: DirectoryService | None) -> dict[str, Any]:
    if service is None:
        return {"service_type": "other", "accepts_warm_handoff": False}
    return {
        "id": service.id,
        "name": service.name,
        "description": service.description,
        "organization_name": service.organization_name,
        "service_type": service.service_type,
        "age_min": "" if service.age_min is None else service.age_min,
        "age_max": "" if service.age_max is None else service.age_max,
        "languages": ", ".join(service.languages),
        "regions": ", ".join(service.regions),
        "phones": "\n".join(service.phones),
        "email": service.email or "",
        "url": service.url or "",
        "opening_hours_text": service.opening_hours_text or "",
        "accepts_warm_handoff": service.accepts_warm_handoff,
        "baken_organisation_id": service.baken_organisation_id or "",
        "exploitation_types": service.exploitation_types,
        "genders": service.genders,
    }


def _edit_page(
    request: Request, member: StaffMember, values: dict[str, Any], new: bool, error: str | None
) -> Response:
    return render(
        "staff_directory_edit.html",
        _lang(request),
        staff=_staff(member),
        values=values,
        new=new,
        error=error,
        exploitation_types=EXPLOITATION_TYPES,
        genders=GENDERS,
        **_labels(),
        status_code=400 if error else 200,
    )


async def directory_edit_page(request: Request, member: Admin) -> Response:
    service_id = request.query_params.get("id")
    if not service_id:
        return _edit_page(request, member, _form_values(None), True, None)
    found = await get_service(services_of(request.app).db, member.organisation_id, service_id)
    if found is None:
        return error_page(_lang(request), 404)
    return _edit_page(request, member, _form_values(found), False, None)


class FormProblem(ValueError):
    """A form field that cannot be saved; the message is an English msgid."""


def _age(form: FormData, name: str) -> int | None:
    text = str(form.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_AGE:
        raise FormProblem(_("An age is a whole number from 0 to 120."))
    return int(text)


def _list(form: FormData, name: str, separator: str = ",") -> list[str]:
    text = str(form.get(name) or "").replace("\r", "")
    return [p.strip() for p in text.split(separator) if p.strip()]


def _merge(
    old: dict[str, Any] | None, made: dict[str, Any], before: DirectoryService | None
) -> dict[str, Any]:
    """The edited service's HSDS JSON: what the form holds, and everything else the imported
    service had (locations, contacts, other attributes…). A part the form did not change keeps
    its original HSDS form, so editing one field does not rewrite the rest."""
    if old is None or before is None:
        return made
    merged = dict(old)
    after = from_hsds(made)
    kept_when_same = {
        "phones": before.phones == after.phones,
        "schedules": before.opening_hours_text == after.opening_hours_text,
        "service_areas": before.regions == after.regions,
        "languages": before.languages == after.languages,
    }
    for key, value in made.items():
        if key == "attributes":
            others = [
                a
                for a in old.get("attributes") or ()
                if not str((a.get("taxonomy_term") or {}).get("taxonomy") or "").startswith(
                    "baken:"
                )
            ]
            merged["attributes"] = others + value
        elif key == "organization":
            merged["organization"] = {**(old.get("organization") or value), "name": value["name"]}
        elif kept_when_same.get(key) and key in old:
            continue
        else:
            merged[key] = value
    for key in ("description", "url", "email", "minimum_age", "maximum_age"):
        if key not in made:
            merged.pop(key, None)
    if not after.opening_hours_text and before.opening_hours_text:
        merged.pop("schedules", None)  # the administrator emptied the opening times
    return merged


async def _made(
    request: Request, form: FormData, member: StaffMember, service_id: str
) -> dict[str, Any]:
    name = str(form.get("name") or "").strip()
    if not name or len(name) > 200:
        raise FormProblem(_("Give the service a name (at most 200 characters)."))
    organization_name = str(form.get("organization_name") or "").strip()[:200] or name
    service_type = str(form.get("service_type") or "")
    if service_type not in SERVICE_TYPES:
        raise FormProblem(_("Choose what kind of service this is."))
    age_min, age_max = _age(form, "age_min"), _age(form, "age_max")
    if age_min is not None and age_max is not None and age_min > age_max:
        raise FormProblem(_("The lowest age is higher than the highest age."))
    languages = [code.lower() for code in _list(form, "languages")]
    if any(not LANGUAGE_CODE.match(code) for code in languages):
        raise FormProblem(_("Languages are codes such as nl, en, ar, separated by commas."))
    url = str(form.get("url") or "").strip() or None
    if url is not None and not url.startswith(("https://", "http://")):
        raise FormProblem(_("A web address starts with https://."))
    email = str(form.get("email") or "").strip() or None
    if email is not None and "@" not in email:
        raise FormProblem(_("That is not an e-mail address."))
    exploitation = [v for v in form.getlist("exploitation_types") if v in EXPLOITATION_TYPES]
    genders = [v for v in form.getlist("genders") if v in GENDERS]
    partner = str(form.get("baken_organisation_id") or "").strip() or None
    if partner is not None:
        repo = OrganisationRepository(services_of(request.app).db)
        found = await repo.by_id(partner) or await repo.by_slug(partner)
        if found is None:
            raise FormProblem(_("There is no Baken organisation with that id."))
        partner = found.id
    return to_hsds(
        service_id=service_id,
        name=name,
        description=str(form.get("description") or "").strip()[:4000],
        organization_name=organization_name,
        service_type=service_type,
        phones=_list(form, "phones", "\n")[:10],
        email=email,
        url=url,
        opening_hours_text=str(form.get("opening_hours_text") or "").strip()[:500] or None,
        accepts_warm_handoff=form.get("accepts_warm_handoff") == "yes",
        baken_organisation_id=partner,
        languages=languages[:20],
        age_min=age_min,
        age_max=age_max,
        genders=genders,
        regions=_list(form, "regions")[:20],
        exploitation_types=exploitation,
    )


async def directory_save(request: Request, _origin: SameOrigin, member: Admin) -> Response:
    services = services_of(request.app)
    form = await request.form(max_files=0, max_fields=40, max_part_size=MAX_FORM_BYTES)
    service_id = str(form.get("id") or "")
    new = not service_id
    repo = DirectoryRepository(services.db)
    before: DirectoryService | None = None
    old: dict[str, Any] | None = None
    if new:
        service_id = str(uuid.uuid4())
    else:
        before = await get_service(services.db, member.organisation_id, service_id)
        old = await repo.hsds(member.organisation_id, service_id)
        if before is None or old is None:
            return error_page(_lang(request), 404)
    try:
        hsds = _merge(old, await _made(request, form, member, service_id), before)
        Service.model_validate(hsds)
        service = from_hsds(hsds)
    except FormProblem as problem:
        values: dict[str, Any] = {
            k: str(form.get(k) or "") for k in form if k not in ("exploitation_types", "genders")
        }
        values["exploitation_types"] = form.getlist("exploitation_types")
        values["genders"] = form.getlist("genders")
        values["accepts_warm_handoff"] = form.get("accepts_warm_handoff") == "yes"
        return _edit_page(request, member, values, new, str(problem))
    except (ValidationError, NotBaken):
        return error_page(_lang(request), 400)
    saved = await repo.save(member.organisation_id, service, hsds, Actor.of(member), new=new)
    if not saved:
        return error_page(_lang(request), 404)
    return RedirectResponse("/staff/directory?done=saved", status_code=303)


async def directory_remove(request: Request, _origin: SameOrigin, member: Admin) -> Response:
    services = services_of(request.app)
    form = await request.form(max_files=0, max_fields=4, max_part_size=MAX_FORM_BYTES)
    service_id = str(form.get("id") or "")
    removed = await DirectoryRepository(services.db).remove(
        member.organisation_id, service_id, Actor.of(member)
    )
    if not removed:
        return error_page(_lang(request), 404)
    return RedirectResponse("/staff/directory?done=removed", status_code=303)
