"""A restart in the middle of a conversation continues where the user was."""

from __future__ import annotations

from bot.app import build_application, startup
from bot.config import Settings
from bot.db import Database
from tests.harness import Harness, RecordingRequest, User


async def running(settings: Settings, db: Database) -> Harness:
    request = RecordingRequest()
    application = build_application(
        settings,
        database=db,
        request=request,
        get_updates_request=RecordingRequest(),
        rate_limit=False,
    )
    await application.initialize()
    await startup(application)
    await application.bot_data["commands_task"]
    request.calls.clear()
    return Harness(application, request)


async def test_onboarding_survives_a_restart(settings: Settings, db: Database) -> None:
    user = User(601, language_code="en")
    first = await running(settings, db)
    calls = await first.send(user, "/start")
    await first.press(user, calls[-1].button("I agree"))
    # No graceful flush: the process "dies" here (we only drop the objects).
    second = await running(settings, db)
    calls = await second.send(user, "Marta")
    assert "Nice to meet you, Marta" in second.texts(calls)
    assert any("Skip" in text for text, _ in calls[-1].buttons)
    await first.app.shutdown()
    await second.app.shutdown()
