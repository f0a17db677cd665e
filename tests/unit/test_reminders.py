"""Reminder jobs with an injected clock: once per person and offset, across restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from telegram.ext import Application

from bot import reminders
from bot.app import build_application
from bot.config import Settings
from bot.db import Database
from bot.services import meetings as service
from models import Answer, Member
from tests.harness import Harness, RecordingRequest
from tests.meeting_support import NOW, Team, meeting, team

HOUR, DAY = 3600, 86400


@asynccontextmanager
async def app_on(
    settings: Settings, db: Database
) -> AsyncIterator[tuple[Application, RecordingRequest]]:  # type: ignore[type-arg]
    """Another bot process on the same database (what a restart looks like)."""
    request = RecordingRequest()
    application = build_application(
        settings,
        database=db,
        request=request,
        get_updates_request=RecordingRequest(),
        rate_limit=False,
    )
    async with application:
        yield application, request


def reminders_sent(request: RecordingRequest) -> list[int]:
    return [c.chat_id for c in request.calls if c.method == "sendMessage" and "⏰" in c.text]  # type: ignore[misc]


async def run_due_jobs(application: Application) -> int:  # type: ignore[type-arg]
    """Run the jobs whose delay is zero, as the scheduler would right away."""
    assert application.job_queue is not None
    ran = 0
    for job in application.job_queue.jobs():
        run_date = getattr(job.job.trigger, "run_date", None)
        if job.name and job.name.startswith(reminders.PREFIX) and run_date is not None:
            if (run_date - datetime.now(run_date.tzinfo)).total_seconds() <= 1:
                await job.run(application)
                ran += 1
    return ran


async def answered(db: Database, t: Team, meeting_id: int, *answers: Answer) -> list[Member]:
    async with db.session() as session:
        for who, choice in zip(t.members, answers, strict=False):
            await service.answer(session, who, meeting_id, choice, now=NOW)
    return t.members


async def test_reminders_go_to_yes_and_maybe_once(harness: Harness, db: Database) -> None:
    t = await team(db, chat_id=-100500)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    a, b, _c = await answered(db, t, m.id, Answer.YES, Answer.MAYBE, Answer.NO)  # type: ignore[arg-type]
    names = reminders.schedule_meeting(harness.app, m, now=NOW)
    assert sorted(names) == sorted(
        [f"mt:{m.id}:r1:{DAY}", f"mt:{m.id}:r1:{HOUR}", f"mt:{m.id}:followup"]
    )
    due = m.starts_at - timedelta(hours=1)
    sent = await reminders.send_reminders(harness.app, m.id, 1, HOUR, now=due)  # type: ignore[arg-type]
    assert sent == 3  # two people and the group's chat
    assert sorted(reminders_sent(harness.request)) == sorted(
        [a.telegram_id, b.telegram_id, -100500]
    )
    assert "starts in 1 hour" in harness.last(a.telegram_id).text
    assert "zaczyna się za 1 godzinę" in harness.last(-100500).text  # the chat speaks Polish
    again = await reminders.send_reminders(harness.app, m.id, 1, HOUR, now=due)  # type: ignore[arg-type]
    assert again == 0 and len(reminders_sent(harness.request)) == 3


async def test_restart_in_between_sends_each_reminder_exactly_once(
    harness: Harness, db: Database, settings: Settings
) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    await answered(db, t, m.id, Answer.YES, Answer.YES)  # type: ignore[arg-type]
    due = m.starts_at - timedelta(hours=1)
    # The first process sends the 1-hour reminder, then "dies"; the second one starts
    # a few seconds later and rebuilds its jobs from the database.
    await reminders.send_reminders(harness.app, m.id, 1, HOUR, now=due)  # type: ignore[arg-type]
    async with app_on(settings, db) as (second, request):
        second.bot_data[reminders.CLOCK_KEY] = lambda: due + timedelta(seconds=5)
        count = await reminders.rebuild_jobs(second)
        assert count >= 2  # the missed 1-hour reminder, the follow-up, the task sweep
        assert await run_due_jobs(second) == 1  # the 1-hour reminder, due 5 s ago
        assert reminders_sent(request) == []
    assert len(reminders_sent(harness.request)) == 2


async def test_missed_reminder_goes_out_once_late_or_is_dropped(
    harness: Harness, db: Database, settings: Settings
) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    await answered(db, t, m.id, Answer.YES)  # type: ignore[arg-type]
    # Down from before the 24-hour reminder until 30 minutes before the start:
    # only the latest missed reminder (1 hour) goes out, once, late.
    late = m.starts_at - timedelta(minutes=30)
    async with app_on(settings, db) as (second, request):
        await reminders.rebuild_jobs(second, now=late)
        names = {j.name for j in second.job_queue.jobs()}  # type: ignore[union-attr]
        assert f"mt:{m.id}:r1:{HOUR}" in names and f"mt:{m.id}:r1:{DAY}" not in names
        for job in second.job_queue.jobs():  # type: ignore[union-attr]
            if job.name == f"mt:{m.id}:r1:{HOUR}":
                await reminders.send_reminders(second, m.id, 1, HOUR, now=late)  # type: ignore[arg-type]
                await reminders.send_reminders(second, m.id, 1, HOUR, now=late)  # type: ignore[arg-type]
        assert reminders_sent(request) == [t.members[0].telegram_id]
    # Down until after the start: nothing is sent any more.
    async with app_on(settings, db) as (third, request):
        await reminders.rebuild_jobs(third, now=m.starts_at + timedelta(minutes=1))
        names = {j.name for j in third.job_queue.jobs()}  # type: ignore[union-attr]
        assert not any(n.startswith(f"mt:{m.id}:r") for n in names)
        sent = await reminders.send_reminders(third, m.id, 1, DAY, now=m.starts_at)  # type: ignore[arg-type]
        assert sent == 0 and reminders_sent(request) == []


async def test_a_meeting_scheduled_late_gets_no_stale_24h_reminder(
    harness: Harness, db: Database
) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(hours=3))
    names = reminders.schedule_meeting(harness.app, m, now=NOW)
    assert f"mt:{m.id}:r1:{HOUR}" in names and f"mt:{m.id}:r1:{DAY}" not in names
    await reminders.rebuild_jobs(harness.app, now=NOW + timedelta(minutes=10))
    names_after = {j.name for j in harness.app.job_queue.jobs() if not j.removed}  # type: ignore[union-attr]
    assert f"mt:{m.id}:r1:{DAY}" not in names_after


async def test_moving_moves_the_reminders(harness: Harness, db: Database) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    await answered(db, t, m.id, Answer.YES)  # type: ignore[arg-type]
    reminders.schedule_meeting(harness.app, m, now=NOW)
    old_due = m.starts_at - timedelta(hours=1)
    await reminders.send_reminders(harness.app, m.id, 1, HOUR, now=old_due - timedelta(hours=1))  # type: ignore[arg-type]
    async with db.session() as session:
        moved, _old = await service.move_meeting(
            session,
            t.lead,
            m.id,
            m.starts_at + timedelta(days=1),
            now=NOW,  # type: ignore[arg-type]
        )
    names = reminders.schedule_meeting(harness.app, moved, now=NOW)
    assert f"mt:{m.id}:r2:{HOUR}" in names
    live = {j.name for j in harness.app.job_queue.jobs() if not j.removed}  # type: ignore[union-attr]
    assert f"mt:{m.id}:r1:{HOUR}" not in live
    # A job of the old time that fires anyway sends nothing; the new time reminds again.
    assert await reminders.send_reminders(harness.app, m.id, 1, HOUR, now=old_due) == 0  # type: ignore[arg-type]
    new_due = moved.starts_at - timedelta(hours=1)
    assert await reminders.send_reminders(harness.app, m.id, 2, HOUR, now=new_due) == 1  # type: ignore[arg-type]


async def test_cancelling_stops_everything(harness: Harness, db: Database) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    await answered(db, t, m.id, Answer.YES)  # type: ignore[arg-type]
    reminders.schedule_meeting(harness.app, m, now=NOW)
    async with db.session() as session:
        await service.cancel_meeting(session, t.lead, m.id, now=NOW)  # type: ignore[arg-type]
    reminders.unschedule(harness.app, m.id)  # type: ignore[arg-type]
    live = [j for j in harness.app.job_queue.jobs() if not j.removed and j.name.startswith("mt:")]  # type: ignore[union-attr]
    assert live == []
    due = m.starts_at - timedelta(hours=1)
    assert await reminders.send_reminders(harness.app, m.id, 1, HOUR, now=due) == 0  # type: ignore[arg-type]
    assert (
        await reminders.ask_followup(harness.app, m.id, now=m.ends_at + timedelta(hours=1)) is False
    )  # type: ignore[arg-type]


async def test_followup_and_task_reminders(harness: Harness, db: Database) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(hours=2))
    end = m.ends_at + timedelta(minutes=1)
    assert await reminders.ask_followup(harness.app, m.id, now=end)  # type: ignore[arg-type]
    assert not await reminders.ask_followup(harness.app, m.id, now=end)  # type: ignore[arg-type]
    prompt = harness.last(t.lead.telegram_id)
    assert "has ended" in prompt.text and prompt.button("summary")
    async with db.session() as session:
        today = end.astimezone(harness.app.bot_data["runtime"].settings.timezone).date()
        await service.add_action_item(
            session, t.lead, m.id, text="Call ZGM", owner_id=t.members[0].id,  # type: ignore[arg-type]
            due_on=today + timedelta(days=2), today=today,
        )  # fmt: skip
    day_before_morning = datetime.combine(today + timedelta(days=1), datetime.min.time()).replace(
        tzinfo=end.tzinfo
    ) + timedelta(hours=8)  # 9:00 in Warsaw in winter
    assert (
        await reminders.remind_action_items(
            harness.app, now=day_before_morning - timedelta(hours=2)
        )
        == 0
    )
    assert await reminders.remind_action_items(harness.app, now=day_before_morning) == 1
    assert await reminders.remind_action_items(harness.app, now=day_before_morning) == 0
    assert "Call ZGM" in harness.last(t.members[0].telegram_id).text
