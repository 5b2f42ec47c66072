"""The parts of staff sign-in that outlive one request: second factors, the sign-in throttle and
the guard that closes sockets whose session ended. Built once per app, next to ``Services``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from baken.config import Settings
from baken.crypto.envelope import MasterKey
from baken.realtime.hub import Hub
from baken.realtime.session_guard import SessionGuard
from baken.store.database import Database
from baken.store.login_repo import LoginRepository
from baken.store.staff_repo import StaffRepository
from baken.store.two_factor_repo import TwoFactorRepository


def staff_repository(db: Database, settings: Settings) -> StaffRepository:
    return StaffRepository(
        db,
        idle=timedelta(minutes=settings.staff_session_idle_minutes),
        absolute=timedelta(hours=settings.staff_session_absolute_hours),
    )


@dataclass
class StaffSecurity:
    two_factor: TwoFactorRepository
    logins: LoginRepository
    guard: SessionGuard

    @classmethod
    def build(
        cls, settings: Settings, db: Database, master: MasterKey, staff: StaffRepository, hub: Hub
    ) -> StaffSecurity:
        return cls(
            two_factor=TwoFactorRepository(db, master),
            logins=LoginRepository(db, settings.login_failure_limit),
            guard=SessionGuard(hub, staff, settings.session_check_seconds),
        )


def security_of(app: Any) -> StaffSecurity:
    security: StaffSecurity = app.state.staff_security
    return security
