"""The invitation cards sent (to the group's chat and to people), kept current: an answer or a
change marks a meeting's cards dirty, and the refresh job claims and redraws them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.meetings.lookups import get
from models import Group, Meeting, Member
from models.meetings import MeetingCard

__all__ = [
    "cards_of",
    "claim_dirty",
    "dirty_meetings",
    "is_card",
    "mark_cards_dirty",
    "remember_cards",
    "remember_chat_card",
]


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
