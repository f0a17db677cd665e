"""After a meeting: the lead is asked once for a summary, and action items get an owner, a due
date and a reminder the day before."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.audit import record
from bot.services.errors import InvalidInput
from bot.services.meetings.access import managed_scheduled, require_manage
from bot.services.meetings.lookups import get, group_members
from bot.services.members import clean_text
from bot.services.rows import get_or_gone, save
from models import ActionItem, Meeting, MeetingStatus, Member

__all__ = [
    "ITEM_MAX",
    "SUMMARY_MAX",
    "action_items",
    "add_action_item",
    "claim_followup",
    "claim_item_reminder",
    "followups_due",
    "items_to_remind",
    "mark_done",
    "my_open_items",
    "set_summary",
]

SUMMARY_MAX = 3000
ITEM_MAX = 300


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
    meeting = await managed_scheduled(session, actor, meeting_id)
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
    meeting = await managed_scheduled(session, actor, meeting_id)
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
        await require_manage(session, member, meeting)
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
