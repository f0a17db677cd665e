"""Date polls: a draft with two to five candidate times; members tick the ones that suit them
and the lead turns the chosen time into a meeting."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.meetings.access import may_take_part
from bot.services.meetings.listing import my_group_ids
from bot.services.meetings.scheduling import (
    MeetingDraft,
    check_future,
    checked_draft,
    create_meeting,
    draft_fields,
)
from bot.services.permissions import has_role
from bot.services.rows import get_or_gone
from models import DatePoll, DatePollOption, DatePollVote, Meeting, Member, PollStatus, Role

__all__ = [
    "POLL_MAX",
    "POLL_MIN",
    "create_poll",
    "decide_poll",
    "get_poll",
    "may_vote",
    "open_polls_for",
    "poll_of_option",
    "poll_tallies",
    "toggle_vote",
]

POLL_MIN, POLL_MAX = 2, 5


async def create_poll(
    session: AsyncSession, actor: Member, draft: MeetingDraft, *, now: datetime
) -> DatePoll:
    group = await checked_draft(session, actor, draft)
    times = sorted(set(draft.candidates))
    if not POLL_MIN <= len(times) <= POLL_MAX:
        raise InvalidInput(
            N_("A date poll needs between {low} and {high} different times."),
            low=POLL_MIN,
            high=POLL_MAX,
        )
    for moment in times:
        check_future(moment, now)
    poll = DatePoll(
        **draft_fields(draft, group, actor, now), duration_minutes=draft.duration_minutes
    )
    session.add(poll)
    await session.flush()
    for moment in times:
        session.add(DatePollOption(poll_id=poll.id, starts_at=moment))  # type: ignore[arg-type]
    await session.flush()
    await record(session, actor, "meeting.poll", f"poll:{poll.id}", group=group.id)
    return poll


async def get_poll(session: AsyncSession, poll_id: int | None) -> DatePoll:
    return await get_or_gone(session, DatePoll, poll_id, N_("This date poll no longer exists."))


async def poll_of_option(session: AsyncSession, option_id: int) -> DatePoll:
    option = await get_or_gone(
        session, DatePollOption, option_id, N_("This date poll no longer exists.")
    )
    return await get_poll(session, option.poll_id)


async def open_polls_for(session: AsyncSession, member: Member) -> list[DatePoll]:
    """Open date polls of my groups (and every open poll for a coordinator)."""
    query = select(DatePoll).where(DatePoll.status == PollStatus.OPEN)
    if not has_role(member, Role.COORDINATOR):
        query = query.where(col(DatePoll.group_id).in_(await my_group_ids(session, member)))
    rows = await session.exec(query.order_by(col(DatePoll.created_at)))
    return list(rows.all())


async def poll_tallies(
    session: AsyncSession, poll_id: int
) -> list[tuple[DatePollOption, list[int]]]:
    """Each option with the ids of members who ticked it."""
    options = list(
        (
            await session.exec(
                select(DatePollOption)
                .where(DatePollOption.poll_id == poll_id)
                .order_by(col(DatePollOption.starts_at))
            )
        ).all()
    )
    votes = await session.exec(
        select(DatePollVote.option_id, DatePollVote.member_id).where(
            col(DatePollVote.option_id).in_([o.id for o in options])
        )
    )
    by_option: dict[int, list[int]] = {o.id: [] for o in options}  # type: ignore[misc]
    for option_id, member_id in votes.all():
        by_option[option_id].append(member_id)
    return [(o, by_option[o.id]) for o in options]  # type: ignore[index]


async def may_vote(session: AsyncSession, member: Member, poll: DatePoll) -> bool:
    return await may_take_part(session, member, poll.group_id, is_open=poll.is_open)


async def toggle_vote(
    session: AsyncSession, member: Member, option_id: int
) -> tuple[DatePoll, bool]:
    """Tick or untick a time; returns the poll and whether it is now ticked."""
    option = await get_or_gone(
        session, DatePollOption, option_id, N_("This date poll no longer exists.")
    )
    poll = await get_poll(session, option.poll_id)
    if poll.status != PollStatus.OPEN:
        raise InvalidInput(N_("This date poll is closed."))
    if not await may_vote(session, member, poll):
        raise NotAllowed(N_("This meeting is only for members of its group."))
    vote = (
        await session.exec(
            select(DatePollVote).where(
                DatePollVote.option_id == option_id, DatePollVote.member_id == member.id
            )
        )
    ).first()
    if vote is None:
        session.add(DatePollVote(option_id=option_id, member_id=member.id))  # type: ignore[arg-type]
        ticked = True
    else:
        await session.delete(vote)
        ticked = False
    await session.flush()
    return poll, ticked


async def decide_poll(
    session: AsyncSession, actor: Member, option_id: int, *, now: datetime
) -> Meeting:
    """The chosen time becomes a meeting with the poll's details."""
    option = await get_or_gone(
        session, DatePollOption, option_id, N_("This date poll no longer exists.")
    )
    poll = await get_poll(session, option.poll_id)
    if poll.status != PollStatus.OPEN:
        raise InvalidInput(N_("This date poll is closed."))
    draft = MeetingDraft(
        group_id=poll.group_id,
        topic=poll.topic,
        place=poll.place,
        starts_at=option.starts_at,
        duration_minutes=poll.duration_minutes,
        area_id=poll.area_id,
        capacity=poll.capacity,
        is_open=poll.is_open,
        agenda=poll.agenda,
    )
    meeting = await create_meeting(session, actor, draft, now=now)
    poll.status, poll.meeting_id = PollStatus.DECIDED, meeting.id
    session.add(poll)
    await session.flush()
    return meeting
