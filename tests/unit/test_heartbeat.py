"""The health check works in polling and in webhook mode.

Healthy = the bot polled Telegram or handled an update recently. In webhook mode nothing
polls: the heartbeat used to be written only by getUpdates, so a webhook bot was never
healthy. Now every handled update writes it, and in webhook mode a job does too, so a
quiet night does not make a healthy bot look dead.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.app import startup
from bot.cli import main as cli
from bot.config import Settings
from bot.db import Database
from tests.harness import Harness, RecordingRequest, User, build_app


async def _app(settings: Settings, db: Database, heartbeat: Path, **kwargs: object) -> Harness:
    request = RecordingRequest()
    # As in webhook mode: nothing polls (build_app's getUpdates request answers nothing).
    application = build_app(settings, db, request, heartbeat=heartbeat, **kwargs)
    await application.initialize()
    await startup(application)
    await application.bot_data["commands_task"]
    return Harness(application, request)


async def test_a_handled_update_is_a_heartbeat(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    heartbeat = tmp_path / "heartbeat"
    harness = await _app(settings, db, heartbeat)
    try:
        assert cli(["health", "--heartbeat", str(heartbeat)]) == 1  # nothing handled yet
        before = time.time()
        await harness.send(User(4242, language_code="en"), "/start")
        assert float(heartbeat.read_text()) >= before
        assert cli(["health", "--heartbeat", str(heartbeat), "--max-age", "60"]) == 0
    finally:
        await harness.app.shutdown()


async def test_webhook_mode_beats_while_idle(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    heartbeat = tmp_path / "heartbeat"
    harness = await _app(settings, db, heartbeat, heartbeat_every=0.2)
    await harness.app.start()  # the job queue runs
    try:
        for _ in range(50):
            if heartbeat.exists():
                break
            await asyncio.sleep(0.1)
        assert cli(["health", "--heartbeat", str(heartbeat), "--max-age", "5"]) == 0
    finally:
        await harness.app.stop()
        await harness.app.shutdown()
