"""Contributions in the reports: their export sheets, statistics and digest section.

Loaded through ``bot/services/report_extensions.py``; it only registers, it changes nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from html import escape
from typing import Any

from sqlalchemy import select as core_select
from sqlalchemy.engine import Row
from sqlalchemy.sql import Select
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_, current_language, format_date, local, ngettext
from bot.i18n import gettext as _
from bot.services.contributions import FIELDS, KIND_NAMES, STATUS_NAMES
from bot.services.digest import DigestPeriod, register_section
from bot.services.export import (
    CREATED,
    NUMBER,
    TITLE,
    ExportColumn,
    SheetSpec,
    localized_sql,
    register_sheet,
    table_of,
)
from bot.services.stats import WEEKS, Points, counts_by, in_order, register_series
from models import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    Group,
    Member,
    Membership,
    MembershipStatus,
    ProblemArea,
    Support,
    utcnow,
)

_contributions = table_of(Contribution)
_supports = table_of(Support)
_members = table_of(Member)
_groups = table_of(Group)
_areas = table_of(ProblemArea)


def _kind(value: str) -> str:
    return _(KIND_NAMES[ContributionKind(value)]) if value in KIND_NAMES else value


def _status(value: str) -> str:
    return _(STATUS_NAMES[ContributionStatus(value)]) if value in STATUS_NAMES else value


def _answers(row: Row[Any]) -> str:
    """The kind's answers as 'Question label: answer' lines, in the reader's language."""
    details = row.details or {}
    labels = {spec.key: spec.label for spec in FIELDS.get(row.kind, ())}
    return "\n".join(
        f"{_(labels[key]) if key in labels else key}: {value}"
        for key, value in details.items()
        if value
    )


def _location(row: Row[Any]) -> str | None:
    lat, lon = row.latitude, row.longitude
    return f"{lat:.5f}, {lon:.5f}" if lat is not None and lon is not None else None


def _contributions_query() -> Select[Any]:
    return (
        core_select(
            _contributions,
            localized_sql(_areas.c.names, _areas.c.slug).label("area_name"),
            localized_sql(_groups.c.names, _groups.c.name).label("group_name"),
            _members.c.display_name.label("author_name"),
        )
        .outerjoin(_areas, _areas.c.id == _contributions.c.area_id)
        .outerjoin(_groups, _groups.c.id == _contributions.c.group_id)
        .outerjoin(_members, _members.c.id == _contributions.c.author_id)
        .order_by(_contributions.c.id)
    )


def _supports_query() -> Select[Any]:
    return (
        core_select(
            _supports.c.contribution_id,
            _contributions.c.title,
            _members.c.display_name.label("member_name"),
            _supports.c.created_at,
        )
        .join(_contributions, _contributions.c.id == _supports.c.contribution_id)
        .join(_members, _members.c.id == _supports.c.member_id)
        .order_by(_supports.c.contribution_id, _supports.c.id)
    )


C = ExportColumn
register_sheet(
    SheetSpec(
        N_("Contributions"),
        _contributions,
        (
            NUMBER,
            C(N_("Kind"), lambda r: _kind(r.kind), 12),
            TITLE,
            C(N_("Problem area"), "area_name", 30),
            C(N_("Group"), "group_name", 28),
            C(N_("Author"), "author_name", 24),
            C(N_("Status"), lambda r: _status(r.status), 16),
            C(N_("Supports"), "support_count", 10),
            C(N_("Answers"), _answers, 60),
            C(N_("Reason for rejection"), "rejection_reason", 30),
            C(N_("Location"), _location, 22),
            CREATED,
            C(N_("Updated"), "updated_at", 18),
        ),
        _contributions_query,
    )
)
register_sheet(
    SheetSpec(
        N_("Supports"),
        _supports,
        (
            C(N_("Contribution no."), "contribution_id", 10),
            TITLE,
            C(N_("Supported by"), "member_name", 24),
            C(N_("When"), "created_at", 18),
        ),
        _supports_query,
    )
)


# --- statistics -----------------------------------------------------------------------


@register_series(N_("Contributions per kind"), order=40)
async def per_kind(session: AsyncSession) -> Points:
    counts = await counts_by(session, col(Contribution.kind))
    return in_order(counts, ContributionKind, _kind)


@register_series(N_("Contributions per problem area"), order=41)
async def per_area(session: AsyncSession) -> Points:
    rows = await session.exec(
        select(ProblemArea, func.count(col(Contribution.id)))
        .outerjoin(Contribution, col(Contribution.area_id) == ProblemArea.id)
        .group_by(col(ProblemArea.id))
        .order_by(col(ProblemArea.position))
    )
    language = current_language()
    return [(area.names.get(language) or area.slug, count) for area, count in rows.all()]


@register_series(N_("Contributions per status"), order=42)
async def per_status(session: AsyncSession) -> Points:
    counts = await counts_by(session, col(Contribution.status))
    return in_order(counts, ContributionStatus, _status)


@register_series(N_("New contributions per week"), chart="bar", order=43)
async def per_week(session: AsyncSession) -> Points:
    now = local(utcnow())
    first = (now - timedelta(days=now.weekday(), weeks=WEEKS - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    rows = await session.exec(
        select(Contribution.created_at).where(col(Contribution.created_at) >= first)
    )
    weeks: Counter[int] = Counter((local(created) - first).days // 7 for created in rows.all())
    return [
        (format_date(first + timedelta(weeks=i), "d MMM"), weeks.get(i, 0)) for i in range(WEEKS)
    ]


# --- digest ---------------------------------------------------------------------------

DIGEST_LIMIT = 10


@register_section(order=20)
async def new_contributions(
    session: AsyncSession, member: Member, period: DigestPeriod
) -> str | None:
    """Contributions sent this week to the member's groups."""
    my_groups = select(Membership.group_id).where(
        Membership.member_id == member.id, Membership.status == MembershipStatus.MEMBER
    )
    rows = (
        await session.exec(
            select(Contribution, Group)
            .join(Group, col(Group.id) == Contribution.group_id)
            .where(
                col(Contribution.group_id).in_(my_groups),
                col(Contribution.created_at) >= period.start,
                col(Contribution.created_at) < period.end,
            )
            .order_by(col(Contribution.created_at).desc())
        )
    ).all()
    if not rows:
        return None
    language = current_language()
    lines = ["<b>" + escape(_("New contributions in your groups")) + "</b>"]
    for contribution, group in rows[:DIGEST_LIMIT]:
        lines.append(
            f"• {escape(_kind(contribution.kind))}: {escape(contribution.title)}"
            f" — {escape(group.display_name(language))}"
        )
    if len(rows) > DIGEST_LIMIT:
        more = len(rows) - DIGEST_LIMIT
        lines.append(ngettext("…and {n} more", "…and {n} more", more).format(n=more))
    lines.append(_("Browse them with /browse."))
    return "\n".join(lines)
