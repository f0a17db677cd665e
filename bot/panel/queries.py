"""What the panel reads that the chat does not: whole board columns, a month of meetings
with their answers. Plain async functions taking a session, like bot/services."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import bindparam, case, union_all
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.panel import search
from bot.services import contributions as contributions_service
from bot.services import meetings as meetings_service
from bot.services import volunteers as volunteers_service
from bot.services.contributions import counts as contribution_counts
from bot.services.permissions import has_role
from models import (
    Contribution,
    ContributionStatus,
    Group,
    Meeting,
    MeetingStatus,
    Member,
    ProblemArea,
    Role,
    Rsvp,
    Volunteer,
)

COLUMN_LIMIT = 10  # cards shown per status column
COUNT_CAP = 1000  # matches of a filter counted at most
SEARCH_MAX = 60  # characters of a search


@dataclass(frozen=True)
class BoardFilters:
    kind: str | None = None
    area_id: int | None = None
    group_id: int | None = None
    search: str = ""


def _conditions(filters: BoardFilters) -> list[Any]:
    """The kind, area and group filters (the search apart)."""
    return contributions_service.conditions_of(
        contributions_service.Filters(
            kind=filters.kind, area_id=filters.area_id, group_id=filters.group_id
        )
    )


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


@cache
def _rows_statement(newest: bool) -> Any:
    """The cards of the ids given (`ids`), or (`newest`) each column's newest COLUMN_LIMIT.
    Built once: building the union of subqueries costs more than running it."""
    if newest:
        parts = [
            select(Contribution.id)
            .where(col(Contribution.status) == status.value)
            .order_by(col(Contribution.id).desc())
            .limit(COLUMN_LIMIT)
            .subquery()
            for status in ContributionStatus
        ]
        ids: Any = union_all(*(select(part.c.id) for part in parts))
    else:
        ids = bindparam("ids", expanding=True)
    query = select(*_ROW).outerjoin(Member, col(Member.id) == col(Contribution.author_id))  # type: ignore[call-overload]
    return query.where(col(Contribution.id).in_(ids))


async def _rows(session: AsyncSession, ids: list[int] | None) -> list[BoardRow]:
    """The cards of `ids`, or (None) each column's newest; newest first."""
    statement = _rows_statement(ids is None)
    rows = await session.exec(statement, params={} if ids is None else {"ids": ids})
    return sorted((BoardRow(*row) for row in rows.all()), key=lambda r: -r.id)


async def board(
    session: AsyncSession, filters: BoardFilters
) -> tuple[dict[str, list[BoardRow]], Counter[str], bool]:
    """Cards per status (newest first, at most COLUMN_LIMIT each), the count per status, and
    whether the counts are a lower bound (a filter matched more than COUNT_CAP).

    Unfiltered: the exact counts (`contribution_counts`) and each column's newest cards.
    Filtered: the newest COUNT_CAP matches (their id and status) give the counts and pick
    the cards."""
    conditions = _conditions(filters)
    if filters.search:
        found = await search.newest_matches(session, filters.search, conditions, COUNT_CAP)
    elif conditions:
        matching = await session.exec(
            select(Contribution.id, Contribution.status)
            .where(*conditions)
            .order_by(col(Contribution.id).desc())
            .limit(COUNT_CAP)
        )
        found = [(i, s) for i, s in matching.all() if i is not None]
    else:
        counts = await contribution_counts.per_status(session)
        return _columns(await _rows(session, None)), counts, False
    chosen: dict[str, list[int]] = {status.value: [] for status in ContributionStatus}
    for contribution_id, status in found:
        if len(chosen[status]) < COLUMN_LIMIT:
            chosen[status].append(contribution_id)
    ids = [i for column in chosen.values() for i in column]
    rows = await _rows(session, ids) if ids else []
    return _columns(rows), Counter(status for _i, status in found), len(found) >= COUNT_CAP


def _columns(rows: list[BoardRow]) -> dict[str, list[BoardRow]]:
    columns: dict[str, list[BoardRow]] = {status.value: [] for status in ContributionStatus}
    for row in rows:
        columns[row.status].append(row)
    return columns


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


@dataclass(frozen=True)
class MeetingRow:
    """What the calendar shows of a meeting: plain columns (no ORM object)."""

    id: int
    group_id: int
    topic: str
    starts_at: datetime
    ends_at: datetime
    place: str
    status: str

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED


@dataclass
class MonthMeeting:
    meeting: MeetingRow
    group: Group | None
    counts: Counter[str]
    present: int
    mine: str | None  # the viewer's own answer


async def month_meetings(
    session: AsyncSession, viewer: Member, start: datetime, end: datetime
) -> list[MonthMeeting]:
    """Meetings starting in [start, end) that the viewer may see (as `meetings.may_see`:
    coordinators all; others those of their groups, open ones and those they answered),
    with their answers counted."""
    query = select(  # type: ignore[call-overload]
        Meeting.id,
        Meeting.group_id,
        Meeting.topic,
        Meeting.starts_at,
        Meeting.ends_at,
        Meeting.place,
        Meeting.status,
    ).where(col(Meeting.starts_at) >= start, col(Meeting.starts_at) < end)
    if not has_role(viewer, Role.COORDINATOR):
        mine = await meetings_service.my_group_ids(session, viewer)
        answered = select(Rsvp.meeting_id).where(Rsvp.member_id == viewer.id)
        query = query.where(
            col(Meeting.group_id).in_(mine)
            | col(Meeting.is_open).is_(True)
            | col(Meeting.id).in_(answered)
        )
    rows = await session.exec(query.order_by(col(Meeting.starts_at)))
    meetings = [MeetingRow(*row) for row in rows.all()]
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
    answered_by_viewer = func.max(case((col(Rsvp.member_id) == viewer.id, 1), else_=0))
    answers = await session.exec(
        select(  # type: ignore[call-overload]
            Rsvp.meeting_id,
            Rsvp.answer,
            func.count(),
            func.count(col(Rsvp.checked_in_at)),
            answered_by_viewer,
        )
        .where(col(Rsvp.meeting_id).in_(ids))
        .group_by(col(Rsvp.meeting_id), col(Rsvp.answer))
    )
    for meeting_id, answer, answered, checked_in, viewer_answered in answers.all():
        counts[meeting_id][answer] += answered
        present[meeting_id] += checked_in
        if viewer_answered:
            own[meeting_id] = answer
    return [
        MonthMeeting(
            meeting=m,
            group=groups.get(m.group_id),
            counts=counts[m.id],
            present=present[m.id],
            mine=own.get(m.id),
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


@dataclass(frozen=True)
class VolunteerRow:
    """What the list shows of a volunteer (and what `volunteers.matches` reads)."""

    name: str
    phone: str | None
    street: str | None
    skills: str
    areas: list[str]
    availability: list[str]


async def volunteers(
    session: AsyncSession, wanted: volunteers_service.Filter, limit: int
) -> tuple[list[VolunteerRow], int]:
    """Volunteers matching `wanted` with the chat's rules (`volunteers.search`): the first
    `limit` by name and how many match. Reads their columns only (no ORM objects)."""
    query = select(  # type: ignore[call-overload]
        Volunteer.name,
        Volunteer.phone,
        Volunteer.street,
        Volunteer.skills,
        Volunteer.areas,
        Volunteer.availability,
    ).where(*volunteers_service.street_condition(wanted))
    rows = (await session.exec(query.order_by(col(Volunteer.name)))).all()
    found = [VolunteerRow(*row) for row in rows]
    # `matches` reads a volunteer's areas, availability and skills: the row has them.
    found = [v for v in found if volunteers_service.matches(cast(Volunteer, v), wanted)]
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
