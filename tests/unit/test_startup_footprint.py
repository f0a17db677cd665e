"""Start-up work that may wait until the bot polls (benchmarks/footprint.py measures it)."""

from __future__ import annotations

import asyncio
import gc

import pytest

from bot import app as bot_app
from bot.config import Settings
from bot.db import Database
from tests.harness import start_harness


async def test_start_up_freezes_its_objects_after_polling_began_not_before(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full collection before gc.freeze() takes 50-90 ms: it runs while the first
    getUpdates waits, so the bot answers sooner after a (re)start; it still runs once."""
    calls: list[str] = []
    monkeypatch.setattr(bot_app, "_frozen", False)
    monkeypatch.setattr(bot_app, "FREEZE_AFTER", 0.05)

    def collect(*args: object) -> int:
        calls.append("collect")
        return 0

    monkeypatch.setattr(gc, "collect", collect)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    harness = await start_harness(settings, db)
    try:
        assert "freeze" not in calls  # start-up returned without it
        await asyncio.sleep(0.3)
        assert calls.count("freeze") == 1
        assert calls.index("collect") < calls.index("freeze")
        bot_app.freeze_startup_objects()  # once per process
        assert calls.count("freeze") == 1
    finally:
        await harness.app.shutdown()
