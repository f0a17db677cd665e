"""A restart in the middle of a conversation continues where the user was."""

from __future__ import annotations

from bot.config import Settings
from bot.db import Database
from tests.harness import User, start_harness


async def test_onboarding_survives_a_restart(settings: Settings, db: Database) -> None:
    user = User(601, language_code="en")
    first = await start_harness(settings, db)
    calls = await first.send(user, "/start")
    await first.press(user, calls[-1].button("I agree"))
    # No graceful flush: the process "dies" here (we only drop the objects).
    second = await start_harness(settings, db)
    calls = await second.send(user, "Marta")
    assert "Nice to meet you, Marta" in second.texts(calls)
    assert any("Skip" in text for text, _ in calls[-1].buttons)
    await first.app.shutdown()
    await second.app.shutdown()
