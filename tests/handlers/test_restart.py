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


async def test_two_conversations_at_once_both_survive(settings: Settings, db: Database) -> None:
    """All conversations' states are read back at start (in one query): each person goes
    on in their own dialogue, not in someone else's."""
    from tests.handlers.test_contributions import sign_up

    newcomer, anna = User(602, language_code="en"), User(603, language_code="pl")
    first = await start_harness(settings, db)
    calls = await first.send(newcomer, "/start")
    await first.press(newcomer, calls[-1].button("I agree"))
    await sign_up(first, anna, "Anna")
    await first.send(anna, "/barrier")
    await first.send(anna, "Dziurawy chodnik")
    second = await start_harness(settings, db)  # the first process "died" above
    calls = await second.send(newcomer, "Marta")
    assert "Nice to meet you, Marta" in second.texts(calls)
    calls = await second.send(anna, "Przy ulicy Sienkiewicza")
    assert "usunąć" in calls[-1].text.lower()
    await first.app.shutdown()
    await second.app.shutdown()
