"""Everything a request needs, built once per app at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from baken.config import Settings
from baken.realtime.chat_service import ChatService
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationCache
from baken.store.staff_repo import StaffRepository


@dataclass
class Services:
    settings: Settings
    db: Database
    staff: StaffRepository
    chat: ChatService
    organisations: OrganisationCache


def services_of(app: Any) -> Services:
    services: Services = app.state.baken
    return services
