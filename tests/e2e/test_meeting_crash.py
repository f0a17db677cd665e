"""SIGKILL in the middle of scheduling a meeting: the draft survives, the meeting is made once."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import BotProcess
from tests.e2e.flows import start_meeting
from tests.e2e.test_groups_e2e import invite_payload, sign_up
from tests.e2e.test_meetings_e2e import finish_draft, press
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e


def test_kill_while_scheduling_a_meeting(fake: FakeTelegram, bot: BotProcess) -> None:
    cora = fake.new_user("Cora", language_code="en")
    sign_up(fake, cora, "Cora", invite_payload(bot, "coordinator"))
    start_meeting(fake, cora, "Auditors", "What worked in 2016")

    bot.kill()  # no graceful shutdown
    bot.start()

    review = finish_draft(fake, cora, "next Tuesday 5pm")
    assert "What worked in 2016" in review.text  # typed before the kill
    since = press(fake, cora, review, "Schedule")
    fake.wait_for_message(cora, predicate=lambda m: "What worked in 2016" in m.text, after=since)
    time.sleep(1)
    cards = [m for m in fake.messages(cora) if m.text.startswith("📅 What worked in 2016")]
    assert len(cards) == 1, "the meeting was created once"
    assert "17:00" in cards[0].text
