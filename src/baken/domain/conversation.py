"""Conversation lifecycle: queued → active → ended (and back to queued on a cold transfer).

This module is the only place that says which transitions exist.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    # Issue 15: a waiting visitor whose connection was gone long enough left the queue.
    LEFT = "left"


class Sender(StrEnum):
    VISITOR = "visitor"
    COUNSELOR = "counselor"
    SYSTEM = "system"
    # Issue 17, item 3: a partner professional invited into the chat (warm hand-off).
    PARTNER = "partner"


class Role(StrEnum):
    COUNSELOR = "counselor"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    RESEARCHER = "researcher"
    # Issue 17, item 3: a professional of a partner organisation. Sees no queue, no chats, no
    # registrations, no reports: only the conversations they are invited into, while invited.
    PARTNER = "partner"


STAFF_ROLES = frozenset(Role)

# System events in the transcript; clients translate the code, the server stores no prose.
EVENT_ACCEPTED = "accepted"
# Issue 15: the chat closes soon unless someone writes (or the visitor comes back).
EVENT_TIMEOUT_WARNING = "timeout_warning"


def ended_event(ended_by: EndedBy) -> str:
    return f"ended_{ended_by.value}"


class Move(StrEnum):
    """Everything that can change a conversation's state or holder."""

    ACCEPT = "accept"
    TRANSFER = "transfer"
    REQUEUE = "requeue"
    END = "end"


@dataclass(frozen=True, slots=True)
class Rule:
    sources: frozenset[State]
    target: State
    # Only the counselor who holds the chat may hand it on: a chat another took is not theirs.
    holder_only: bool = False


# The one table of the lifecycle. The repository builds every state-changing UPDATE from it, so a
# transition that is not here cannot happen in the database (tests/test_state_machine.py).
RULES: dict[Move, Rule] = {
    Move.ACCEPT: Rule(frozenset({State.QUEUED}), State.ACTIVE),
    Move.TRANSFER: Rule(frozenset({State.ACTIVE}), State.ACTIVE, holder_only=True),
    # A cold transfer: the visitor goes back to the place they had in the queue.
    Move.REQUEUE: Rule(frozenset({State.ACTIVE}), State.QUEUED, holder_only=True),
    Move.END: Rule(frozenset({State.QUEUED, State.ACTIVE}), State.ENDED),
}


def rule(move: Move) -> Rule:
    return RULES[move]


def allowed(move: Move, current: State) -> bool:
    return current in RULES[move].sources


def can_transition(current: State, target: State) -> bool:
    """Whether any move leads from ``current`` to ``target`` (a change of holder included)."""
    return any(current in r.sources and r.target == target for r in RULES.values())


def visitor_author() -> str:
    return "v"


def staff_author(staff_id: str) -> str:
    return f"s:{staff_id}"
