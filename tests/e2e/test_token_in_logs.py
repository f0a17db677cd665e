"""No log line at any level holds the bot token, in process: real HTTP against the fake server.

The e2e `bot` fixture checks the subprocess's log at teardown; this one runs the application in
the test's own process with PTB's real HTTPXRequest, every logger at DEBUG (httpx and httpcore
too, which print request URLs containing the token), polling, onboarding, a failing request
and an error, and reads everything the logging configuration of `leaders-bot run` lets out.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import pytest
from telegram import Update

from bot.app import startup
from bot.config import Settings
from bot.db import Database
from bot.logs import setup_logging
from tests.fake_telegram import FakeTelegram
from tests.harness import build_app

pytestmark = pytest.mark.e2e
TOKEN = "987654:IN-PROCESS-token-must-stay-secret"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The bot's own logging set-up at DEBUG, writing into a buffer; restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    noisy = ("httpx", "httpcore", "apscheduler", "aiosqlite", "asyncio")
    levels = {name: logging.getLogger(name).level for name in noisy}
    setup_logging(TOKEN, logging.DEBUG)
    # Even the loggers set-up quietens must not leak it if someone turns them up.
    for name in noisy:
        logging.getLogger(name).setLevel(logging.DEBUG)
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_no_log_line_holds_the_token(
    captured: io.StringIO, settings: Settings, db: Database
) -> None:
    with FakeTelegram(token=TOKEN) as fake:
        live = Settings(
            telegram_bot_token=TOKEN,  # type: ignore[arg-type]
            database_url=settings.database_url,
            telegram_api_url=fake.url,
        )
        application = build_app(live, db, live=True)  # PTB's real HTTPXRequest
        async with application:
            await startup(application)
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(timeout=1, allowed_updates=Update.ALL_TYPES)
            ola = fake.new_user("Ola", language_code="en")

            async def wait(**kwargs: object) -> object:
                return await asyncio.to_thread(fake.wait_for_message, ola, **kwargs)  # type: ignore[arg-type]

            fake.send_text(ola, "/start")
            consent = await wait(contains="Do you agree?")
            seen = len(fake.messages(ola))
            fake.press(ola, consent, text="I agree")
            await wait(contains="name", after=seen)
            fake.send_text(ola, "Ola")
            institution = await wait(contains="Nice to meet you")
            fake.press(ola, institution, text="Skip")
            await wait(contains="What would you like to do?")
            # A failing request, and an error that reaches the error handler.
            fake.fail_next("sendMessage", error_code=400, description="Bad Request: injected")
            seen = len(fake.messages(ola))
            fake.send_text(ola, "/help")
            await wait(contains="Sorry, something went wrong", after=seen)
            await application.updater.stop()
            await application.stop()
    text = captured.getvalue()
    assert "Calling Bot API endpoint `getUpdates`" in text  # DEBUG lines were captured
    assert "error while handling an update" in text  # and the error with its traceback
    assert "<token>" in text  # httpx's URLs were there, redacted
    assert TOKEN not in text
    assert TOKEN.split(":", 1)[1] not in text
