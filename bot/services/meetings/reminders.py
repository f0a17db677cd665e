"""Reminders before a meeting: due by the clock, claimed before sending, so that nobody is
reminded twice (not by a second process, nor after a restart)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.dialects import sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.meetings.answering import COMING
from models import Group, Meeting, MeetingStatus, Member, ReminderSent, Rsvp

__all__ = [
    "HANDLED",
    "DueReminder",
    "claim_due_reminders",
    "claim_reminders",
    "claimed_chats",
    "due_reminder_keys",
    "scheduled_after",
]

# The chat id of the row that marks one reminder (meeting, revision, offset) as handled, even
# when nobody was there to remind; no Telegram chat has id 0.
HANDLED = 0


async def scheduled_after(session: AsyncSession, moment: datetime) -> list[Meeting]:
    """Scheduled meetings not ended by `moment`: what the job queue must know about."""
    rows = await session.exec(
        select(Meeting).where(
            Meeting.status == MeetingStatus.SCHEDULED,
            or_(col(Meeting.ends_at) > moment, col(Meeting.followup_asked_at).is_(None)),
        )
    )
    return list(rows.all())


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
