"""Changing a scheduled meeting: moving it, cancelling it, editing its topic, place, agenda or
capacity (the lead or a coordinator)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.audit import record
from bot.services.errors import InvalidInput
from bot.services.meetings.access import managed_scheduled, require_manage
from bot.services.meetings.answering import counts, promote_waiting
from bot.services.meetings.lookups import locked
from bot.services.meetings.scheduling import (
    AGENDA_MAX,
    CAPACITY_MAX,
    PLACE_MAX,
    TOPIC_MAX,
    check_future,
)
from bot.services.members import clean_text
from models import Answer, Meeting, MeetingStatus, Member

__all__ = [
    "EDITABLE",
    "EditResult",
    "cancel_meeting",
    "check_capacity",
    "edit_meeting",
    "edited_value",
    "move_meeting",
]


async def move_meeting(
    session: AsyncSession, actor: Member, meeting_id: int, starts_at: datetime, *, now: datetime
) -> tuple[Meeting, datetime]:
    """New start (same length); returns the meeting and the old start."""
    meeting = await managed_scheduled(session, actor, meeting_id)
    check_future(starts_at, now)
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
    meeting = await managed_scheduled(session, actor, meeting_id)
    if meeting.ends_at <= now:
        raise InvalidInput(N_("This meeting is already over."))
    meeting.status = MeetingStatus.CANCELLED
    meeting.cards_dirty_at = now
    session.add(meeting)
    await session.flush()
    await record(session, actor, "meeting.cancel", f"meeting:{meeting.id}")
    return meeting


# --- changing a detail: topic, place, agenda, capacity -------------------------------------

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
    meeting = await locked(session, meeting_id)
    await require_manage(session, actor, meeting)
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
    promoted = await promote_waiting(session, meeting, now) if field_name == "capacity" else []
    before = None if old is None else str(old)[:200]
    after = None if value is None else str(value)[:200]
    await record(
        session, actor, "meeting.edit", f"meeting:{meeting.id}", field=field_name, old=before,
        new=after,
    )  # fmt: skip
    return EditResult(meeting, old, promoted)
