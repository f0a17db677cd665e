"""Meetings: scheduling, answers with a waiting list, attendance, follow-up, reminders claimed.

Plain async functions over an AsyncSession; the handlers and the reminder jobs call them.
Times are aware UTC; `now` is passed in so tests and jobs decide what time it is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.dialects import sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import groups as groups_service
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.members import clean_text
from bot.services.permissions import Action, can, has_role
from bot.services.rows import get_or_gone, save
from models import (
    ActionItem,
    AnonymousAttendance,
    Answer,
    DatePoll,
    DatePollOption,
    DatePollVote,
    Group,
    Meeting,
    MeetingStatus,
    Member,
    Membership,
    MembershipStatus,
    PollStatus,
    ReminderSent,
    Role,
    Rsvp,
)
from models.invitations import MeetingInvitation
from models.meetings import MeetingCard

TOPIC_MAX = 200
PLACE_MAX = 200
AGENDA_MAX = 2000
SUMMARY_MAX = 3000
ITEM_MAX = 300
CAPACITY_MAX = 1000
CHECK_IN_BEFORE = timedelta(minutes=30)
DURATIONS = (60, 90, 120, 180)  # minutes, the quick buttons
POLL_MIN, POLL_MAX = 2, 5
COMING = (Answer.YES, Answer.MAYBE)
_NOT_LEAD = N_("Only a coordinator or the lead of this group can schedule its meetings.")


@dataclass
class MeetingDraft:
    """What the /meeting conversation collected; validated again here."""

    group_id: int
    topic: str
    place: str
    starts_at: datetime | None = None
    candidates: list[datetime] = field(default_factory=list)  # for a date poll
    duration_minutes: int = 90
    area_id: int | None = None
    capacity: int | None = None
    is_open: bool = False
    agenda: str | None = None


# --- lookups -------------------------------------------------------------------------------


async def get(session: AsyncSession, meeting_id: int | None) -> Meeting:
    return await get_or_gone(session, Meeting, meeting_id, N_("This meeting no longer exists."))


async def get_scheduled(session: AsyncSession, meeting_id: int | None) -> Meeting:
    meeting = await get(session, meeting_id)
    if meeting.is_cancelled:
        raise NotFound(N_("This meeting was cancelled."))
    return meeting


async def group_of(session: AsyncSession, meeting: Meeting) -> Group:
    return await get_or_gone(session, Group, meeting.group_id, N_("This group no longer exists."))


async def schedulable_groups(session: AsyncSession, member: Member) -> list[Group]:
    """Groups this member may schedule for: all for a coordinator, else the ones they lead."""
    groups = await groups_service.active_groups(session)
    return [g for g in groups if can(member, Action.SCHEDULE_MEETING, g)]


async def is_group_member(session: AsyncSession, member: Member, group_id: int) -> bool:
    row = await session.exec(
        select(Membership.id).where(
            Membership.member_id == member.id,
            Membership.group_id == group_id,
            Membership.status == MembershipStatus.MEMBER,
        )
    )
    return row.first() is not None


async def group_members(session: AsyncSession, group_id: int) -> list[Member]:
    """Registered members of a group, the lead included."""
    rows = await session.exec(
        select(Member)
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(
            Membership.group_id == group_id,
            Membership.status == MembershipStatus.MEMBER,
            col(Member.consent_at).is_not(None),
        )
        .order_by(col(Member.display_name))
    )
    members = list(rows.all())
    group = await session.get(Group, group_id)
    if group is not None and group.lead_id and all(m.id != group.lead_id for m in members):
        lead = await session.get(Member, group.lead_id)
        if lead is not None and lead.is_registered:
            members.append(lead)
    return members


async def may_manage(session: AsyncSession, member: Member, meeting: Meeting) -> bool:
    return can(member, Action.MANAGE_MEETING, await group_of(session, meeting))


async def _managed_scheduled(session: AsyncSession, actor: Member, meeting_id: int) -> Meeting:
    """The scheduled meeting, if `actor` may manage it."""
    meeting = await get_scheduled(session, meeting_id)
    await _require_manage(session, actor, meeting)
    return meeting


async def _require_manage(session: AsyncSession, member: Member, meeting: Meeting) -> Group:
    group = await group_of(session, meeting)
    if not can(member, Action.MANAGE_MEETING, group):
        raise NotAllowed(N_("Only a coordinator or the lead of this group can do this."))
    return group


async def _may_take_part(
    session: AsyncSession, member: Member, group_id: int, *, is_open: bool
) -> bool:
    """Open to all registered members, or to the group's members, its lead and coordinators."""
    if not member.is_registered:
        return False
    if is_open or has_role(member, Role.COORDINATOR):
        return True
    group = await session.get(Group, group_id)
    if group is not None and group.lead_id == member.id:
        return True
    return await is_group_member(session, member, group_id)


async def may_answer(session: AsyncSession, member: Member, meeting: Meeting) -> bool:
    if await _may_take_part(session, member, meeting.group_id, is_open=meeting.is_open):
        return True
    # Anyone invited beyond the group may answer (bot/services/invitations.py).
    invited = select(MeetingInvitation.id).where(
        MeetingInvitation.meeting_id == meeting.id, MeetingInvitation.member_id == member.id
    )
    return member.is_registered and (await session.exec(invited)).first() is not None


async def may_see(session: AsyncSession, member: Member, meeting: Meeting) -> bool:
    """Who may see a meeting at all: whoever may answer it (its group's members, its lead,
    coordinators; everyone registered when it is open), and whoever already answered it."""
    if await may_answer(session, member, meeting):
        return True
    return member.is_registered and await my_answer(session, meeting.id, member.id) is not None  # type: ignore[arg-type]


async def get_visible(session: AsyncSession, member: Member, meeting_id: int | None) -> Meeting:
    """The meeting, if `member` may see it (else NotAllowed, the same as answering)."""
    meeting = await get(session, meeting_id)
    if not await may_see(session, member, meeting):
        raise NotAllowed(N_("This meeting is only for members of its group."))
    return meeting


async def usual_place(session: AsyncSession, group_id: int) -> str | None:
    """Where the group usually meets: the place of its latest meeting."""
    row = await session.exec(
        select(Meeting.place)
        .where(Meeting.group_id == group_id, Meeting.status == MeetingStatus.SCHEDULED)
        .order_by(col(Meeting.starts_at).desc())
        .limit(1)
    )
    return row.first()


# --- scheduling ----------------------------------------------------------------------------


async def _checked_draft(session: AsyncSession, actor: Member, draft: MeetingDraft) -> Group:
    """The draft's group, if `actor` may schedule its meetings; the draft's texts cleaned."""
    group = await groups_service.get_active(session, draft.group_id)
    if not can(actor, Action.SCHEDULE_MEETING, group):
        raise NotAllowed(_NOT_LEAD)
    _check_draft(draft)
    return group


def _check_draft(draft: MeetingDraft) -> None:
    draft.topic = clean_text(draft.topic, TOPIC_MAX, field="topic")
    draft.place = clean_text(draft.place, PLACE_MAX, field="place")
    if draft.agenda is not None:
        draft.agenda = clean_text(draft.agenda, AGENDA_MAX, field="agenda")
    if draft.capacity is not None and not 1 <= draft.capacity <= CAPACITY_MAX:
        raise InvalidInput(
            N_("The number of places must be between 1 and {limit}."), limit=CAPACITY_MAX
        )
    if not 15 <= draft.duration_minutes <= 12 * 60:
        raise InvalidInput(N_("A meeting lasts between 15 minutes and 12 hours."))


def _future(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise InvalidInput(N_("That time has already passed. Please choose another one."))


def _from_draft(draft: MeetingDraft, group: Group, actor: Member, now: datetime) -> dict[str, Any]:
    """What a meeting and a date poll both take from the draft."""
    return {
        "group_id": group.id,
        "topic": draft.topic,
        "area_id": draft.area_id or group.area_id,
        "place": draft.place,
        "capacity": draft.capacity,
        "is_open": draft.is_open,
        "agenda": draft.agenda,
        "created_by_id": actor.id,
        "created_at": now,
    }


async def create_meeting(
    session: AsyncSession, actor: Member, draft: MeetingDraft, *, now: datetime
) -> Meeting:
    group = await _checked_draft(session, actor, draft)
    if draft.starts_at is None:
        raise InvalidInput(N_("Please choose the date and time first."))
    _future(draft.starts_at, now)
    meeting = Meeting(
        **_from_draft(draft, group, actor, now),
        starts_at=draft.starts_at,
        ends_at=draft.starts_at + timedelta(minutes=draft.duration_minutes),
        scheduled_at=now,
    )
    session.add(meeting)
    await session.flush()
    await record(session, actor, "meeting.create", f"meeting:{meeting.id}", group=group.id)
    return meeting


async def move_meeting(
    session: AsyncSession, actor: Member, meeting_id: int, starts_at: datetime, *, now: datetime
) -> tuple[Meeting, datetime]:
    """New start (same length); returns the meeting and the old start."""
    meeting = await _managed_scheduled(session, actor, meeting_id)
    _future(starts_at, now)
    if meeting.ends_at <= now:
        raise InvalidInput(N_("This meeting is already over."))
    old = meeting.starts_at
    length = meeting.ends_at - meeting.starts_at
    meeting.starts_at, meeting.ends_at = starts_at, starts_at + length
    meeting.revision += 1
    meeting.scheduled_at = now
    meeting.followup_asked_at = None
    meeting.cards_dirty_at = now
    session.add(meeting)
    await session.flush()
    await record(
        session, actor, "meeting.move", f"meeting:{meeting.id}", old=old.isoformat(),
        new=starts_at.isoformat(),
    )  # fmt: skip
    return meeting, old


async def cancel_meeting(
    session: AsyncSession, actor: Member, meeting_id: int, *, now: datetime
) -> Meeting:
    meeting = await _managed_scheduled(session, actor, meeting_id)
    if meeting.ends_at <= now:
        raise InvalidInput(N_("This meeting is already over."))
    meeting.status = MeetingStatus.CANCELLED
    meeting.cards_dirty_at = now
    session.add(meeting)
    await session.flush()
    await record(session, actor, "meeting.cancel", f"meeting:{meeting.id}")
    return meeting


# --- changing a meeting's details ------------------------------------------------------------

EDITABLE = ("topic", "place", "agenda", "capacity")


@dataclass
class EditResult:
    meeting: Meeting
    old: str | int | None  # the value before
    promoted: list[Member]  # moved from the waiting list by a larger capacity; tell them


def edited_value(field_name: str, text: str) -> str | int | None:
    """A typed new value, checked ("-" or 0 for no agenda / no limit)."""
    if field_name == "topic":
        return clean_text(text, TOPIC_MAX, field="topic")
    if field_name == "place":
        return clean_text(text, PLACE_MAX, field="place")
    if field_name == "agenda":
        return None if text.strip() in ("", "-") else clean_text(text, AGENDA_MAX, field="agenda")
    if field_name == "capacity":
        value = text.strip()
        if not value.isdigit() or int(value) > CAPACITY_MAX:
            raise InvalidInput(
                N_("Please type a number between 1 and {limit}, or press No limit."),
                limit=CAPACITY_MAX,
            )
        return int(value) or None
    raise InvalidInput(N_("Please use the buttons of the invitation."))


async def check_capacity(session: AsyncSession, meeting_id: int, value: object) -> None:
    """A new limit: a number, not below the people who already said they will come."""
    if not isinstance(value, int) or not 1 <= value <= CAPACITY_MAX:
        raise InvalidInput(
            N_("Please type a number between 1 and {limit}, or press No limit."),
            limit=CAPACITY_MAX,
        )
    coming = (await counts(session, meeting_id))[Answer.YES]
    if value < coming:
        raise InvalidInput(
            N_("People already coming: {n}. The limit cannot be lower than that."),
            n=coming,
        )


async def edit_meeting(
    session: AsyncSession,
    actor: Member,
    meeting_id: int,
    field_name: str,
    value: str | int | None,
    *,
    now: datetime,
) -> EditResult:
    """Change the topic, place, agenda or capacity (the lead or a coordinator). A smaller
    capacity may not drop below the people already coming; a larger one takes people from
    the waiting list."""
    if field_name not in EDITABLE:
        raise InvalidInput(N_("Please use the buttons of the invitation."))
    meeting = await _locked(session, meeting_id)
    await _require_manage(session, actor, meeting)
    if meeting.ends_at <= now:
        raise InvalidInput(N_("This meeting is already over."))
    if field_name != "capacity":
        value = edited_value(field_name, str(value or ""))
    elif value is not None:
        await check_capacity(session, meeting_id, value)
    old = getattr(meeting, field_name)
    setattr(meeting, field_name, value)
    meeting.cards_dirty_at = now
    session.add(meeting)
    await session.flush()
    promoted = await _promote(session, meeting, now) if field_name == "capacity" else []
    before = None if old is None else str(old)[:200]
    after = None if value is None else str(value)[:200]
    await record(
        session, actor, "meeting.edit", f"meeting:{meeting.id}", field=field_name, old=before,
        new=after,
    )  # fmt: skip
    return EditResult(meeting, old, promoted)


# --- the invitation cards sent, kept current ---------------------------------------------------


async def remember_chat_card(session: AsyncSession, meeting_id: int, message_id: int) -> None:
    meeting = await get(session, meeting_id)
    meeting.chat_message_id = message_id
    session.add(meeting)
    await session.flush()


async def remember_cards(
    session: AsyncSession, meeting_id: int, sent: list[tuple[int, int, int | None]]
) -> None:
    """Cards just sent: (chat id, message id, member id or None for the group's chat)."""
    for chat_id, message_id, member_id in sent:
        session.add(
            MeetingCard(
                meeting_id=meeting_id, chat_id=chat_id, message_id=message_id, member_id=member_id
            )
        )
    await session.flush()


async def is_card(session: AsyncSession, chat_id: int, message_id: int) -> bool:
    row = await session.exec(
        select(MeetingCard.id).where(
            MeetingCard.chat_id == chat_id, MeetingCard.message_id == message_id
        )
    )
    return row.first() is not None


async def mark_cards_dirty(session: AsyncSession, meeting_id: int, *, now: datetime) -> None:
    await (await session.connection()).execute(
        update(Meeting).where(col(Meeting.id) == meeting_id).values(cards_dirty_at=now)
    )


async def dirty_meetings(session: AsyncSession, limit: int = 50) -> list[tuple[int, datetime]]:
    """Meetings whose cards are behind, with the mark to claim them by."""
    rows = await session.exec(
        select(Meeting.id, Meeting.cards_dirty_at)
        .where(col(Meeting.cards_dirty_at).is_not(None))
        .order_by(col(Meeting.cards_dirty_at))
        .limit(limit)
    )
    return [(int(i), at) for i, at in rows.all() if i is not None and at is not None]


async def claim_dirty(session: AsyncSession, meeting_id: int, mark: datetime) -> bool:
    """Clear the mark if it is still `mark` (an answer in the meantime marks it again)."""
    result = await (await session.connection()).execute(
        update(Meeting)
        .where(col(Meeting.id) == meeting_id, col(Meeting.cards_dirty_at) == mark)
        .values(cards_dirty_at=None)
    )
    return bool(result.rowcount)


async def cards_of(
    session: AsyncSession, meeting: Meeting
) -> list[tuple[MeetingCard, Member | None]]:
    """Every card of the meeting, with the member it went to (None: the group's chat)."""
    rows = await session.exec(
        select(MeetingCard, Member)
        .join(Member, col(Member.id) == col(MeetingCard.member_id), isouter=True)
        .where(MeetingCard.meeting_id == meeting.id)
        .order_by(col(MeetingCard.id))
    )
    found: list[tuple[MeetingCard, Member | None]] = list(rows.all())
    if meeting.chat_message_id is not None and all(
        c.message_id != meeting.chat_message_id or c.member_id is not None for c, _m in found
    ):  # a chat card sent before cards were recorded
        group = await session.get(Group, meeting.group_id)
        if group is not None and group.chat_id is not None:
            card = MeetingCard(
                meeting_id=meeting.id,  # type: ignore[arg-type]
                chat_id=group.chat_id,
                message_id=meeting.chat_message_id,
            )
            found.append((card, None))
    return found


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


# --- answers and the waiting list ----------------------------------------------------------


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


async def my_answer(session: AsyncSession, meeting_id: int, member_id: int) -> Rsvp | None:
    row = await session.exec(
        select(Rsvp).where(Rsvp.meeting_id == meeting_id, Rsvp.member_id == member_id)
    )
    return row.first()


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
    meeting = await _locked(session, meeting_id)
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
    promoted = await _promote(session, meeting, now) if previous == Answer.YES else []
    return AnswerResult(rsvp, promoted, meeting)


async def _locked(session: AsyncSession, meeting_id: int) -> Meeting:
    """The meeting row, locked on PostgreSQL so two answers cannot both take the last place."""
    row = await session.exec(select(Meeting).where(Meeting.id == meeting_id).with_for_update())
    meeting = row.first()
    if meeting is None:
        raise NotFound(N_("This meeting no longer exists."))
    if meeting.is_cancelled:
        raise NotFound(N_("This meeting was cancelled."))
    return meeting


async def _last_position(session: AsyncSession, meeting_id: int) -> int:
    value = await session.exec(
        select(func.max(Rsvp.position)).where(
            Rsvp.meeting_id == meeting_id, Rsvp.answer == Answer.WAITING
        )
    )
    return int(value.first() or 0)


async def _promote(session: AsyncSession, meeting: Meeting, now: datetime) -> list[Member]:
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


# --- listings ------------------------------------------------------------------------------


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


async def scheduled_after(session: AsyncSession, moment: datetime) -> list[Meeting]:
    """Scheduled meetings not ended by `moment`: what the job queue must know about."""
    rows = await session.exec(
        select(Meeting).where(
            Meeting.status == MeetingStatus.SCHEDULED,
            or_(col(Meeting.ends_at) > moment, col(Meeting.followup_asked_at).is_(None)),
        )
    )
    return list(rows.all())


# --- reminders: due by the clock, claimed before sending -----------------------------------

# The chat id of the row that marks one reminder (meeting, revision, offset) as handled, even
# when nobody was there to remind; no Telegram chat has id 0.
HANDLED = 0


async def due_reminder_keys(
    session: AsyncSession, offsets: tuple[timedelta, ...] | list[timedelta], *, now: datetime
) -> list[tuple[int, int, int]]:
    """(meeting, revision, offset in seconds) of the reminders due now and not handled yet.

    A meeting's due reminder is the one of the shortest offset already passed: with offsets
    24 h and 1 h, a meeting starting in 1 to 24 hours is due its 24-hour reminder, one starting
    within the hour its 1-hour one. So after downtime only the latest missed reminder goes out
    (no burst of stale ones), and a meeting that has started gets none. A reminder due before
    the meeting got its current time (scheduled two hours ahead: no "24 hours before") was
    never meant to exist. One indexed range of `starts_at` per offset.
    """
    bounds = sorted(set(offsets), reverse=True)
    keys: list[tuple[int, int, int]] = []
    for offset, closer in zip(bounds, [*bounds[1:], timedelta(0)], strict=True):
        seconds = int(offset.total_seconds())
        handled = (
            select(ReminderSent.id)
            .where(
                ReminderSent.meeting_id == Meeting.id,
                ReminderSent.revision == Meeting.revision,
                ReminderSent.chat_id == HANDLED,
                ReminderSent.offset_seconds == seconds,
            )
            .exists()
        )
        rows = await session.exec(
            select(Meeting.id, Meeting.revision, Meeting.starts_at, Meeting.scheduled_at).where(
                Meeting.status == MeetingStatus.SCHEDULED,
                col(Meeting.starts_at) > now + closer,
                col(Meeting.starts_at) <= now + offset,
                ~handled,
            )
        )
        keys += [
            (meeting_id, revision, seconds)  # type: ignore[misc]
            for meeting_id, revision, starts_at, scheduled_at in rows.all()
            if starts_at - offset > scheduled_at
        ]
    return keys


async def followups_due(session: AsyncSession, *, now: datetime) -> list[int]:
    """Meetings that have ended and whose lead was not asked for a summary yet."""
    rows = await session.exec(
        select(Meeting.id).where(
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.followup_asked_at).is_(None),
            col(Meeting.ends_at) <= now,
        )
    )
    return [meeting_id for meeting_id in rows.all() if meeting_id is not None]


async def claim_reminders(
    session: AsyncSession,
    meeting: Meeting,
    offset_seconds: int,
    recipients: list[tuple[int, int | None]],
    *,
    now: datetime,
) -> set[int]:
    """Claim one reminder for these (chat, member) pairs; returns the chats that are ours."""
    wanted = [(meeting, offset_seconds, chat, member) for chat, member in recipients]
    return {chat for _m, _r, chat, _o in await _claim_rows(session, wanted, now)}


@dataclass
class DueReminder:
    """A reminder claimed for sending: the meeting, its group, and who is ours to remind."""

    meeting: Meeting
    group: Group
    offset_seconds: int
    people: list[Member]
    to_chat: bool  # the group's linked chat too


async def claim_due_reminders(
    session: AsyncSession, offsets: tuple[timedelta, ...] | list[timedelta], *, now: datetime
) -> list[DueReminder]:
    """Find the reminders due now and claim them, in one transaction the caller commits.

    Each one is claimed per recipient and as a whole (a HANDLED row), so a second process,
    or the next sweep, finds nothing left to send.
    """
    keys = await due_reminder_keys(session, offsets, now=now)
    if not keys:
        return []
    ids = {meeting_id for meeting_id, _rev, _off in keys}
    meetings = {
        m.id: m for m in (await session.exec(select(Meeting).where(col(Meeting.id).in_(ids)))).all()
    }
    live = [
        (meetings[mid], off)
        for mid, rev, off in dict.fromkeys(keys)
        if mid in meetings and meetings[mid].revision == rev
    ]
    group_ids = {m.group_id for m, _off in live}
    groups = {
        g.id: g
        for g in (await session.exec(select(Group).where(col(Group.id).in_(group_ids)))).all()
    }
    rows = await session.exec(
        select(Rsvp.meeting_id, Member)
        .join(Member, col(Member.id) == col(Rsvp.member_id))
        .where(
            col(Rsvp.meeting_id).in_({m.id for m, _off in live}),
            col(Rsvp.answer).in_(COMING),
            col(Member.reachable).is_(True),
            col(Member.consent_at).is_not(None),
        )
    )
    people: dict[int, list[Member]] = {}
    for meeting_id, person in rows.all():
        people.setdefault(meeting_id, []).append(person)
    wanted: list[tuple[Meeting, int, int, int | None]] = []
    for meeting, offset in live:
        group = groups[meeting.group_id]
        wanted.append((meeting, offset, HANDLED, None))
        for person in people.get(meeting.id, []):  # type: ignore[arg-type]
            wanted.append((meeting, offset, person.telegram_id, person.id))
        if group.chat_id is not None:
            wanted.append((meeting, offset, group.chat_id, None))
    claimed = await _claim_rows(session, wanted, now)
    result = []
    for meeting, offset in live:
        group = groups[meeting.group_id]
        mine = [
            p
            for p in people.get(meeting.id, [])  # type: ignore[arg-type]
            if (meeting.id, meeting.revision, p.telegram_id, offset) in claimed
        ]
        chat = group.chat_id is not None and (
            (meeting.id, meeting.revision, group.chat_id, offset) in claimed
        )
        if mine or chat:
            result.append(DueReminder(meeting, group, offset, mine, chat))
    return result


async def _claim_rows(
    session: AsyncSession,
    wanted: list[tuple[Meeting, int, int, int | None]],
    now: datetime,
) -> set[tuple[int, int, int, int]]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: the rows that came back are ours.

    A second process (or a second run after a restart) gets nothing back for rows already
    claimed, so nobody is reminded twice.
    """
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = sqlite.insert
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql  # not loaded at all on SQLite

        insert = postgresql.insert  # type: ignore[assignment]  # same API
    claimed: set[tuple[int, int, int, int]] = set()
    connection = await session.connection()
    for start in range(0, len(wanted), 500):  # well under SQLite's bound-parameter limit
        chunk = wanted[start : start + 500]
        statement = (
            insert(ReminderSent)
            .values(
                [
                    {
                        "meeting_id": meeting.id,
                        "revision": meeting.revision,
                        "chat_id": chat_id,
                        "member_id": member_id,
                        "offset_seconds": offset,
                        "claimed_at": now,
                    }
                    for meeting, offset, chat_id, member_id in chunk
                ]
            )
            .on_conflict_do_nothing(
                index_elements=["meeting_id", "revision", "chat_id", "offset_seconds"]
            )
            .returning(
                col(ReminderSent.meeting_id),
                col(ReminderSent.revision),
                col(ReminderSent.chat_id),
                col(ReminderSent.offset_seconds),
            )
        )
        result = await connection.execute(statement)
        claimed.update(tuple(row) for row in result.all())  # type: ignore[misc]
    return claimed


async def claimed_chats(session: AsyncSession, meeting: Meeting, offset_seconds: int) -> set[int]:
    rows = await session.exec(
        select(ReminderSent.chat_id).where(
            ReminderSent.meeting_id == meeting.id,
            ReminderSent.revision == meeting.revision,
            ReminderSent.offset_seconds == offset_seconds,
            ReminderSent.chat_id != HANDLED,
        )
    )
    return set(rows.all())


# --- attendance ----------------------------------------------------------------------------


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
    meeting = await _managed_scheduled(session, actor, meeting_id)
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


# --- follow-up -----------------------------------------------------------------------------


async def claim_followup(session: AsyncSession, meeting_id: int, *, now: datetime) -> bool:
    """True once per meeting (and revision): the lead is asked for a summary only once."""
    result = await (await session.connection()).execute(
        update(Meeting)
        .where(
            col(Meeting.id) == meeting_id,
            col(Meeting.followup_asked_at).is_(None),
            col(Meeting.status) == MeetingStatus.SCHEDULED,
        )
        .values(followup_asked_at=now)
    )
    return bool(result.rowcount)


async def set_summary(session: AsyncSession, actor: Member, meeting_id: int, text: str) -> Meeting:
    meeting = await _managed_scheduled(session, actor, meeting_id)
    meeting.summary = clean_text(text, SUMMARY_MAX, field="summary")
    session.add(meeting)
    await session.flush()
    await record(session, actor, "meeting.summary", f"meeting:{meeting.id}")
    return meeting


async def add_action_item(
    session: AsyncSession,
    actor: Member,
    meeting_id: int,
    *,
    text: str,
    owner_id: int,
    due_on: date,
    today: date,
) -> ActionItem:
    meeting = await _managed_scheduled(session, actor, meeting_id)
    if owner_id not in {m.id for m in await group_members(session, meeting.group_id)}:
        raise InvalidInput(N_("The owner must be a member of the group."))
    if due_on < today:
        raise InvalidInput(N_("The due date has already passed. Please choose a later day."))
    item = ActionItem(
        meeting_id=meeting_id,
        text=clean_text(text, ITEM_MAX, field="item"),
        owner_id=owner_id,
        due_on=due_on,
    )
    return await save(session, item)


async def action_items(session: AsyncSession, meeting_id: int) -> list[ActionItem]:
    rows = await session.exec(
        select(ActionItem).where(ActionItem.meeting_id == meeting_id).order_by(col(ActionItem.id))
    )
    return list(rows.all())


async def my_open_items(session: AsyncSession, member: Member) -> list[ActionItem]:
    rows = await session.exec(
        select(ActionItem)
        .where(ActionItem.owner_id == member.id, col(ActionItem.done_at).is_(None))
        .order_by(col(ActionItem.due_on))
    )
    return list(rows.all())


async def mark_done(
    session: AsyncSession, member: Member, item_id: int, *, now: datetime
) -> ActionItem:
    item = await get_or_gone(session, ActionItem, item_id, N_("This task no longer exists."))
    if item.owner_id != member.id:
        meeting = await get(session, item.meeting_id)
        await _require_manage(session, member, meeting)
    if item.done_at is None:
        item.done_at = now
        session.add(item)
        await session.flush()
    return item


async def items_to_remind(session: AsyncSession, *, today: date) -> list[ActionItem]:
    """Open items due tomorrow (or overdue by the time we got to them) not yet reminded."""
    rows = await session.exec(
        select(ActionItem).where(
            col(ActionItem.done_at).is_(None),
            col(ActionItem.reminded_at).is_(None),
            col(ActionItem.owner_id).is_not(None),
            col(ActionItem.due_on) <= today + timedelta(days=1),
            col(ActionItem.due_on) >= today,
        )
    )
    return list(rows.all())


async def claim_item_reminder(session: AsyncSession, item_id: int, *, now: datetime) -> bool:
    result = await (await session.connection()).execute(
        update(ActionItem)
        .where(col(ActionItem.id) == item_id, col(ActionItem.reminded_at).is_(None))
        .values(reminded_at=now)
    )
    return bool(result.rowcount)


# --- date polls ----------------------------------------------------------------------------


async def create_poll(
    session: AsyncSession, actor: Member, draft: MeetingDraft, *, now: datetime
) -> DatePoll:
    group = await _checked_draft(session, actor, draft)
    times = sorted(set(draft.candidates))
    if not POLL_MIN <= len(times) <= POLL_MAX:
        raise InvalidInput(
            N_("A date poll needs between {low} and {high} different times."),
            low=POLL_MIN,
            high=POLL_MAX,
        )
    for moment in times:
        _future(moment, now)
    poll = DatePoll(
        **_from_draft(draft, group, actor, now), duration_minutes=draft.duration_minutes
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
    return await _may_take_part(session, member, poll.group_id, is_open=poll.is_open)


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
