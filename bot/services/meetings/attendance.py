"""Who came: "I'm here" from 30 minutes before the start, the lead's roster and marks, and the
count (people who erased their data since still count, without names)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.meetings.access import managed_scheduled, may_answer
from bot.services.meetings.answering import answers
from bot.services.meetings.lookups import get_scheduled, group_members, my_answer
from bot.services.rows import get_or_gone, save
from models import AnonymousAttendance, Answer, Meeting, Member, Rsvp

__all__ = [
    "CHECK_IN_BEFORE",
    "attendance_count",
    "attendance_roster",
    "check_in",
    "erased_present",
    "mark_attendance",
    "present",
]

CHECK_IN_BEFORE = timedelta(minutes=30)


async def check_in(
    session: AsyncSession, member: Member, meeting_id: int, *, now: datetime
) -> Rsvp:
    meeting = await get_scheduled(session, meeting_id)
    if not await may_answer(session, member, meeting):
        raise NotAllowed(N_("This meeting is only for members of its group."))
    if now < meeting.starts_at - CHECK_IN_BEFORE:
        raise InvalidInput(N_("Check-in opens 30 minutes before the start."))
    if now > meeting.ends_at:
        raise InvalidInput(N_("This meeting is already over."))
    rsvp = await my_answer(session, meeting_id, member.id)  # type: ignore[arg-type]
    if rsvp is None:
        # Whoever is in the room counts, even without an answer or over capacity.
        rsvp = Rsvp(meeting_id=meeting_id, member_id=member.id, answer=Answer.YES, answered_at=now)  # type: ignore[arg-type]
    if rsvp.checked_in_at is None:
        rsvp.checked_in_at = now
    if rsvp.answer != Answer.YES:
        rsvp.answer, rsvp.position = Answer.YES, None
    return await save(session, rsvp)


async def mark_attendance(
    session: AsyncSession,
    actor: Member,
    meeting_id: int,
    member_id: int,
    present: bool,
    *,
    now: datetime,
) -> Rsvp:
    meeting = await managed_scheduled(session, actor, meeting_id)
    if now < meeting.starts_at - CHECK_IN_BEFORE:
        raise InvalidInput(N_("Attendance can be marked from 30 minutes before the start."))
    person = await get_or_gone(session, Member, member_id, N_("This person has left the bot."))
    rsvp = await my_answer(session, meeting_id, member_id)
    if rsvp is None and not await may_answer(session, person, meeting):
        raise NotAllowed(N_("This meeting is only for members of its group."))
    if rsvp is None:
        rsvp = Rsvp(meeting_id=meeting_id, member_id=member_id, answer=Answer.YES, answered_at=now)
    rsvp.checked_in_at = now if present else None
    rsvp.marked_by_id = actor.id
    if present:
        rsvp.answer, rsvp.position = Answer.YES, None
    return await save(session, rsvp)


async def attendance_roster(
    session: AsyncSession, meeting: Meeting
) -> list[tuple[Member, Rsvp | None]]:
    """Everyone who answered, plus the group's members: the lead's checklist."""
    by_member: dict[int, tuple[Member, Rsvp | None]] = {}
    for person in await group_members(session, meeting.group_id):
        by_member[person.id] = (person, None)  # type: ignore[index]
    for rsvp, person in await answers(session, meeting.id):  # type: ignore[arg-type]
        by_member[person.id] = (person, rsvp)  # type: ignore[index]
    return sorted(by_member.values(), key=lambda pair: (pair[0].display_name or "").lower())


async def present(session: AsyncSession, meeting_id: int) -> list[tuple[Member, Rsvp]]:
    rows = await session.exec(
        select(Member, Rsvp)
        .join(Rsvp, col(Rsvp.member_id) == col(Member.id))
        .where(Rsvp.meeting_id == meeting_id, col(Rsvp.checked_in_at).is_not(None))
        .order_by(col(Rsvp.checked_in_at))
    )
    return list(rows.all())


async def erased_present(session: AsyncSession, meeting_id: int) -> int:
    """How many people who later erased their data checked in (kept without names): the
    attendance list adds them as "+ n erased participants"."""
    rows = await session.exec(
        select(func.count()).where(
            AnonymousAttendance.meeting_id == meeting_id,
            col(AnonymousAttendance.checked_in_at).is_not(None),
        )
    )
    return int(rows.one())


async def attendance_count(session: AsyncSession, meeting_id: int) -> int:
    """Everyone who checked in, including people who erased their data since."""
    return len(await present(session, meeting_id)) + await erased_present(session, meeting_id)
