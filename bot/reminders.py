"""Meeting reminders, follow-up prompts and task reminders: sweeps of the database.

Nothing is scheduled per meeting. Every TICK one sweep asks the database which reminders
are due (a range of the indexed `meetings.starts_at` per REMINDER_OFFSETS entry), claims
them (ReminderSent rows, unique per meeting, revision, chat and offset) in one committed
transaction, and only then sends: a restart, a second process or an overlapping sweep can
never remind anyone twice. So reminders survive restarts by construction: the first sweep
after downtime finds what fell due meanwhile; only the latest missed reminder of a meeting
goes out, once, late, and none once the meeting has started. Moving a meeting bumps its
revision, so its reminders start afresh at the new time; a cancelled meeting is simply no
longer found. Follow-up prompts (after the end) and task reminders have slower sweeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any, cast

from babel import dates as babel_dates
from telegram.ext import Application

from bot import notify
from bot.context import BotApplication, BotContext
from bot.i18n import current_language, format_date, format_time, local
from bot.i18n import gettext as _
from bot.runtime import runtime
from bot.services import meetings as meetings_service
from models import ActionItem, Meeting, Member, utcnow

log = logging.getLogger(__name__)

CLOCK_KEY = "clock"  # bot_data entry: a callable returning aware UTC (tests inject one)
# How often each sweep runs. A reminder goes out at most TICK after it is due (plus the
# sending); an idle sweep is one indexed query per offset.
TICK = timedelta(seconds=0.5)
FOLLOWUP_EVERY = timedelta(seconds=30)
ITEMS_EVERY = timedelta(hours=1)
JOBS = ("mt-reminders", "mt-followups", "mt-items")
ITEM_REMINDER_HOUR = time(9, 0)  # owners are reminded from 9:00 local on the day before
# A reminder says "in 20 minutes" / "in 2 hours" while the start is this close, else the clock.
RELATIVE_UNDER = timedelta(hours=3)
# Late is better than never; a sweep still running when the next is due: that one is skipped.
JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def clock(application: Application[Any, Any, Any, Any, Any, Any]) -> datetime:
    """Now, as aware UTC (any application: also `context.application` of a handler)."""
    now: Callable[[], datetime] = application.bot_data.get(CLOCK_KEY, utcnow)
    return now()


async def start_jobs(application: BotApplication) -> int:
    """Start the three sweeps (at start-up; calling it again replaces them); returns 3."""
    queue = application.job_queue
    if queue is None:
        return 0
    for job in queue.jobs():
        if job.name in JOBS:
            job.schedule_removal()
    sweeps = (_reminders_job, _followups_job, _items_job)
    for name, callback, every in zip(
        JOBS, sweeps, (TICK, FOLLOWUP_EVERY, ITEMS_EVERY), strict=True
    ):
        # first=0: whatever fell due while the bot was down goes out right away.
        queue.run_repeating(callback, interval=every, first=0, name=name, job_kwargs=JOB_KWARGS)
    return len(JOBS)


# --- what a reminder says --------------------------------------------------------------------


def starts_in(starts_at: datetime, now: datetime) -> str:
    """When the meeting starts, counted from when the reminder is actually sent.

    "in 20 minutes", "in 2 hours" (Babel: the language's plural forms, rounded to the
    nearest unit) while under RELATIVE_UNDER; further off "today at 17:00", "tomorrow at
    17:00" or "on 3 December at 17:00" in BOT_TIMEZONE, rather than "in 1 day".
    """
    left = max(starts_at - now, timedelta(minutes=1))
    if left < RELATIVE_UNDER:
        minutes = timedelta(minutes=round(left.total_seconds() / 60))
        return babel_dates.format_timedelta(
            minutes, locale=current_language(), threshold=1.0, add_direction=True
        )
    at = format_time(starts_at, "HH:mm")
    days = (local(starts_at).date() - local(now).date()).days
    if days == 0:
        return _("today at {time}").format(time=at)
    if days == 1:
        return _("tomorrow at {time}").format(time=at)
    return _("on {date} at {time}").format(date=format_date(starts_at, "d MMMM"), time=at)


# --- the work --------------------------------------------------------------------------------


async def due(
    application: BotApplication, *, now: datetime | None = None
) -> list[tuple[int, int, int]]:
    """(meeting, revision, offset in seconds) of the reminders due at `now`, without claiming."""
    rt = runtime(application)
    async with rt.db.session() as session:
        return await meetings_service.due_reminder_keys(
            session, rt.settings.reminder_offsets, now=now or clock(application)
        )


async def claim_due(
    application: BotApplication, *, now: datetime | None = None
) -> list[meetings_service.DueReminder]:
    """Claim every reminder due now, committed before anything is sent.

    From the commit on, a crash loses a reminder rather than doubling it.
    """
    rt = runtime(application)
    now = now or clock(application)
    async with rt.db.session() as session:
        return await meetings_service.claim_due_reminders(
            session, rt.settings.reminder_offsets, now=now
        )


async def send_due_reminders(application: BotApplication, *, now: datetime | None = None) -> int:
    """One sweep: remind yes/maybe attendees (and the group's chat) of what is due; returns
    how many messages went out."""
    return await deliver(application, await claim_due(application, now=now), now=now)


async def deliver(
    application: BotApplication,
    due: list[meetings_service.DueReminder],
    *,
    now: datetime | None = None,
) -> int:
    """Send claimed reminders; each says the time left when it is rendered (`now` if given)."""
    from handlers.meetings import cards

    rt = runtime(application)
    sent = 0
    for item in due:
        meeting, group = item.meeting, item.group
        # The last reminder may fall inside the check-in window: offer "I'm here" there.
        check_in = timedelta(seconds=item.offset_seconds) <= meetings_service.CHECK_IN_BEFORE

        def render(
            meeting: Meeting = meeting, group: Any = group, check_in: bool = check_in
        ) -> tuple[str, Any]:
            # A reminder sent late says the real time left, not its offset.
            when = starts_in(meeting.starts_at, now or clock(application))
            keyboard = cards.meeting_keyboard(
                meeting, manage=False, check_in=check_in, private=False
            )
            return cards.reminder_text(meeting, group, when), keyboard

        for person in item.people:
            if await notify.notify_member(application.bot, rt.db, person, render) is not None:
                sent += 1
        if item.to_chat:
            language = rt.settings.bot_default_language
            if await notify.post_to_group_chat(application.bot, group, render, language, db=rt.db):
                sent += 1
    return sent


async def ask_followups(application: BotApplication, *, now: datetime | None = None) -> int:
    """Ask for the summaries of the meetings that have ended; returns how many were asked."""
    now = now or clock(application)
    async with runtime(application).db.session() as session:
        ended = await meetings_service.followups_due(session, now=now)
    return sum([await ask_followup(application, meeting_id, now=now) for meeting_id in ended])


async def ask_followup(
    application: BotApplication, meeting_id: int, *, now: datetime | None = None
) -> bool:
    """After the end, ask the lead (or whoever scheduled it) for a summary, once."""
    from handlers.meetings import cards

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


async def remind_action_items(application: BotApplication, *, now: datetime | None = None) -> int:
    """Owners of open items due tomorrow are told once, from 9:00 local time."""
    from handlers.meetings import cards

    rt = runtime(application)
    now = now or clock(application)
    local_now = now.astimezone(rt.settings.timezone)
    if local_now.time() < ITEM_REMINDER_HOUR:
        return 0
    sent = 0
    async with rt.db.session() as session:
        items = await meetings_service.items_to_remind(session, today=local_now.date())
    for item in items:
        async with rt.db.session() as session:
            if not await meetings_service.claim_item_reminder(session, item.id, now=now):  # type: ignore[arg-type]
                continue
            owner = await session.get(Member, item.owner_id) if item.owner_id else None
            meeting = await session.get(Meeting, item.meeting_id)
        if owner is None or meeting is None:
            continue

        def render(item: ActionItem = item, meeting: Meeting = meeting) -> tuple[str, Any]:
            return cards.item_reminder_text(item, meeting), cards.item_keyboard(item)

        if await notify.notify_member(application.bot, rt.db, owner, render) is not None:
            sent += 1
    return sent


# --- job callbacks ---------------------------------------------------------------------------


async def _reminders_job(context: BotContext) -> None:
    """Claim in the job (milliseconds), send in a task: a burst being sent does not hold up
    the next sweeps, and Application.stop() waits for the sending to finish."""
    application = cast(BotApplication, context.application)
    due = await claim_due(application)
    if due:
        application.create_task(deliver(application, due), name="meeting-reminders")


async def _followups_job(context: BotContext) -> None:
    await ask_followups(cast(BotApplication, context.application))


async def _items_job(context: BotContext) -> None:
    await remind_action_items(cast(BotApplication, context.application))
