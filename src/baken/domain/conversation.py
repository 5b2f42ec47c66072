"""Conversation lifecycle: queued → active → ended, and who may end it how."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    QUEUED = "queued"
    ACTIVE = "active"
    ENDED = "ended"


class EndedBy(StrEnum):
    VISITOR = "visitor"
    COUNSELOR = "counselor"
    QUICK_EXIT = "quick_exit"
    TIMEOUT = "timeout"
    TECHNICAL = "technical"


class Sender(StrEnum):
    VISITOR = "visitor"
    COUNSELOR = "counselor"
    SYSTEM = "system"


class Role(StrEnum):
    COUNSELOR = "counselor"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    RESEARCHER = "researcher"


STAFF_ROLES = frozenset(Role)

# System events in the transcript; clients translate the code, the server stores no prose.
EVENT_ACCEPTED = "accepted"


def ended_event(ended_by: EndedBy) -> str:
    return f"ended_{ended_by.value}"


def can_transition(current: State, target: State) -> bool:
    return (current, target) in {
        (State.QUEUED, State.ACTIVE),
        (State.QUEUED, State.ENDED),
        (State.ACTIVE, State.ENDED),
    }


def visitor_author() -> str:
    return "v"


def staff_author(staff_id: str) -> str:
    return f"s:{staff_id}"
