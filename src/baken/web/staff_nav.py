"""The staff pages and who may open them: one table for the navigation in the staff header and for
the routes' role checks, so a link is shown exactly when the page behind it opens.

The routes of the reports and the figures take their role sets from here; the pages for
administrators only check ``Role.ADMIN`` themselves. Platform administrators (issue 14) are the
administrators of the default organisation: ``is_platform_admin`` is the one place that says so,
and pages marked ``platform`` open only to them. tests/test_staff_nav.py holds every route to
this table (each listed page opens, each other one answers 403), so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from baken.domain.conversation import Role
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffMember

CHAT_ROLES = frozenset({Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN})
REPORT_READERS = frozenset({Role.RESEARCHER, Role.SUPERVISOR, Role.ADMIN})
FIGURE_VIEWERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})
EVERYONE = frozenset(Role)
# Issue 17, item 3: partner professionals open their invitations and their password, nothing else
# (web/staff_routes.py PARTNER_PATHS answers every other staff page with a 404).
PARTNERS = frozenset({Role.PARTNER})


def _(text: str) -> str:
    """Marks a label for the catalogues (tests/test_catalogues.py); the template translates it."""
    return text


@dataclass(frozen=True)
class StaffPage:
    key: str
    path: str
    label: str  # English msgid
    roles: frozenset[Role]
    platform: bool = False  # only for platform administrators (is_platform_admin)

    def open_to(self, role: Role | str, platform: bool = False) -> bool:
        return Role(role) in self.roles and (platform or not self.platform)


CONSOLE = StaffPage("console", "/staff", _("Console"), CHAT_ROLES)
PARTNER = StaffPage("partner", "/staff/partner", _("Invitations"), PARTNERS)
# Issue 15, item 6: one's own day (docs/wellbeing.md); supervisors also see the team's totals.
WELLBEING = StaffPage("wellbeing", "/staff/wellbeing", _("My day"), CHAT_ROLES)
# Issue 17, item 5: referrals and their outcome (docs/referrals.md).
REFERRALS = StaffPage("referrals", "/staff/referrals", _("Referrals"), CHAT_ROLES)
# Issue 17, item 1: the partner directory (docs/directory.md); administrators also keep it.
DIRECTORY = StaffPage("directory", "/staff/directory", _("Partner directory"), CHAT_ROLES)
RESEARCH = StaffPage("research", "/research", _("Research report"), REPORT_READERS)
FIGURES = StaffPage("figures", "/staff/figures", _("Service figures"), FIGURE_VIEWERS)
# Issue 18: anonymous daily counts per campaign code (docs/reach.md).
CAMPAIGNS = StaffPage("campaigns", "/staff/campaigns", _("Campaigns"), FIGURE_VIEWERS)
# Issue 15: the organisation's visitor blocks in force, and lifting one (docs/counselor-tools.md).
BLOCKS = StaffPage("blocks", "/staff/blocks", _("Blocks"), FIGURE_VIEWERS)
# Issue 17, item 4: anonymous signals to the police, four-eyes approved (docs/police-signals.md).
POLICE_SIGNALS = StaffPage(
    "police_signals", "/staff/police-signals", _("Police signals"), CHAT_ROLES
)
HOURS = StaffPage("hours", "/staff/hours", _("Opening hours"), ADMINS)
ACCOUNTS = StaffPage("accounts", "/staff/accounts", _("Staff accounts"), ADMINS)
ORGANISATION = StaffPage("organisation", "/staff/organisation", _("Organisation"), ADMINS)
ORGANISATIONS = StaffPage(
    "organisations", "/staff/organisations", _("Organisations"), ADMINS, platform=True
)
AUDIT = StaffPage("audit", "/staff/audit", _("Audit log"), ADMINS)
PASSWORD = StaffPage("password", "/staff/password", _("Change password"), EVERYONE)
SECURITY = StaffPage("security", "/staff/security", _("Passkeys"), EVERYONE - PARTNERS)

# In the order of the navigation: the daily work first, one's own account last.
PAGES = (
    CONSOLE,
    PARTNER,
    WELLBEING,
    REFERRALS,
    DIRECTORY,
    RESEARCH,
    FIGURES,
    CAMPAIGNS,
    BLOCKS,
    POLICE_SIGNALS,
    HOURS,
    ACCOUNTS,
    ORGANISATION,
    ORGANISATIONS,
    AUDIT,
    PASSWORD,
    SECURITY,
)


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


def pages_for(role: Role | str, platform: bool = False) -> list[StaffPage]:
    """The staff pages this role may open, in navigation order; ``platform`` for a platform
    administrator (is_platform_admin)."""
    return [page for page in PAGES if page.open_to(role, platform)]


def home_for(role: Role | str) -> StaffPage:
    """Where this role starts: the console, or the report for researchers (who have no chats)."""
    return pages_for(role)[0]
