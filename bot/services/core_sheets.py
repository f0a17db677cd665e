"""The core tables in the report: their sheets, and the columns and joins other sheets share.

Imported by bot/services/export.py and by every module that declares sheets, so these come
first in the workbook. Declarations only (bot/services/sheet_spec.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.sql import ColumnElement

from bot.i18n import N_
from bot.services.sheet_spec import ExportColumn, Field, Join, join, names, sheet, table

MEMBERS, GROUPS, AREAS = table("members"), table("groups"), table("problem_areas")
_memberships, _invites, _audit = table("memberships"), table("invites"), table("audit_log")

ROLES = {
    "resident": N_("Resident"),
    "leader": N_("Leader"),
    "lead": N_("Group lead"),
    "coordinator": N_("Coordinator"),
}
GROUP_KINDS = {"team": N_("Team"), "small": N_("Small group")}
MEMBERSHIP_STATUSES = {"member": N_("Member"), "pending": N_("Asked to join")}


def person(
    key: ColumnElement[Any], label: str, *more: Field, inner: bool = False, members: Any = MEMBERS
) -> Join:
    """The member `key` points at: their name as `label`, and `more` of their columns."""
    return join(members, key, members.c.display_name.label(label), *more, inner=inner)


def group_names(groups: Any = GROUPS, prefix: str = "group") -> tuple[Field, ...]:
    """A group's name and names as <prefix>_name and <prefix>_names (for GROUP_NAME)."""
    return groups.c.name.label(f"{prefix}_name"), groups.c.names.label(f"{prefix}_names")


def group(key: ColumnElement[Any], *, inner: bool = False) -> Join:
    """The group `key` points at, by name (for GROUP)."""
    return join(GROUPS, key, *group_names(), inner=inner)


def area(key: ColumnElement[Any]) -> Join:
    """The problem area `key` points at: area_names and area_slug (for AREA)."""
    return join(AREAS, key, AREAS.c.names.label("area_names"), AREAS.c.slug.label("area_slug"))


GROUP_NAME = names("group_names", "group_name")

# Columns that many sheets share (the features' sheets too).
C = ExportColumn
NUMBER = C(N_("No."), "id", 6)
CREATED = C(N_("Created"), "created_at", 18)
UPDATED = C(N_("Updated"), "updated_at", 18)
STARTS = C(N_("Starts"), "starts_at", 18)
TITLE = C(N_("Title"), "title", 40)
PLACE = C(N_("Place"), "place", 30)
MEETING_NO = C(N_("Meeting no."), "meeting_id", 10)
FULL_NAME = C(N_("Full name"), "member_name", 28)
INSTITUTION = C(N_("Institution"), "institution", 30)
CREATED_BY = C(N_("Created by"), "creator_name", 24)
GROUP = C(N_("Group"), GROUP_NAME, 28)
AREA = C(N_("Problem area"), names("area_names", "area_slug"), 30)
AREA_NAME = C(N_("Problem area"), "area_name", 30)  # named in SQL
AUTHOR = C(N_("Author"), "author_name", 24)
WHEN = C(N_("When"), "created_at", 18)
OPEN = C(N_("Open to residents"), "is_open", 10)

_parent, _lead = GROUPS.alias("parent"), MEMBERS.alias("lead")
sheet(
    N_("Groups"),
    GROUPS,
    NUMBER,
    C(N_("Name"), names("names", "name"), 32),
    C(N_("Kind"), "kind", 12, GROUP_KINDS),
    AREA,
    C(N_("Part of"), names("parent_names", "parent_name"), 24),
    C(N_("Group lead"), "lead_name", 24),
    OPEN,
    C(N_("Purpose"), names("purposes", "purpose"), 50),
    CREATED,
    C(N_("Archived"), "archived_at", 18),
    joins=(
        area(GROUPS.c.area_id),
        join(_parent, GROUPS.c.parent_id, *group_names(_parent, "parent")),
        person(GROUPS.c.lead_id, "lead_name", members=_lead),
    ),
)
sheet(
    N_("Members"),
    MEMBERS,
    NUMBER,
    C(N_("Full name"), "display_name", 28),
    INSTITUTION,
    C(N_("Role"), "role", 14, ROLES),
    C(N_("Bot language"), "language", 8),
    C(N_("Consent given"), "consent_at", 18),
    C(N_("Reachable"), "reachable", 10),
    C(N_("Weekly digest off"), "digest_opt_out", 10),
    C(N_("Telegram id"), "telegram_id", 14),
    C(N_("Joined the bot"), "created_at", 18),
)
sheet(
    N_("Memberships"),
    _memberships,
    C(N_("Group"), GROUP_NAME, 32),
    C(N_("Member"), "member_name", 28),
    INSTITUTION,
    C(N_("Status"), "status", 14, MEMBERSHIP_STATUSES),
    C(N_("Joined"), "joined_at", 18),
    joins=(
        group(_memberships.c.group_id, inner=True),
        person(_memberships.c.member_id, "member_name", MEMBERS.c.institution, inner=True),
    ),
    order_by=(_memberships.c.group_id, _memberships.c.id),
)
sheet(
    N_("Problem areas"),
    AREAS,
    NUMBER,
    C(N_("Name"), names("names", "slug"), 40),
    C(N_("Short name"), "slug", 16),
)
sheet(
    N_("Invites"),
    _invites,
    NUMBER,
    C(N_("Role"), "role", 14, ROLES),
    GROUP,
    C(N_("Used"), "uses", 8),
    C(N_("Use limit"), "max_uses", 10),
    C(N_("Valid until"), "expires_at", 18),
    C(N_("Withdrawn"), "revoked_at", 18),
    CREATED_BY,
    CREATED,
    # Never the code: the export must not hand out working invite links.
    fields=tuple(column for column in _invites.c if column.key != "code"),
    joins=(group(_invites.c.group_id), person(_invites.c.created_by_id, "creator_name")),
)
sheet(
    N_("Audit log"),
    _audit,
    WHEN,
    C(N_("Who"), "actor_name", 24),
    C(N_("Action"), "action", 18),
    C(N_("Object"), "target", 16),
    C(N_("Details"), "details", 50),
    joins=(person(_audit.c.actor_id, "actor_name"),),
)
