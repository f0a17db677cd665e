"""Answers to a meeting (yes, maybe, no) and its waiting list: a yes over capacity waits, and
a freed place goes to whoever has waited longest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.meetings.access import may_answer
from bot.services.meetings.lookups import locked, my_answer
from models import Answer, Meeting, Member, Rsvp

__all__ = [
    "COMING",
    "AnswerResult",
    "answer",
    "answers",
    "attendees",
    "counts",
    "waiting_position",
]

COMING = (Answer.YES, Answer.MAYBE)


async def answers(session: AsyncSession, meeting_id: int) -> list[tuple[Rsvp, Member]]:
    rows = await session.exec(
        select(Rsvp, Member)
        .join(Member, col(Member.id) == col(Rsvp.member_id))
        .where(Rsvp.meeting_id == meeting_id)
        .order_by(col(Rsvp.answered_at), col(Rsvp.id))
    )
    return list(rows.all())


async def counts(session: AsyncSession, meeting_id: int) -> Counter[str]:
    rows = await session.exec(
        select(Rsvp.answer, func.count()).where(Rsvp.meeting_id == meeting_id).group_by(Rsvp.answer)
    )
    return Counter({answer: n for answer, n in rows.all()})


@dataclass
class AnswerResult:
    rsvp: Rsvp
    promoted: list[Member]  # moved from the waiting list to "yes"; tell them
    meeting: Meeting | None = None  # the meeting as answered (loaded in the session)


async def answer(
    session: AsyncSession, member: Member, meeting_id: int, choice: Answer, *, now: datetime
) -> AnswerResult:
    """Record yes/maybe/no; a yes over capacity waits; a freed place goes to the next waiting."""
    if choice not in (Answer.YES, Answer.MAYBE, Answer.NO):
        raise InvalidInput(N_("Please use the buttons of the invitation."))
    meeting = await locked(session, meeting_id)
    if meeting.starts_at <= now:
        raise InvalidInput(N_("This meeting has already started; answers are closed."))
    if not await may_answer(session, member, meeting):
        raise NotAllowed(N_("This meeting is only for members of its group."))
    rsvp = await my_answer(session, meeting_id, member.id)  # type: ignore[arg-type]
    previous = rsvp.answer if rsvp else None
    if rsvp is None:
        rsvp = Rsvp(meeting_id=meeting_id, member_id=member.id, answer=choice)  # type: ignore[arg-type]
    target: str = choice
    if choice == Answer.YES and previous not in (Answer.YES, Answer.WAITING):
        taken = (await counts(session, meeting_id))[Answer.YES]
        if meeting.capacity is not None and taken >= meeting.capacity:
            target = Answer.WAITING
    elif choice == Answer.YES and previous == Answer.WAITING:
        target = Answer.WAITING  # pressing again keeps the place in the queue
    if target == Answer.WAITING and previous != Answer.WAITING:
        rsvp.position = await _last_position(session, meeting_id) + 1
    elif target != Answer.WAITING:
        rsvp.position = None
    if previous != target:
        rsvp.answered_at = now
    rsvp.answer = target
    session.add(rsvp)
    meeting.cards_dirty_at = now
    session.add(meeting)
    await session.flush()
    promoted = await promote_waiting(session, meeting, now) if previous == Answer.YES else []
    return AnswerResult(rsvp, promoted, meeting)


async def _last_position(session: AsyncSession, meeting_id: int) -> int:
    value = await session.exec(
        select(func.max(Rsvp.position)).where(
            Rsvp.meeting_id == meeting_id, Rsvp.answer == Answer.WAITING
        )
    )
    return int(value.first() or 0)


async def promote_waiting(session: AsyncSession, meeting: Meeting, now: datetime) -> list[Member]:
    """Fill free places from the waiting list, first come first served (everyone waiting
    when the limit was lifted)."""
    query = (
        select(Rsvp, Member)
        .join(Member, col(Member.id) == col(Rsvp.member_id))
        .where(Rsvp.meeting_id == meeting.id, Rsvp.answer == Answer.WAITING)
        .order_by(col(Rsvp.position))
    )
    if meeting.capacity is not None:
        free = meeting.capacity - (await counts(session, meeting.id))[Answer.YES]  # type: ignore[arg-type]
        if free <= 0:
            return []
        query = query.limit(free)
    rows = await session.exec(query)
    promoted = []
    for rsvp, person in rows.all():
        rsvp.answer, rsvp.position, rsvp.answered_at = Answer.YES, None, now
        session.add(rsvp)
        promoted.append(person)
    await session.flush()
    return promoted


async def waiting_position(session: AsyncSession, rsvp: Rsvp) -> int:
    """1-based place in the queue."""
    ahead = await session.exec(
        select(func.count()).where(
            Rsvp.meeting_id == rsvp.meeting_id,
            Rsvp.answer == Answer.WAITING,
            col(Rsvp.position) < (rsvp.position or 0),
        )
    )
    return int(ahead.one()) + 1


async def attendees(
    session: AsyncSession, meeting_id: int, kinds: tuple[str, ...] = COMING
) -> list[Member]:
    rows = await session.exec(
        select(Member)
        .join(Rsvp, col(Rsvp.member_id) == col(Member.id))
        .where(Rsvp.meeting_id == meeting_id, col(Rsvp.answer).in_(kinds))
    )
    return list(rows.all())
