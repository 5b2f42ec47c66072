"""Abuse without identity, as the routes use it: proof-of-work for the visitor's start and return,
throttles per address hash for those and for staff sign-in, a global limit on the no-JavaScript
start form. Built once per app; everything here lives in memory only (docs/security.md)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from baken.abuse.address import SCOPE_KEY, AddressKeys
from baken.abuse.difficulty import Difficulty
from baken.abuse.proof_of_work import ProofError, failure, issue, verify
from baken.abuse.replay import UsedSolutions
from baken.abuse.throttle import KeyedLimit
from baken.config import Settings
from baken.crypto.envelope import MasterKey
from baken.domain.rate import TokenBucket
from baken.store.database import Database
from baken.store.installation_secret import InstallationSecret
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
        )

    def _address(self, request: Request) -> str | None:
        key: str | None = request.scope.get(SCOPE_KEY)
        day = self.keys.day
        if day != self._day:
            # A new day, a new hash key: yesterday's counts can no longer be matched anyway.
            self.starts.clear()
            self.login_failures.clear()
            self._day = day
        return key

    # --- visitors ---------------------------------------------------------------------------------

    def count_start(self, request: Request) -> bool:
        """One start or return from this address; False when it has had too many lately."""
        key = self._address(request)
        return key is None or self.starts.hit(key, time.monotonic())

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

    def login_blocked(self, request: Request) -> bool:
        key = self._address(request)
        return key is not None and not self.login_failures.allowed(key, time.monotonic())

    def login_failed(self, request: Request) -> None:
        key = self._address(request)
        if key is not None:
            self.login_failures.hit(key, time.monotonic())

    async def close(self) -> None:
        await self.used.close()


def abuse_of(app: Any) -> AbuseGuard:
    guard: AbuseGuard = app.state.abuse
    return guard


async def challenge_api(request: Request) -> Response:
    """GET /api/visitor/challenge: a fresh proof-of-work challenge (docs/protocol.md)."""
    waiting = len(services_of(request.app).chat.hub.queue_positions())
    return JSONResponse(await abuse_of(request.app).challenge(waiting))


async def visitor_gate(request: Request, data: dict[str, Any]) -> JSONResponse | None:
    """Before a start or return over the JSON API: the address throttle, then the proof of work
    in ``data["pow"]``. None when the request may go on, else the error answer."""
    guard = abuse_of(request.app)
    if not guard.count_start(request):
        return JSONResponse(TRY_LATER, status_code=429)
    if not guard.settings.proof_of_work:
        return None
    try:
        await guard.check_proof(data.get("pow"))
    except ProofError as exc:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=400)
    return None


def form_gate(request: Request) -> bool:
    """The no-JavaScript start form: the address throttle and the tight global limit."""
    guard = abuse_of(request.app)
    return guard.count_start(request) and guard.form_start_allowed()
