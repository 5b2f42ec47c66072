"""The staff pages and who may open them: one table for the navigation in the staff header and for
the routes' role checks, so a link is shown exactly when the page behind it opens.

The routes of the reports and the figures take their role sets from here; the pages for
administrators only check ``Role.ADMIN`` themselves. tests/test_staff_nav.py holds every route to
this table (each listed page opens, each other one answers 403), so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from baken.domain.conversation import Role

CHAT_ROLES = frozenset({Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN})
REPORT_READERS = frozenset({Role.RESEARCHER, Role.SUPERVISOR, Role.ADMIN})
FIGURE_VIEWERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})
EVERYONE = frozenset(Role)


def _(text: str) -> str:
    """Marks a label for the catalogues (tests/test_catalogues.py); the template translates it."""
    return text


@dataclass(frozen=True)
class StaffPage:
    key: str
    path: str
    label: str  # English msgid
    roles: frozenset[Role]

    def open_to(self, role: Role | str) -> bool:
        return Role(role) in self.roles


CONSOLE = StaffPage("console", "/staff", _("Console"), CHAT_ROLES)
RESEARCH = StaffPage("research", "/research", _("Research report"), REPORT_READERS)
FIGURES = StaffPage("figures", "/staff/figures", _("Service figures"), FIGURE_VIEWERS)
HOURS = StaffPage("hours", "/staff/hours", _("Opening hours"), ADMINS)
ACCOUNTS = StaffPage("accounts", "/staff/accounts", _("Staff accounts"), ADMINS)
AUDIT = StaffPage("audit", "/staff/audit", _("Audit log"), ADMINS)
PASSWORD = StaffPage("password", "/staff/password", _("Change password"), EVERYONE)
SECURITY = StaffPage("security", "/staff/security", _("Passkeys"), EVERYONE)

# In the order of the navigation: the daily work first, one's own account last.
PAGES = (CONSOLE, RESEARCH, FIGURES, HOURS, ACCOUNTS, AUDIT, PASSWORD, SECURITY)


def pages_for(role: Role | str) -> list[StaffPage]:
    """The staff pages this role may open, in navigation order."""
    return [page for page in PAGES if page.open_to(role)]


def home_for(role: Role | str) -> StaffPage:
    """Where this role starts: the console, or the report for researchers (who have no chats)."""
    return pages_for(role)[0]
