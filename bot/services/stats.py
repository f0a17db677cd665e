"""/stats: counts per series, as text and as one chart image.

A feature adds a series with ``@register_series(N_("Title"))`` on an
``async def series(session) -> list[tuple[str, int]]`` returning (label, count) pairs in
the current language; the text and the chart pick it up.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_, format_date, local
from bot.i18n import gettext as _
from models.base import utcnow
from models.contributions import Contribution, ContributionStatus
from models.groups import Group, Membership, MembershipStatus
from models.meetings import Meeting, MeetingStatus, Rsvp
from models.members import Member, Role
from models.volunteers import Volunteer

Points = list[tuple[str, int]]
Compute = Callable[[AsyncSession], Awaitable[Points]]


@dataclass(frozen=True)
class StatSeries:
    title: str  # msgid
    compute: Compute
    chart: Literal["barh", "bar"] = "barh"  # "bar" for time series (weeks along the x axis)
    order: int = 100


STATS: list[StatSeries] = []


def register_series(
    title: str, *, chart: Literal["barh", "bar"] = "barh", order: int = 100
) -> Callable[[Compute], Compute]:
    def decorator(compute: Compute) -> Compute:
        STATS[:] = [s for s in STATS if s.title != title]
        STATS.append(StatSeries(title, compute, chart, order))
        STATS.sort(key=lambda s: s.order)
        return compute

    return decorator


@dataclass(frozen=True)
class SeriesResult:
    title: str  # translated
    points: Points
    chart: Literal["barh", "bar"]


async def collect(session: AsyncSession) -> list[SeriesResult]:
    """Every registered series, in the current language."""
    from bot.services.report_extensions import load_extensions

    load_extensions()
    return [SeriesResult(_(s.title), await s.compute(session), s.chart) for s in STATS]


def render_text(results: list[SeriesResult], limit: int = 4000) -> str:
    """Counts as HTML, cut between lines (never inside a tag) to fit one message. Rows of
    zeros are left out (a series with nothing yet shows "—")."""
    from html import escape

    lines = ["<b>" + escape(_("Statistics: details")) + "</b>"]
    for result in results:
        lines += ["", f"<b>{escape(result.title)}</b>"]
        shown = [(label, value) for label, value in result.points if value]
        lines += [f"• {escape(label)}: {value}" for label, value in shown] or ["—"]
    text = ""
    for line in lines:
        if len(text) + len(line) + 3 > limit:
            return text + "\n…"
        text = f"{text}\n{line}" if text else line
    return text


def render_chart(results: list[SeriesResult]) -> bytes:
    """One panel per non-empty series, as a PNG. Uses the object API (no pyplot state),
    so it is safe to run in a worker thread."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = [r for r in results if any(value for _label, value in r.points)]
    panels = max(len(shown), 1)
    heights = [2.6 if r.chart == "bar" else max(1.6, 0.3 * len(r.points) + 0.8) for r in shown] or [
        2.0
    ]
    figure = Figure(figsize=(8, sum(heights)), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(panels, 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, result in zip(axes, shown, strict=False):
        labels = [label[:40] for label, _value in result.points]
        values = [value for _label, value in result.points]
        if result.chart == "bar":
            ax.bar(labels, values, color="#3b7dd8")
            ax.tick_params(axis="x", labelrotation=45)
            ax.yaxis.get_major_locator().set_params(integer=True)
        else:
            ax.barh(labels[::-1], values[::-1], color="#3b7dd8")
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_title(result.title, loc="left", fontsize=11)
        ax.spines[["top", "right"]].set_visible(False)
    if not shown:
        axes[0].text(0.5, 0.5, _("No data yet."), ha="center", va="center")
        axes[0].set_axis_off()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


# --- the summary: the few numbers a coordinator looks at first --------------------------

SUMMARY_DAYS = 30


async def counts_by(session: AsyncSession, column: Any, *where: Any) -> dict[Any, int]:
    """How many rows (meeting `where`) have each value of `column`."""
    rows = await session.exec(select(column, func.count()).where(*where).group_by(column))
    return dict(rows.all())


def in_order(counts: dict[Any, int], values: Any, label: Callable[[Any], str]) -> Points:
    """(label, count) of the `values` that have a count, in the order of `values`."""
    return [(label(value), counts[value]) for value in values if counts.get(value)]


async def _count(session: AsyncSession, statement: object) -> int:
    return int((await session.exec(statement)).one() or 0)  # type: ignore[call-overload]


async def summary(session: AsyncSession, now: datetime | None = None) -> Points:
    """(label, number) for the top of /stats, in the current language; the period is the
    last 30 days."""
    now = now or utcnow()
    since = now - timedelta(days=SUMMARY_DAYS)
    registered = col(Member.consent_at).is_not(None) & col(Member.display_name).is_not(None)
    members = await _count(session, select(func.count()).select_from(Member).where(registered))
    new_members = await _count(
        session,
        select(func.count()).select_from(Member).where(registered, Member.created_at >= since),
    )
    contributions = await _count(session, select(func.count()).select_from(Contribution))
    new_contributions = await _count(
        session,
        select(func.count()).select_from(Contribution).where(Contribution.created_at >= since),
    )
    accepted = await _count(
        session,
        select(func.count())
        .select_from(Contribution)
        .where(
            col(Contribution.status).in_(
                [
                    ContributionStatus.ACCEPTED,
                    ContributionStatus.IN_PROGRESS,
                    ContributionStatus.DONE,
                ]
            )
        ),
    )
    held = await _count(
        session,
        select(func.count())
        .select_from(Meeting)
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at >= since,
            Meeting.starts_at <= now,
        ),
    )
    upcoming = await _count(
        session,
        select(func.count())
        .select_from(Meeting)
        .where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > now),
    )
    attended = await _count(
        session,
        select(func.count())
        .select_from(Rsvp)
        .join(Meeting, col(Meeting.id) == col(Rsvp.meeting_id))
        .where(col(Rsvp.checked_in_at).is_not(None), Meeting.starts_at >= since),
    )
    volunteers = await _count(session, select(func.count()).select_from(Volunteer))
    return [
        (_("People in the team"), members),
        (_("New in the last 30 days"), new_members),
        (_("Contributions"), contributions),
        (_("Contributions in the last 30 days"), new_contributions),
        (_("Accepted ideas and proposals"), accepted),
        (_("Meetings held in the last 30 days"), held),
        (_("Attendances in the last 30 days"), attended),
        (_("Meetings planned"), upcoming),
        (_("Volunteers"), volunteers),
    ]


def render_summary(points: Points) -> str:
    from html import escape

    lines = ["<b>" + escape(_("Statistics")) + "</b>", ""]
    lines += [f"{escape(label)}: <b>{value}</b>" for label, value in points]
    return "\n".join(lines)


# --- core series ------------------------------------------------------------------------


def _role_label(role: str) -> str:
    labels = {
        Role.RESIDENT: N_("residents"),
        Role.LEADER: N_("leaders"),
        Role.LEAD: N_("group leads"),
        Role.COORDINATOR: N_("coordinators"),
    }
    return _(labels[Role(role)]) if role in labels else role


@register_series(N_("Members per role"), order=10)
async def members_per_role(session: AsyncSession) -> Points:
    counts = await counts_by(
        session,
        Member.role,
        col(Member.consent_at).is_not(None),
        col(Member.display_name).is_not(None),
    )
    return in_order(counts, Role, _role_label)


@register_series(N_("Members per group"), order=20)
async def members_per_group(session: AsyncSession) -> Points:
    from bot.i18n import current_language

    rows = await session.exec(
        select(Group, func.count(col(Membership.id)))
        .outerjoin(
            Membership,
            (col(Membership.group_id) == Group.id)
            & (col(Membership.status) == MembershipStatus.MEMBER),
        )
        .where(col(Group.archived_at).is_(None))
        .group_by(col(Group.id))
        .order_by(col(Group.kind).desc(), col(Group.position), col(Group.name))
    )
    language = current_language()
    return [(group.display_name(language), count) for group, count in rows.all()]


WEEKS = 8


@register_series(N_("New members per week"), chart="bar", order=30)
async def new_members_per_week(session: AsyncSession) -> Points:
    now = local(utcnow())
    this_monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    first = this_monday - timedelta(weeks=WEEKS - 1)
    rows = await session.exec(select(Member.consent_at).where(col(Member.consent_at) >= first))
    weeks: Counter[int] = Counter()
    for consent_at in rows.all():
        if consent_at is not None:
            weeks[(local(consent_at) - first).days // 7] += 1
    return [
        (format_date(first + timedelta(weeks=i), "d MMM"), weeks.get(i, 0)) for i in range(WEEKS)
    ]
