"""Reminder sweeps with an injected clock: once per person and offset, across restarts;
a reminder says the real time left."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest

from bot import reminders
from bot.config import Settings
from bot.context import BotApplication
from bot.db import Database
from bot.i18n import use_language
from bot.services import meetings as service
from models import Answer, Member
from tests.harness import Harness, RecordingRequest, build_app
from tests.meeting_support import NOW, WARSAW, Team, meeting, team

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@asynccontextmanager
async def app_on(
    settings: Settings, db: Database
) -> AsyncIterator[tuple[BotApplication, RecordingRequest]]:
    """Another bot process on the same database (what a restart looks like)."""
    request = RecordingRequest()
    async with build_app(settings, db, request) as application:
        yield application, request


def reminders_sent(request: RecordingRequest) -> list[int]:
    return [c.chat_id for c in request.calls if c.method == "sendMessage" and "⏰" in c.text]  # type: ignore[misc]


async def answered(db: Database, t: Team, meeting_id: int, *answers: Answer) -> list[Member]:
    async with db.session() as session:
        for who, choice in zip(t.members, answers, strict=False):
            await service.answer(session, who, meeting_id, choice, now=NOW)
    return t.members


async def sweep(application: BotApplication, at: datetime) -> int:
    return await reminders.send_due_reminders(application, now=at)


async def test_reminders_go_to_yes_and_maybe_once(harness: Harness, db: Database) -> None:
    t = await team(db, chat_id=-100500)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    a, b, _c = await answered(db, t, m.id, Answer.YES, Answer.MAYBE, Answer.NO)  # type: ignore[arg-type]
    assert await sweep(harness.app, NOW) == 0  # two days ahead: nothing due yet
    due = m.starts_at - HOUR
    assert await sweep(harness.app, due) == 3  # two people and the group's chat
    assert sorted(reminders_sent(harness.request)) == sorted(
        [a.telegram_id, b.telegram_id, -100500]
    )
    assert "starts in 1 hour" in harness.last(a.telegram_id).text
    assert "zaczyna się za 1 godzinę" in harness.last(-100500).text  # the chat speaks Polish
    assert await sweep(harness.app, due) == 0
    assert await sweep(harness.app, due + timedelta(minutes=1)) == 0
    assert len(reminders_sent(harness.request)) == 3


async def test_each_offset_is_reminded_once_at_its_time(harness: Harness, db: Database) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    (a,) = (await answered(db, t, m.id, Answer.YES))[:1]  # type: ignore[arg-type]
    moments = [m.starts_at - DAY - timedelta(seconds=1), m.starts_at - DAY, m.starts_at - DAY]
    moments += [m.starts_at - HOUR - timedelta(seconds=1), m.starts_at - HOUR, m.starts_at]
    sent = [await sweep(harness.app, moment) for moment in moments]
    assert sent == [0, 1, 0, 0, 1, 0]
    assert reminders_sent(harness.request) == [a.telegram_id, a.telegram_id]


async def test_restart_in_between_sends_each_reminder_exactly_once(
    harness: Harness, db: Database, settings: Settings
) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    await answered(db, t, m.id, Answer.YES, Answer.YES)  # type: ignore[arg-type]
    due = m.starts_at - HOUR
    # The first process sends the 1-hour reminder, then "dies"; the second one starts
    # a few seconds later and sweeps the same database.
    await sweep(harness.app, due)
    async with app_on(settings, db) as (second, request):
        second.bot_data[reminders.CLOCK_KEY] = lambda: due + timedelta(seconds=5)
        assert await reminders.start_jobs(second) == 3
        assert await reminders.send_due_reminders(second) == 0
        assert reminders_sent(request) == []
    assert len(reminders_sent(harness.request)) == 2


async def test_two_processes_sweeping_at_once_remind_each_person_once(
    harness: Harness, db: Database, settings: Settings
) -> None:
    """The overlap of a rolling deploy: both processes find the reminders due."""
    t = await team(db, size=5, chat_id=-100500)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    await answered(db, t, m.id, *[Answer.YES] * 5)  # type: ignore[arg-type]
    due = m.starts_at - HOUR
    async with app_on(settings, db) as (second, request):
        counts = await asyncio.gather(sweep(harness.app, due), sweep(second, due))
        sent = reminders_sent(harness.request) + reminders_sent(request)
    assert sum(counts) == 6 and sorted(sent) == sorted({*sent})  # 5 people and the chat


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
        assert await sweep(second, late) == 1
        assert await sweep(second, late) == 0
        assert reminders_sent(request) == [t.members[0].telegram_id]
        assert "starts in 30 minutes" in request.calls[-1].text  # type: ignore[operator]
    # Down until after the start: nothing is sent any more.
    m2 = await meeting(db, t, starts_in=timedelta(days=3))
    await answered(db, t, m2.id, Answer.YES)  # type: ignore[arg-type]
    async with app_on(settings, db) as (third, request):
        assert await sweep(third, m2.starts_at + timedelta(minutes=1)) == 0
        assert reminders_sent(request) == []


async def test_a_meeting_scheduled_late_gets_no_stale_24h_reminder(
    harness: Harness, db: Database
) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(hours=3))
    await answered(db, t, m.id, Answer.YES)  # type: ignore[arg-type]
    assert await sweep(harness.app, NOW) == 0
    assert await sweep(harness.app, NOW + timedelta(minutes=10)) == 0
    assert await sweep(harness.app, m.starts_at - HOUR) == 1  # the 1-hour one is still wanted


async def test_moving_moves_the_reminders(harness: Harness, db: Database) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    await answered(db, t, m.id, Answer.YES)  # type: ignore[arg-type]
    assert await sweep(harness.app, m.starts_at - DAY) == 1
    async with db.session() as session:
        moved, _old = await service.move_meeting(
            session, t.lead, m.id, m.starts_at + DAY, now=m.starts_at - DAY + HOUR,  # type: ignore[arg-type]
        )  # fmt: skip
    # Nothing at the old time; the new time reminds again, 24 hours and 1 hour before.
    assert await sweep(harness.app, m.starts_at - HOUR) == 0
    assert await sweep(harness.app, m.starts_at - timedelta(minutes=1)) == 0
    assert await sweep(harness.app, moved.starts_at - DAY) == 1
    assert await sweep(harness.app, moved.starts_at - HOUR) == 1
    assert "starts in 1 hour" in harness.last(t.members[0].telegram_id).text


async def test_moving_closer_skips_the_reminders_already_past(
    harness: Harness, db: Database
) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    await answered(db, t, m.id, Answer.YES)  # type: ignore[arg-type]
    async with db.session() as session:
        moved, _old = await service.move_meeting(
            session,
            t.lead,
            m.id,
            NOW + timedelta(hours=5),
            now=NOW,  # type: ignore[arg-type]
        )
    assert await sweep(harness.app, NOW + timedelta(minutes=1)) == 0  # no "24 hours before"
    assert await sweep(harness.app, moved.starts_at - HOUR) == 1


async def test_cancelling_stops_everything(harness: Harness, db: Database) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    await answered(db, t, m.id, Answer.YES)  # type: ignore[arg-type]
    async with db.session() as session:
        await service.cancel_meeting(session, t.lead, m.id, now=NOW)  # type: ignore[arg-type]
    assert await sweep(harness.app, m.starts_at - DAY) == 0
    assert await sweep(harness.app, m.starts_at - HOUR) == 0
    after = m.ends_at + HOUR
    assert await reminders.ask_followups(harness.app, now=after) == 0
    assert await reminders.ask_followup(harness.app, m.id, now=after) is False  # type: ignore[arg-type]
    assert reminders_sent(harness.request) == []


async def test_followup_and_task_reminders(harness: Harness, db: Database) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(hours=2))
    assert await reminders.ask_followups(harness.app, now=m.ends_at - timedelta(minutes=1)) == 0
    end = m.ends_at + timedelta(minutes=1)
    assert await reminders.ask_followups(harness.app, now=end) == 1
    assert await reminders.ask_followups(harness.app, now=end) == 0
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
    early = day_before_morning - timedelta(hours=2)
    assert await reminders.remind_action_items(harness.app, now=early) == 0
    assert await reminders.remind_action_items(harness.app, now=day_before_morning) == 1
    assert await reminders.remind_action_items(harness.app, now=day_before_morning) == 0
    assert "Call ZGM" in harness.last(t.members[0].telegram_id).text


async def test_start_jobs_runs_three_sweeps_once(harness: Harness) -> None:
    assert await reminders.start_jobs(harness.app) == 3
    assert await reminders.start_jobs(harness.app) == 3  # a second start replaces them
    live = [j.name for j in harness.app.job_queue.jobs() if not j.removed]  # type: ignore[union-attr]
    assert sorted(n for n in live if n in reminders.JOBS) == sorted(reminders.JOBS)


# --- what a reminder says ----------------------------------------------------------------------


async def languages(db: Database, t: Team, *codes: str) -> None:
    async with db.session() as session:
        for member, code in zip(t.members, codes, strict=False):
            stored = await session.get(Member, member.id)
            assert stored is not None
            stored.language = code
            session.add(stored)


async def test_a_late_reminder_says_the_real_time_left(harness: Harness, db: Database) -> None:
    """The 1-hour reminder sent 20 minutes before the start (after downtime) says 20 minutes."""
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    pl, en, uk = await answered(db, t, m.id, Answer.YES, Answer.YES, Answer.YES)  # type: ignore[arg-type]
    await languages(db, t, "pl", "en", "uk")
    assert await sweep(harness.app, m.starts_at - timedelta(minutes=20)) == 3
    assert "Przypomnienie: spotkanie zaczyna się za 20 minut." in harness.last(pl.telegram_id).text
    assert "Reminder: the meeting starts in 20 minutes." in harness.last(en.telegram_id).text
    assert "зустріч почнеться через 20 хвилин." in harness.last(uk.telegram_id).text
    assert "1 hour" not in harness.last(en.telegram_id).text  # the offset, not the time left


async def test_a_24h_reminder_says_tomorrow_at_the_hour(harness: Harness, db: Database) -> None:
    t = await team(db)
    # Tomorrow (Friday) at 17:00 in Warsaw; NOW is Thursday 13:00 there.
    tomorrow_17 = datetime(2026, 11, 27, 17, 0, tzinfo=WARSAW)
    m = await meeting(db, t, starts_in=tomorrow_17 - NOW)
    pl, en, uk = await answered(db, t, m.id, Answer.YES, Answer.YES, Answer.YES)  # type: ignore[arg-type]
    await languages(db, t, "pl", "en", "uk")
    assert await sweep(harness.app, m.starts_at - DAY) == 3
    assert "spotkanie zaczyna się jutro o 17:00." in harness.last(pl.telegram_id).text
    assert "the meeting starts tomorrow at 17:00." in harness.last(en.telegram_id).text
    assert "зустріч почнеться завтра о 17:00." in harness.last(uk.telegram_id).text


async def test_a_late_24h_reminder_on_the_day_says_today_at_the_hour(
    harness: Harness, db: Database
) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(days=2))  # Saturday 13:00 in Warsaw
    (member,) = (await answered(db, t, m.id, Answer.YES))[:1]  # type: ignore[arg-type]
    await languages(db, t, "pl")
    # Down over the 24-hour reminder; back at 9:00 on the day.
    assert await sweep(harness.app, m.starts_at - timedelta(hours=4)) == 1
    assert "spotkanie zaczyna się dziś o 13:00." in harness.last(member.telegram_id).text


@pytest.mark.parametrize(
    ("left", "language", "expected"),
    [
        (timedelta(minutes=1), "pl", "za 1 minutę"),
        (timedelta(minutes=3), "pl", "za 3 minuty"),
        (timedelta(minutes=5), "pl", "za 5 minut"),
        (timedelta(minutes=22), "pl", "za 22 minuty"),
        (timedelta(minutes=19, seconds=40), "pl", "za 20 minut"),  # to the nearest minute
        (timedelta(seconds=20), "pl", "za 1 minutę"),  # never "in 0 minutes"
        (timedelta(minutes=59, seconds=50), "pl", "za 1 godzinę"),
        (timedelta(hours=2, minutes=5), "pl", "za 2 godziny"),
        (timedelta(hours=2), "uk", "через 2 години"),
        (timedelta(minutes=5), "uk", "через 5 хвилин"),
        (timedelta(hours=2), "en", "in 2 hours"),
        (timedelta(minutes=1), "en", "in 1 minute"),
    ],
)
def test_starts_in_counts_and_rounds(left: timedelta, language: str, expected: str) -> None:
    with use_language(language):
        assert reminders.starts_in(NOW + left, NOW) == expected


def test_starts_in_further_off_names_the_day() -> None:
    in_a_week = datetime(2026, 12, 3, 17, 30, tzinfo=WARSAW)
    with use_language("pl"):
        assert reminders.starts_in(in_a_week, NOW) == "3 grudnia o 17:30"
    with use_language("en"):
        assert reminders.starts_in(in_a_week, NOW) == "on 3 December at 17:30"
    with use_language("uk"):
        assert reminders.starts_in(in_a_week, NOW) == "3 грудня о 17:30"
