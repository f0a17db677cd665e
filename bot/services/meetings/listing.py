"""Lists of meetings: mine (my groups' and the ones I answered), open ones of other groups,
and a group's next ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Group, Meeting, MeetingStatus, Member, Membership, MembershipStatus, Rsvp

__all__ = ["my_group_ids", "open_meetings", "upcoming_for", "upcoming_in_group"]


async def my_group_ids(session: AsyncSession, member: Member) -> set[int]:
    rows = await session.exec(
        select(Membership.group_id).where(
            Membership.member_id == member.id, Membership.status == MembershipStatus.MEMBER
        )
    )
    ids = set(rows.all())
    led = await session.exec(select(Group.id).where(Group.lead_id == member.id))
    return ids | {i for i in led.all() if i is not None}


def _answered_by(member: Member) -> Any:
    """The ids of the meetings `member` answered (a subquery)."""
    return select(Rsvp.meeting_id).where(Rsvp.member_id == member.id)


async def upcoming_for(
    session: AsyncSession, member: Member, *, now: datetime
) -> list[tuple[Meeting, Rsvp | None]]:
    """Not yet ended meetings of my groups or that I answered, with my answer."""
    group_ids = await my_group_ids(session, member)
    rows = await session.exec(
        select(Meeting)
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.ends_at > now,
            col(Meeting.group_id).in_(group_ids) | col(Meeting.id).in_(_answered_by(member)),
        )
        .order_by(col(Meeting.starts_at))
    )
    meetings = list(rows.all())
    mine = await session.exec(
        select(Rsvp).where(
            Rsvp.member_id == member.id, col(Rsvp.meeting_id).in_([m.id for m in meetings])
        )
    )
    by_meeting = {r.meeting_id: r for r in mine.all()}
    return [(m, by_meeting.get(m.id)) for m in meetings]  # type: ignore[arg-type]


async def open_meetings(session: AsyncSession, member: Member, *, now: datetime) -> list[Meeting]:
    """Open meetings of other groups, not started yet, that I have not answered."""
    group_ids = await my_group_ids(session, member)
    rows = await session.exec(
        select(Meeting)
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.is_open).is_(True),
            Meeting.starts_at > now,
            col(Meeting.group_id).not_in(group_ids),
            col(Meeting.id).not_in(_answered_by(member)),
        )
        .order_by(col(Meeting.starts_at))
    )
    return list(rows.all())


async def upcoming_in_group(
    session: AsyncSession, group_id: int, *, now: datetime, limit: int = 5
) -> list[Meeting]:
    """The next scheduled meetings of a group (for its page)."""
    rows = await session.exec(
        select(Meeting)
        .where(
            Meeting.group_id == group_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.ends_at > now,
        )
        .order_by(col(Meeting.starts_at))
        .limit(limit)
    )
    return list(rows.all())
