"""Contributions in the reports: their export sheets, statistics and digest section.

Loaded through ``bot/services/report_extensions.py``; it only registers, it changes nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from html import escape
from typing import Any

from sqlalchemy.engine import Row
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_, current_language, format_date, local, ngettext
from bot.i18n import gettext as _
from bot.services import core_sheets as core
from bot.services.contributions import FIELDS, KIND_NAMES, STATUS_NAMES
from bot.services.digest import DigestPeriod, register_section
from bot.services.sheet_spec import ExportColumn, Join, join, named_join, sheet, table
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
    utcnow,
)

_contributions, _supports = table("contributions"), table("supports")


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


C = ExportColumn
sheet(
    N_("Contributions"),
    _contributions,
    core.NUMBER,
    C(N_("Kind"), "kind", 12, KIND_NAMES),
    core.TITLE,
    core.AREA_NAME,
    C(N_("Group"), "group_name", 28),
    core.AUTHOR,
    C(N_("Status"), "status", 16, STATUS_NAMES),
    C(N_("Supports"), "support_count", 10),
    C(N_("Answers"), _answers, 60),
    C(N_("Reason for rejection"), "rejection_reason", 30),
    C(N_("Location"), _location, 22),
    core.CREATED,
    core.UPDATED,
    joins=(
        named_join(core.AREAS, _contributions.c.area_id, "slug", "area_name"),
        named_join(core.GROUPS, _contributions.c.group_id, "name", "group_name"),
        core.person(_contributions.c.author_id, "author_name"),
    ),
)
sheet(
    N_("Supports"),
    _supports,
    C(N_("Contribution no."), "contribution_id", 10),
    core.TITLE,
    C(N_("Supported by"), "member_name", 24),
    core.WHEN,
    joins=(
        join(_contributions, _supports.c.contribution_id, _contributions.c.title, inner=True),
        core.person(_supports.c.member_id, "member_name", inner=True),
    ),
    order_by=(_supports.c.contribution_id, _supports.c.id),
)

# --- the programme made of them ---------------------------------------------------------

_links, _actions = table("contribution_links"), table("programme_actions")
_indicators, _notes = table("programme_action_indicators"), table("programme_action_notes")


def _titled(contributions: Any, key: Any, label: str) -> Join:
    return join(contributions, key, contributions.c.title.label(label))


def _schedule(row: Row[Any]) -> str:
    return " – ".join(month for month in (row.start_month, row.end_month) if month)


def _action_status(row: Row[Any]) -> str:
    # The programme document's names; imported only when there are actions to name.
    from bot.documents.programme_docx import STATUS

    return _(STATUS[row.status]) if row.status in STATUS else row.status


sheet(
    N_("Links between contributions"),
    _links,
    core.NUMBER,
    C(N_("Contribution no."), "first_id", 10),
    C(N_("Title"), "first_title", 40),
    C(N_("Linked contribution no."), "second_id", 10),
    C(N_("Linked contribution"), "second_title", 40),
    core.CREATED_BY,
    core.CREATED,
    joins=(
        _titled(_contributions.alias("first"), _links.c.first_id, "first_title"),
        _titled(_contributions.alias("second"), _links.c.second_id, "second_title"),
        core.person(_links.c.created_by_id, "creator_name"),
    ),
)
sheet(
    N_("Programme actions"),
    _actions,
    core.NUMBER,
    core.TITLE,
    core.GROUP,
    C(N_("Contribution no."), "contribution_id", 10),
    C(N_("Goal"), "goal", 50),
    C(N_("Target group"), "target_group", 30),
    C(N_("Responsible institution"), "responsible", 30),
    C(N_("Partners"), lambda r: ", ".join(r.partners or ()), 40),
    C(N_("Schedule"), _schedule, 20),
    C(N_("Status"), _action_status, 14),
    C(N_("Progress, %"), "progress", 10),
    core.CREATED_BY,
    core.CREATED,
    core.UPDATED,
    joins=(core.group(_actions.c.group_id), core.person(_actions.c.created_by_id, "creator_name")),
)


def _of_actions(
    name: str, rows: Any, *columns: ExportColumn, order_by: Any, joins: tuple[Join, ...] = ()
) -> None:
    """A sheet of rows that belong to programme actions: the action first, by number and
    title; the rows in the actions' order, then `order_by`."""
    sheet(
        name,
        rows,
        C(N_("Action no."), "action_id", 10),
        C(N_("Programme action"), "title", 40),
        *columns,
        joins=(join(_actions, rows.c.action_id, _actions.c.title), *joins),
        order_by=(rows.c.action_id, *order_by),
    )


_of_actions(
    N_("Action indicators"),
    _indicators,
    C(N_("Indicator"), "name", 30),
    C(N_("Target"), "target", 10),
    C(N_("Unit"), "unit", 14),
    C(N_("Achieved"), "achieved", 10),
    order_by=(_indicators.c.id,),
)
_of_actions(
    N_("Action timeline"),
    _notes,
    C(N_("Date"), "noted_on", 12),
    C(N_("Note"), "text", 60),
    core.AUTHOR,
    core.CREATED,
    joins=(core.person(_notes.c.author_id, "author_name"),),
    order_by=(_notes.c.noted_on, _notes.c.id),
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
