"""What the panel reads that the chat does not: whole board columns, a month of meetings
with their answers. Plain async functions taking a session, like bot/services."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import contributions as contributions_service
from bot.services import meetings as meetings_service
from bot.services.contributions import Card
from bot.services.permissions import has_role
from models import (
    Contribution,
    ContributionStatus,
    Group,
    Meeting,
    Member,
    ProblemArea,
    Role,
    Rsvp,
)

COLUMN_LIMIT = 20  # cards shown per status column
SEARCH_LIMIT = 120  # cards a text search shows, over all columns
SEARCH_MAX = 60  # characters of a search


@dataclass(frozen=True)
class BoardFilters:
    kind: str | None = None
    area_id: int | None = None
    group_id: int | None = None
    search: str = ""


def _conditions(filters: BoardFilters) -> list[Any]:
    found: list[Any] = []
    if filters.kind:
        found.append(col(Contribution.kind) == filters.kind)
    if filters.area_id:
        found.append(col(Contribution.area_id) == filters.area_id)
    if filters.group_id:
        found.append(col(Contribution.group_id) == filters.group_id)
    if filters.search:
        pattern = "%" + filters.search.replace("\\", "").replace("%", "").replace("_", "") + "%"
        found.append(col(Contribution.title).ilike(pattern))
    return found


def _cards(rows: Any) -> list[Card]:
    return [Card(c, name, g, a, support is not None) for c, name, g, a, support in rows]


async def board(
    session: AsyncSession, filters: BoardFilters, viewer: Member
) -> tuple[dict[str, list[Card]], Counter[str]]:
    """Cards per status (newest first, at most COLUMN_LIMIT each) and the count per status.

    Without a search each column is one query on the (status, id) index; a search reads the
    newest SEARCH_LIMIT matches once and sorts them into columns."""
    conditions = _conditions(filters)
    counts: Counter[str] = Counter(
        dict(
            (
                await session.exec(
                    select(Contribution.status, func.count())
                    .where(*conditions)
                    .group_by(col(Contribution.status))
                )
            ).all()
        )
    )
    query = contributions_service._card_query(viewer)
    columns: dict[str, list[Card]] = {status.value: [] for status in ContributionStatus}
    if filters.search:
        rows = await session.exec(
            query.where(*conditions).order_by(col(Contribution.id).desc()).limit(SEARCH_LIMIT)
        )
        for card in _cards(rows.all()):
            columns[card.contribution.status].append(card)
        return columns, counts
    for status in ContributionStatus:
        if not counts.get(status.value):
            continue
        rows = await session.exec(
            query.where(*conditions, col(Contribution.status) == status.value)
            .order_by(col(Contribution.id).desc())
            .limit(COLUMN_LIMIT)
        )
        columns[status.value] = _cards(rows.all())
    return columns, counts


async def choices(session: AsyncSession) -> tuple[list[ProblemArea], list[Group]]:
    areas = list((await session.exec(select(ProblemArea).order_by(col(ProblemArea.position)))).all())
    groups = list(
        (
            await session.exec(
                select(Group)
                .where(col(Group.archived_at).is_(None))
                .order_by(col(Group.kind).desc(), col(Group.position), col(Group.name))
            )
        ).all()
    )
    return areas, groups


@dataclass
class MonthMeeting:
    meeting: Meeting
    group: Group | None
    counts: Counter[str]
    present: int
    may_manage: bool
    answers: list[tuple[str, str, bool]]  # (name, answer, checked in), for managers only
    mine: str | None  # the viewer's own answer


async def month_meetings(
    session: AsyncSession, viewer: Member, start: datetime, end: datetime
) -> list[MonthMeeting]:
    """Meetings starting in [start, end) that the viewer may see (as `meetings.may_see`:
    coordinators all; others those of their groups, open ones and those they answered)."""
    query = select(Meeting).where(col(Meeting.starts_at) >= start, col(Meeting.starts_at) < end)
    if not has_role(viewer, Role.COORDINATOR):
        mine = await meetings_service.my_group_ids(session, viewer)
        answered = select(Rsvp.meeting_id).where(Rsvp.member_id == viewer.id)
        query = query.where(
            col(Meeting.group_id).in_(mine)
            | col(Meeting.is_open).is_(True)
            | col(Meeting.id).in_(answered)
        )
    meetings = list((await session.exec(query.order_by(col(Meeting.starts_at)))).all())
    if not meetings:
        return []
    ids = [m.id for m in meetings]
    group_ids = {m.group_id for m in meetings}
    groups = {
        g.id: g for g in (await session.exec(select(Group).where(col(Group.id).in_(group_ids))))
    }
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    present: Counter[int] = Counter()
    own: dict[int, str] = {}
    rows = await session.exec(
        select(Rsvp.meeting_id, Rsvp.answer, Rsvp.checked_in_at, Rsvp.member_id).where(
            col(Rsvp.meeting_id).in_(ids)
        )
    )
    for meeting_id, answer, checked_in, member_id in rows.all():
        counts[meeting_id][answer] += 1
        if checked_in is not None:
            present[meeting_id] += 1
        if member_id == viewer.id:
            own[meeting_id] = answer
    from bot.services.permissions import Action, can

    managed = [
        m.id for m in meetings if can(viewer, Action.MANAGE_MEETING, groups.get(m.group_id))
    ]
    names: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
    if managed:
        rows2 = await session.exec(
            select(Rsvp.meeting_id, Member.display_name, Rsvp.answer, Rsvp.checked_in_at)
            .join(Member, col(Member.id) == col(Rsvp.member_id))
            .where(col(Rsvp.meeting_id).in_(managed))
            .order_by(col(Rsvp.answered_at), col(Rsvp.id))
        )
        for meeting_id, name, answer, checked_in in rows2.all():
            names[meeting_id].append((name or "—", answer, checked_in is not None))
    return [
        MonthMeeting(
            meeting=m,
            group=groups.get(m.group_id),
            counts=counts[m.id or 0],
            present=present[m.id or 0],
            may_manage=m.id in managed,
            answers=names[m.id or 0],
            mine=own.get(m.id or 0),
        )
        for m in meetings
    ]


async def own_summary(session: AsyncSession, viewer: Member) -> tuple[int, int]:
    """(the viewer's contributions, the viewer's groups) for an overview without statistics."""
    contributions = (
        await session.exec(
            select(func.count()).select_from(Contribution).where(
                col(Contribution.author_id) == viewer.id
            )
        )
    ).one()
    groups = len(await meetings_service.my_group_ids(session, viewer))
    return int(contributions), groups
