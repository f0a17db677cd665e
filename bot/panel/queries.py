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
from bot.services import volunteers as volunteers_service
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
    Volunteer,
)

COLUMN_LIMIT = 10  # cards shown per status column
SEARCH_LIMIT = 120  # cards a text search shows, over all columns
COUNT_CAP = 1000  # matches of a filter counted at most
SEARCH_MAX = 60  # characters of a search


@dataclass(frozen=True)
class BoardFilters:
    kind: str | None = None
    area_id: int | None = None
    group_id: int | None = None
    search: str = ""


def _conditions(filters: BoardFilters) -> list[Any]:
    found = contributions_service.conditions_of(
        contributions_service.Filters(
            kind=filters.kind, area_id=filters.area_id, group_id=filters.group_id
        )
    )
    if filters.search:
        pattern = "%" + filters.search.replace("\\", "").replace("%", "").replace("_", "") + "%"
        found.append(col(Contribution.title).ilike(pattern))
    return found


@dataclass(frozen=True)
class BoardRow:
    """What a board card shows: plain columns, no ORM objects (a board holds 60 cards)."""

    id: int
    kind: str
    title: str
    status: str
    support_count: int
    created_at: datetime
    rejection_reason: str | None
    group_id: int | None
    area_id: int | None
    author_name: str | None


_ROW = (
    col(Contribution.id),
    col(Contribution.kind),
    col(Contribution.title),
    col(Contribution.status),
    col(Contribution.support_count),
    col(Contribution.created_at),
    col(Contribution.rejection_reason),
    col(Contribution.group_id),
    col(Contribution.area_id),
    col(Member.display_name),
)


def _rows_query() -> Any:
    query = select(*_ROW)  # type: ignore[call-overload]
    return query.outerjoin(Member, col(Member.id) == col(Contribution.author_id))


async def board(
    session: AsyncSession, filters: BoardFilters
) -> tuple[dict[str, list[BoardRow]], Counter[str], bool]:
    """Cards per status (newest first, at most COLUMN_LIMIT each), the count per status, and
    whether the counts are a lower bound (a filter matched more than COUNT_CAP).

    Without a search each column is one query on the (status, id) index; a search reads the
    newest SEARCH_LIMIT matches once and sorts them into columns."""
    conditions = _conditions(filters)
    if conditions:
        # Counting every match of a filter reads a table row per match (hundreds of ms on
        # 100,000 contributions): count among the newest COUNT_CAP matches instead.
        statuses = await session.exec(
            select(Contribution.status)
            .where(*conditions)
            .order_by(col(Contribution.id).desc())
            .limit(COUNT_CAP)
        )
        found = list(statuses.all())
        counts: Counter[str] = Counter(found)
        capped = len(found) >= COUNT_CAP
    else:  # the (status, id) index answers this without reading the table
        counts = Counter(
            dict(
                (
                    await session.exec(
                        select(Contribution.status, func.count()).group_by(col(Contribution.status))
                    )
                ).all()
            )
        )
        capped = False
    columns: dict[str, list[BoardRow]] = {status.value: [] for status in ContributionStatus}
    if filters.search:
        rows = await session.exec(
            _rows_query()
            .where(*conditions)
            .order_by(col(Contribution.id).desc())
            .limit(SEARCH_LIMIT)
        )
        for row in rows.all():
            card = BoardRow(*row)
            if len(columns[card.status]) < COLUMN_LIMIT:
                columns[card.status].append(card)
        return columns, counts, capped
    for status in ContributionStatus:
        if not counts.get(status.value):
            continue
        rows = await session.exec(
            _rows_query()
            .where(*conditions, col(Contribution.status) == status.value)
            .order_by(col(Contribution.id).desc())
            .limit(COLUMN_LIMIT)
        )
        columns[status.value] = [BoardRow(*row) for row in rows.all()]
    return columns, counts, capped


async def choices(session: AsyncSession) -> tuple[list[ProblemArea], list[Group]]:
    areas = list(
        (await session.exec(select(ProblemArea).order_by(col(ProblemArea.position)))).all()
    )
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
    return [
        MonthMeeting(
            meeting=m,
            group=groups.get(m.group_id),
            counts=counts[m.id or 0],
            present=present[m.id or 0],
            mine=own.get(m.id or 0),
        )
        for m in meetings
    ]


async def meeting_answers(session: AsyncSession, meeting_id: int) -> list[tuple[str, str, bool]]:
    """(name, answer, checked in) of everyone who answered, in the order they answered."""
    rows = await session.exec(
        select(Member.display_name, Rsvp.answer, Rsvp.checked_in_at)
        .join(Member, col(Member.id) == col(Rsvp.member_id))
        .where(Rsvp.meeting_id == meeting_id)
        .order_by(col(Rsvp.answered_at), col(Rsvp.id))
    )
    return [(name or "—", answer, there is not None) for name, answer, there in rows.all()]


async def volunteers(session: AsyncSession, wanted: Any, limit: int) -> tuple[list[Volunteer], int]:
    """Volunteers matching `wanted` (the chat's `volunteers.Filter`, with the same rules as
    `volunteers.search`), by name: the first `limit` and how many match. Reads the volunteer
    rows only (not their members)."""
    query = select(Volunteer).where(*volunteers_service.street_condition(wanted))
    rows = (await session.exec(query.order_by(col(Volunteer.name)))).all()
    found = [volunteer for volunteer in rows if volunteers_service.matches(volunteer, wanted)]
    return found[:limit], len(found)


async def own_summary(session: AsyncSession, viewer: Member) -> tuple[int, int]:
    """(the viewer's contributions, the viewer's groups) for an overview without statistics."""
    contributions = (
        await session.exec(
            select(func.count())
            .select_from(Contribution)
            .where(col(Contribution.author_id) == viewer.id)
        )
    ).one()
    groups = len(await meetings_service.my_group_ids(session, viewer))
    return int(contributions), groups
