"""The real bot process: schedule a meeting, answer, get reminders across restarts.

Scheduling is four steps for a coordinator: the group, the topic, the time typed, then
"Schedule" on the review. REMINDER_OFFSETS of seconds; the meeting is typed as "in 2
minutes" (parsed to the minute, so it starts 60-120 s later). Instead of waiting, the bot
is restarted "later": BOT_TEST_CLOCK_OFFSET (test-only, models/base.py) moves its clock
forward. It restarts between scheduling and the first reminder (sent exactly once, on
time) and is killed and kept down over the second one (sent once, late, by the next
process).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.db import Database
from models import Meeting
from tests.e2e.conftest import TOKEN, BotProcess
from tests.e2e.flows import finish_meeting, press_label, start_meeting
from tests.e2e.test_groups_e2e import invite_payload, sign_up
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e


@pytest.fixture
def bot(fake: FakeTelegram, tmp_path: Path, e2e_database: str) -> Iterator[BotProcess]:
    process = BotProcess(fake, tmp_path, e2e_database, REMINDER_OFFSETS="50s,20s")
    process.start()
    yield process
    process.stop()
    assert TOKEN not in process.log(), "the bot token appeared in the log"


press = press_label


def finish_draft(fake: FakeTelegram, user: Any, when: str) -> Any:
    """From the "When?" question: type the time, keep the defaults; returns the review."""
    return finish_meeting(fake, user, when)


def reminders(fake: FakeTelegram, user: Any) -> list[Any]:
    return [m for m in fake.messages(user) if "Reminder" in m.text]


def starts_at(bot: BotProcess, topic: str) -> datetime:
    """The meeting's start as the bot stored it."""

    async def read() -> datetime:
        database = Database(bot.env["DATABASE_URL"])
        try:
            async with database.session() as session:
                found = await session.exec(select(Meeting.starts_at).where(Meeting.topic == topic))
                return found.one()
        finally:
            await database.dispose()

    return asyncio.run(read())


def start_at_bot_time(bot: BotProcess, moment: datetime) -> None:
    """(Re)start the bot with its clock moved forward so that it starts at `moment`."""
    offset = max(0.0, moment.timestamp() - time.time())  # the clock never goes back
    bot.env["BOT_TEST_CLOCK_OFFSET"] = f"{offset:.3f}"
    bot.start()


def test_schedule_answer_restart_and_reminders_exactly_once(
    fake: FakeTelegram, bot: BotProcess
) -> None:
    cora = fake.new_user("Cora", language_code="en")
    ewa = fake.new_user("Ewa", language_code="en")
    sign_up(fake, cora, "Cora", invite_payload(bot, "coordinator"))
    sign_up(fake, ewa, "Ewa", invite_payload(bot, "leader"))
    # Ewa joins the Mediators team.
    since = time.time()
    fake.send_text(ewa, "/groups")
    listing = fake.wait_for_message(ewa, contains="Working groups", after=since)
    page = fake.wait_for_message(
        ewa, contains="barriers", after=press(fake, ewa, listing, "Mediators")
    )
    fake.wait_for_message(ewa, contains="You are a member", after=press(fake, ewa, page, "Join"))

    # Cora schedules a meeting of the Mediators: the group, the topic, the time, then the
    # review with the defaults (90 minutes, the usual place, no limit) and "Schedule".
    when = start_meeting(fake, cora, "Mediators", "Barriers on Hallera street")
    assert [label for label, _data in when.buttons if len(label) > 23] == []
    review = finish_draft(fake, cora, "in 2 minutes")
    assert "How many can come: no limit" in review.text and "Hallera" in review.text
    assert [label for label, _data in review.buttons if len(label) > 23] == []
    scheduled = press(fake, cora, review, "Schedule")
    fake.wait_for_message(cora, contains="The meeting is scheduled", after=scheduled)
    card = fake.wait_for_message(ewa, contains="Barriers on Hallera street")
    answered = fake.wait_for_message(
        ewa, contains="Your answer: I'll come", after=press(fake, ewa, card, "I'll come")
    )
    assert "✅ 1" in answered.text
    start = starts_at(bot, "Barriers on Hallera street")
    assert reminders(fake, ewa) == []

    # A restart between scheduling and the first reminder (due 50 s before the start): the
    # new process wakes 4 s before it is due.
    bot.stop()
    start_at_bot_time(bot, start - timedelta(seconds=54))
    first = fake.wait_for_message(ewa, contains="Reminder", timeout=30)
    assert "Barriers on Hallera street" in first.text
    # Killed right after it, and down over the second reminder (due 20 s before the start):
    # the next process starts 3 s after it was due, and sends it once, late.
    bot.kill()
    assert len(reminders(fake, ewa)) == 1
    seen = len(fake.messages(ewa))
    start_at_bot_time(bot, start - timedelta(seconds=17))  # it may go out before start returns
    fake.wait_for_message(ewa, contains="Reminder", after=seen, timeout=30)
    time.sleep(3)  # a duplicate would come from the next sweeps
    assert len(reminders(fake, ewa)) == 2, [m.text for m in reminders(fake, ewa)]
    assert reminders(fake, cora) == []  # Cora did not answer
