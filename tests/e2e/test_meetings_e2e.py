"""The real bot process: schedule a meeting, answer, get reminders across restarts.

REMINDER_OFFSETS of seconds; the meeting is typed as "in 2 minutes" (parsed to the
minute, so it starts 60-120 s later). The bot restarts between scheduling and the first
reminder (sent exactly once) and is killed over the second one (sent once, late).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import TOKEN, BotProcess
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


def press(fake: FakeTelegram, user: Any, message: Any, part: str) -> float:
    """Press the button whose label contains `part`; returns the time just before."""
    data = next((d for label, d in message.buttons if part in label), None)
    assert data is not None, f"no button with {part!r} in {message.buttons}"
    since = time.time()
    fake.press(user, message, callback_data=data)
    return since


def finish_draft(fake: FakeTelegram, user: Any, when: str) -> Any:
    """From the "When?" question: type the time, take the defaults; returns the review."""
    since = time.time()
    fake.send_text(user, when)
    step = fake.wait_for_message(user, contains="How long", after=since)
    step = fake.wait_for_message(user, contains="Where?", after=press(fake, user, step, "1 hour"))
    step = fake.wait_for_message(
        user, contains="How many places", after=press(fake, user, step, "Hallera")
    )
    step = fake.wait_for_message(
        user, contains="Who may come", after=press(fake, user, step, "No limit")
    )
    step = fake.wait_for_message(
        user, contains="agenda", after=press(fake, user, step, "Only the group")
    )
    return fake.wait_for_message(
        user, contains="Please check", after=press(fake, user, step, "Skip the agenda")
    )


def reminders(fake: FakeTelegram, user: Any) -> list[Any]:
    return [m for m in fake.messages(user) if "Reminder" in m.text]


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

    # Cora schedules a meeting of the Mediators.
    since = time.time()
    fake.send_text(cora, "/meeting")
    step = fake.wait_for_message(cora, contains="Which group", after=since)
    step = fake.wait_for_message(cora, contains="topic", after=press(fake, cora, step, "Mediators"))
    since = time.time()
    fake.send_text(cora, "Barriers on Hallera street")
    step = fake.wait_for_message(cora, contains="problem area", after=since)
    step = fake.wait_for_message(cora, contains="When?", after=press(fake, cora, step, "own area"))
    step = finish_draft(fake, cora, "in 2 minutes")
    press(fake, cora, step, "Send the invitations")
    card = fake.wait_for_message(ewa, contains="Barriers on Hallera street")
    answered = fake.wait_for_message(
        ewa, contains="Your answer: I'll come", after=press(fake, ewa, card, "I'll come")
    )
    assert "✅ 1" in answered.text

    # A restart between scheduling and the first reminder.
    bot.restart()
    first = fake.wait_for_message(ewa, contains="Reminder", timeout=90)
    assert "Barriers on Hallera street" in first.text
    # Killed right after it, and down over the second reminder (due 30 s later).
    bot.kill()
    time.sleep(33)
    assert len(reminders(fake, ewa)) == 1
    seen = len(fake.messages(ewa))
    bot.start()  # the late reminder may go out before start() returns
    fake.wait_for_message(ewa, contains="Reminder", after=seen, timeout=30)
    time.sleep(3)
    assert len(reminders(fake, ewa)) == 2, [m.text for m in reminders(fake, ewa)]
    assert reminders(fake, cora) == []  # Cora did not answer
