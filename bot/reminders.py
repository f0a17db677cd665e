"""Meeting reminders, follow-up prompts and task reminders on python-telegram-bot's JobQueue.

The database is the truth; jobs are only wake-up calls. Each job re-reads the meeting,
claims its recipients (ReminderSent rows, unique per meeting, revision, chat and offset)
in one committed statement, and only then sends: a restart, a second process or a job
run twice can never remind anyone twice. `rebuild_jobs()` recreates the jobs at start;
a reminder whose time passed during downtime goes out once, late, if the meeting has not
started yet (only the latest one missed: no burst of stale reminders), else it is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from telegram.ext import Application, CallbackContext

from bot import notify
from bot.runtime import runtime
from bot.services import meetings as meetings_service
from models import ActionItem, Meeting, Member, utcnow

log = logging.getLogger(__name__)

CLOCK_KEY = "clock"  # bot_data entry: a callable returning aware UTC (tests inject one)
PREFIX = "mt:"
ITEMS_JOB = "mt-items"
LOCK_KEY = "meeting_claim_lock"
PENDING_KEY = "meeting_reminders_pending"
ITEM_REMINDER_HOUR = time(9, 0)  # owners are reminded from 9:00 local on the day before
JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True}  # late is better than never


def clock(application: Application) -> datetime:  # type: ignore[type-arg]
    now: Callable[[], datetime] = application.bot_data.get(CLOCK_KEY, utcnow)
    return now()


def _job_name(meeting_id: int, kind: str) -> str:
    return f"{PREFIX}{meeting_id}:{kind}"


def unschedule(application: Application, meeting_id: int) -> None:  # type: ignore[type-arg]
    queue = application.job_queue
    if queue is None:
        return
    prefix = f"{PREFIX}{meeting_id}:"
    for job in queue.jobs():
        if job.name and job.name.startswith(prefix):
            job.schedule_removal()


def _offsets(application: Application) -> list[timedelta]:  # type: ignore[type-arg]
    return sorted(runtime(application).settings.reminder_offsets, reverse=True)


def plan(
    meeting: Meeting, offsets: list[timedelta], now: datetime
) -> tuple[list[tuple[timedelta, datetime]], timedelta | None]:
    """(offset, due) of reminders still ahead, and the one missed reminder to send late.

    Reminders due before the meeting got its current time were never meant to exist
    (scheduling a meeting for in two hours does not send a "24 hours before").
    """
    if meeting.is_cancelled or meeting.starts_at <= now:
        return [], None
    ahead, missed = [], None
    for offset in offsets:
        due = meeting.starts_at - offset
        if due > now:
            ahead.append((offset, due))
        elif due > meeting.scheduled_at:
            missed = offset  # offsets are sorted longest first: keep the latest one
    return ahead, missed


def schedule_meeting(
    application: Application,  # type: ignore[type-arg]
    meeting: Meeting,
    *,
    now: datetime | None = None,
    replace: bool = True,
    shift: timedelta | None = None,
) -> list[str]:
    """(Re)create the meeting's jobs; returns their names. Call after create, move, cancel.

    `replace=False` skips looking for old jobs (rebuild_jobs has just removed them all).
    """
    queue = application.job_queue
    assert meeting.id is not None
    if replace:
        unschedule(application, meeting.id)
    if queue is None or meeting.is_cancelled:
        return []
    now = now or clock(application)
    # Absolute run times on the scheduler's (real) clock, so adding thousands of jobs does
    # not push the later ones back; an injected clock is mapped by its fixed difference.
    shift = utcnow() - now if shift is None else shift
    ahead, missed = plan(meeting, _offsets(application), now)
    if missed is not None:
        log.info("meeting %s: the %s reminder was missed; sending it late", meeting.id, missed)
    names = []
    for offset, due in ahead + ([(missed, now)] if missed is not None else []):
        seconds = int(offset.total_seconds())
        name = _job_name(meeting.id, f"r{meeting.revision}:{seconds}")
        queue.run_once(
            _reminder_job,
            when=max(due, now) + shift,
            data={"meeting": meeting.id, "revision": meeting.revision, "offset": seconds},
            name=name,
            job_kwargs=JOB_KWARGS,
        )
        names.append(name)
    if meeting.followup_asked_at is None:
        name = _job_name(meeting.id, "followup")
        queue.run_once(
            _followup_job,
            when=max(meeting.ends_at, now) + shift,
            data={"meeting": meeting.id},
            name=name,
            job_kwargs=JOB_KWARGS,
        )
        names.append(name)
    return names


async def rebuild_jobs(application: Application, *, now: datetime | None = None) -> int:  # type: ignore[type-arg]
    """Recreate every meeting job from the database (at start-up); returns the job count."""
    queue = application.job_queue
    if queue is None:
        return 0
    now = now or clock(application)
    for job in queue.jobs():
        if job.name and (job.name.startswith(PREFIX) or job.name == ITEMS_JOB):
            job.schedule_removal()
    async with runtime(application).db.session() as session:
        meetings = await meetings_service.scheduled_after(session, now)
    shift = utcnow() - now
    count = 0
    for index, meeting in enumerate(meetings, start=1):
        count += len(schedule_meeting(application, meeting, now=now, replace=False, shift=shift))
        if index % 50 == 0:
            await asyncio.sleep(0)  # thousands of meetings: let due jobs and updates run
    queue.run_repeating(
        _items_job, interval=timedelta(hours=1), first=1.0, name=ITEMS_JOB, job_kwargs=JOB_KWARGS
    )
    return count + 1


def _claim_lock(application: Application) -> asyncio.Lock:  # type: ignore[type-arg]
    lock = application.bot_data.get(LOCK_KEY)
    if lock is None:
        lock = application.bot_data[LOCK_KEY] = asyncio.Lock()
    return lock  # type: ignore[no-any-return]


# --- the work --------------------------------------------------------------------------------


async def send_reminders(
    application: Application,  # type: ignore[type-arg]
    meeting_id: int,
    revision: int,
    offset_seconds: int,
    *,
    now: datetime | None = None,
) -> int:
    """Remind yes/maybe attendees (and the linked chat) once; returns how many were sent."""
    now = now or clock(application)
    async with _claim_lock(application):
        due = await _claim(application, [(meeting_id, revision, offset_seconds)], now)
    return await _deliver(application, due)


async def _claim(
    application: Application,  # type: ignore[type-arg]
    keys: list[tuple[int, int, int]],
    now: datetime,
) -> list[meetings_service.DueReminder]:
    async with runtime(application).db.session() as session:
        return await meetings_service.claim_due_reminders(session, keys, now=now)
    # Committed on leaving: from here on a crash loses a reminder rather than doubling it.


async def _deliver(
    application: Application,  # type: ignore[type-arg]
    due: list[meetings_service.DueReminder],
) -> int:
    from handlers import meeting_cards as cards

    rt = runtime(application)
    sent = 0
    for item in due:
        meeting, group = item.meeting, item.group
        offset = timedelta(seconds=item.offset_seconds)
        # The last reminder may fall inside the check-in window: offer "I'm here" there.
        check_in = offset <= meetings_service.CHECK_IN_BEFORE

        def render(
            meeting: Meeting = meeting,
            group: Any = group,
            offset: timedelta = offset,
            check_in: bool = check_in,
        ) -> tuple[str, Any]:
            keyboard = cards.meeting_keyboard(
                meeting, manage=False, check_in=check_in, private=False
            )
            return cards.reminder_text(meeting, group, offset), keyboard

        for person in item.people:
            if await notify.notify_member(application.bot, rt.db, person, render) is not None:
                sent += 1
        if item.to_chat:
            language = rt.settings.bot_default_language
            if await notify.post_to_group_chat(application.bot, group, render, language):
                sent += 1
    return sent


async def ask_followup(
    application: Application,  # type: ignore[type-arg]
    meeting_id: int,
    *,
    now: datetime | None = None,
) -> bool:
    """After the end, ask the lead (or whoever scheduled it) for a summary, once."""
    from handlers import meeting_cards as cards

    rt = runtime(application)
    now = now or clock(application)
    async with rt.db.session() as session:
        meeting = await session.get(Meeting, meeting_id)
        if meeting is None or meeting.is_cancelled or meeting.ends_at > now:
            return False
        if not await meetings_service.claim_followup(session, meeting_id, now=now):
            return False
        group = await meetings_service.group_of(session, meeting)
        lead_id = group.lead_id or meeting.created_by_id
        lead = await session.get(Member, lead_id) if lead_id else None
    if lead is None:
        return False

    def render() -> tuple[str, Any]:
        return cards.followup_text(meeting), cards.followup_keyboard(meeting)

    return await notify.notify_member(application.bot, rt.db, lead, render) is not None


async def remind_action_items(
    application: Application,  # type: ignore[type-arg]
    *,
    now: datetime | None = None,
) -> int:
    """Owners of open items due tomorrow are told once, from 9:00 local time."""
    from handlers import meeting_cards as cards

    rt = runtime(application)
    now = now or clock(application)
    tz = rt.settings.timezone
    local = now.astimezone(tz)
    if local.time() < ITEM_REMINDER_HOUR:
        return 0
    sent = 0
    async with rt.db.session() as session:
        items = await meetings_service.items_to_remind(session, today=local.date())
    for item in items:
        async with rt.db.session() as session:
            if not await meetings_service.claim_item_reminder(session, item.id, now=now):  # type: ignore[arg-type]
                continue
            owner = await session.get(Member, item.owner_id) if item.owner_id else None
            meeting = await session.get(Meeting, item.meeting_id)
        if owner is None or meeting is None:
            continue
        sent += await _send_item(application, item, meeting, owner, cards)
    return sent


async def _send_item(
    application: Application,  # type: ignore[type-arg]
    item: ActionItem,
    meeting: Meeting,
    owner: Member,
    cards: Any,
) -> int:
    def render() -> tuple[str, Any]:
        return cards.item_reminder_text(item, meeting), cards.item_keyboard(item)

    delivered = await notify.notify_member(application.bot, runtime(application).db, owner, render)
    return int(delivered is not None)


# --- job callbacks ---------------------------------------------------------------------------


async def _reminder_job(context: CallbackContext) -> None:  # type: ignore[type-arg]
    """Group commit: jobs due together queue their keys; whoever gets the lock claims them all.

    One transaction for a whole burst instead of one per meeting keeps lateness flat
    when thousands of reminders fall in the same minute (benchmarks/reminders.py).
    """
    data = context.job.data if context.job else None
    if not isinstance(data, dict):
        return
    application = context.application
    pending: list[tuple[int, int, int]] = application.bot_data.setdefault(PENDING_KEY, [])
    pending.append((data["meeting"], data["revision"], data["offset"]))
    async with _claim_lock(application):
        if not pending:
            return  # an earlier job took ours along with its own
        batch = list(pending)
        pending.clear()
        due = await _claim(application, batch, clock(application))
    await _deliver(application, due)


async def _followup_job(context: CallbackContext) -> None:  # type: ignore[type-arg]
    data = context.job.data if context.job else None
    if isinstance(data, dict):
        await ask_followup(context.application, data["meeting"])


async def _items_job(context: CallbackContext) -> None:  # type: ignore[type-arg]
    await remind_action_items(context.application)
