"""The four-eyes rule: who may do what with a police signal, in which status.

draft ──submit──▶ submitted ──approve──▶ approved ──export──▶ exported (export again: stays)
  ▲                   │
  └──edit── rejected ◀┘ reject (with a reason)

A counselor sees and edits only the signals they drafted; supervisors and administrators of the
organisation see all of its signals. Approving or rejecting takes a supervisor or administrator
who is NOT the drafter. Exports are for supervisors and administrators, of approved signals only.
"""

from __future__ import annotations

from enum import StrEnum

from baken.domain.conversation import Role

DRAFTERS = frozenset({Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN})
APPROVERS = frozenset({Role.SUPERVISOR, Role.ADMIN})


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPORTED = "exported"


EDITABLE = frozenset({Status.DRAFT, Status.REJECTED})
EXPORTABLE = frozenset({Status.APPROVED, Status.EXPORTED})


class Refused(Exception):
    """A step that may not be taken; ``code`` says why (shown translated to staff)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def may_see(role: Role, staff_id: str, drafted_by: str | None) -> bool:
    return role in APPROVERS or (role in DRAFTERS and drafted_by == staff_id)


def check_edit(staff_id: str, drafted_by: str | None, status: Status) -> None:
    if drafted_by != staff_id:
        raise Refused("not_drafter")
    if status not in EDITABLE:
        raise Refused("not_editable")


def check_submit(staff_id: str, drafted_by: str | None, status: Status) -> None:
    if drafted_by != staff_id:
        raise Refused("not_drafter")
    if status not in EDITABLE:
        raise Refused("not_editable")


def check_decide(role: Role, staff_id: str, drafted_by: str | None, status: Status) -> None:
    """Approve or reject: a second pair of eyes, never the drafter's own."""
    if role not in APPROVERS:
        raise Refused("not_approver")
    if drafted_by == staff_id:
        raise Refused("own_signal")
    if status is not Status.SUBMITTED:
        raise Refused("not_submitted")


def check_export(role: Role, status: Status) -> None:
    if role not in APPROVERS:
        raise Refused("not_approver")
    if status not in EXPORTABLE:
        raise Refused("not_approved")
