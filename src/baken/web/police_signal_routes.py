"""Anonymous signals to the police (issue 17, item 4; docs/police-signals.md): plain HTML forms,
no JavaScript needed. A counselor, supervisor or administrator drafts a signal — from a chat
(``?conversation=``, the link on the registration) or on its own — and submits it; a supervisor or
administrator who did not draft it approves or rejects it with a reason; an approved signal is
downloaded, signed, as JSON (+ signature) and PDF.

Object-level rule: a signal is visible to its drafter and to the supervisors and administrators of
its organisation; to anyone else — another organisation, another counselor — it does not exist
(the same 404 as a missing id). Every step leaves an audit record with codes, never text.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from baken.access import Permission
from baken.audit import kinds as audit_kinds
from baken.i18n import negotiate
from baken.police_signals import workflow
from baken.police_signals.checks import Finding
from baken.police_signals.fields import (
    ALL_FIELDS,
    EXPLOITATION_FIELD,
    TEXT_LIMITS,
    FieldError,
    SignalFields,
    exploitation_values,
    parse,
)
from baken.police_signals.repository import PoliceSignal, PoliceSignalRepository
from baken.police_signals.service import check_draft, signed_export
from baken.police_signals.signing import fingerprint, public_pem, signing_key
from baken.registration import codebook
from baken.registration.repository import RegistrationRepository
from baken.store.staff_repo import StaffMember
from baken.web.audit_hooks import audit
from baken.web.guards import SameOrigin, staff_for
from baken.web.pages import error_page
from baken.web.registration_routes import may_register
from baken.web.services import Services, services_of
from baken.web.staff_block_routes import local_time
from baken.web.staff_nav import POLICE_SIGNALS
from baken.web.templating import render

MAX_FORM_BYTES = 16 * 1024
MAX_REASON = 1000
DONE = frozenset({"drafted", "saved", "submitted", "approved", "rejected"})
EXPORTS = {
    "json": "application/json",
    "sig": "text/plain; charset=utf-8",
    "pdf": "application/pdf",
}


def _lang(request: Request) -> str:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def _repo(services: Services) -> PoliceSignalRepository:
    return PoliceSignalRepository(services.db, services.chat.repo.ciphers.master)


Member = Annotated[StaffMember, Depends(staff_for(POLICE_SIGNALS))]
# The public key: for those who approve (the four-eyes rule's second pair).
Approver = Annotated[StaffMember, Depends(staff_for(Permission(workflow.APPROVERS)))]


async def _visible(request: Request, member: StaffMember) -> PoliceSignal | None:
    """The signal of the path, or None when it is missing or not this member's to see."""
    found = await _repo(services_of(request.app)).get(str(request.path_params["signal_id"]))
    if found is None or found.organisation_id != member.organisation_id:
        return None
    if not workflow.may_see(member.role, member.id, found.drafted_by):
        return None
    return found


async def _conversation_allowed(
    request: Request, member: StaffMember, conversation_id: str
) -> bool:
    access = await RegistrationRepository(services_of(request.app).db).access(conversation_id)
    return access is not None and may_register(member, access)


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ALL_FIELDS:
        if name == EXPLOITATION_FIELD:
            values[name] = [str(v) for v in form.getlist(name)]
        else:
            raw = form.get(name)
            values[name] = raw if isinstance(raw, str) else ""
    return values


def _page(
    request: Request,
    member: StaffMember,
    *,
    signal: PoliceSignal | None,
    form: dict[str, Any],
    conversation_id: str | None,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    warnings: list[Finding] | None = None,
    status_code: int = 200,
) -> Response:
    lang = _lang(request)
    exploitation = codebook.get("exploitation_types")
    options = [(v, exploitation.value(v)) for v in exploitation_values()]
    return render(
        "staff_police_signal.html",
        lang,
        status_code=status_code,
        staff=member,
        signal=signal,
        form=form,
        conversation_id=conversation_id,
        errors=errors or {},
        refusal=refusal,
        warnings=warnings or [],
        limits=TEXT_LIMITS,
        options=[(v, value.label.get(lang)) for v, value in options if value is not None],
        may_edit=signal is None
        or (signal.drafted_by == member.id and signal.status in workflow.EDITABLE),
        may_decide=signal is not None
        and signal.status is workflow.Status.SUBMITTED
        and member.role in workflow.APPROVERS
        and signal.drafted_by != member.id,
        may_export=signal is not None
        and signal.status in workflow.EXPORTABLE
        and member.role in workflow.APPROVERS,
        own=signal is not None and signal.drafted_by == member.id,
        done=request.query_params.get("done") if request.query_params.get("done") in DONE else None,
        local_time=local_time,
        max_reason=MAX_REASON,
    )


async def signals_page(request: Request, member: Member) -> Response:
    repo = _repo(services_of(request.app))
    mine_only = None if member.role in workflow.APPROVERS else member.id
    listed = await repo.of_organisation(member.organisation_id, mine_only)
    return render(
        "staff_police_signals.html",
        _lang(request),
        staff=member,
        signals=listed,
        local_time=local_time,
        approver=member.role in workflow.APPROVERS,
    )


async def new_signal_page(request: Request, member: Member) -> Response:
    conversation_id = request.query_params.get("conversation") or None
    if conversation_id is not None and not await _conversation_allowed(
        request, member, conversation_id
    ):
        return error_page(_lang(request), 404)
    return _page(request, member, signal=None, form={}, conversation_id=conversation_id)


async def _checked(
    request: Request,
    member: StaffMember,
    form: dict[str, Any],
    conversation_id: str | None,
    signal: PoliceSignal | None,
) -> SignalFields | Response:
    """The fields, or the form again with what is wrong (nothing stored)."""
    try:
        fields = parse(form)
    except FieldError as exc:
        return _page(
            request,
            member,
            signal=signal,
            form=form,
            conversation_id=conversation_id,
            errors={exc.field: exc.code},
            status_code=400,
        )
    services = services_of(request.app)
    chat = services.chat
    result = await check_draft(_repo(services), chat.repo, chat.codes, fields, conversation_id)
    if not result.ok:
        first = result.refusals[0]
        await audit(
            request,
            audit_kinds.POLICE_SIGNAL_REFUSED,
            member,
            audit_kinds.POLICE_SIGNAL,
            signal.id if signal is not None else None,
            detail=" ".join(f"{f.field}={f.reason}" for f in result.refusals),
        )
        return _page(
            request,
            member,
            signal=signal,
            form=form,
            conversation_id=conversation_id,
            errors={f.field: f.reason for f in result.refusals},
            refusal=first.reason,
            status_code=422,
        )
    return fields


async def create_signal(request: Request, _origin: SameOrigin, member: Member) -> Response:
    lang = _lang(request)
    form = await request.form(max_files=0, max_fields=40, max_part_size=MAX_FORM_BYTES)
    raw_conversation = form.get("conversation_id")
    conversation_id = (
        raw_conversation if isinstance(raw_conversation, str) and raw_conversation else None
    )
    if conversation_id is not None and not await _conversation_allowed(
        request, member, conversation_id
    ):
        return error_page(lang, 404)
    values = _form_values(form)
    fields = await _checked(request, member, values, conversation_id, None)
    if isinstance(fields, Response):
        return fields
    services = services_of(request.app)
    signal_id = await _repo(services).create(
        member.organisation_id, conversation_id, member.id, fields
    )
    await audit(
        request,
        audit_kinds.POLICE_SIGNAL_DRAFT,
        member,
        audit_kinds.POLICE_SIGNAL,
        signal_id,
        detail="linked=yes" if conversation_id else "linked=no",
    )
    return RedirectResponse(
        f"{POLICE_SIGNALS.path}/{signal_id}?done=drafted&lang={lang}", status_code=303
    )


async def signal_page(request: Request, member: Member) -> Response:
    signal = await _visible(request, member)
    if signal is None:
        return error_page(_lang(request), 404)
    # Who read which signal (issue 17, item 4): the page shows everything it holds.
    await audit(
        request, audit_kinds.POLICE_SIGNAL_VIEW, member, audit_kinds.POLICE_SIGNAL, signal.id
    )
    warnings: list[Finding] = []
    if signal.status is workflow.Status.SUBMITTED and member.role in workflow.APPROVERS:
        # The approver sees what the check let through but flags: a number the visitor typed.
        chat = services_of(request.app).chat
        result = await check_draft(
            _repo(services_of(request.app)),
            chat.repo,
            chat.codes,
            signal.fields,
            signal.conversation_id,
        )
        warnings = result.warnings + result.refusals
    return _page(
        request,
        member,
        signal=signal,
        form=signal.fields.as_dict(),
        conversation_id=signal.conversation_id,
        warnings=warnings,
    )


def _refused(request: Request, member: StaffMember, signal: PoliceSignal, code: str) -> Response:
    if code in ("own_signal", "not_drafter", "not_approver"):
        status = 403
    elif code == "reason_required":
        status = 400
    else:
        status = 409  # the signal is not (any more) in the status this step starts from
    return _page(
        request,
        member,
        signal=signal,
        form=signal.fields.as_dict(),
        conversation_id=signal.conversation_id,
        refusal=code,
        status_code=status,
    )


def _back(request: Request, signal_id: str, done: str) -> Response:
    return RedirectResponse(
        f"{POLICE_SIGNALS.path}/{signal_id}?done={done}&lang={_lang(request)}", status_code=303
    )


async def edit_signal(request: Request, _origin: SameOrigin, member: Member) -> Response:
    signal = await _visible(request, member)
    if signal is None:
        return error_page(_lang(request), 404)
    try:
        workflow.check_edit(member.id, signal.drafted_by, signal.status)
    except workflow.Refused as exc:
        return _refused(request, member, signal, exc.code)
    form = await request.form(max_files=0, max_fields=40, max_part_size=MAX_FORM_BYTES)
    fields = await _checked(request, member, _form_values(form), signal.conversation_id, signal)
    if isinstance(fields, Response):
        return fields
    if not await _repo(services_of(request.app)).edit(signal, fields, workflow.EDITABLE):
        return _refused(request, member, signal, "not_editable")
    await audit(
        request, audit_kinds.POLICE_SIGNAL_EDIT, member, audit_kinds.POLICE_SIGNAL, signal.id
    )
    return _back(request, signal.id, "saved")


async def submit_signal(request: Request, _origin: SameOrigin, member: Member) -> Response:
    signal = await _visible(request, member)
    if signal is None:
        return error_page(_lang(request), 404)
    try:
        workflow.check_submit(member.id, signal.drafted_by, signal.status)
    except workflow.Refused as exc:
        return _refused(request, member, signal, exc.code)
    # Checked again: the visitor may have written more since the draft was saved.
    checked = await _checked(
        request, member, signal.fields.as_dict(), signal.conversation_id, signal
    )
    if isinstance(checked, Response):
        return checked
    if not await _repo(services_of(request.app)).submit(signal.id, workflow.EDITABLE):
        return _refused(request, member, signal, "not_editable")
    await audit(
        request, audit_kinds.POLICE_SIGNAL_SUBMIT, member, audit_kinds.POLICE_SIGNAL, signal.id
    )
    return _back(request, signal.id, "submitted")


async def _to_decide(
    request: Request, member: StaffMember
) -> tuple[StaffMember, PoliceSignal] | Response:
    """Who decides on which signal, once the four-eyes rule allows it (approve and reject)."""
    signal = await _visible(request, member)
    if signal is None:
        return error_page(_lang(request), 404)
    try:
        workflow.check_decide(member.role, member.id, signal.drafted_by, signal.status)
    except workflow.Refused as exc:
        return _refused(request, member, signal, exc.code)
    return member, signal


async def approve_signal(request: Request, _origin: SameOrigin, member: Member) -> Response:
    decided = await _to_decide(request, member)
    if isinstance(decided, Response):
        return decided
    member, signal = decided
    if not await _repo(services_of(request.app)).approve(signal.id, member.id):
        return _refused(request, member, signal, "not_submitted")
    await audit(
        request, audit_kinds.POLICE_SIGNAL_APPROVE, member, audit_kinds.POLICE_SIGNAL, signal.id
    )
    return _back(request, signal.id, "approved")


async def reject_signal(request: Request, _origin: SameOrigin, member: Member) -> Response:
    decided = await _to_decide(request, member)
    if isinstance(decided, Response):
        return decided
    member, signal = decided
    form = await request.form(max_files=0, max_fields=4, max_part_size=MAX_FORM_BYTES)
    raw = form.get("reason")
    reason = raw.strip() if isinstance(raw, str) else ""
    if not reason or len(reason) > MAX_REASON:
        return _refused(request, member, signal, "reason_required")
    if not await _repo(services_of(request.app)).reject(signal, member.id, reason):
        return _refused(request, member, signal, "not_submitted")
    await audit(
        request, audit_kinds.POLICE_SIGNAL_REJECT, member, audit_kinds.POLICE_SIGNAL, signal.id
    )
    return _back(request, signal.id, "rejected")


async def export_signal(request: Request, member: Member) -> Response:
    lang = _lang(request)
    signal = await _visible(request, member)
    fmt = str(request.path_params["fmt"])
    if signal is None or fmt not in EXPORTS:
        return error_page(lang, 404)
    try:
        workflow.check_export(member.role, signal.status)
    except workflow.Refused as exc:
        return _refused(request, member, signal, exc.code)
    services = services_of(request.app)
    repo = _repo(services)
    signed = await signed_export(repo, services.chat.repo.ciphers.master, signal)
    await repo.mark_exported(signal.id, signed.sha256)
    await audit(
        request,
        audit_kinds.POLICE_SIGNAL_EXPORT,
        member,
        audit_kinds.POLICE_SIGNAL,
        signal.id,
        detail=f"fmt={fmt}",
    )
    if fmt == "json":
        body = signed.document
        name = f"{signal.id}.json"
    elif fmt == "sig":
        body = signed.signature_text.encode()
        name = f"{signal.id}.json.sig"
    else:
        from baken.police_signals.pdf import to_pdf

        body = to_pdf(signed)
        name = f"{signal.id}.pdf"
    return Response(
        body,
        media_type=EXPORTS[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


async def public_key(request: Request, member: Approver) -> Response:
    """The organisation's public key, for the police partner to check signatures with."""
    services = services_of(request.app)
    key = await signing_key(services.db, services.chat.repo.ciphers.master, member.organisation_id)
    return Response(
        public_pem(key.public_key()),
        media_type="application/x-pem-file",
        headers={
            "Content-Disposition": 'attachment; filename="baken-police-signal-key.pem"',
            "X-Key-Fingerprint": fingerprint(key.public_key()),
        },
    )
