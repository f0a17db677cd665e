"""A new meeting: what the /meeting conversation collects (a draft), its limits, the checks,
and the meeting it becomes. A date poll starts from the same draft (polls.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import groups as groups_service
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.members import clean_text
from bot.services.permissions import Action, can
from models import Group, Meeting, MeetingStatus, Member

__all__ = [
    "AGENDA_MAX",
    "CAPACITY_MAX",
    "DURATIONS",
    "PLACE_MAX",
    "TOPIC_MAX",
    "MeetingDraft",
    "create_meeting",
    "usual_place",
]

TOPIC_MAX = 200
PLACE_MAX = 200
AGENDA_MAX = 2000
CAPACITY_MAX = 1000
DURATIONS = (60, 90, 120, 180)  # minutes, the quick buttons
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


async def usual_place(session: AsyncSession, group_id: int) -> str | None:
    """Where the group usually meets: the place of its latest meeting."""
    row = await session.exec(
        select(Meeting.place)
        .where(Meeting.group_id == group_id, Meeting.status == MeetingStatus.SCHEDULED)
        .order_by(col(Meeting.starts_at).desc())
        .limit(1)
    )
    return row.first()


async def checked_draft(session: AsyncSession, actor: Member, draft: MeetingDraft) -> Group:
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


def check_future(starts_at: datetime, now: datetime) -> None:
    """A new start must still be ahead (a meeting, a move, a date poll's times)."""
    if starts_at <= now:
        raise InvalidInput(N_("That time has already passed. Please choose another one."))


def draft_fields(draft: MeetingDraft, group: Group, actor: Member, now: datetime) -> dict[str, Any]:
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
    group = await checked_draft(session, actor, draft)
    if draft.starts_at is None:
        raise InvalidInput(N_("Please choose the date and time first."))
    check_future(draft.starts_at, now)
    meeting = Meeting(
        **draft_fields(draft, group, actor, now),
        starts_at=draft.starts_at,
        ends_at=draft.starts_at + timedelta(minutes=draft.duration_minutes),
        scheduled_at=now,
    )
    session.add(meeting)
    await session.flush()
    await record(session, actor, "meeting.create", f"meeting:{meeting.id}", group=group.id)
    return meeting
