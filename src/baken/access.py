"""Who may do what: the role sets and the permission checks, as data and pure functions.

One place for them (issue 13, item 4): the staff navigation (web/staff_nav.py) shows a page to the
roles named here, the HTTP guards (web/guards.py) let exactly those roles through, and
tests/test_authorization_matrix.py takes its role columns from here — so a link, a route and the
matrix cannot disagree. Nothing here knows HTTP; the object-level rules ("only your own
conversation") stay with the objects they are about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from baken.domain.conversation import Role
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffMember

CHAT_ROLES = frozenset({Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN})
REPORT_READERS = frozenset({Role.RESEARCHER, Role.SUPERVISOR, Role.ADMIN})
# Supervisors and administrators: the figures, campaigns and blocks, team texts, every referral.
OVERSEERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
FIGURE_VIEWERS = OVERSEERS
ADMINS = frozenset({Role.ADMIN})
EVERYONE = frozenset(Role)
# Issue 17, item 3: partner professionals open their invitations and their password, nothing else
# (web/guards.py PARTNER_PATHS answers every other staff page with a 404).
PARTNERS = frozenset({Role.PARTNER})
# The registration and case-link APIs: every staff member of the organisation except
# researchers, who have no chats (partners never get this far: see PARTNERS).
NOT_RESEARCHERS = EVERYONE - {Role.RESEARCHER}


@dataclass(frozen=True)
class Permission:
    """The roles that may do something, and whether only platform administrators may."""

    roles: frozenset[Role]
    platform: bool = False  # only for platform administrators (is_platform_admin)

    def open_to(self, role: Role | str, platform: bool = False) -> bool:
        return Role(role) in self.roles and (platform or not self.platform)


def is_platform_admin(member: StaffMember | Mapping[str, object]) -> bool:
    """Whether this staff member manages every organisation, not only their own.

    There is no role for it: the administrators of the default organisation are the platform's,
    because that organisation is the installation's own (it cannot be disabled or deleted) and
    whoever runs the server already holds it. Some pages hand their template a mapping with the
    member's role and organisation_id instead of the member; both are read here."""
    if isinstance(member, Mapping):
        role, organisation_id = member.get("role"), member.get("organisation_id")
    else:
        role, organisation_id = member.role, member.organisation_id
    return role == Role.ADMIN and organisation_id == DEFAULT_ORGANISATION
