"""The staff pages and who may open them: one table for the navigation in the staff header and for
the routes' role checks, so a link is shown exactly when the page behind it opens.

The role sets and ``is_platform_admin`` live in baken/access.py (issue 13, item 4); the routes'
guards (web/guards.py) take a page from this table and let exactly its roles through. Platform
administrators (issue 14) are the administrators of the default organisation, and pages marked
``platform`` open only to them. tests/test_staff_nav.py holds every route to this table (each
listed page opens, each other one answers 403), so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

# The role sets are re-exported: the pages below and the routes name them from here as well.
from baken.access import ADMINS as ADMINS
from baken.access import CHAT_ROLES as CHAT_ROLES
from baken.access import EVERYONE as EVERYONE
from baken.access import FIGURE_VIEWERS as FIGURE_VIEWERS
from baken.access import PARTNERS as PARTNERS
from baken.access import REPORT_READERS as REPORT_READERS
from baken.access import Permission
from baken.access import is_platform_admin as is_platform_admin
from baken.domain.conversation import Role


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
        return Permission(self.roles, self.platform).open_to(role, platform)


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


def pages_for(role: Role | str, platform: bool = False) -> list[StaffPage]:
    """The staff pages this role may open, in navigation order; ``platform`` for a platform
    administrator (is_platform_admin)."""
    return [page for page in PAGES if page.open_to(role, platform)]


def home_for(role: Role | str) -> StaffPage:
    """Where this role starts: the console, or the report for researchers (who have no chats)."""
    return pages_for(role)[0]
