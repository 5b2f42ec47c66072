"""What passkeys change in the two-step sign-in (web/staff_login_routes.py), kept apart so that
file only asks and the rules live here (docs/security.md, "Passkeys").

- A member with a passkey is offered it on the code page ("Use passkey").
- When their organisation requires passkeys, a member who has one can no longer finish with a code
  from the app (nor a recovery code): only the passkey completes sign-in.
- A member of such an organisation without a passkey is led, right after the code, to register
  one; the session starts only once it is registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from baken.store.passkey_repo import PasskeyRepository
from baken.store.staff_repo import StaffMember
from baken.web.services import services_of
from baken.web.staff_security import security_of

# The sign-in step between the code and a session while a required passkey is registered.
PASSKEY_STAGE = "passkey"
NEW_PASSKEY_PATH = "/staff/login/new-passkey"


@dataclass(frozen=True, slots=True)
class PasskeyState:
    required: bool
    passkeys: int

    @property
    def code_refused(self) -> bool:
        return self.required and self.passkeys > 0

    @property
    def must_register(self) -> bool:
        return self.required and self.passkeys == 0

    @property
    def context(self) -> dict[str, Any]:
        """For staff_code.html: offer the passkey, and whether the code form is shown at all."""
        return {"passkey": self.passkeys > 0, "passkey_only": self.code_refused}


def passkeys_of(request: Request) -> PasskeyRepository:
    return PasskeyRepository(services_of(request.app).db)


async def passkey_state(request: Request, member: StaffMember) -> PasskeyState:
    repo = passkeys_of(request)
    return PasskeyState(
        required=await repo.required(member.organisation_id),
        passkeys=await repo.count(member.id),
    )


async def start_passkey_stage(request: Request, member: StaffMember, bucket: str) -> str:
    """The password and the code were right, but a passkey must be registered first: a new
    sign-in challenge (the cookie value) that grants nothing but that registration."""
    return await security_of(request.app).logins.start_challenge(member.id, PASSKEY_STAGE, bucket)
