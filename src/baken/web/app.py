"""The ASGI application: routes, start-up and shut-down."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from baken.abuse.address import AddressKeys
from baken.campaigns.counter import CampaignCounter
from baken.config import Settings
from baken.crypto.envelope import CipherCache
from baken.crypto.keyfile import load_or_create_master_key
from baken.i18n import STAFF_LANGUAGES, VISITOR_LANGUAGES, negotiate
from baken.realtime.broker import Broker, InProcessBroker
from baken.realtime.chat_service import ChatService
from baken.retention.job import RetentionJob
from baken.store.conversation_repo import ConversationRepository
from baken.store.database import Database
from baken.store.migrate import upgrade_async
from baken.store.organisation_repo import OrganisationCache, OrganisationRepository
from baken.web import (
    audit_routes,
    availability_routes,
    campaign_routes,
    canned_routes,
    case_link_routes,
    check_routes,
    command_routes,
    counselor_figures_routes,
    cover_routes,
    directory_routes,
    figures_routes,
    health,
    launcher_routes,
    nojs_chat_routes,
    nojs_referral_routes,
    organisation_admin_routes,
    partner_routes,
    passkey_routes,
    police_signal_routes,
    referral_routes,
    registration_routes,
    research_routes,
    service_routes,
    staff_account_routes,
    staff_block_routes,
    staff_invite_routes,
    staff_login_routes,
    staff_routes,
    visitor_forms,
    visitor_referral_forms,
    visitor_routes,
    wellbeing_routes,
)
from baken.web.abuse_guard import AbuseGuard, challenge_api
from baken.web.availability_wire import AvailabilityWire
from baken.web.compression import SelectiveGZip
from baken.web.guards import Refused, answer_refused
from baken.web.organisation_entry import OrganisationEntry
from baken.web.pages import error_page, is_staff_path
from baken.web.security import SecurityMiddleware
from baken.web.services import Services
from baken.web.slim_static import SlimStaticFiles
from baken.web.socket_entry import SocketEntry
from baken.web.socket_routes import staff_socket, visitor_socket
from baken.web.staff_security import StaffSecurity, staff_repository
from baken.web.templating import STATIC_DIR

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await upgrade_async(settings)
        master, created = load_or_create_master_key(settings.master_key, settings.data_dir)
        if created is not None:
            log.warning(
                "A new master key was written to %s. Back it up separately from the database: "
                "without it no message can ever be read again.",
                created,
            )
        db = Database(settings)
        staff = staff_repository(db, settings)
        await staff.ensure_organisation(settings.organisation_name)
        chat = ChatService(
            settings, ConversationRepository(db, CipherCache(master)), make_broker(settings)
        )
        await chat.start()
        # Retention (issue 5): destroys the keys of old transcripts now and then.
        retention = RetentionJob(
            db,
            chat.repo.ciphers,
            chat.audit,
            settings.retention_days,
            timedelta(minutes=settings.purge_interval_minutes),
        )
        retention.start()
        # Staff sign-in: second factor, throttle, sockets closed when their session ends.
        app.state.staff_security = StaffSecurity.build(settings, db, master, staff, chat.hub)
        app.state.staff_security.guard.start()
        app.state.baken = Services(
            settings=settings,
            db=db,
            staff=staff,
            chat=chat,
            organisations=OrganisationCache(OrganisationRepository(db)),
        )
        # Issue 18: campaign counts, kept in memory and written in batches (docs/reach.md).
        app.state.campaigns = CampaignCounter(db)
        chat.hub.conversation_listeners.append(app.state.campaigns.on_conversation)
        app.state.campaigns.start()
        # Abuse without identity (issue 5): proof-of-work and throttles, in memory.
        app.state.abuse = AbuseGuard.build(settings, app.state.address_keys, db, master)
        try:
            yield
        finally:
            await app.state.staff_security.guard.stop()
            await retention.stop()
            await chat.stop()
            await app.state.campaigns.stop()
            await app.state.abuse.close()
            await db.dispose()

    app = FastAPI(
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        title="Baken",
    )
    app.add_api_route("/", visitor_routes.visitor_page, methods=["GET"])
    app.add_api_route("/start", visitor_routes.start_form, methods=["POST"])
    app.add_api_route("/api/visitor/challenge", challenge_api, methods=["GET"])  # issue 5
    app.add_api_route("/api/visitor/start", visitor_routes.start_api, methods=["POST"])
    app.add_api_route("/api/visitor/return", visitor_routes.return_api, methods=["POST"])
    app.add_api_route(
        "/api/visitor/code/destroy", visitor_routes.destroy_code_api, methods=["POST"]
    )
    app.add_api_route(visitor_routes.EXIT_PATH, visitor_routes.quick_exit, methods=["GET"])
    # Issue 12: the same visitor actions as plain forms, for browsers without JavaScript.
    app.add_api_route("/closed/message", visitor_forms.leave_message_form, methods=["POST"])
    app.add_api_route("/closed/answers", visitor_forms.read_answers_form, methods=["POST"])
    app.add_api_route("/return", visitor_forms.return_form, methods=["POST"])
    app.add_api_route("/return/destroy", visitor_forms.destroy_code_form, methods=["POST"])
    app.add_api_route(
        visitor_referral_forms.REFERRALS_PATH,
        visitor_referral_forms.referrals_form,
        methods=["POST"],
    )
    app.add_api_route(
        visitor_referral_forms.WITHDRAW_PATH, visitor_referral_forms.withdraw_form, methods=["POST"]
    )
    # Issue 13: the chat without JavaScript (docs/protocol.md).
    app.add_api_route(nojs_chat_routes.CHAT_PATH, nojs_chat_routes.chat_page, methods=["GET"])
    app.add_api_route(nojs_chat_routes.LOG_PATH, nojs_chat_routes.log_page, methods=["GET"])
    app.add_api_route("/chat/send", nojs_chat_routes.send_form, methods=["POST"])
    app.add_api_route("/chat/end", nojs_chat_routes.end_form, methods=["POST"])
    app.add_api_route(
        nojs_chat_routes.PARTNER_REFUSE_PATH,
        nojs_chat_routes.refuse_partner_form,
        methods=["POST"],
    )
    app.add_api_route(
        nojs_referral_routes.REFERRAL_PATH, nojs_referral_routes.answer_form, methods=["POST"]
    )
    app.add_api_route("/staff/login", staff_routes.login_page, methods=["GET"])
    app.add_api_route("/staff/login", staff_routes.login, methods=["POST"])
    app.add_api_route("/staff/logout", staff_routes.logout, methods=["POST"])
    app.add_api_route("/staff", staff_routes.console, methods=["GET"])
    # Issue 17, item 3: a partner professional's invitations (warm hand-off).
    app.add_api_route("/staff/partner", partner_routes.partner_page, methods=["GET"])
    # Staff accounts (issue 5): second factor, password change, admin actions.
    two_step, accounts = staff_login_routes, staff_account_routes
    app.add_api_route("/staff/login/code", two_step.code_page, methods=["GET"])
    app.add_api_route("/staff/login/code", two_step.code_step, methods=["POST"])
    app.add_api_route("/staff/enrol", two_step.enrol_page, methods=["GET"])
    app.add_api_route("/staff/enrol", two_step.enrol_step, methods=["POST"])
    app.add_api_route("/staff/enrol/qr.svg", two_step.enrol_qr, methods=["GET"])
    app.add_api_route("/staff/password", accounts.password_page, methods=["GET"])
    app.add_api_route("/staff/password", accounts.change_password, methods=["POST"])
    app.add_api_route("/staff/accounts", accounts.accounts_page, methods=["GET"])
    # Issue 15: accounts made on the web, opened through a one-time link; visitor blocks.
    app.add_api_route("/staff/accounts", accounts.create_account, methods=["POST"])
    invite_path = staff_invite_routes.INVITE_PATH + "/{token}"
    app.add_api_route(invite_path, staff_invite_routes.invite_page, methods=["GET"])
    app.add_api_route(invite_path, staff_invite_routes.accept_invite, methods=["POST"])
    app.add_api_route("/staff/blocks", staff_block_routes.blocks_page, methods=["GET"])
    app.add_api_route(
        "/staff/blocks/{block_id}/lift", staff_block_routes.lift_block, methods=["POST"]
    )
    app.add_api_route(
        "/staff/accounts/{staff_id}/{action}", accounts.account_action, methods=["POST"]
    )
    app.add_api_route("/staff/audit", audit_routes.audit_page, methods=["GET"])  # issue 5
    # Issue 14: an administrator's own organisation; every organisation for platform admins.
    orgs = organisation_admin_routes
    app.add_api_route(orgs.OWN_PATH, orgs.own_page, methods=["GET"])
    app.add_api_route(orgs.OWN_PATH, orgs.save_own, methods=["POST"])
    app.add_api_route(orgs.ALL_PATH, orgs.all_page, methods=["GET"])
    app.add_api_route(orgs.ALL_PATH, orgs.add, methods=["POST"])
    org_path = orgs.ALL_PATH + "/{organisation_id}"
    app.add_api_route(org_path + "/disable", orgs.disable, methods=["POST"])
    app.add_api_route(org_path + "/enable", orgs.enable, methods=["POST"])
    app.add_api_route(org_path + "/host", orgs.set_host, methods=["POST"])
    # Passkeys for staff (issue 16): own passkeys, passkey sign-in, the organisation's rule.
    keys = passkey_routes
    app.add_api_route("/staff/security", keys.security_page, methods=["GET"])
    app.add_api_route("/staff/security/organisation", keys.organisation_rule, methods=["POST"])
    app.add_api_route("/staff/passkeys/options", keys.register_options, methods=["POST"])
    app.add_api_route("/staff/passkeys", keys.register, methods=["POST"])
    app.add_api_route("/staff/passkeys/{passkey_id}/remove", keys.remove_passkey, methods=["POST"])
    app.add_api_route("/staff/login/passkey/options", keys.sign_in_options, methods=["POST"])
    app.add_api_route("/staff/login/passkey", keys.sign_in, methods=["POST"])
    app.add_api_route("/staff/login/new-passkey", keys.new_passkey_page, methods=["GET"])
    app.add_api_route("/healthz", health.healthz, methods=["GET"])
    app.add_api_route("/readyz", health.readyz, methods=["GET"])
    app.add_api_route("/metrics", health.metrics, methods=["GET"])
    # Registration and research (issue 6).
    reg, research = registration_routes, research_routes
    app.add_api_route("/api/registrations/codebook", reg.codebook_api, methods=["GET"])
    app.add_api_route("/api/registrations/pending", reg.pending_registrations, methods=["GET"])
    registration_path = "/api/conversations/{conversation_id}/registration"
    app.add_api_route(registration_path, reg.get_registration, methods=["GET"])
    app.add_api_route(registration_path, reg.put_registration, methods=["PUT"])
    case_link_path = "/api/conversations/{conversation_id}/case-link"
    app.add_api_route(case_link_path, case_link_routes.link_candidates, methods=["GET"])
    app.add_api_route(case_link_path, case_link_routes.link_case, methods=["POST"])
    app.add_api_route("/research", research.research_page, methods=["GET"])
    app.add_api_route("/research/{year}/report.{fmt}", research.download, methods=["GET"])
    app.add_api_route("/research/{year}/chart/{table}.png", research.chart, methods=["GET"])
    # Counselor tools (issue 3): canned responses.
    app.add_api_route("/api/canned", canned_routes.list_canned, methods=["GET"])
    app.add_api_route("/api/canned", canned_routes.create_canned, methods=["POST"])
    app.add_api_route("/api/canned/{canned_id}", canned_routes.update_canned, methods=["PUT"])
    app.add_api_route("/api/canned/{canned_id}", canned_routes.delete_canned, methods=["DELETE"])
    # Opening hours, closed state and messages left while closed (issue 3, part 2).
    hours = service_routes
    app.add_api_route("/api/service/status", hours.status_api, methods=["GET"])
    # Issue 18: open, staffed and wait for partner sites (CORS for BAKEN_PARTNER_ORIGINS).
    app.add_api_route("/api/availability", availability_routes.availability_api, methods=["GET"])
    app.add_api_route("/c/{code:path}", campaign_routes.campaign_entry, methods=["GET"])
    # Issue 18: the self-check (stores nothing) and the disguise's cover page.
    app.add_api_route(check_routes.CHECK_PATH, check_routes.check_page, methods=["GET"])
    app.add_api_route(check_routes.CHECK_PATH, check_routes.check_result, methods=["POST"])
    app.add_api_route(cover_routes.COVER_PATH, cover_routes.cover_page, methods=["GET"])
    app.add_api_route("/staff/campaigns", campaign_routes.campaigns_page, methods=["GET"])
    app.add_api_route("/launcher.js", launcher_routes.launcher_js, methods=["GET"])
    app.add_api_route("/api/visitor/message", hours.leave_message_api, methods=["POST"])
    app.add_api_route("/api/visitor/mailbox", hours.visitor_mailbox_api, methods=["POST"])
    app.add_api_route("/api/left-messages", hours.waiting_messages_api, methods=["GET"])
    app.add_api_route("/api/left-messages/{code_id}", hours.thread_api, methods=["GET"])
    app.add_api_route("/api/left-messages/{code_id}/reply", hours.reply_api, methods=["POST"])
    app.add_api_route("/api/service-hours", hours.hours_api, methods=["GET"])
    app.add_api_route("/api/service-hours", hours.put_hours_api, methods=["PUT"])
    app.add_api_route("/staff/hours", hours.hours_page, methods=["GET"])
    app.add_api_route("/staff/hours", hours.save_hours_page, methods=["POST"])
    # Service figures and visitor feedback (issue 3, part 6).
    figs = figures_routes
    app.add_api_route("/staff/figures", figs.figures_page, methods=["GET"])
    app.add_api_route("/staff/figures.csv", figs.figures_csv, methods=["GET"])
    # Issue 15, item 7: per counselor, for support and planning (docs/wellbeing.md).
    per = counselor_figures_routes
    app.add_api_route("/staff/figures/counselors", per.counselor_figures_page, methods=["GET"])
    app.add_api_route("/staff/figures/counselors.csv", per.counselor_figures_csv, methods=["GET"])
    app.add_api_route("/api/visitor/feedback/ticket", figs.feedback_ticket_api, methods=["POST"])
    app.add_api_route("/api/visitor/feedback/status", figs.feedback_status_api, methods=["POST"])
    app.add_api_route("/api/visitor/feedback", figs.feedback_api, methods=["POST"])
    # Counselor wellbeing (issue 15, item 6): one's own day, and the choice to share it.
    app.add_api_route("/staff/wellbeing", wellbeing_routes.wellbeing_page, methods=["GET"])
    app.add_api_route("/staff/wellbeing/share", wellbeing_routes.wellbeing_share, methods=["POST"])
    # The partner directory (issue 17, item 1; docs/directory.md): search, and its upkeep.
    app.add_api_route("/staff/directory", directory_routes.directory_page, methods=["GET"])
    app.add_api_route("/api/staff/directory", directory_routes.directory_api, methods=["GET"])
    app.add_api_route(
        "/staff/directory/edit", directory_routes.directory_edit_page, methods=["GET"]
    )
    app.add_api_route("/staff/directory/save", directory_routes.directory_save, methods=["POST"])
    app.add_api_route(
        "/staff/directory/remove", directory_routes.directory_remove, methods=["POST"]
    )
    # Anonymous signals to the police (issue 17, item 4; docs/police-signals.md).
    ps, ps_path = police_signal_routes, "/staff/police-signals"
    app.add_api_route(ps_path, ps.signals_page, methods=["GET"])
    app.add_api_route(ps_path, ps.create_signal, methods=["POST"])
    app.add_api_route(ps_path + "/new", ps.new_signal_page, methods=["GET"])
    app.add_api_route(ps_path + "/public-key", ps.public_key, methods=["GET"])
    app.add_api_route(ps_path + "/{signal_id}", ps.signal_page, methods=["GET"])
    app.add_api_route(ps_path + "/{signal_id}/edit", ps.edit_signal, methods=["POST"])
    app.add_api_route(ps_path + "/{signal_id}/submit", ps.submit_signal, methods=["POST"])
    app.add_api_route(ps_path + "/{signal_id}/approve", ps.approve_signal, methods=["POST"])
    app.add_api_route(ps_path + "/{signal_id}/reject", ps.reject_signal, methods=["POST"])
    app.add_api_route(ps_path + "/{signal_id}/export/{fmt}", ps.export_signal, methods=["GET"])
    # Referrals (issue 17, items 2 and 5; docs/referrals.md): follow-up, and the visitor's code.
    app.add_api_route("/staff/referrals", referral_routes.referrals_page, methods=["GET"])
    app.add_api_route(
        "/staff/referrals/{referral_id}/outcome", referral_routes.outcome_form, methods=["POST"]
    )
    app.add_api_route(
        "/api/visitor/referrals", referral_routes.visitor_referrals_api, methods=["POST"]
    )
    app.add_api_route(
        "/api/visitor/referrals/withdraw", referral_routes.visitor_withdraw_api, methods=["POST"]
    )
    # Issue 13: the same commands over HTTP, and the visitor's event stream (command_routes.py).
    app.add_api_route("/api/visitor/command", command_routes.visitor_command, methods=["POST"])
    app.add_api_route("/api/staff/command", command_routes.staff_command, methods=["POST"])
    app.add_api_route("/api/visitor/stream", command_routes.visitor_stream, methods=["GET"])
    app.add_api_websocket_route("/ws/visitor", visitor_socket)
    app.add_api_websocket_route("/ws/staff", staff_socket)
    app.mount("/static", SlimStaticFiles(directory=STATIC_DIR), name="static")  # issue 18
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Issue 13, item 4: a guard's refusal is the route's own answer (web/guards.py).
    app.add_exception_handler(Refused, answer_refused)
    app.add_exception_handler(Exception, _server_error)
    # The daily-keyed address hash (issue 5): made at the door, read by the throttles.
    app.state.address_keys = AddressKeys(settings.trusted_proxies)
    # Issue 18: the availability answer, kept and sent again by the HTTP protocol itself (its
    # limit is the route's, so the two count every request in the same buckets).
    app.state.availability = availability_routes.Availability(
        settings.address_availability_per_minute
    )
    app.state.availability_wire = AvailabilityWire(
        app.state.address_keys, app.state.availability.limit
    )
    # Issue 21: the sockets skip the router's layers, which each open socket would keep.
    app.add_middleware(
        SocketEntry, endpoints={"/ws/visitor": visitor_socket, "/ws/staff": staff_socket}
    )
    # Issue 18: the availability answer skips the router (inside the entry, so it knows the
    # organisation asked; inside the headers and the address hashing, so it gets both).
    app.add_middleware(availability_routes.AvailabilityFastPath)
    # Issue 14: /o/<slug>/… and organisations' own host names reach the same visitor routes.
    app.add_middleware(OrganisationEntry)
    # Issue 18: gzip only where no secret is in the response (compression.py, BREACH).
    app.add_middleware(SelectiveGZip)
    app.add_middleware(
        SecurityMiddleware, hsts=True, addresses=app.state.address_keys, error_page=_uncaught
    )
    return app


def make_broker(settings: Settings) -> Broker:
    if settings.redis_url:
        from baken.realtime.redis_broker import RedisBroker

        return RedisBroker(settings.redis_url, settings.redis_channel)
    return InProcessBroker()


def _lang(request: Request) -> str:
    # Anyone may land on an error page: outside the staff paths it is in the visitor's languages.
    languages = STAFF_LANGUAGES if is_staff_path(request.url.path) else VISITOR_LANGUAGES
    return negotiate(
        request.query_params.get("lang"), request.headers.get("accept-language"), languages
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    return error_page(_lang(request), status)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s: %s", request.url.path, type(exc).__name__)
    return error_page(_lang(request), 500)


async def _uncaught(scope: Scope, exc: Exception) -> Response:
    """The 500 page, sent by SecurityMiddleware so that it carries the security headers."""
    return await _server_error(Request(scope), exc)
