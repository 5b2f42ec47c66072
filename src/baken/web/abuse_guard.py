"""Abuse without identity, as the routes use it: proof-of-work for the visitor's start and way back
(return, mailbox, left messages, destroying a code), throttles per address hash for those and for
staff sign-in, a per-address and a global limit on the no-JavaScript forms. Built once per app;
everything here lives in memory only (docs/security.md).

Issue 16, the order that keeps the way back open: over the JSON API the proof is checked first
(one HMAC and one hash, cheap) and only a request whose proof holds is counted against the
per-address budget and reaches the argon2 work behind it. A flood without proofs therefore spends
no budget a real visitor needs. The no-JavaScript forms cannot carry a proof: they have budgets of
their own (per address, then global), and under a flood they are the ones refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from baken.abuse.address import SCOPE_KEY, AddressKeys
from baken.abuse.difficulty import Difficulty
from baken.abuse.lanes import enter_lane
from baken.abuse.proof_of_work import ProofError, failure, issue, verify
from baken.abuse.replay import UsedSolutions
from baken.abuse.throttle import KeyedLimit
from baken.config import Settings
from baken.crypto.envelope import MasterKey
from baken.domain.rate import TokenBucket
from baken.store.database import Database
from baken.store.installation_secret import InstallationSecret
from baken.store.login_repo import is_device_bucket
from baken.web.services import services_of

# Long enough to read the page first: the browser solves in the background and fetches a new one
# when it is older than this.
CHALLENGE_TTL_SECONDS = 600
POW_SECRET_NAME = "pow_hmac_key"  # noqa: S105 - the name of a stored secret, not one
TEN_MINUTES = 600.0
TRY_LATER = {"error": "try_later", "message": "It is busy right now. Try again in a moment."}


@dataclass
class AbuseGuard:
    settings: Settings
    keys: AddressKeys
    pow_key: InstallationSecret
    difficulty: Difficulty
    used: UsedSolutions
    starts: KeyedLimit
    login_failures: KeyedLimit
    form_starts: TokenBucket
    way_back: KeyedLimit
    forms: KeyedLimit
    _day: int = field(default=-1)

    @classmethod
    def build(
        cls, settings: Settings, keys: AddressKeys, db: Database, master: MasterKey
    ) -> AbuseGuard:
        per_minute = settings.form_starts_per_minute
        return cls(
            settings=settings,
            keys=keys,
            pow_key=InstallationSecret(db, master, POW_SECRET_NAME),
            difficulty=Difficulty(
                settings.pow_base_number,
                settings.pow_max_level,
                settings.pow_normal_starts_per_minute,
                settings.pow_normal_queue,
            ),
            used=UsedSolutions(settings.redis_url, settings.redis_channel),
            starts=KeyedLimit(settings.address_starts_per_10min, TEN_MINUTES),
            login_failures=KeyedLimit(settings.address_login_failures_per_10min, TEN_MINUTES),
            form_starts=TokenBucket(per_minute / 60.0, float(per_minute)),
            way_back=KeyedLimit(settings.address_way_back_per_10min, TEN_MINUTES),
            forms=KeyedLimit(settings.address_forms_per_10min, TEN_MINUTES),
        )

    def _address(self, request: Request) -> str | None:
        key: str | None = request.scope.get(SCOPE_KEY)
        day = self.keys.day
        if day != self._day:
            # A new day, a new hash key: yesterday's counts can no longer be matched anyway.
            for limit in (self.starts, self.login_failures, self.way_back, self.forms):
                limit.clear()
            self._day = day
        return key

    # --- visitors ---------------------------------------------------------------------------------

    def count_start(self, request: Request) -> bool:
        """One start or return from this address; False when it has had too many lately."""
        key = self._address(request)
        return key is None or self.starts.hit(key, time.monotonic())

    def count_way_back(self, request: Request) -> bool:
        """One mailbox read, left message or destroyed code (with a valid proof) from here."""
        key = self._address(request)
        return key is None or self.way_back.hit(key, time.monotonic())

    def count_form(self, request: Request) -> bool:
        """One no-JavaScript form post from this address; False when it has had too many."""
        key = self._address(request)
        return key is None or self.forms.hit(key, time.monotonic())

    def form_start_allowed(self) -> bool:
        return self.form_starts.take(time.monotonic())

    async def challenge(self, waiting: int) -> dict[str, Any]:
        maxnumber = self.difficulty.maxnumber(waiting)
        key = await self.pow_key.get()
        return issue(key, maxnumber, time.time(), CHALLENGE_TTL_SECONDS).as_json()

    async def check_proof(self, payload: object) -> None:
        """A valid, unexpired, unused solution, or ProofError. A valid one counts as a start
        (the load that makes the next challenges harder)."""
        solved = verify(await self.pow_key.get(), payload, time.time())
        if not await self.used.first_use(solved.challenge, solved.expires):
            raise failure("pow_used")
        self.difficulty.record_start()

    # --- staff sign-in ----------------------------------------------------------------------------

    # Issue 16, no lockout by others: failures count per address AND account together, so wrong
    # passwords for one account never hold back another account's sign-in from the same address
    # (a shared office, or every user behind a proxy). A browser with its account's device cookie
    # (``bucket`` a device bucket) is not counted or refused here at all: it has its own budget in
    # LoginRepository that nobody else can spend. The price: spraying one password over many
    # accounts from one address is bounded per account (here and BAKEN_LOGIN_FAILURE_LIMIT), not
    # per address; docs/security.md says why that is acceptable (second factor, banned passwords).
    # ``bucket`` None (an older caller) counts the address alone.

    def _login_key(self, request: Request, bucket: str | None) -> str | None:
        key = self._address(request)
        if key is None or bucket is None:
            return key
        return f"{key}|{bucket}"

    def login_blocked(self, request: Request, bucket: str | None = None) -> bool:
        if bucket is not None and is_device_bucket(bucket):
            return False
        key = self._login_key(request, bucket)
        return key is not None and not self.login_failures.allowed(key, time.monotonic())

    def login_failed(self, request: Request, bucket: str | None = None) -> None:
        if bucket is not None and is_device_bucket(bucket):
            return
        key = self._login_key(request, bucket)
        if key is not None:
            self.login_failures.hit(key, time.monotonic())

    async def close(self) -> None:
        await self.used.close()


def abuse_of(app: Any) -> AbuseGuard:
    guard: AbuseGuard = app.state.abuse
    return guard


async def challenge_api(request: Request) -> Response:
    """GET /api/visitor/challenge: a fresh proof-of-work challenge (docs/protocol.md)."""
    waiting = services_of(request.app).chat.hub.queue_total()
    return JSONResponse(await abuse_of(request.app).challenge(waiting))


async def _proof_then(request: Request, data: dict[str, Any], budget: str) -> JSONResponse | None:
    """The proof in ``data["pow"]`` first, then the address budget: requests without a valid
    proof are refused before they count against anything (issue 16)."""
    guard = abuse_of(request.app)
    enter_lane(False)
    if guard.settings.proof_of_work:
        try:
            await guard.check_proof(data.get("pow"))
        except ProofError as exc:
            return JSONResponse({"error": exc.code, "message": exc.message}, status_code=400)
    counted = guard.count_start(request) if budget == "start" else guard.count_way_back(request)
    if not counted:
        return JSONResponse(TRY_LATER, status_code=429)
    # With proof-of-work switched off (load tests on loopback only) the JSON API has this lane too.
    enter_lane(True)
    return None


async def visitor_gate(request: Request, data: dict[str, Any]) -> JSONResponse | None:
    """Before a start or return over the JSON API: the proof of work in ``data["pow"]``, then
    the address throttle. None when the request may go on, else the error answer."""
    return await _proof_then(request, data, "start")


async def way_back_gate(request: Request, data: dict[str, Any]) -> JSONResponse | None:
    """Before a mailbox read, a left message or destroying a code over the JSON API: as
    ``visitor_gate``, with the way back's own address budget."""
    return await _proof_then(request, data, "way_back")


def form_gate(request: Request) -> bool:
    """Any no-JavaScript form (start, return, the closed page): this address's form budget first,
    then the tight global limit. Separate from the JSON budgets, so a flood of forms from an
    address never refuses a visitor there whose browser sends a proof."""
    guard = abuse_of(request.app)
    enter_lane(False)
    return guard.count_form(request) and guard.form_start_allowed()
