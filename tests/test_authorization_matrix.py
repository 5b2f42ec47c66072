"""The authorization matrix (issue 5, part 2): every HTTP route and every WebSocket frame type,
for every kind of person, on their own and on someone else's objects, on a real server.

Two tables drive it. `ROUTES` has one entry per (method, path template) of the app and
`FRAMES` one per frame type in realtime/frames.py; a route or frame type without an entry fails
`test_every_route_has_an_entry` / `test_every_frame_type_has_an_entry` with its name. The tables
are the specification: docs/security.md, "Authorization matrix", is written from them.

Deny is precise per route, following the route's convention: staff pages send anyone without a
staff session to the sign-in page (303), JSON APIs answer 401 without a session and 403 for a
role that may not; another organisation's or a colleague's object is 404 where the route hides
existence (canned texts, accounts, left messages) and 403 where it says "not yours"
(registrations). Over the WebSocket a refused frame is an `error` frame whose `ref` names it.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import Mount
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from baken import access
from baken.config import Settings
from baken.crypto.envelope import CipherCache
from baken.domain.conversation import Role
from baken.partners.consent import HandoffConsent, HandoffTarget
from baken.police_signals.fields import SignalFields
from baken.police_signals.repository import PoliceSignalRepository
from baken.police_signals.workflow import Status as SignalStatus
from baken.realtime import frames as frame_module
from baken.referrals.consent import card_for
from baken.referrals.repository import ReferralRepository
from baken.referrals.service_lookup import ServiceInfo
from baken.service_hours.form import form_from_document
from baken.store.block_repo import BlockRepository
from baken.store.clock import utcnow
from baken.store.conversation_repo import ConversationRepository
from baken.store.database import Database
from baken.store.invitation_repo import InvitationRepository
from baken.store.organisation_repo import OrganisationRepository
from baken.store.partner_access_repo import PartnerAccessRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION as DEFAULT_ORG
from baken.store.staff_repo import StaffRepository
from baken.web.app import create_app
from baken.web.command_routes import SOCKET_ONLY
from baken.web.cookies import STAFF_COOKIE, VISITOR_COOKIE
from baken.web.organisation_forms import form_of
from baken.web.services import services_of
from tests.authz_world import PARTNER, PRINCIPALS, World, in_db
from tests.registration_helpers import World as RegistrationWorld
from tests.registration_helpers import utc
from tests.support import Client, Server, master_key, open_socket, run_async, start_server

EVIL_ORIGIN = "http://evil.example"
REPORT_YEAR = 2021

# --- outcomes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: int
    location: str | None = None  # where a 303 must lead

    def check(self, response: httpx.Response, label: str) -> None:
        got = (response.status_code, response.headers.get("location"))
        assert response.status_code == self.status, f"{label}: expected {self}, got {got}"
        if self.location is not None:
            assert response.headers.get("location") == self.location, f"{label}: got {got}"

    def __str__(self) -> str:
        return f"{self.status}" + (f" → {self.location}" if self.location else "")


OK, CREATED, NO_CONTENT = Outcome(200), Outcome(201), Outcome(204)
BAD_REQUEST, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND = (
    Outcome(400),
    Outcome(401),
    Outcome(403),
    Outcome(404),
)
SIGN_IN = Outcome(303, "/staff/login")

VISITORS = ("anonymous", "visitor")


def _columns(roles: frozenset[Role]) -> tuple[str, ...]:
    """A role set of baken/access.py (the one the guards and the navigation use) as the matrix's
    columns. The answer for each role stays written out per route in docs/security.md's table, so
    a change to a set also shows there."""
    return tuple(who for who in PRINCIPALS if who in roles)


CHAT_ROLES = _columns(access.CHAT_ROLES)
ALL_STAFF = _columns(access.EVERYONE - access.PARTNERS)
ADMINS = _columns(access.ADMINS)
FIGURE_VIEWERS = _columns(access.FIGURE_VIEWERS)
REPORT_READERS = _columns(access.REPORT_READERS)


def everyone(outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(PRINCIPALS, outcome)


def staff_page(
    allowed: tuple[str, ...], ok: Outcome = OK, **special: Outcome
) -> dict[str, Outcome]:
    """A staff HTML page: no staff session → the sign-in page; a role that may not → 403 page."""
    table = {who: ok if who in allowed else FORBIDDEN for who in PRINCIPALS}
    table.update(dict.fromkeys(VISITORS, SIGN_IN))
    table.update(special)
    return table


def staff_api(allowed: tuple[str, ...], ok: Outcome = OK, **special: Outcome) -> dict[str, Outcome]:
    """A staff JSON API: no staff session → 401; a role that may not → 403."""
    table = {who: ok if who in allowed else FORBIDDEN for who in PRINCIPALS}
    table.update(dict.fromkeys(VISITORS, UNAUTHENTICATED))
    table.update(special)
    return table


# --- requests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    json: Any = None
    form: dict[str, str] | None = None
    fresh: bool = False  # the request ends the session (or chat) it is made with
    stream: bool = False  # an answer that keeps coming: only its status and headers are read


Builder = Callable[[World, str], Req]


def fixed(method: str, path: str, **kwargs: Any) -> Builder:
    return lambda _world, _who: Req(method, path, **kwargs)


@dataclass(frozen=True)
class Case:
    """An object-level attempt: who, on which object, and what must happen."""

    label: str
    who: str  # a principal, or an account name of authz_world (colleague, partner_admin, ...)
    request: Builder
    outcome: Outcome


@dataclass(frozen=True)
class Route:
    outcomes: dict[str, Outcome]
    request: Builder
    cases: tuple[Case, ...] = ()
    # State-changing routes: a cross-origin attempt by this principal is refused with 403.
    origin_as: str | None = None


def send(world: World, request: Req, who: str, origin: str | None = "same") -> httpx.Response:
    headers = world.headers(who, fresh=request.fresh) if who != "anonymous" else {}
    if origin == "same":
        headers["Origin"] = world.server.origin
    elif origin is not None:
        headers["Origin"] = origin
    if request.stream:
        with httpx.stream(
            request.method, world.server.base + request.path, headers=headers, timeout=20
        ) as streamed:
            return httpx.Response(streamed.status_code, headers=streamed.headers)
    for _attempt in range(40):
        response = httpx.request(
            request.method,
            world.server.base + request.path,
            json=request.json,
            data=request.form,
            headers=headers,
            follow_redirects=False,
            timeout=20,
        )
        # Return codes cost an argon2 hash each and share one global rate (chat_service.py):
        # "try again in a moment" is that rate, not a decision about who is asking.
        if response.status_code != 429 or not _is_try_later(response):
            return response
        time.sleep(0.25)
    raise AssertionError(f"{request.path} stayed at try_later")


def _is_try_later(response: httpx.Response) -> bool:
    """The JSON APIs say so in the body; the no-JavaScript forms (a page) with Retry-After."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return bool(response.json().get("error") == "try_later")
    return "retry-after" in response.headers


# --- objects the routes act on -------------------------------------------------------------------


def own_conversation(world: World, who: str) -> str:
    """For a counselor their own chat; for anyone else a colleague's chat of the organisation."""
    return world.conversation(who if who in ("counselor", "colleague") else "colleague")


def registration(world: World, who: str) -> str:
    return f"/api/conversations/{own_conversation(world, who)}/registration"


def case_link(world: World, who: str) -> str:
    return f"/api/conversations/{own_conversation(world, who)}/case-link"


def earlier_of(world: World, who: str) -> dict[str, str]:
    return {"earlier_conversation_id": own_conversation(world, who)}


def own_canned(world: World, who: str) -> str:
    owner = who if who in (*CHAT_ROLES, "colleague") else "colleague"
    return f"/api/canned/{world.canned(owner)}"


def left_message(world: World, organisation: str = "default") -> str:
    """A message left while closed, and the id of its thread as staff see it."""
    left = send(
        world,
        Req("POST", "/api/visitor/message", json={"text": "Kan iemand mij terugschrijven?"}),
        "anonymous",
    )
    assert left.status_code == 200, left.text
    reader = "counselor" if organisation == "default" else "partner_counselor"
    threads = httpx.get(
        world.server.base + "/api/left-messages", headers=world.headers(reader)
    ).json()["threads"]
    return str(threads[-1]["id"]) if threads else "r_none"


def hours_form(world: World) -> dict[str, str]:
    current = httpx.get(
        world.server.base + "/api/service-hours", headers=world.headers("admin")
    ).json()
    return {**form_from_document(current["config"]), "version": str(current["version"])}


def hours_body(world: World) -> dict[str, Any]:
    current = httpx.get(
        world.server.base + "/api/service-hours", headers=world.headers("admin")
    ).json()
    return {"version": current["version"], "config": current["config"]}


def chart_path(world: World) -> str:
    page = httpx.get(
        world.server.base + f"/research?year={REPORT_YEAR}", headers=world.headers("researcher")
    )
    start = page.text.index(f"/research/{REPORT_YEAR}/chart/")
    return page.text[start : page.text.index('"', start)].split("?")[0]


def own_passkey_owner(who: str) -> str:
    """Staff remove a passkey of their own; for anyone else it is the colleague's."""
    return who if who in ALL_STAFF else "colleague"


def fresh_organisation(world: World, active: bool = True) -> str:
    """A new organisation of its own (issue 14), so that disabling it or giving it a host name
    touches nothing the other attempts use; its id."""

    async def add(db: Database) -> str:
        repo = OrganisationRepository(db)
        made = await repo.add("authz-" + secrets.token_hex(4), "Hulplijn")
        if not active:
            await repo.set_active(made.id, False)
        return made.id

    return in_db(world.server, add)


def own_organisation_form(world: World, who: str) -> dict[str, str]:
    """The own-organisation form as the page fills it in: saving it changes nothing."""
    account = world.accounts.get(who)
    organisation_id = account.organisation_id if account else DEFAULT_ORG

    async def read(db: Database) -> dict[str, str]:
        found = await OrganisationRepository(db).by_id(organisation_id)
        assert found is not None
        return form_of(found)

    return in_db(world.server, read)


def platform_req(action: str, organisation_id: str, **form: str) -> Req:
    return Req("POST", f"/staff/organisations/{organisation_id}/{action}", form=form)


def invited(world: World, used: bool = False) -> tuple[str, str]:
    """Issue 15: an account of the default organisation waiting for its one-time link (or one
    that already used it); (staff id, raw token of the link)."""

    async def make(db: Database) -> tuple[str, str]:
        member = await StaffRepository(db).create(
            "inv-" + secrets.token_hex(4), "Noor", "!not-a-hash", Role.COUNSELOR, DEFAULT_ORG
        )
        links = InvitationRepository(db)
        token = await links.issue(member.id, None)
        if used:
            await links.redeem(token, "!not-a-hash")
        return member.id, token

    return in_db(world.server, make)


def invite_req(world: World, method: str, used: bool = False) -> Req:
    form = {"new": INVITED_PASSWORD, "again": INVITED_PASSWORD} if method == "POST" else None
    return Req(method, f"/staff/invite/{invited(world, used)[1]}", form=form)


def new_account_form() -> dict[str, str]:
    return {"username": "new-" + secrets.token_hex(4), "display_name": "Noor", "role": "counselor"}


def directory_service(world: World, organisation_id: str = DEFAULT_ORG) -> str:
    """A fresh partner-directory service of the organisation (issue 17, item 1)."""
    from baken.audit.kinds import SYSTEM
    from baken.directory.model import from_hsds, to_hsds
    from baken.directory.repository import DirectoryRepository

    service_id = f"authz-{secrets.token_hex(4)}"
    hsds = to_hsds(
        service_id=service_id,
        name="Opvang",
        description="",
        organization_name="Opvang",
        service_type="shelter",
        phones=("0800-0000",),
        email=None,
        url=None,
        opening_hours_text=None,
        accepts_warm_handoff=False,
        baken_organisation_id=None,
        languages=(),
        age_min=None,
        age_max=None,
        genders=(),
        regions=(),
        exploitation_types=(),
    )
    in_db(
        world.server,
        lambda db: DirectoryRepository(db).save(
            organisation_id, from_hsds(hsds), hsds, SYSTEM, new=True
        ),
    )
    return service_id


DIRECTORY_FORM = {"id": "", "name": "Opvang", "service_type": "shelter"}
DIRECTORY_SAVED = Outcome(303, "/staff/directory?done=saved")
DIRECTORY_REMOVED = Outcome(303, "/staff/directory?done=removed")


def lifted_block(world: World) -> str:
    block_id = world.block("counselor")
    staff_id = world.account("supervisor").id
    in_db(world.server, lambda db: BlockRepository(db).lift(block_id, staff_id))
    return block_id


def lift_req(block_id: str) -> Req:
    return Req("POST", f"/staff/blocks/{block_id}/lift")


AUTHZ_SERVICE = ServiceInfo(
    "svc-authz", "Opvang", "Stichting Opvang", "", "shelter", ("0800-0000",), None, None, None, True
)


async def _authz_directory(_db: Database, _org: str, service_id: str) -> ServiceInfo | None:
    return AUTHZ_SERVICE if service_id == AUTHZ_SERVICE.id else None


# Issue 17, item 3: the hand-off consents of the referrals the matrix makes (kinds "handoff" and
# "handoff_access"), and the partner organisation behind AUTHZ_SERVICE.
_HANDOFFS: dict[str, HandoffConsent] = {}
HANDOFF_ORG = "org_handoff"
_handoff_partners: dict[int, str] = {}


async def _authz_consent(_db: Database, referral_id: str) -> HandoffConsent | None:
    return _HANDOFFS.get(referral_id)


async def _authz_target(_db: Database, _org: str, service_id: str) -> HandoffTarget | None:
    return HandoffTarget(service_id, HANDOFF_ORG) if service_id == AUTHZ_SERVICE.id else None


def handoff(world: World, owner: str, with_access: bool) -> Obj:
    """A chat of `owner` with a referral whose visitor consented to a warm hand-off, a partner
    professional to invite, and (with_access) their open invitation."""
    conversation = world.conversation(owner)
    account = world.account(owner)
    partner = _handoff_partners.get(id(world))
    if partner is None:
        partner = world.create_account(Role.PARTNER, HANDOFF_ORG).id
        _handoff_partners[id(world)] = partner
    referral = secrets.token_hex(16)
    _HANDOFFS[referral] = HandoffConsent(
        referral, conversation, account.organisation_id, frozenset(), utcnow(), AUTHZ_SERVICE.id
    )
    obj = Obj(conversation=conversation, referral=referral, partner_staff=partner)
    if with_access:

        async def invite(db: Database) -> str:
            made = await PartnerAccessRepository(db).invite(
                referral_id=referral,
                conversation_id=conversation,
                organisation_id=account.organisation_id,
                partner_organisation_id=HANDOFF_ORG,
                partner_staff_id=partner,
                invited_by=account.id,
                now=utcnow(),
                expires_at=utcnow() + timedelta(hours=2),
            )
            return made.id

        obj.access = in_db(world.server, invite)
    return obj


def proposed_referral(world: World, conversation_id: str) -> str:
    """Issue 17: a referral proposed on this conversation; its id."""

    async def make(db: Database) -> str:
        ciphers = CipherCache(master_key(world.server.settings))
        repo = ReferralRepository(ConversationRepository(db, ciphers))
        record = await repo.repo.get(conversation_id)
        assert record is not None
        made = await repo.propose(
            record.organisation_id,
            conversation_id,
            AUTHZ_SERVICE.id,
            AUTHZ_SERVICE.service_type,
            record.counselor_id or world.account("counselor").id,  # the chat's own counselor
            card_for(AUTHZ_SERVICE, "nl", None),
        )
        return made.id

    return in_db(world.server, make)


def referral_outcome(world: World, who: str, outcome: str = "arrived") -> Req:
    """Issue 17, item 5: the outcome of a referral the counselor proposed (for anyone else, the
    counselor's: supervisors and administrators see the organisation's)."""
    referral_id = proposed_referral(world, world.conversation("counselor"))
    return Req("POST", f"/staff/referrals/{referral_id}/outcome", form={"outcome": outcome})


def colleagues_referral(world: World) -> Req:
    referral_id = proposed_referral(world, world.conversation("colleague"))
    return Req("POST", f"/staff/referrals/{referral_id}/outcome", form={"outcome": "arrived"})


def police_signal(world: World, by: str, status: str = "draft") -> str:
    """Issue 17, item 4: a police signal drafted by this account, moved on to ``status``
    (draft, submitted or approved, approved by the organisation's other approver); its id."""
    drafter = world.account(by)
    approver = world.account("admin" if by != "admin" else "supervisor")
    if drafter.organisation_id != DEFAULT_ORG:
        approver = world.account("partner_admin" if by != "partner_admin" else "partner_supervisor")

    async def make(db: Database) -> str:
        repo = PoliceSignalRepository(db, master_key(world.server.settings))
        signal_id = await repo.create(
            drafter.organisation_id, None, drafter.id, SignalFields(what="Feiten.")
        )
        if status in ("submitted", "approved"):
            await repo.submit(signal_id, [SignalStatus.DRAFT])
        if status == "approved":
            await repo.approve(signal_id, approver.id)
        return signal_id

    return in_db(world.server, make)


def own_signal(world: World, who: str, status: str = "draft") -> str:
    """A chat role's own signal; for anyone else the counselor's (refused before it matters)."""
    return police_signal(world, who if who in CHAT_ROLES else "counselor", status)


def colleague_signal(world: World, status: str) -> str:
    return police_signal(world, "colleague", status)


SIGNAL_FORM = {"what": "Feiten over een woning."}


INVITED_PASSWORD = "zeven groene kikkers zingen"
CANNED_BODY = {"scope": "personal", "lang": "nl", "title": "Groet", "body": "Hallo!"}
CANNED_EDIT = {"lang": "nl", "title": "Groet", "body": "Hallo, fijn dat je er bent."}
UNKNOWN_CODE = {"code": "appel banaan citroen druif"}

# --- the route table -----------------------------------------------------------------------------

ROUTES: dict[tuple[str, str], Route] = {
    # Visitors: no staff session needed, never refused for having one.
    ("GET", "/"): Route(everyone(OK), fixed("GET", "/")),
    ("POST", "/start"): Route(
        everyone(Outcome(303, "/?lang=nl")),
        fixed("POST", "/start", form={"lang": "nl"}),
        origin_as="anonymous",
    ),
    ("GET", "/api/visitor/challenge"): Route(everyone(OK), fixed("GET", "/api/visitor/challenge")),
    ("POST", "/api/visitor/start"): Route(
        everyone(OK),
        fixed("POST", "/api/visitor/start", json={"lang": "nl"}),
        origin_as="anonymous",
    ),
    # A return code is its own credential: a wrong one gets the same answer for everyone.
    ("POST", "/api/visitor/return"): Route(
        everyone(BAD_REQUEST),
        fixed("POST", "/api/visitor/return", json=UNKNOWN_CODE),
        origin_as="anonymous",
    ),
    ("POST", "/api/visitor/code/destroy"): Route(
        everyone(OK),
        fixed("POST", "/api/visitor/code/destroy", json=UNKNOWN_CODE),
        origin_as="anonymous",
    ),
    # Issue 17: a visitor's referrals and their withdrawal, with the return code; a wrong code
    # and an unknown referral get the same 404.
    ("POST", "/api/visitor/referrals"): Route(
        everyone(NOT_FOUND),
        fixed("POST", "/api/visitor/referrals", json=UNKNOWN_CODE),
        origin_as="anonymous",
    ),
    ("POST", "/api/visitor/referrals/withdraw"): Route(
        everyone(NOT_FOUND),
        fixed(
            "POST",
            "/api/visitor/referrals/withdraw",
            json={**UNKNOWN_CODE, "referral_id": "0" * 32},
        ),
        origin_as="anonymous",
    ),
    # The same as a page (issue 17): a wrong code lists nothing (400, as /return); withdrawing
    # with it is the same 404 as an unknown referral.
    ("POST", "/return/referrals"): Route(
        everyone(BAD_REQUEST),
        fixed("POST", "/return/referrals", form={**UNKNOWN_CODE, "lang": "nl"}),
        origin_as="anonymous",
    ),
    ("POST", "/return/referrals/withdraw"): Route(
        everyone(NOT_FOUND),
        fixed(
            "POST",
            "/return/referrals/withdraw",
            form={**UNKNOWN_CODE, "referral_id": "0" * 32, "lang": "nl"},
        ),
        origin_as="anonymous",
    ),
    ("GET", "/exit"): Route(
        everyone(Outcome(303, "http://127.0.0.1:9/neutral")), fixed("GET", "/exit", fresh=True)
    ),
    ("GET", "/api/service/status"): Route(everyone(OK), fixed("GET", "/api/service/status")),
    # Issue 18: public availability for partner sites; an unknown organisation is a plain 404.
    ("GET", "/api/availability"): Route(everyone(OK), fixed("GET", "/api/availability")),
    # Issue 18: the poster's address leads to the entry page, whatever the code.
    ("GET", "/c/{code:path}"): Route(
        everyone(Outcome(303, "/?c=school-2027")), fixed("GET", "/c/school-2027")
    ),
    # Issue 18: the partner launcher script, public and the same for everyone.
    ("GET", "/launcher.js"): Route(everyone(OK), fixed("GET", "/launcher.js")),
    # Issue 18: the self-check stores nothing and changes nothing, so it needs no origin check.
    ("GET", "/check"): Route(everyone(OK), fixed("GET", "/check")),
    ("POST", "/check"): Route(
        everyone(OK),
        fixed("POST", "/check", form={"lang": "nl", "promise": "yes"}),
        origin_as="anonymous",
    ),
    # Issue 18: the disguise's homework page, fetched by cover.js.
    ("GET", "/cover"): Route(everyone(OK), fixed("GET", "/cover")),
    ("POST", "/api/visitor/message"): Route(
        everyone(OK),
        fixed("POST", "/api/visitor/message", json={"text": "Hallo", "lang": "nl"}),
        origin_as="anonymous",
    ),
    ("POST", "/api/visitor/mailbox"): Route(
        everyone(BAD_REQUEST),
        fixed("POST", "/api/visitor/mailbox", json=UNKNOWN_CODE),
        origin_as="anonymous",
    ),
    # Issue 12: the same as forms without JavaScript; each answers with the visitor page.
    ("POST", "/closed/message"): Route(
        everyone(OK),
        fixed("POST", "/closed/message", form={"text": "Hallo", "lang": "nl"}),
        origin_as="anonymous",
    ),
    ("POST", "/closed/answers"): Route(
        everyone(BAD_REQUEST),
        fixed("POST", "/closed/answers", form={**UNKNOWN_CODE, "lang": "nl"}),
        origin_as="anonymous",
    ),
    # A visitor whose chat is still open is sent back to it: the code is not even checked.
    ("POST", "/return"): Route(
        {**everyone(BAD_REQUEST), "visitor": Outcome(303, "/?lang=nl")},
        fixed("POST", "/return", form={**UNKNOWN_CODE, "lang": "nl"}),
        origin_as="anonymous",
    ),
    ("POST", "/return/destroy"): Route(
        everyone(OK),
        fixed("POST", "/return/destroy", form={**UNKNOWN_CODE, "lang": "nl"}),
        origin_as="anonymous",
    ),
    # Issue 13: the chat without JavaScript acts only on the chat behind the visitor cookie, and
    # names no conversation; anyone else (staff cookies too) gets the "chat has ended" page,
    # which shows no chat and offers a new start (tests/test_nojs_chat.py reads its content).
    ("GET", "/chat"): Route(everyone(OK), fixed("GET", "/chat?lang=nl")),
    ("GET", "/chat/log"): Route(everyone(OK), fixed("GET", "/chat/log?lang=nl")),
    # Issue 13: the HTTP door and the visitor's event stream act for the chat behind the
    # visitor's own cookie only; without one there is nothing to act on (403). What each frame
    # may do through the door is the frame matrix below, run through both doors.
    ("POST", "/api/visitor/command"): Route(
        {**everyone(FORBIDDEN), "visitor": OK},
        fixed("POST", "/api/visitor/command", json={"type": "ping", "t": 1}),
        origin_as="visitor",
    ),
    ("GET", "/api/visitor/stream"): Route(
        {**everyone(FORBIDDEN), "visitor": OK},
        fixed("GET", "/api/visitor/stream?after_seq=0", stream=True),
        origin_as="visitor",
    ),
    ("POST", "/api/staff/command"): Route(
        staff_api(_columns(access.EVERYONE - access.PARTNERS - {Role.RESEARCHER})),
        fixed("POST", "/api/staff/command", json={"type": "ping", "t": 1}),
        origin_as="counselor",
    ),
    ("POST", "/chat/send"): Route(
        {**everyone(Outcome(409)), "visitor": Outcome(303, "/chat?lang=nl")},
        fixed(
            "POST",
            "/chat/send",
            form={"text": "Hallo", "client_msg_id": "authz-1", "lang": "nl"},
            fresh=True,
        ),
        # The origin is checked before the cookie is read (a visitor's own chat refusing a
        # cross-origin send or end: tests/test_nojs_chat.py); a fresh chat here would be data.
        origin_as="anonymous",
    ),
    # Issue 17: a referral card answered without JavaScript; always the cookie's own chat, so
    # without one (or for a referral that is not that chat's open proposal) the same 409
    # (a visitor's own proposal answered: tests/test_referrals.py).
    ("POST", "/chat/referral"): Route(
        everyone(Outcome(409)),
        fixed(
            "POST",
            "/chat/referral",
            form={"referral_id": "0" * 32, "answer": "contact", "lang": "nl"},
            fresh=True,
        ),
        origin_as="anonymous",
    ),
    ("POST", "/chat/end"): Route(
        everyone(Outcome(303, "/chat?lang=nl")),
        fixed("POST", "/chat/end", form={"lang": "nl"}, fresh=True),
        origin_as="anonymous",
    ),
    # Issue 17, item 3: the visitor's "no" to a partner professional, without JavaScript. It ends
    # the partner accesses of the chat behind the visitor cookie only and names no object, so a
    # form naming another chat is the same answer as one with nothing to refuse (the partner
    # stays: tests/test_nojs_partner.py); without a chat: the ended page, nothing done.
    ("POST", "/chat/partner/refuse"): Route(
        {
            **everyone(Outcome(303, "/chat?lang=nl")),
            "visitor": Outcome(303, "/chat?lang=nl&partner=refused"),
        },
        fixed(
            "POST",
            "/chat/partner/refuse",
            form={"lang": "nl", "conversation_id": "c_not_theirs"},
            fresh=True,
        ),
        origin_as="anonymous",
    ),
    # The feedback ticket is bound to the visitor cookie; without an open chat there is none.
    ("POST", "/api/visitor/feedback/ticket"): Route(
        {**everyone(NOT_FOUND), "visitor": OK},
        fixed("POST", "/api/visitor/feedback/ticket", json={}),
        origin_as="visitor",
    ),
    ("POST", "/api/visitor/feedback/status"): Route(
        everyone(BAD_REQUEST),
        fixed("POST", "/api/visitor/feedback/status", json={"ticket": "not-a-ticket"}),
        origin_as="anonymous",
    ),
    ("POST", "/api/visitor/feedback"): Route(
        everyone(BAD_REQUEST),
        fixed("POST", "/api/visitor/feedback", json={"ticket": "not-a-ticket", "helped": "yes"}),
        origin_as="anonymous",
    ),
    # Operators (the proxy in front decides who reaches these; they hold counts only).
    ("GET", "/healthz"): Route(everyone(OK), fixed("GET", "/healthz")),
    ("GET", "/readyz"): Route(everyone(OK), fixed("GET", "/readyz")),
    ("GET", "/metrics"): Route(everyone(OK), fixed("GET", "/metrics")),
    # Signing in. Without a pending challenge the two-step pages start over at the password.
    ("GET", "/staff/login"): Route(
        {**everyone(Outcome(303, "/staff")), "anonymous": OK, "visitor": OK},
        fixed("GET", "/staff/login"),
    ),
    ("POST", "/staff/login"): Route(
        everyone(BAD_REQUEST), fixed("POST", "/staff/login", form={}), origin_as="anonymous"
    ),
    ("GET", "/staff/login/code"): Route(everyone(SIGN_IN), fixed("GET", "/staff/login/code")),
    ("POST", "/staff/login/code"): Route(
        everyone(SIGN_IN),
        fixed("POST", "/staff/login/code", form={"code": "123456"}),
        origin_as="anonymous",
    ),
    ("GET", "/staff/enrol"): Route(everyone(SIGN_IN), fixed("GET", "/staff/enrol")),
    ("POST", "/staff/enrol"): Route(
        everyone(SIGN_IN),
        fixed("POST", "/staff/enrol", form={"code": "123456"}),
        origin_as="anonymous",
    ),
    ("GET", "/staff/enrol/qr.svg"): Route(everyone(NOT_FOUND), fixed("GET", "/staff/enrol/qr.svg")),
    ("POST", "/staff/logout"): Route(
        everyone(SIGN_IN), fixed("POST", "/staff/logout", fresh=True), origin_as="counselor"
    ),
    # Staff pages.
    ("GET", "/staff"): Route(
        staff_page(CHAT_ROLES, researcher=Outcome(303, "/research")), fixed("GET", "/staff")
    ),
    ("GET", "/staff/password"): Route(staff_page(ALL_STAFF), fixed("GET", "/staff/password")),
    # An empty form shows that the request got past the checks of who is asking (400: required).
    ("POST", "/staff/password"): Route(
        staff_page(ALL_STAFF, BAD_REQUEST),
        fixed("POST", "/staff/password", form={}),
        origin_as="counselor",
    ),
    ("GET", "/staff/accounts"): Route(staff_page(ADMINS), fixed("GET", "/staff/accounts")),
    ("POST", "/staff/accounts/{staff_id}/{action}"): Route(
        staff_page(ADMINS, Outcome(303, "/staff/accounts?done=enable")),
        lambda w, _who: Req("POST", f"/staff/accounts/{w.account('colleague').id}/enable"),
        cases=(
            Case(
                "admin, another organisation's account",
                "admin",
                lambda w, _: Req(
                    "POST", f"/staff/accounts/{w.account('partner_counselor').id}/enable"
                ),
                NOT_FOUND,
            ),
            Case(
                "partner admin, this organisation's account",
                "partner_admin",
                lambda w, _: Req(
                    "POST", f"/staff/accounts/{w.account('counselor').id}/end-sessions"
                ),
                NOT_FOUND,
            ),
            Case(
                "admin, an account that does not exist",
                "admin",
                fixed("POST", "/staff/accounts/s_nobody/enable"),
                NOT_FOUND,
            ),
            Case(
                "admin, an unknown action",
                "admin",
                lambda w, _: Req("POST", f"/staff/accounts/{w.account('colleague').id}/promote"),
                NOT_FOUND,
            ),
            # Issue 15: role, two-step reset and a new one-time link, on the same path.
            Case(
                "admin, the same role again (nothing changes)",
                "admin",
                lambda w, _: Req(
                    "POST",
                    f"/staff/accounts/{w.account('colleague').id}/role",
                    form={"role": "counselor"},
                ),
                Outcome(303, "/staff/accounts?done=role&lang=nl"),
            ),
            Case(
                "admin, a role that does not exist",
                "admin",
                lambda w, _: Req(
                    "POST",
                    f"/staff/accounts/{w.account('colleague').id}/role",
                    form={"role": "owner"},
                ),
                BAD_REQUEST,
            ),
            Case(
                "partner admin, the role of this organisation's account",
                "partner_admin",
                lambda w, _: Req(
                    "POST",
                    f"/staff/accounts/{w.account('counselor').id}/role",
                    form={"role": "admin"},
                ),
                NOT_FOUND,
            ),
            Case(
                "partner supervisor, the role of this organisation's account",
                "partner_supervisor",
                lambda w, _: Req(
                    "POST",
                    f"/staff/accounts/{w.account('counselor').id}/role",
                    form={"role": "admin"},
                ),
                FORBIDDEN,
            ),
            Case(
                "admin, resetting two-step sign-in of an account",
                "admin",
                lambda w, _: Req(
                    "POST",
                    f"/staff/accounts/{w.create_account(Role.COUNSELOR, DEFAULT_ORG).id}/reset-2fa",
                ),
                Outcome(303, "/staff/accounts?done=reset-2fa&lang=nl"),
            ),
            Case(
                "partner admin, resetting two-step sign-in of this organisation's account",
                "partner_admin",
                lambda w, _: Req("POST", f"/staff/accounts/{w.account('counselor').id}/reset-2fa"),
                NOT_FOUND,
            ),
            Case(
                "admin, a new link for an account waiting for its link",
                "admin",
                lambda w, _: Req("POST", f"/staff/accounts/{invited(w)[0]}/new-link"),
                OK,
            ),
            Case(
                "admin, a new link for an account that is set up",
                "admin",
                lambda w, _: Req("POST", f"/staff/accounts/{w.account('colleague').id}/new-link"),
                BAD_REQUEST,
            ),
            Case(
                "partner admin, a new link for this organisation's account",
                "partner_admin",
                lambda w, _: Req("POST", f"/staff/accounts/{invited(w)[0]}/new-link"),
                NOT_FOUND,
            ),
        ),
        origin_as="admin",
    ),
    # Issue 15: an administrator makes an account of their own organisation (the page shows the
    # one-time link); the link is its own credential, whoever's session comes along.
    ("POST", "/staff/accounts"): Route(
        staff_page(ADMINS),
        lambda _w, _who: Req("POST", "/staff/accounts", form=new_account_form()),
        cases=(
            Case(
                "admin, a username already in use",
                "admin",
                lambda w, _: Req(
                    "POST",
                    "/staff/accounts",
                    form={**new_account_form(), "username": w.account("colleague").username},
                ),
                BAD_REQUEST,
            ),
            Case(
                "partner admin: an account of their own organisation",
                "partner_admin",
                lambda _w, _: Req("POST", "/staff/accounts", form=new_account_form()),
                OK,
            ),
        ),
        origin_as="admin",
    ),
    ("GET", "/staff/invite/{token}"): Route(
        everyone(OK),
        lambda w, _who: invite_req(w, "GET"),
        cases=(
            Case(
                "partner admin, a link of this organisation: the link counts, not the session",
                "partner_admin",
                lambda w, _: invite_req(w, "GET"),
                OK,
            ),
            Case("a used link", "anonymous", lambda w, _: invite_req(w, "GET", True), Outcome(410)),
            Case("an unknown link", "anonymous", fixed("GET", "/staff/invite/nothing"), NOT_FOUND),
        ),
    ),
    ("POST", "/staff/invite/{token}"): Route(
        everyone(Outcome(303, "/staff/enrol")),
        lambda w, _who: invite_req(w, "POST"),
        cases=(
            Case(
                "partner admin, a link of this organisation: the link counts, not the session",
                "partner_admin",
                lambda w, _: invite_req(w, "POST"),
                Outcome(303, "/staff/enrol"),
            ),
            Case(
                "a used link", "anonymous", lambda w, _: invite_req(w, "POST", True), Outcome(410)
            ),
            Case(
                "an unknown link",
                "anonymous",
                fixed("POST", "/staff/invite/nothing", form={"new": "x", "again": "x"}),
                NOT_FOUND,
            ),
        ),
        origin_as="anonymous",
    ),
    # Issue 15: the organisation's visitor blocks, for supervisors and administrators.
    ("GET", "/staff/blocks"): Route(staff_page(FIGURE_VIEWERS), fixed("GET", "/staff/blocks")),
    ("POST", "/staff/blocks/{block_id}/lift"): Route(
        staff_page(FIGURE_VIEWERS, Outcome(303, "/staff/blocks?done=lifted&lang=nl")),
        lambda w, _who: lift_req(w.block("counselor")),
        cases=(
            Case(
                "partner supervisor, this organisation's block",
                "partner_supervisor",
                lambda w, _: lift_req(w.block("counselor")),
                NOT_FOUND,
            ),
            Case(
                "partner admin, this organisation's block",
                "partner_admin",
                lambda w, _: lift_req(w.block("counselor")),
                NOT_FOUND,
            ),
            Case(
                "supervisor, a block already lifted: calm, nothing changes",
                "supervisor",
                lambda w, _: lift_req(lifted_block(w)),
                Outcome(303, "/staff/blocks?done=already&lang=nl"),
            ),
            Case(
                "admin, a block that does not exist",
                "admin",
                fixed("POST", "/staff/blocks/b_nobody/lift"),
                NOT_FOUND,
            ),
        ),
        origin_as="supervisor",
    ),
    # Issue 17, item 4: police signals. A signal is its drafter's and its organisation's
    # supervisors' and administrators'; to anyone else it does not exist (404, like a missing id).
    ("GET", "/staff/police-signals"): Route(
        staff_page(CHAT_ROLES), fixed("GET", "/staff/police-signals")
    ),
    ("POST", "/staff/police-signals"): Route(
        staff_page(CHAT_ROLES, Outcome(303)),
        fixed("POST", "/staff/police-signals", form=SIGNAL_FORM),
        cases=(
            Case(
                "counselor, from a colleague's chat",
                "counselor",
                lambda w, _: Req(
                    "POST",
                    "/staff/police-signals",
                    form={**SIGNAL_FORM, "conversation_id": w.conversation("colleague")},
                ),
                NOT_FOUND,
            ),
            Case(
                "partner supervisor, from this organisation's chat",
                "partner_supervisor",
                lambda w, _: Req(
                    "POST",
                    "/staff/police-signals",
                    form={**SIGNAL_FORM, "conversation_id": w.conversation("counselor")},
                ),
                NOT_FOUND,
            ),
        ),
        origin_as="counselor",
    ),
    ("GET", "/staff/police-signals/new"): Route(
        staff_page(CHAT_ROLES), fixed("GET", "/staff/police-signals/new")
    ),
    ("GET", "/staff/police-signals/public-key"): Route(
        staff_page(("supervisor", "admin")), fixed("GET", "/staff/police-signals/public-key")
    ),
    ("GET", "/staff/police-signals/{signal_id}"): Route(
        staff_page(CHAT_ROLES),
        lambda w, who: Req("GET", f"/staff/police-signals/{own_signal(w, who)}"),
        cases=(
            Case(
                "counselor, a colleague's signal",
                "counselor",
                lambda w, _: Req("GET", f"/staff/police-signals/{colleague_signal(w, 'draft')}"),
                NOT_FOUND,
            ),
            Case(
                "partner supervisor, this organisation's signal",
                "partner_supervisor",
                lambda w, _: Req("GET", f"/staff/police-signals/{colleague_signal(w, 'draft')}"),
                NOT_FOUND,
            ),
            Case(
                "supervisor, a signal that does not exist",
                "supervisor",
                fixed("GET", "/staff/police-signals/ps_nothing"),
                NOT_FOUND,
            ),
        ),
    ),
    ("POST", "/staff/police-signals/{signal_id}/edit"): Route(
        staff_page(CHAT_ROLES, Outcome(303)),
        lambda w, who: Req(
            "POST", f"/staff/police-signals/{own_signal(w, who)}/edit", form=SIGNAL_FORM
        ),
        cases=(
            Case(
                "supervisor, a counselor's draft: only its drafter edits it",
                "supervisor",
                lambda w, _: Req(
                    "POST",
                    f"/staff/police-signals/{colleague_signal(w, 'draft')}/edit",
                    form=SIGNAL_FORM,
                ),
                FORBIDDEN,
            ),
            Case(
                "partner admin, this organisation's draft",
                "partner_admin",
                lambda w, _: Req(
                    "POST",
                    f"/staff/police-signals/{colleague_signal(w, 'draft')}/edit",
                    form=SIGNAL_FORM,
                ),
                NOT_FOUND,
            ),
        ),
        origin_as="counselor",
    ),
    ("POST", "/staff/police-signals/{signal_id}/submit"): Route(
        staff_page(CHAT_ROLES, Outcome(303)),
        lambda w, who: Req("POST", f"/staff/police-signals/{own_signal(w, who)}/submit"),
        cases=(
            Case(
                "counselor, a colleague's draft",
                "counselor",
                lambda w, _: Req(
                    "POST", f"/staff/police-signals/{colleague_signal(w, 'draft')}/submit"
                ),
                NOT_FOUND,
            ),
            Case(
                "partner counselor, this organisation's draft",
                "partner_counselor",
                lambda w, _: Req(
                    "POST", f"/staff/police-signals/{colleague_signal(w, 'draft')}/submit"
                ),
                NOT_FOUND,
            ),
        ),
        origin_as="counselor",
    ),
    ("POST", "/staff/police-signals/{signal_id}/approve"): Route(
        staff_page(("supervisor", "admin"), Outcome(303), counselor=NOT_FOUND),
        lambda w, _who: Req(
            "POST", f"/staff/police-signals/{colleague_signal(w, 'submitted')}/approve"
        ),
        cases=(
            Case(
                "supervisor, their own signal: a second pair of eyes is needed",
                "supervisor",
                lambda w, _: Req(
                    "POST",
                    f"/staff/police-signals/{police_signal(w, 'supervisor', 'submitted')}/approve",
                ),
                FORBIDDEN,
            ),
            Case(
                "partner supervisor, this organisation's signal",
                "partner_supervisor",
                lambda w, _: Req(
                    "POST", f"/staff/police-signals/{colleague_signal(w, 'submitted')}/approve"
                ),
                NOT_FOUND,
            ),
        ),
        origin_as="supervisor",
    ),
    ("POST", "/staff/police-signals/{signal_id}/reject"): Route(
        staff_page(("supervisor", "admin"), Outcome(303), counselor=NOT_FOUND),
        lambda w, _who: Req(
            "POST",
            f"/staff/police-signals/{colleague_signal(w, 'submitted')}/reject",
            form={"reason": "Te vaag"},
        ),
        cases=(
            Case(
                "admin, their own signal",
                "admin",
                lambda w, _: Req(
                    "POST",
                    f"/staff/police-signals/{police_signal(w, 'admin', 'submitted')}/reject",
                    form={"reason": "Te vaag"},
                ),
                FORBIDDEN,
            ),
            Case(
                "partner admin, this organisation's signal",
                "partner_admin",
                lambda w, _: Req(
                    "POST",
                    f"/staff/police-signals/{colleague_signal(w, 'submitted')}/reject",
                    form={"reason": "Te vaag"},
                ),
                NOT_FOUND,
            ),
        ),
        origin_as="supervisor",
    ),
    ("GET", "/staff/police-signals/{signal_id}/export/{fmt}"): Route(
        staff_page(("supervisor", "admin"), counselor=NOT_FOUND),
        lambda w, _who: Req(
            "GET", f"/staff/police-signals/{colleague_signal(w, 'approved')}/export/json"
        ),
        cases=(
            Case(
                "counselor, their own approved signal: exports are for approvers",
                "counselor",
                lambda w, _: Req(
                    "GET",
                    f"/staff/police-signals/{police_signal(w, 'counselor', 'approved')}/export/pdf",
                ),
                FORBIDDEN,
            ),
            Case(
                "partner supervisor, this organisation's signal",
                "partner_supervisor",
                lambda w, _: Req(
                    "GET", f"/staff/police-signals/{colleague_signal(w, 'approved')}/export/sig"
                ),
                NOT_FOUND,
            ),
        ),
    ),
    ("GET", "/staff/audit"): Route(staff_page(ADMINS), fixed("GET", "/staff/audit")),
    # Organisations (issue 14): an administrator's own; every one for platform administrators,
    # who are the default organisation's administrators ("admin" here; "partner_admin" is an
    # organisation's own administrator, refused on every platform page with 403).
    ("GET", "/staff/organisation"): Route(staff_page(ADMINS), fixed("GET", "/staff/organisation")),
    ("POST", "/staff/organisation"): Route(
        staff_page(ADMINS, Outcome(303, "/staff/organisation?done=unchanged&lang=nl")),
        lambda w, who: Req("POST", "/staff/organisation", form=own_organisation_form(w, who)),
        cases=(
            Case(
                "partner admin, naming this organisation in the form: only their own",
                "partner_admin",
                lambda w, _: Req(
                    "POST",
                    "/staff/organisation",
                    form={
                        **own_organisation_form(w, "partner_admin"),
                        "organisation_id": DEFAULT_ORG,
                    },
                ),
                Outcome(303, "/staff/organisation?done=unchanged&lang=nl"),
            ),
        ),
        origin_as="admin",
    ),
    ("GET", "/staff/organisations"): Route(
        staff_page(ADMINS),
        fixed("GET", "/staff/organisations"),
        cases=(
            Case("partner admin", "partner_admin", fixed("GET", "/staff/organisations"), FORBIDDEN),
        ),
    ),
    ("POST", "/staff/organisations"): Route(
        staff_page(ADMINS, Outcome(303, "/staff/organisations?done=added&lang=nl")),
        lambda _w, _who: Req(
            "POST",
            "/staff/organisations",
            form={"slug": "authz-" + secrets.token_hex(4), "name": "Hulplijn"},
        ),
        cases=(
            Case(
                "partner admin",
                "partner_admin",
                fixed("POST", "/staff/organisations", form={"slug": "authz-p", "name": "P"}),
                FORBIDDEN,
            ),
            Case(
                "admin, a slug already in use",
                "admin",
                fixed("POST", "/staff/organisations", form={"slug": "default", "name": "D"}),
                BAD_REQUEST,
            ),
        ),
        origin_as="admin",
    ),
    ("POST", "/staff/organisations/{organisation_id}/disable"): Route(
        staff_page(ADMINS, Outcome(303, "/staff/organisations?done=disabled&lang=nl")),
        lambda w, _who: platform_req("disable", fresh_organisation(w)),
        cases=(
            Case(
                "partner admin, this organisation",
                "partner_admin",
                fixed("POST", f"/staff/organisations/{DEFAULT_ORG}/disable"),
                FORBIDDEN,
            ),
            Case(
                "partner admin, their own organisation",
                "partner_admin",
                fixed("POST", f"/staff/organisations/{PARTNER}/disable"),
                FORBIDDEN,
            ),
            Case(
                "admin, the default organisation",
                "admin",
                fixed("POST", f"/staff/organisations/{DEFAULT_ORG}/disable"),
                BAD_REQUEST,
            ),
            Case(
                "admin, an organisation that does not exist",
                "admin",
                fixed("POST", "/staff/organisations/org_nobody/disable"),
                NOT_FOUND,
            ),
        ),
        origin_as="admin",
    ),
    ("POST", "/staff/organisations/{organisation_id}/enable"): Route(
        staff_page(ADMINS, Outcome(303, "/staff/organisations?done=enabled&lang=nl")),
        lambda w, _who: platform_req("enable", fresh_organisation(w, active=False)),
        cases=(
            Case(
                "partner admin, a disabled organisation",
                "partner_admin",
                lambda w, _: platform_req("enable", fresh_organisation(w, active=False)),
                FORBIDDEN,
            ),
            Case(
                "admin, an organisation that does not exist",
                "admin",
                fixed("POST", "/staff/organisations/org_nobody/enable"),
                NOT_FOUND,
            ),
        ),
        origin_as="admin",
    ),
    ("POST", "/staff/organisations/{organisation_id}/host"): Route(
        staff_page(ADMINS, Outcome(303, "/staff/organisations?done=host&lang=nl")),
        lambda w, _who: platform_req(
            "host", fresh_organisation(w), host=f"chat-{secrets.token_hex(4)}.example.org"
        ),
        cases=(
            Case(
                "partner admin, this organisation",
                "partner_admin",
                lambda w, _: platform_req("host", DEFAULT_ORG, host="chat.kaping.example.org"),
                FORBIDDEN,
            ),
            Case(
                "partner admin, their own organisation",
                "partner_admin",
                lambda w, _: platform_req("host", PARTNER, host="chat.partner.example.org"),
                FORBIDDEN,
            ),
            Case(
                "admin, not a host name",
                "admin",
                lambda w, _: platform_req("host", fresh_organisation(w), host="https://x.org/"),
                BAD_REQUEST,
            ),
            Case(
                "admin, an organisation that does not exist",
                "admin",
                lambda w, _: platform_req("host", "org_nobody", host="chat.niemand.example.org"),
                NOT_FOUND,
            ),
        ),
        origin_as="admin",
    ),
    # Passkeys (issue 16): everyone has their own, and only sees and removes those.
    ("GET", "/staff/security"): Route(staff_page(ALL_STAFF), fixed("GET", "/staff/security")),
    ("POST", "/staff/security/organisation"): Route(
        staff_page(ADMINS, Outcome(303, "/staff/security?done=not_required")),
        fixed("POST", "/staff/security/organisation", form={"require": "no"}),
        origin_as="admin",
    ),
    ("POST", "/staff/passkeys/options"): Route(
        staff_api(ALL_STAFF),
        fixed("POST", "/staff/passkeys/options", json={}),
        origin_as="counselor",
    ),
    # An answer that is no WebAuthn credential shows the request got past who is asking (400).
    ("POST", "/staff/passkeys"): Route(
        staff_api(ALL_STAFF, BAD_REQUEST),
        fixed("POST", "/staff/passkeys", json={"name": "Sleutel", "credential": {}}),
        origin_as="counselor",
    ),
    ("POST", "/staff/passkeys/{passkey_id}/remove"): Route(
        staff_page(ALL_STAFF, Outcome(303, "/staff/security?done=removed")),
        lambda w, who: Req("POST", f"/staff/passkeys/{w.passkey(own_passkey_owner(who))}/remove"),
        cases=(
            Case(
                "counselor, a colleague's passkey",
                "counselor",
                lambda w, _: Req("POST", f"/staff/passkeys/{w.passkey('colleague')}/remove"),
                NOT_FOUND,
            ),
            Case(
                "admin, a colleague's passkey",
                "admin",
                lambda w, _: Req("POST", f"/staff/passkeys/{w.passkey('colleague')}/remove"),
                NOT_FOUND,
            ),
            Case(
                "partner admin, this organisation's passkey",
                "partner_admin",
                lambda w, _: Req("POST", f"/staff/passkeys/{w.passkey('counselor')}/remove"),
                NOT_FOUND,
            ),
            Case(
                "counselor, a passkey that does not exist",
                "counselor",
                fixed("POST", "/staff/passkeys/pk_nothing/remove"),
                NOT_FOUND,
            ),
        ),
        origin_as="counselor",
    ),
    # Passkey sign-in needs the step after the password; a session is not that step.
    ("POST", "/staff/login/passkey/options"): Route(
        everyone(UNAUTHENTICATED),
        fixed("POST", "/staff/login/passkey/options", json={}),
        origin_as="anonymous",
    ),
    ("POST", "/staff/login/passkey"): Route(
        everyone(UNAUTHENTICATED),
        fixed("POST", "/staff/login/passkey", json={"credential": {}}),
        origin_as="anonymous",
    ),
    ("GET", "/staff/login/new-passkey"): Route(
        everyone(SIGN_IN), fixed("GET", "/staff/login/new-passkey")
    ),
    ("GET", "/staff/hours"): Route(staff_page(ADMINS), fixed("GET", "/staff/hours")),
    # The form post answers 403, not the sign-in page, to anyone who is not an admin.
    ("POST", "/staff/hours"): Route(
        {**everyone(FORBIDDEN), "admin": Outcome(303, "/staff/hours?saved=1&lang=nl")},
        lambda w, _who: Req("POST", "/staff/hours", form=hours_form(w)),
        origin_as="admin",
    ),
    # Issue 18: campaign counts of the member's own organisation.
    ("GET", "/staff/campaigns"): Route(
        staff_page(FIGURE_VIEWERS), fixed("GET", "/staff/campaigns")
    ),
    # Wellbeing (issue 15, item 6): one's own day; supervisors also the team's totals. An empty
    # form shows that the request got past the checks of who is asking (400: no choice made).
    ("GET", "/staff/wellbeing"): Route(staff_page(CHAT_ROLES), fixed("GET", "/staff/wellbeing")),
    # Issue 17, item 3: partner professionals only (tests/test_partner_access.py); every staff
    # role of a helpline gets the 403 of a page for another role.
    ("GET", "/staff/partner"): Route(staff_page(()), fixed("GET", "/staff/partner")),
    # The partner directory (issue 17, item 1; tests/test_directory.py): search for the chat
    # roles, upkeep for administrators; another organisation's service is the 404 of a missing one.
    ("GET", "/staff/directory"): Route(staff_page(CHAT_ROLES), fixed("GET", "/staff/directory")),
    ("GET", "/api/staff/directory"): Route(
        staff_api(CHAT_ROLES), fixed("GET", "/api/staff/directory?need=shelter&age=30")
    ),
    ("GET", "/staff/directory/edit"): Route(
        staff_page(ADMINS),
        lambda w, _who: Req("GET", f"/staff/directory/edit?id={directory_service(w)}"),
        cases=(
            Case(
                "partner admin, this organisation's service",
                "partner_admin",
                lambda w, _: Req("GET", f"/staff/directory/edit?id={directory_service(w)}"),
                NOT_FOUND,
            ),
            Case(
                "admin, a missing service",
                "admin",
                fixed("GET", "/staff/directory/edit?id=nothing-here"),
                NOT_FOUND,
            ),
        ),
    ),
    ("POST", "/staff/directory/save"): Route(
        staff_page(ADMINS, DIRECTORY_SAVED),
        fixed("POST", "/staff/directory/save", form=DIRECTORY_FORM),
        cases=(
            Case(
                "partner admin, changing this organisation's service",
                "partner_admin",
                lambda w, _: Req(
                    "POST",
                    "/staff/directory/save",
                    form={**DIRECTORY_FORM, "id": directory_service(w)},
                ),
                NOT_FOUND,
            ),
            Case(
                "admin, their own organisation's service",
                "admin",
                lambda w, _: Req(
                    "POST",
                    "/staff/directory/save",
                    form={**DIRECTORY_FORM, "id": directory_service(w)},
                ),
                DIRECTORY_SAVED,
            ),
        ),
        origin_as="admin",
    ),
    ("POST", "/staff/directory/remove"): Route(
        staff_page(ADMINS, DIRECTORY_REMOVED),
        lambda w, _who: Req("POST", "/staff/directory/remove", form={"id": directory_service(w)}),
        cases=(
            Case(
                "partner admin, this organisation's service",
                "partner_admin",
                lambda w, _: Req(
                    "POST", "/staff/directory/remove", form={"id": directory_service(w)}
                ),
                NOT_FOUND,
            ),
            Case(
                "partner admin, their own organisation's service",
                "partner_admin",
                lambda w, _: Req(
                    "POST", "/staff/directory/remove", form={"id": directory_service(w, PARTNER)}
                ),
                DIRECTORY_REMOVED,
            ),
        ),
        origin_as="admin",
    ),
    ("POST", "/staff/wellbeing/share"): Route(
        staff_page(CHAT_ROLES, BAD_REQUEST),
        fixed("POST", "/staff/wellbeing/share", form={}),
        origin_as="counselor",
    ),
    # Issue 17, item 5: referrals and their outcome; a counselor only their own proposals, a
    # colleague's or another organisation's referral is the same 404 as a missing one.
    ("GET", "/staff/referrals"): Route(staff_page(CHAT_ROLES), fixed("GET", "/staff/referrals")),
    ("POST", "/staff/referrals/{referral_id}/outcome"): Route(
        staff_page(CHAT_ROLES, Outcome(303, "/staff/referrals?saved=1")),
        referral_outcome,
        cases=(
            Case(
                "counselor, a colleague's referral",
                "counselor",
                lambda w, _: colleagues_referral(w),
                NOT_FOUND,
            ),
            Case(
                "partner admin, this organisation's referral",
                "partner_admin",
                referral_outcome,
                NOT_FOUND,
            ),
            Case(
                "partner supervisor, this organisation's referral",
                "partner_supervisor",
                referral_outcome,
                NOT_FOUND,
            ),
            Case(
                "counselor, an unknown outcome",
                "counselor",
                lambda w, who: referral_outcome(w, who, "teleported"),
                BAD_REQUEST,
            ),
        ),
        origin_as="counselor",
    ),
    ("GET", "/staff/figures"): Route(staff_page(FIGURE_VIEWERS), fixed("GET", "/staff/figures")),
    ("GET", "/staff/figures.csv"): Route(
        staff_page(FIGURE_VIEWERS), fixed("GET", "/staff/figures.csv")
    ),
    # Issue 15, item 7: per counselor, the caller's own organisation only (its isolation:
    # tests/test_organisation_isolation.py and tests/test_counselor_figures.py).
    ("GET", "/staff/figures/counselors"): Route(
        staff_page(FIGURE_VIEWERS), fixed("GET", "/staff/figures/counselors")
    ),
    ("GET", "/staff/figures/counselors.csv"): Route(
        staff_page(FIGURE_VIEWERS), fixed("GET", "/staff/figures/counselors.csv")
    ),
    # Research: aggregates of the reader's own organisation only.
    ("GET", "/research"): Route(staff_page(REPORT_READERS), fixed("GET", "/research")),
    ("GET", "/research/{year}/report.{fmt}"): Route(
        {**everyone(FORBIDDEN), "researcher": OK, "supervisor": OK, "admin": OK},
        fixed("GET", f"/research/{REPORT_YEAR}/report.csv"),
        cases=(
            Case(
                "partner researcher: nothing of this organisation",
                "partner_researcher",
                fixed("GET", f"/research/{REPORT_YEAR}/report.csv"),
                NOT_FOUND,
            ),
        ),
    ),
    ("GET", "/research/{year}/chart/{table}.png"): Route(
        {**everyone(FORBIDDEN), "researcher": OK, "supervisor": OK, "admin": OK},
        lambda w, _who: Req("GET", chart_path(w)),
        cases=(
            Case(
                "partner researcher: nothing of this organisation",
                "partner_researcher",
                lambda w, _who: Req("GET", chart_path(w)),
                NOT_FOUND,
            ),
        ),
    ),
    # Registrations: the assigned counselor, or a supervisor/admin of the organisation.
    ("GET", "/api/registrations/codebook"): Route(
        staff_api(ALL_STAFF), fixed("GET", "/api/registrations/codebook")
    ),
    ("GET", "/api/registrations/pending"): Route(
        staff_api(CHAT_ROLES), fixed("GET", "/api/registrations/pending")
    ),
    ("GET", "/api/conversations/{conversation_id}/registration"): Route(
        staff_api(CHAT_ROLES),
        lambda w, who: Req("GET", registration(w, who)),
        cases=(
            Case(
                "counselor, a colleague's conversation",
                "counselor",
                lambda w, _: Req("GET", registration(w, "colleague")),
                FORBIDDEN,
            ),
            Case(
                "partner supervisor, this organisation's conversation",
                "partner_supervisor",
                lambda w, _: Req("GET", registration(w, "colleague")),
                FORBIDDEN,
            ),
            Case(
                "partner admin, this organisation's conversation",
                "partner_admin",
                lambda w, _: Req("GET", registration(w, "colleague")),
                FORBIDDEN,
            ),
            Case(
                "counselor, a conversation that does not exist",
                "counselor",
                fixed("GET", "/api/conversations/c_nothing/registration"),
                NOT_FOUND,
            ),
        ),
    ),
    ("PUT", "/api/conversations/{conversation_id}/registration"): Route(
        staff_api(CHAT_ROLES),
        lambda w, who: Req("PUT", registration(w, who), json={"version": 0, "values": {}}),
        cases=(
            Case(
                "counselor, a colleague's conversation",
                "counselor",
                lambda w, _: Req(
                    "PUT", registration(w, "colleague"), json={"version": 0, "values": {}}
                ),
                FORBIDDEN,
            ),
            Case(
                "partner admin, this organisation's conversation",
                "partner_admin",
                lambda w, _: Req(
                    "PUT", registration(w, "colleague"), json={"version": 0, "values": {}}
                ),
                FORBIDDEN,
            ),
        ),
        origin_as="counselor",
    ),
    # Case links (issue 6): authority over both conversations.
    ("GET", "/api/conversations/{conversation_id}/case-link"): Route(
        staff_api(CHAT_ROLES),
        lambda w, who: Req("GET", case_link(w, who)),
        cases=(
            Case(
                "counselor, a colleague's conversation",
                "counselor",
                lambda w, _: Req("GET", case_link(w, "colleague")),
                FORBIDDEN,
            ),
            Case(
                "partner admin, this organisation's conversation",
                "partner_admin",
                lambda w, _: Req("GET", case_link(w, "colleague")),
                FORBIDDEN,
            ),
        ),
    ),
    ("POST", "/api/conversations/{conversation_id}/case-link"): Route(
        staff_api(CHAT_ROLES),
        lambda w, who: Req("POST", case_link(w, who), json=earlier_of(w, who)),
        cases=(
            Case(
                "counselor, own conversation to a colleague's",
                "counselor",
                lambda w, _: Req(
                    "POST", case_link(w, "counselor"), json=earlier_of(w, "colleague")
                ),
                FORBIDDEN,
            ),
            Case(
                "counselor, a colleague's conversation to their own",
                "counselor",
                lambda w, _: Req(
                    "POST", case_link(w, "colleague"), json=earlier_of(w, "counselor")
                ),
                FORBIDDEN,
            ),
            Case(
                "partner supervisor, this organisation's conversations",
                "partner_supervisor",
                lambda w, _: Req(
                    "POST", case_link(w, "colleague"), json=earlier_of(w, "colleague")
                ),
                FORBIDDEN,
            ),
        ),
        origin_as="counselor",
    ),
    # Canned responses: personal ones are their owner's; team ones are changed by overseers.
    ("GET", "/api/canned"): Route(staff_api(CHAT_ROLES), fixed("GET", "/api/canned")),
    ("POST", "/api/canned"): Route(
        staff_api(CHAT_ROLES, CREATED),
        fixed("POST", "/api/canned", json=CANNED_BODY),
        cases=(
            Case(
                "counselor, a team text",
                "counselor",
                fixed("POST", "/api/canned", json={**CANNED_BODY, "scope": "team"}),
                FORBIDDEN,
            ),
            Case(
                "supervisor, a team text",
                "supervisor",
                fixed("POST", "/api/canned", json={**CANNED_BODY, "scope": "team"}),
                CREATED,
            ),
        ),
        origin_as="counselor",
    ),
    ("PUT", "/api/canned/{canned_id}"): Route(
        staff_api(CHAT_ROLES),
        lambda w, who: Req("PUT", own_canned(w, who), json=CANNED_EDIT),
        cases=(
            Case(
                "counselor, a colleague's personal text",
                "counselor",
                lambda w, _: Req("PUT", f"/api/canned/{w.canned('colleague')}", json=CANNED_EDIT),
                NOT_FOUND,
            ),
            Case(
                "supervisor, a colleague's personal text",
                "supervisor",
                lambda w, _: Req("PUT", f"/api/canned/{w.canned('colleague')}", json=CANNED_EDIT),
                NOT_FOUND,
            ),
            Case(
                "counselor, a team text",
                "counselor",
                lambda w, _: Req("PUT", f"/api/canned/{w.canned(None)}", json=CANNED_EDIT),
                FORBIDDEN,
            ),
            Case(
                "supervisor, a team text",
                "supervisor",
                lambda w, _: Req("PUT", f"/api/canned/{w.canned(None)}", json=CANNED_EDIT),
                OK,
            ),
            Case(
                "partner supervisor, this organisation's team text",
                "partner_supervisor",
                lambda w, _: Req("PUT", f"/api/canned/{w.canned(None)}", json=CANNED_EDIT),
                NOT_FOUND,
            ),
        ),
        origin_as="counselor",
    ),
    ("DELETE", "/api/canned/{canned_id}"): Route(
        staff_api(CHAT_ROLES, NO_CONTENT),
        lambda w, who: Req("DELETE", own_canned(w, who)),
        cases=(
            Case(
                "counselor, a colleague's personal text",
                "counselor",
                lambda w, _: Req("DELETE", f"/api/canned/{w.canned('colleague')}"),
                NOT_FOUND,
            ),
            Case(
                "counselor, a team text",
                "counselor",
                lambda w, _: Req("DELETE", f"/api/canned/{w.canned(None)}"),
                FORBIDDEN,
            ),
            Case(
                "admin, a team text",
                "admin",
                lambda w, _: Req("DELETE", f"/api/canned/{w.canned(None)}"),
                NO_CONTENT,
            ),
            Case(
                "partner admin, this organisation's team text",
                "partner_admin",
                lambda w, _: Req("DELETE", f"/api/canned/{w.canned(None)}"),
                NOT_FOUND,
            ),
        ),
        origin_as="counselor",
    ),
    # Messages left while closed: the organisation's shared inbox.
    ("GET", "/api/left-messages"): Route(staff_api(CHAT_ROLES), fixed("GET", "/api/left-messages")),
    ("GET", "/api/left-messages/{code_id}"): Route(
        staff_api(CHAT_ROLES),
        lambda w, _who: Req("GET", f"/api/left-messages/{left_message(w)}"),
        cases=(
            Case(
                "partner counselor, this organisation's thread",
                "partner_counselor",
                lambda w, _: Req("GET", f"/api/left-messages/{left_message(w)}"),
                NOT_FOUND,
            ),
            Case(
                "counselor, a thread that does not exist",
                "counselor",
                fixed("GET", "/api/left-messages/r_nothing"),
                NOT_FOUND,
            ),
        ),
    ),
    ("POST", "/api/left-messages/{code_id}/reply"): Route(
        staff_api(CHAT_ROLES),
        lambda w, _who: Req(
            "POST", f"/api/left-messages/{left_message(w)}/reply", json={"text": "Ja, hier."}
        ),
        cases=(
            Case(
                "partner counselor, this organisation's thread",
                "partner_counselor",
                lambda w, _: Req(
                    "POST",
                    f"/api/left-messages/{left_message(w)}/reply",
                    json={"text": "Ja, hier."},
                ),
                NOT_FOUND,
            ),
        ),
        origin_as="counselor",
    ),
    # Opening hours: administrators of the organisation.
    ("GET", "/api/service-hours"): Route(staff_api(ADMINS), fixed("GET", "/api/service-hours")),
    ("PUT", "/api/service-hours"): Route(
        staff_api(ADMINS),
        lambda w, _who: Req("PUT", "/api/service-hours", json=hours_body(w)),
        origin_as="admin",
    ),
}

# WebSockets: who gets the socket at all (the frames are in FRAMES below).
SOCKETS: dict[str, tuple[str, ...]] = {
    "/ws/visitor": ("visitor",),
    # Researchers never: the live socket would show them transcripts.
    "/ws/staff": CHAT_ROLES,
}


def app_routes() -> Iterator[tuple[str, str]]:
    app = create_app(Settings(data_dir=Path("/nonexistent-authz")), migrate=False)
    for route in app.routes:
        if isinstance(route, Mount):
            assert route.path == "/static", f"a mount other than /static: {route.path}"
            continue
        if isinstance(route, APIWebSocketRoute):
            yield "WS", route.path
        elif isinstance(route, APIRoute):
            for method in sorted(route.methods or ()):
                yield method, route.path
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # Many chats per counselor: the matrix hands each attempt a fresh one (World.make_room).
    server = start_server(tmp_path_factory.mktemp("authz"), max_chats=50)
    try:
        built = World(server)
        _seed_report(server)
        # Issue 17: the partner directory, as far as referrals need it: one known service.
        services_of(server._server.config.app).chat.referrals.lookup = _authz_directory
        # Issue 17, item 3: hand-off consent and the partner organisation, as the tests make them.
        partners = services_of(server._server.config.app).chat.partners
        partners.consent, partners.target = _authz_consent, _authz_target
        yield built
    finally:
        server.stop()


def _seed_report(server: Server) -> None:
    """Registrations in REPORT_YEAR, so the research downloads have something to show."""

    async def fill() -> None:
        reg = await RegistrationWorld(server.settings).start()
        try:
            for day in range(1, 29):
                await reg.person(
                    utc(REPORT_YEAR, 1 + day % 12, day, 20),
                    trafficking_request="yes",
                    victim_assessment="victim",
                    contact_role="self",
                    gender="female" if day % 9 else "male",
                    age=10 + day,
                    exploitation_types=["sexual"],
                )
        finally:
            await reg.close()

    run_async(fill())


# --- HTTP ----------------------------------------------------------------------------------------


def test_every_route_has_an_entry() -> None:
    missing = [
        f"{method} {path}"
        for method, path in app_routes()
        if (method, path) not in ROUTES and not (method == "WS" and path in SOCKETS)
    ]
    assert not missing, (
        "routes without an entry in the authorization matrix (tests/test_authorization_matrix.py"
        f" ROUTES / SOCKETS): {missing}"
    )
    existing = set(app_routes())
    stale = [key for key in ROUTES if key not in existing]
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"
    for key, route in ROUTES.items():
        assert set(route.outcomes) == set(PRINCIPALS), f"{key}: not every principal is listed"


@pytest.mark.parametrize("key", sorted(ROUTES), ids=lambda key: f"{key[0]} {key[1]}")
def test_route_by_principal(world: World, key: tuple[str, str]) -> None:
    route = ROUTES[key]
    for who in PRINCIPALS:
        request = route.request(world, who)
        route.outcomes[who].check(send(world, request, who), f"{key} as {who}")


OBJECT_CASES = [(key, case) for key, route in sorted(ROUTES.items()) for case in route.cases]


@pytest.mark.parametrize(
    ("key", "case"), OBJECT_CASES, ids=[f"{k[0]} {k[1]}: {c.label}" for k, c in OBJECT_CASES]
)
def test_route_own_and_foreign_objects(world: World, key: tuple[str, str], case: Case) -> None:
    request = case.request(world, case.who)  # makes the object first: that is no attempt
    before = world.snapshot()
    case.outcome.check(send(world, request, case.who), f"{key}: {case.label}")
    if case.outcome.status >= 400:
        assert _rows(world.snapshot()) == _rows(before), f"{key}: {case.label} changed data"


STATE_CHANGING = sorted(key for key in ROUTES if key[0] in ("POST", "PUT", "DELETE"))


@pytest.mark.parametrize("key", STATE_CHANGING, ids=lambda key: f"{key[0]} {key[1]}")
def test_cross_origin_writes_are_refused(world: World, key: tuple[str, str]) -> None:
    route = ROUTES[key]
    assert route.origin_as is not None, f"{key}: say who tries it cross-origin (origin_as)"
    who = route.origin_as
    for origin in (EVIL_ORIGIN, None):
        request = route.request(world, who)
        before = world.snapshot()
        response = send(world, request, who, origin=origin)
        assert response.status_code == 403, f"{key} from {origin}: {response.status_code}"
        assert _rows(world.snapshot()) == _rows(before), f"{key} from {origin} changed data"


def _rows(snapshot: dict[str, Any]) -> dict[str, Any]:
    # Sessions are touched by being used; sign-in state is not what these requests may change.
    rows = {k: v for k, v in snapshot.items() if k not in ("staff_sessions",)}
    # The server's own presence write (every 15 s, docs/operations.md) stamps visitor_seen_at
    # for every chat whose visitor is connected, whenever it falls between two snapshots: a
    # liveness mark, not something a request changed (it once did, in one run of 2,348).
    if isinstance(rows.get("conversation"), dict):
        rows["conversation"] = {
            k: v for k, v in rows["conversation"].items() if k != "visitor_seen_at"
        }
    return rows


@pytest.mark.parametrize("path", sorted(SOCKETS))
def test_socket_by_principal(world: World, path: str) -> None:
    for who in PRINCIPALS:
        opened = run_async(_socket_opens(world, path, who, world.server.origin))
        assert opened == (who in SOCKETS[path]), f"{path} as {who}: opened={opened}"
    # The researcher's and the visitor's cookies of the other side do not open it either.
    for who in ("researcher", "partner_researcher"):
        assert not run_async(_socket_opens(world, path, who, world.server.origin)), (path, who)
    for origin in (EVIL_ORIGIN, None):
        assert not run_async(_socket_opens(world, path, SOCKETS[path][0], origin)), (
            f"{path} opened from origin {origin}"
        )


async def _socket_opens(world: World, path: str, who: str, origin: str | None) -> bool:
    """Whether this person's browser (its real cookie, whatever side) gets a welcome."""
    cookie = world.headers(who).get("Cookie")
    try:
        ws = await connect(
            f"ws://127.0.0.1:{world.server.port}{path}",
            additional_headers=[("Cookie", cookie)] if cookie else [],
            origin=origin,  # type: ignore[arg-type]
            compression=None,
            open_timeout=5,
        )
    except (InvalidStatus, ConnectionClosed, OSError):
        return False
    client = Client(ws)
    try:
        await client.expect("welcome", timeout=5)
        return True
    except (AssertionError, ConnectionClosed):
        return False
    finally:
        await client.close()


# --- WebSocket frames ----------------------------------------------------------------------------

STAFF_SENDERS = ("counselor", "supervisor", "admin")
EVERY_SENDER = ("visitor", *STAFF_SENDERS)
OVERSEERS = ("supervisor", "admin")
NOT_PARTICIPANT, FORBIDDEN_FRAME, UNKNOWN_TYPE = "not_a_participant", "forbidden", "unknown_type"
NEEDS_SOCKET = "needs_socket"


@dataclass
class Obj:
    """What a frame acts on."""

    conversation: str | None = None
    block: str | None = None
    peer: str = "team"
    to_staff: str | None = None
    referral: str = "0" * 32  # issue 17: a referral proposed on the conversation (kind "referral")
    partner_staff: str = "none"  # issue 17, item 3: a partner account (kind "handoff")
    access: str = "pa_none"  # ... and its open invitation into the chat (kind "handoff_access")


@dataclass(frozen=True)
class Foreign:
    """Someone acting on an object that is not theirs (made for `owner`)."""

    actor: str  # visitor (another visitor's chat), counselor, supervisor, partner_counselor, ...
    expect: str | None  # the error code; None: allowed (an overseer of the organisation)
    kind: str | None = None  # the object, when not the rule's own kind
    owner: str = "colleague"


@dataclass(frozen=True)
class FrameRule:
    senders: tuple[str, ...]  # who may send it (researchers never get the staff socket)
    build: Callable[[Obj], dict[str, Any]]
    kind: str = "none"  # none, active, queued, ended, coded, block, peer, waiting
    ok: str | None = None  # the answer that shows it was done (None: it has no answer)
    owner: str = "sender"  # whose object the sender acts on when allowed: theirs or a colleague's
    foreign: tuple[Foreign, ...] = ()
    prelude: Callable[[Obj], list[dict[str, Any]]] | None = None  # frames sent first
    target_online: bool = False  # a colleague must be online (transfer)


def _c(frame_type: str, **fields: Any) -> Callable[[Obj], dict[str, Any]]:
    """A frame about the object's conversation."""
    return lambda o: {"type": frame_type, "conversation_id": o.conversation, **fields}


def _c_access(frame_type: str) -> Callable[[Obj], dict[str, Any]]:
    """A frame about the object's partner access in its conversation."""
    return lambda o: {"type": frame_type, "conversation_id": o.conversation, "access_id": o.access}


_ids = itertools.count(1)


def _send(o: Obj) -> dict[str, Any]:
    return {
        "type": "send",
        "conversation_id": o.conversation,
        "client_msg_id": f"authz-{next(_ids)}",
        "text": "Hallo",
    }


# The chat's participants only: its visitor, its counselor. Overseers use observe/whisper instead.
PARTICIPANTS_ONLY = (
    Foreign("visitor", NOT_PARTICIPANT),
    Foreign("counselor", NOT_PARTICIPANT),
    Foreign("supervisor", NOT_PARTICIPANT),
    Foreign("partner_supervisor", NOT_PARTICIPANT),
)
STAFF_PARTICIPANT_ONLY = PARTICIPANTS_ONLY[1:]
# Counselor tools: the chat's counselor, or a supervisor/admin of its organisation.
OVERSEEN = (
    Foreign("counselor", NOT_PARTICIPANT),
    Foreign("supervisor", None),
    Foreign("partner_supervisor", NOT_PARTICIPANT),
    Foreign("partner_counselor", NOT_PARTICIPANT),
)
# Supervision: supervisors and admins of the organisation only.
SUPERVISED = (
    Foreign("counselor", FORBIDDEN_FRAME),
    Foreign("partner_counselor", FORBIDDEN_FRAME),
    Foreign("partner_supervisor", NOT_PARTICIPANT),
)

FRAMES: dict[str, FrameRule] = {
    "ping": FrameRule(EVERY_SENDER, lambda o: {"type": "ping", "t": 7}, ok="pong"),
    "sync": FrameRule(
        EVERY_SENDER, _c("sync", after_seq=0), "active", "messages", foreign=PARTICIPANTS_ONLY
    ),
    "send": FrameRule(EVERY_SENDER, _send, "active", "ack", foreign=PARTICIPANTS_ONLY),
    "typing": FrameRule(
        EVERY_SENDER, _c("typing", active=True), "active", foreign=PARTICIPANTS_ONLY
    ),
    "receipt": FrameRule(
        EVERY_SENDER, _c("receipt", kind="read", seq=1), "active", foreign=PARTICIPANTS_ONLY
    ),
    "leave": FrameRule(
        ("visitor",), _c("leave"), "active", foreign=(Foreign("visitor", NOT_PARTICIPANT),)
    ),
    "request_code": FrameRule(
        ("visitor",),
        _c("request_code"),
        "active",
        "return_code",
        foreign=(Foreign("visitor", NOT_PARTICIPANT),),
    ),
    # Taking a chat from the queue: the organisation's own queue only.
    "accept": FrameRule(
        STAFF_SENDERS,
        _c("accept"),
        "queued",
        "accepted",
        foreign=(
            Foreign("counselor", "not_queued", kind="active"),
            Foreign("supervisor", "not_queued", kind="active"),
            Foreign("partner_counselor", "not_queued"),
            Foreign("partner_supervisor", "not_queued"),
        ),
    ),
    "take_next": FrameRule(
        STAFF_SENDERS,
        lambda o: {"type": "take_next"},
        "waiting",
        "accepted",
        foreign=(Foreign("partner_counselor", "queue_empty"),),
    ),
    "end": FrameRule(STAFF_SENDERS, _c("end"), "active", "ended", foreign=STAFF_PARTICIPANT_ONLY),
    "mark_compromised": FrameRule(
        STAFF_SENDERS,
        _c("mark_compromised"),
        "coded",
        "code_compromised",
        foreign=STAFF_PARTICIPANT_ONLY,
    ),
    "mailbox_send": FrameRule(
        STAFF_SENDERS,
        _c("mailbox_send", text="Ik lees je."),
        "coded",
        "mailbox_sent",
        foreign=STAFF_PARTICIPANT_ONLY,
    ),
    "notes_get": FrameRule(STAFF_SENDERS, _c("notes_get"), "active", "notes", foreign=OVERSEEN),
    "note_add": FrameRule(
        STAFF_SENDERS, _c("note_add", text="Let op."), "active", "note", foreign=OVERSEEN
    ),
    "colleagues_get": FrameRule(
        STAFF_SENDERS, lambda o: {"type": "colleagues_get"}, ok="colleagues"
    ),
    "transfer": FrameRule(
        STAFF_SENDERS,
        lambda o: {
            "type": "transfer",
            "conversation_id": o.conversation,
            "to_staff_id": o.to_staff,
        },
        "active",
        "transferred",
        foreign=OVERSEEN,
        target_online=True,
    ),
    "requeue": FrameRule(STAFF_SENDERS, _c("requeue"), "active", "requeued", foreign=OVERSEEN),
    "end_reason": FrameRule(
        STAFF_SENDERS,
        _c("end_reason", reason="helped"),
        "ended",
        "end_reason_saved",
        foreign=OVERSEEN,
    ),
    "block": FrameRule(
        STAFF_SENDERS,
        _c("block", reason="abusive", hours=24),
        "active",
        "blocked",
        foreign=OVERSEEN,
    ),
    "unblock": FrameRule(
        STAFF_SENDERS,
        lambda o: {"type": "unblock", "block_id": o.block},
        "block",
        "unblocked",
        foreign=(
            Foreign("counselor", FORBIDDEN_FRAME),
            Foreign("supervisor", None),
            Foreign("partner_supervisor", FORBIDDEN_FRAME),
        ),
    ),
    "overview_subscribe": FrameRule(
        OVERSEERS, lambda o: {"type": "overview_subscribe"}, ok="overview"
    ),
    "overview_unsubscribe": FrameRule(
        OVERSEERS, lambda o: {"type": "overview_unsubscribe"}, ok="overview_stopped"
    ),
    "observe": FrameRule(
        OVERSEERS, _c("observe"), "active", "observing", owner="colleague", foreign=SUPERVISED
    ),
    # Only ever ends the sender's own observing: nothing of anyone else's to refuse.
    "observe_stop": FrameRule(
        OVERSEERS,
        _c("observe_stop"),
        "active",
        "observe_stopped",
        owner="colleague",
        foreign=SUPERVISED[:2],
    ),
    "whisper": FrameRule(
        OVERSEERS,
        _c("whisper", text="Vraag naar de veiligheid."),
        "active",
        "whisper",
        owner="colleague",
        foreign=SUPERVISED,
        prelude=lambda o: [{"type": "observe", "conversation_id": o.conversation}],
    ),
    "take_over": FrameRule(
        OVERSEERS, _c("take_over"), "active", "taken_over", owner="colleague", foreign=SUPERVISED
    ),
    # Consultations: within the organisation; about a chat only one the sender may see.
    "consult_send": FrameRule(
        STAFF_SENDERS,
        lambda o: {
            "type": "consult_send",
            "to": o.peer,
            "text": "Even overleggen?",
            **({"conversation_id": o.conversation} if o.conversation else {}),
        },
        ok="consult",
        foreign=(
            Foreign("counselor", NOT_PARTICIPANT, kind="active"),
            Foreign("supervisor", None, kind="active"),
            Foreign("partner_supervisor", NOT_PARTICIPANT, kind="active"),
            Foreign("partner_counselor", "unknown_colleague", kind="peer"),
        ),
    ),
    # Wellbeing (issue 15, item 6): a heavy mark only on a chat one took part in; the rest is
    # about the sender alone (a talk request reaches the organisation's supervisors only:
    # tests/test_wellbeing.py).
    "heavy_mark": FrameRule(
        STAFF_SENDERS,
        _c("heavy_mark"),
        "ended",
        "heavy_marked",
        foreign=(
            Foreign("counselor", NOT_PARTICIPANT),
            Foreign("supervisor", NOT_PARTICIPANT),
            Foreign("partner_counselor", NOT_PARTICIPANT),
            Foreign("partner_supervisor", NOT_PARTICIPANT),
        ),
    ),
    "talk_request": FrameRule(
        STAFF_SENDERS, lambda o: {"type": "talk_request"}, ok="talk_request_sent"
    ),
    "pause": FrameRule(STAFF_SENDERS, lambda o: {"type": "pause", "minutes": 0}, ok="pause_state"),
    "wellbeing_get": FrameRule(STAFF_SENDERS, lambda o: {"type": "wellbeing_get"}, ok="wellbeing"),
    # Team operations (issue 15, item 1): one's own status only (the frame names no one); a
    # capacity for a colleague of one's own organisation, by supervisors and administrators.
    "set_status": FrameRule(
        STAFF_SENDERS, lambda o: {"type": "set_status", "status": "available"}, ok="staff_status"
    ),
    "set_capacity": FrameRule(
        OVERSEERS,
        lambda o: {"type": "set_capacity", "staff_id": o.peer, "max_chats": None},
        "peer",
        "capacity_set",
        foreign=(
            Foreign("supervisor", None, kind="peer"),
            Foreign("partner_supervisor", "unknown_colleague", kind="peer"),
        ),
    ),
    # Shift handover (issue 15, item 4): like requeue/transfer, the chat's counselor or an overseer
    # of its organisation.
    "handover": FrameRule(
        STAFF_SENDERS, _c("handover", note="Overdracht."), "active", "handed_over", foreign=OVERSEEN
    ),
    # Issue 17, item 2 (docs/referrals.md): only the chat's own counselor proposes, on an active
    # chat (an ended one or anyone else's: the refusal of a missing chat); the referrals of a chat
    # are read by its counselor, an overseer of its organisation, or its visitor; only the chat's
    # own visitor answers its proposal.
    "referral_propose": FrameRule(
        STAFF_SENDERS,
        _c("referral_propose", service_id=AUTHZ_SERVICE.id),
        "active",
        "referral_proposed",
        foreign=(
            *STAFF_PARTICIPANT_ONLY,
            Foreign("partner_counselor", NOT_PARTICIPANT),
            Foreign("counselor", NOT_PARTICIPANT, kind="ended", owner="counselor"),
        ),
    ),
    "referrals_get": FrameRule(
        EVERY_SENDER,
        _c("referrals_get"),
        "active",
        "referrals",
        foreign=(
            Foreign("visitor", NOT_PARTICIPANT),
            Foreign("counselor", NOT_PARTICIPANT),
            Foreign("supervisor", None),
            Foreign("partner_supervisor", NOT_PARTICIPANT),
            Foreign("partner_counselor", NOT_PARTICIPANT),
        ),
    ),
    "referral_answer": FrameRule(
        ("visitor",),
        lambda o: {
            "type": "referral_answer",
            "conversation_id": o.conversation,
            "referral_id": o.referral,
            "answer": "contact",
        },
        "referral",
        "referral_answered",
        foreign=(Foreign("visitor", NOT_PARTICIPANT),),
    ),
    # Issue 19, item 2: a dismissed indicator is counted; only the chat's own counselor gets its
    # signals, so only they may dismiss one (no overseer, nobody of another organisation).
    "signals_feedback": FrameRule(
        STAFF_SENDERS,
        _c("signals_feedback", label="deception"),
        "active",
        "signals_feedback_saved",
        foreign=(*STAFF_PARTICIPANT_ONLY, Foreign("partner_counselor", NOT_PARTICIPANT)),
    ),
    # Issue 17, item 3 (docs/partners.md): only the chat's own counselor lists partners, invites
    # one and ends an invitation, for a referral with hand-off consent on that chat; anyone else
    # gets the refusal of a missing chat. Only the chat's own visitor says no to a partner.
    "partner_candidates": FrameRule(
        STAFF_SENDERS,
        lambda o: {
            "type": "partner_candidates",
            "conversation_id": o.conversation,
            "referral_id": o.referral,
        },
        "handoff",
        "partner_candidates",
        foreign=(*STAFF_PARTICIPANT_ONLY, Foreign("partner_counselor", NOT_PARTICIPANT)),
    ),
    "partner_invite": FrameRule(
        STAFF_SENDERS,
        lambda o: {
            "type": "partner_invite",
            "conversation_id": o.conversation,
            "referral_id": o.referral,
            "partner_staff_id": o.partner_staff,
        },
        "handoff",
        "partner_invited",
        foreign=(*STAFF_PARTICIPANT_ONLY, Foreign("partner_counselor", NOT_PARTICIPANT)),
    ),
    "partner_end": FrameRule(
        STAFF_SENDERS,
        _c_access("partner_end"),
        "handoff_access",
        "partner_access_ended",
        foreign=(*STAFF_PARTICIPANT_ONLY, Foreign("partner_counselor", NOT_PARTICIPANT)),
    ),
    "partner_refuse": FrameRule(
        ("visitor",),
        _c("partner_refuse"),
        "active",
        "partner_refused",
        foreign=(Foreign("visitor", NOT_PARTICIPANT),),
    ),
    # A partner professional's own socket only (PARTNER_FRAMES): unknown on every other socket.
    # What a partner may do with them is tried in tests/test_partner_access.py.
    "partner_invitations": FrameRule((), lambda o: {"type": "partner_invitations"}),
    "partner_join": FrameRule((), lambda o: {"type": "partner_join", "access_id": o.access}),
    "partner_leave": FrameRule((), lambda o: {"type": "partner_leave", "access_id": o.access}),
    "partner_mailbox_send": FrameRule(
        (), lambda o: {"type": "partner_mailbox_send", "access_id": o.access, "text": "Dinsdag"}
    ),
    "consult_history": FrameRule(
        STAFF_SENDERS,
        lambda o: {"type": "consult_history", "peer": o.peer},
        ok="consult_history",
        foreign=(
            Foreign("counselor", None, kind="peer"),
            Foreign("partner_counselor", "unknown_colleague", kind="peer"),
        ),
    ),
}


def frame_tables() -> dict[str, dict[str, Any]]:
    """Every table of frame types in realtime/frames.py (VISITOR_FRAMES, STAFF_FRAMES, ...)."""
    return {
        name: value
        for name, value in vars(frame_module).items()
        if name.endswith("_FRAMES") and isinstance(value, dict)
    }


def all_frame_types() -> set[str]:
    return {kind for table in frame_tables().values() for kind in table}


def test_every_frame_type_has_an_entry() -> None:
    missing = sorted(all_frame_types() - set(FRAMES))
    assert not missing, (
        "frame types without an entry in the authorization matrix "
        f"(tests/test_authorization_matrix.py FRAMES): {missing}"
    )
    stale = sorted(set(FRAMES) - all_frame_types())
    assert not stale, f"matrix entries for frame types that no longer exist: {stale}"
    visitor_frames = frame_module.VISITOR_FRAMES
    staff_frames = frame_module.STAFF_FRAMES
    for kind, rule in FRAMES.items():
        assert ("visitor" in rule.senders) == (kind in visitor_frames), kind
        assert bool(set(rule.senders) & set(STAFF_SENDERS)) == (kind in staff_frames), kind


def _make(world: World, kind: str, owner: str) -> Obj:
    if kind == "none":
        return Obj()
    if kind == "peer":
        return Obj(peer=world.account(owner).id)
    if kind == "block":
        return Obj(block=world.block(owner))
    if kind == "queued":
        return Obj(conversation=world.conversation(None, "queued"))
    if kind == "waiting":  # a visitor in the live queue of the default organisation
        return Obj(conversation=world.server.start_visitor()[0])
    if kind == "ended":
        return Obj(conversation=world.conversation(owner, "ended"))
    if kind == "referral":
        conversation = world.conversation(owner)
        return Obj(conversation=conversation, referral=proposed_referral(world, conversation))
    if kind in ("handoff", "handoff_access"):
        return handoff(world, owner, with_access=kind == "handoff_access")
    conversation = world.conversation(owner)
    if kind == "coded":
        world.with_return_code(conversation)
    return Obj(conversation=conversation)


@dataclass
class Actor:
    path: str
    token: str
    online: list[str] = field(default_factory=list)  # staff tokens that must be connected


def _actor(world: World, who: str, rule: FrameRule, obj: Obj, kind: str) -> Actor:
    """The socket `who` uses; a visitor acting on their own chat is that chat's visitor."""
    if who == "visitor":
        if kind in ("active", "coded", "referral") and obj.conversation is None:
            raise AssertionError("a visitor frame needs the visitor's conversation")
        return Actor("/ws/visitor", _visitor_token(world, obj))
    return Actor("/ws/staff", world.account(who).token)


_visitor_tokens: dict[str, str] = {}


def _visitor_token(world: World, obj: Obj) -> str:
    token = _visitor_tokens.get(obj.conversation or "")
    if token is None:  # a frame without an object: any visitor
        token = world.server.start_visitor()[1]
    return token


def _visitor_object(world: World) -> Obj:
    conversation, token = world.server.start_visitor()
    _visitor_tokens[conversation] = token
    return Obj(conversation=conversation)


async def _exchange(client: Client, frame: dict[str, Any]) -> dict[str, Any] | None:
    """Send a frame and then a ping. Frames are handled in order, so the error for this frame,
    if there is one, arrives before the pong."""
    marker = next(_ids)
    ref = frame.get("client_msg_id") or frame.get("type")
    await client.send(frame)
    await client.send({"type": "ping", "t": marker})
    error = None
    while True:
        got = await client.recv(timeout=15)
        if got.get("type") == "error" and got.get("ref") == ref:
            error = got
        if got.get("type") == "pong" and got.get("t") == marker:
            return error


# Issue 13: every frame goes through both doors, the socket and the HTTP door
# (web/command_routes.py), and must get the same result. The commands that subscribe a connection
# answer "needs_socket" over HTTP, to everyone whose socket would take the frame at all.
DOORS = ("socket", "http")
HTTP_DOOR = {"/ws/visitor": "/api/visitor/command", "/ws/staff": "/api/staff/command"}


def attempt_through(
    door: str, world: World, actor: Actor, rule: FrameRule, obj: Obj
) -> dict[str, Any] | None:
    if door == "socket":
        return attempt(world, actor, rule, obj)
    return attempt_http(world, actor, rule, obj)


def expected_through(door: str, kind: str, expected: str | None) -> str | None:
    if door == "http" and kind in SOCKET_ONLY and expected != UNKNOWN_TYPE:
        return NEEDS_SOCKET
    return expected


def attempt_http(world: World, actor: Actor, rule: FrameRule, obj: Obj) -> dict[str, Any] | None:
    """The error frame the actor's frame got through the HTTP door (None: accepted, and its
    answer was in the response)."""

    async def run() -> dict[str, Any] | None:
        others = [await open_socket(world.server, "/ws/staff", t) for t in actor.online]
        # Some answers go to all of the sender's live connections (a consult message, one's
        # status): then the sender's own socket, open beside the HTTP door, gets it.
        own = None
        if rule.ok is not None:
            own = await open_socket(world.server, actor.path, actor.token)
            others.append(own)
        for other in others:
            await other.expect("welcome", timeout=15)
        cookie = VISITOR_COOKIE if actor.path == "/ws/visitor" else STAFF_COOKIE
        headers = {"Cookie": f"{cookie}={actor.token}", "Origin": world.server.origin}
        url = world.server.base + HTTP_DOOR[actor.path]
        try:
            async with httpx.AsyncClient(headers=headers, timeout=20) as client:

                async def post(frame: dict[str, Any]) -> list[dict[str, Any]]:
                    response = await client.post(url, json=frame)
                    assert response.status_code == 200, (frame, response.text)
                    answered: list[dict[str, Any]] = response.json()["frames"]
                    return answered

                for frame in rule.prelude(obj) if rule.prelude else []:
                    await post(frame)
                frame = rule.build(obj)
                ref = frame.get("client_msg_id") or frame.get("type")
                answered = await post(frame)
                errors = [f for f in answered if f.get("type") == "error"]
                if errors:
                    assert errors[0].get("ref") == ref, errors
                    return errors[0]
                if own is not None:
                    about = (None, obj.conversation) if rule.kind != "waiting" else None

                    def is_ok(f: dict[str, Any]) -> bool:
                        return f.get("type") == rule.ok and (
                            about is None or f.get("conversation_id") in about
                        )

                    if not any(is_ok(f) for f in answered):
                        await own.seen(is_ok, timeout=15)
                return None
        finally:
            for other in others:
                await other.close()

    result: dict[str, Any] | None = run_async(run())
    return result


def attempt(world: World, actor: Actor, rule: FrameRule, obj: Obj) -> dict[str, Any] | None:
    """The error frame the actor's frame got (None: accepted; then its answer has arrived)."""

    async def run() -> dict[str, Any] | None:
        others = [await open_socket(world.server, "/ws/staff", t) for t in actor.online]
        for other in others:
            # The server counts a colleague as online once their welcome is sent; before
            # that, a transfer to them may find them offline.
            await other.expect("welcome", timeout=15)
        client = await open_socket(world.server, actor.path, actor.token)
        try:
            await client.expect("welcome")
            for frame in rule.prelude(obj) if rule.prelude else []:
                await _exchange(client, frame)
            error = await _exchange(client, rule.build(obj))
            if error is None and rule.ok is not None:
                # take_next answers with whichever chat was first in the queue.
                about = (None, obj.conversation) if rule.kind != "waiting" else None
                await client.seen(
                    lambda f: (
                        f.get("type") == rule.ok
                        and (about is None or f.get("conversation_id") in about)
                    ),
                    timeout=15,
                )
            return error
        finally:
            await client.close()
            for other in others:
                await other.close()

    result: dict[str, Any] | None = run_async(run())
    return result


def _prepare(world: World, who: str, rule: FrameRule, kind: str, owner: str) -> tuple[Actor, Obj]:
    world.make_room(who)  # before this attempt's own object is made
    if who == "visitor" and kind in ("active", "coded", "ended", "referral"):
        obj = _visitor_object(world) if owner in ("sender", "visitor") else _other_visitor(world)
        if kind == "referral":
            assert obj.conversation is not None
            obj.referral = proposed_referral(world, obj.conversation)
    elif who == "visitor":  # a staff object: a colleague's
        obj = _make(world, kind, "colleague")
    else:
        obj = _make(world, kind, who if owner == "sender" else owner)
    actor = _actor(world, who, rule, obj, kind)
    if who == "visitor" and owner not in ("sender", "visitor"):
        actor = Actor("/ws/visitor", world.server.start_visitor()[1])  # someone else's chat
    if rule.target_online and who != "visitor" and obj.to_staff is None:
        holder = who if owner == "sender" else owner
        if holder == who:  # handing one's own chat on: to a colleague who is online
            target = world.create_account(world.account("counselor").role, ORGANISATION_OF[who])
            obj.to_staff, token = target.id, target.token
        else:  # someone else's chat: to oneself
            obj.to_staff, token = world.account(who).id, world.account(who).token
        actor.online.append(token)
    return actor, obj


def _other_visitor(world: World) -> Obj:
    return Obj(conversation=world.server.start_visitor()[0])


ORGANISATION_OF = {
    "counselor": "org_default",
    "supervisor": "org_default",
    "admin": "org_default",
    "partner_counselor": PARTNER,
    "partner_supervisor": PARTNER,
}

FRAME_TYPES = sorted(all_frame_types() | set(FRAMES))


def _rule(kind: str) -> FrameRule:
    rule = FRAMES.get(kind)
    assert rule is not None, f"frame type {kind!r} has no entry in the authorization matrix"
    return rule


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("kind", FRAME_TYPES)
def test_frame_allowed_for_its_senders(world: World, kind: str, door: str) -> None:
    rule = _rule(kind)
    for who in rule.senders:
        actor, obj = _prepare(world, who, rule, rule.kind, rule.owner)
        error = attempt_through(door, world, actor, rule, obj)
        expected = expected_through(door, kind, None)
        if expected is None:
            assert error is None, f"{kind} by {who} on their own object was refused: {error}"
        else:
            assert error is not None and error["code"] == expected, f"{kind} by {who}: {error}"


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("kind", FRAME_TYPES)
def test_frame_refused_for_other_roles(world: World, kind: str, door: str) -> None:
    rule = _rule(kind)
    for who in (w for w in EVERY_SENDER if w not in rule.senders):
        socket_table = (
            frame_module.VISITOR_FRAMES if who == "visitor" else frame_module.STAFF_FRAMES
        )
        expected = expected_through(
            door, kind, UNKNOWN_TYPE if kind not in socket_table else FORBIDDEN_FRAME
        )
        # On an object the sender could otherwise act on: only the role is wrong.
        actor, obj = _prepare(world, who, rule, rule.kind, rule.owner)
        before = world.snapshot(obj.conversation)
        error = attempt_through(door, world, actor, rule, obj)
        assert error is not None and error["code"] == expected, f"{kind} by {who}: {error}"
        assert _rows(world.snapshot(obj.conversation)) == _rows(before), f"{kind} by {who}"


FOREIGN_CASES = [(kind, case) for kind, rule in sorted(FRAMES.items()) for case in rule.foreign]


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(
    ("kind", "case"),
    FOREIGN_CASES,
    ids=[f"{kind}-{case.actor}-{case.kind or 'own kind'}" for kind, case in FOREIGN_CASES],
)
def test_frame_on_someone_elses_object(world: World, kind: str, case: Foreign, door: str) -> None:
    rule = _rule(kind)
    object_kind = case.kind or rule.kind
    actor, obj = _prepare(world, case.actor, rule, object_kind, case.owner)
    before = world.snapshot(obj.conversation)
    error = attempt_through(door, world, actor, rule, obj)
    expected = expected_through(door, kind, case.expect)
    if expected != case.expect:
        assert error is not None and error["code"] == expected, f"{kind} by {case.actor}: {error}"
        return
    if case.expect is None:
        assert error is None, f"{kind} by {case.actor} on a colleague's object: {error}"
        return
    assert error is not None and error["code"] == case.expect, f"{kind} by {case.actor}: {error}"
    assert _rows(world.snapshot(obj.conversation)) == _rows(before), (
        f"{kind} by {case.actor} was refused but changed data"
    )


def test_the_queue_shows_only_the_organisations_own_visitors(world: World) -> None:
    async def run() -> None:
        own = await open_socket(world.server, "/ws/staff", world.account("counselor").token)
        partner = await open_socket(
            world.server, "/ws/staff", world.account("partner_counselor").token
        )
        try:
            await own.expect("welcome")
            await partner.expect("welcome")
            before = (await own.expect("queue"))["total"]
            first = await partner.expect("queue")
            assert first["entries"] == [] and first["total"] == 0, first
            waiting = await asyncio.to_thread(world.server.start_visitor, "Wachtende")
            # Earlier tests of this module may leave a long line, of which a queue frame lists
            # only the first entries: the new visitor shows in the list or in the total.
            seen = await own.seen(
                lambda f: (
                    f.get("type") == "queue"
                    and (
                        waiting[0] in {e["conversation_id"] for e in f["entries"]}
                        or f["total"] > before
                    )
                )
            )
            assert seen["total"] >= 1
            # The partner organisation's queue did not change, so it gets no broadcast (issue 21:
            # only the organisation whose line moved is told). Whatever reached it up to a ping's
            # answer — sent after the visitor was queued — holds no sign of this visitor.
            await partner.send({"type": "ping", "t": 7})
            await partner.expect("pong")
            for frame in partner.frames:
                if frame.get("type") == "queue":
                    assert frame["entries"] == [] and frame["total"] == 0, frame
        finally:
            await own.close()
            await partner.close()

    run_async(run())


def test_every_object_of_an_organisation_is_tried_from_another_organisation() -> None:
    """Issue 14, the "other organisation" column: every route that names an object (an id in its
    path) and every frame a staff member sends about a conversation is tried by staff of the
    partner organisation too, and must be refused like a missing object. Routes without an
    object in their path act on the caller's own organisation (lists, settings, figures): the
    isolation property test (tests/test_organisation_isolation.py) covers those."""
    routes = [
        f"{method} {path}"
        for (method, path), route in ROUTES.items()
        if "{" in path
        and not path.startswith("/c/")  # a campaign code names no object of anyone
        and not path.startswith("/research/")  # the year: each organisation reports its own
        and not any(case.who.startswith("partner_") for case in route.cases)
    ]
    frames = [
        kind
        for kind, rule in FRAMES.items()
        if rule.kind != "none"
        and any(sender != "visitor" for sender in rule.senders)
        and not any(f.actor.startswith("partner_") for f in rule.foreign)
    ]
    assert routes == [] and frames == [], f"no partner-organisation case: {routes + frames}"


def test_the_matrix_is_documented() -> None:
    """docs/security.md, "Authorization matrix", lists every route and frame type of the tables."""
    docs = (Path(__file__).parent.parent / "docs" / "security.md").read_text(encoding="utf-8")
    section = docs[docs.index("## Authorization matrix") :]
    missing = [f"{m} {p}" for m, p in ROUTES if f"`{m} {p}`" not in section]
    missing += [f"WS {p}" for p in SOCKETS if f"`WS {p}`" not in section]
    missing += [kind for kind in FRAMES if f"| `{kind}` |" not in section]
    assert not missing, f"not in docs/security.md's authorization matrix: {missing}"
